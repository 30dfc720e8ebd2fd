// `calibrate` as a request (include/infersave/calibrate_job.h).
#include "infersave/calibrate_job.h"

#include <fmt/format.h>

#include <sstream>

#include "infersave/calibrate.h"
#include "infersave/calibrate_report.h"
#include "infersave/datasets.h"
#include "infersave/serving_calibrate.h"
#include "infersave/shipped.h"

namespace infersave {

Result<CalibrateOutcome> RunCalibrateRequest(const CalibrateRequest& r, const FileSource& files, std::ostream& out) {
  auto format = ParseOutputFormat(r.format);
  if (!format.ok()) return format.error().AtField("format");
  CalibrationOptions options;
  auto kind = ParsePerfModel(r.perf_model);
  if (!kind.ok()) return kind.error().AtField("perf_model");
  options.perf_model = *kind;
  if (r.folds < 2 || r.folds > 100) {
    return InvalidField("calibration.folds", fmt::format("must be between 2 and 100, got {}", r.folds));
  }
  options.folds = r.folds;
  if (r.measurements.empty()) {
    return InvalidField("measurements", "is empty: name a public dataset or a measurements CSV");
  }
  auto gpus = LoadGpuTable(r.gpu_table, files);
  if (!gpus.ok()) return gpus.error().AtField("gpu_table");
  std::optional<Catalog> catalog;
  if (!r.catalog.empty()) {
    auto c = LoadCatalog(r.catalog, *gpus, "", files);
    if (!c.ok()) return c.error().AtField("catalog");
    catalog = std::move(c).value();
  }
  // All the named datasets and files, as one set of runs.
  Dataset dataset;
  for (const std::string& name : r.measurements) {
    Result<Dataset> part = LoadDataset(name, r.data_dir, *gpus, catalog ? &*catalog : nullptr, files);
    if (!part.ok()) return part.error().AtField("measurements");
    dataset.name += (dataset.name.empty() ? "" : " + ") + part->name;
    dataset.description += (dataset.description.empty() ? "" : "; ") + part->description;
    dataset.rows.insert(dataset.rows.end(), part->rows.begin(), part->rows.end());
    for (const auto& [reason, count] : part->skipped) dataset.skipped[reason] += count;
  }
  auto report = Calibrate(dataset.rows, *gpus, options);
  if (!report.ok()) return report.error();
  for (const auto& [reason, count] : dataset.skipped) report->skipped[reason] += count;
  // Serving runs are fitted through the simulator, and reported there.
  std::optional<ServingCalibrationReport> serving;
  if (report->skipped.erase(std::string(kServingRunSkip)) > 0) {
    auto fitted = CalibrateServing(dataset.rows, *gpus);
    if (!fitted.ok()) return fitted.error();
    serving = std::move(fitted).value();
    AddServingFits(*serving, report->calibration);
  }
  WriteCalibrationReport(out, *report, dataset.name, *format, serving ? &*serving : nullptr);
  CalibrateOutcome outcome;
  outcome.fitted = !report->calibration.entries.empty();
  outcome.source = dataset.name;
  if (outcome.fitted) {
    const std::string note = fmt::format("Fitted by `infersave calibrate` from {} ({}). median_ape_pct is the "
                                         "{}-fold cross-validated median absolute percentage error of the group.",
                                         dataset.name, dataset.description, options.folds);
    outcome.calibration_json = CalibrationToJson(*report, note);
  }
  if (r.dump) {
    std::ostringstream rows;
    WriteRowDump(rows, *report);
    outcome.dump_csv = rows.str();
  }
  return outcome;
}

}  // namespace infersave
