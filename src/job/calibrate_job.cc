// `calibrate` as a request (include/infersave/calibrate_job.h).
#include "infersave/calibrate_job.h"

#include <fmt/format.h>

#include <sstream>

#include "io/text.h"

#include "infersave/calibrate.h"
#include "infersave/calibrate_report.h"
#include "infersave/mlperf.h"
#include "infersave/mlperf_report.h"
#include "infersave/serving_report.h"
#include "infersave/serving_validation.h"
#include "infersave/bench_files.h"
#include "infersave/datasets.h"
#include "infersave/serving_calibrate.h"
#include "infersave/shipped.h"

namespace infersave {

Result<BenchDefaults> ResolveRunFields(const CalibrateRequest::RunFields& f, const Catalog* catalog,
                                       const GpuTable& gpus) {
  BenchDefaults d;
  if (!f.gpu.empty() && !f.instance.empty()) return InvalidField("run.instance", "give a GPU or an instance, not both");
  if (!f.gpu.empty()) {
    const GpuSpec* gpu = gpus.Find(f.gpu);
    if (!gpu) return InvalidField("run.gpu", fmt::format("unknown GPU {}", io::Quote(f.gpu)));
    d.gpu = gpu->name;
  }
  if (!f.instance.empty()) {
    std::vector<Catalog> shipped;
    if (!catalog) {
      for (const char* name : {"aws", "gcp", "azure"}) {
        if (auto c = LoadCatalog(name, gpus); c.ok()) shipped.push_back(std::move(c).value());
      }
    }
    const Instance* found = catalog ? catalog->Find(f.instance) : nullptr;
    for (const Catalog& c : shipped) found = found ? found : c.Find(f.instance);
    if (!found) {
      return InvalidField("run.instance", fmt::format("unknown instance {} in {}", io::Quote(f.instance),
                                                      catalog ? "catalog " + catalog->name : "the aws, gcp and azure catalogs"));
    }
    d.instance = *found;
  }
  if (f.tp < 0 || f.tp > 1024) return InvalidField("run.tp", fmt::format("must be between 1 and 1024, got {}", f.tp));
  if (f.input_len < 0) return InvalidField("run.input_len", fmt::format("must be positive, got {}", f.input_len));
  if (f.output_len < 0) return InvalidField("run.output_len", fmt::format("must be positive, got {}", f.output_len));
  if (!f.precision.empty()) {
    auto p = ParsePrecision(f.precision);
    if (!p.ok()) return p.error().AtField("run.precision");
    d.precision = *p;
  }
  d.engine = f.engine;
  d.model = f.model;
  d.tp = f.tp;
  d.input_len = f.input_len;
  d.output_len = f.output_len;
  return d;
}

namespace {

// What `write` writes, as a string (the per-run dumps).
template <typename Write>
std::string Rendered(Write write) {
  std::ostringstream out;
  write(out);
  return out.str();
}

// What both requests read first: the report format, the fit's options and
// the GPU table.
struct Setup {
  OutputFormat format = OutputFormat::kTable;
  CalibrationOptions options;
  GpuTable gpus;
};

Result<Setup> ReadSetup(const MeasurementsRequest& r, const FileSource& files) {
  Setup s;
  auto format = ParseOutputFormat(r.format);
  if (!format.ok()) return format.error().AtField("format");
  s.format = *format;
  auto kind = ParsePerfModel(r.perf_model);
  if (!kind.ok()) return kind.error().AtField("perf_model");
  s.options.perf_model = *kind;
  if (r.folds < 2 || r.folds > 100) {
    return InvalidField("calibration.folds", fmt::format("must be between 2 and 100, got {}", r.folds));
  }
  s.options.folds = r.folds;
  auto gpus = LoadGpuTable(r.gpu_table, files);
  if (!gpus.ok()) return gpus.error().AtField("gpu_table");
  s.gpus = std::move(gpus).value();
  return s;
}

}  // namespace

Result<CalibrateOutcome> RunCalibrateRequest(const CalibrateRequest& r, const FileSource& files, std::ostream& out) {
  if (r.measurements.empty()) {
    return InvalidField("measurements", "is empty: name a public dataset or a measurements CSV");
  }
  auto setup = ReadSetup(r, files);
  if (!setup.ok()) return setup.error();
  const OutputFormat* format = &setup->format;
  const CalibrationOptions& options = setup->options;
  const GpuTable* gpus = &setup->gpus;
  std::optional<Catalog> catalog;
  if (!r.catalog.empty()) {
    auto c = LoadCatalog(r.catalog, *gpus, "", files);
    if (!c.ok()) return c.error().AtField("catalog");
    catalog = std::move(c).value();
  }
  auto defaults = ResolveRunFields(r.run, catalog ? &*catalog : nullptr, *gpus);
  if (!defaults.ok()) return defaults.error();
  // All the named datasets and files, as one set of runs.
  Dataset dataset;
  for (const std::string& name : r.measurements) {
    Result<Dataset> part = LoadDataset(name, r.data_dir, *gpus, catalog ? &*catalog : nullptr, files, *defaults);
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
  auto fitted = FitServingRuns(dataset.rows, *gpus, *report);
  if (!fitted.ok()) return fitted.error();
  const std::optional<ServingCalibrationReport>& serving = *fitted;
  if (serving) AddServingFits(*serving, report->calibration);
  WriteCalibrationReport(out, *report, dataset.name, *format, serving ? &*serving : nullptr);
  CalibrateOutcome outcome;
  outcome.fitted = !report->calibration.entries.empty();
  outcome.source = dataset.name;
  if (outcome.fitted) {
    const std::string note = fmt::format("Fitted by `infersave calibrate` from {} ({}). median_ape_pct is the "
                                         "{}-fold cross-validated median absolute percentage error of the group.",
                                         dataset.name, dataset.description, options.folds);
    outcome.calibration_json = CalibrationToJson(*report, note, serving ? &*serving : nullptr);
  }
  if (r.dump) outcome.dump_csv = Rendered([&](std::ostream& rows) { WriteRowDump(rows, *report); });
  return outcome;
}

namespace {

Result<ValidateOutcome> ValidateMlperfRequest(const ValidateRequest& r, const GpuTable& gpus, OutputFormat format,
                                              const FileSource& files, std::ostream& out) {
  auto data = LoadMlperf(r.data_dir, gpus);
  if (!data.ok()) return data.error();
  auto calibration = LoadCalibration(r.calibration, files);
  if (!calibration.ok()) return calibration.error();
  auto validation = ValidateMlperf(*data, gpus, &*calibration);
  if (!validation.ok()) return validation.error();
  // The decision check prices each GPU at the shipped clouds' cheapest GPU-hour.
  std::vector<Catalog> catalogs;
  for (const char* name : {"aws", "gcp", "azure"}) {
    auto c = LoadCatalog(name, gpus);
    if (!c.ok()) return c.error();
    catalogs.push_back(std::move(c).value());
  }
  std::vector<const Catalog*> pointers;
  for (const Catalog& c : catalogs) pointers.push_back(&c);
  const auto decisions = MlperfDecisionCheck(validation->predictions, pointers);
  WriteMlperfValidation(out, *data, *validation, decisions, format);
  ValidateOutcome outcome;
  if (r.dump) {
    outcome.dump_csv = Rendered(
        [&](std::ostream& rows) { WriteMlperfValidation(rows, *data, *validation, decisions, OutputFormat::kCsv); });
  }
  return outcome;
}

Result<ValidateOutcome> ValidateOperators(const ValidateRequest& r, const GpuTable& gpus, OutputFormat format,
                                          const FileSource& files, std::ostream& out) {
  auto engine = LoadEngine(r.engine.empty() ? "vllm" : r.engine, files);
  if (!engine.ok()) return engine.error();
  if (r.dataset == "vidur-gemm") {
    auto gemms = LoadVidurGemms(r.data_dir, gpus);
    if (!gemms.ok()) return gemms.error();
    WriteOperatorReport(out, ValidateGemms(*gemms, gpus, *engine),
                        fmt::format("Roofline GEMM times (engine '{}' efficiencies) against Vidur's profiling: {} "
                                    "GEMMs",
                                    engine->name, gemms->size()),
                        format);
  } else {
    auto runs = LoadVidurAllReduce(r.data_dir, gpus);
    if (!runs.ok()) return runs.error();
    WriteOperatorReport(out, ValidateAllReduce(*runs, gpus, *engine),
                        fmt::format("Ring all-reduce model (engine '{}') against Vidur's measured all-reduce: {} runs",
                                    engine->name, runs->size()),
                        format);
  }
  return ValidateOutcome{};
}

}  // namespace

Result<ValidateOutcome> RunValidateRequest(const ValidateRequest& r, const FileSource& files, std::ostream& out) {
  auto setup = ReadSetup(r, files);
  if (!setup.ok()) return setup.error();
  const OutputFormat* format = &setup->format;
  const CalibrationOptions* fit = &setup->options;
  const GpuTable* gpus = &setup->gpus;
  if (r.dataset == "vidur-gemm" || r.dataset == "vidur-allreduce") {
    return ValidateOperators(r, *gpus, *format, files, out);
  }
  if (r.dataset == "mlperf") return ValidateMlperfRequest(r, *gpus, *format, files, out);
  CalibrateRequest::RunFields run = r.run;
  run.engine = r.engine;
  auto bench = ResolveRunFields(run, nullptr, *gpus);
  if (!bench.ok()) return bench.error();
  auto dataset = LoadDataset(r.dataset, r.data_dir, *gpus, nullptr, files, *bench);
  if (!dataset.ok()) return dataset.error();
  ValidateOutcome outcome;
  if (r.serving) {
    // The shipped calibration of the continuous-batching engines.
    auto calibration = LoadCalibration(r.calibration, files);
    if (!calibration.ok()) return calibration.error();
    auto served = ValidateServing(*dataset, *gpus, &*calibration);
    if (!served.ok()) return served.error();
    WriteServingValidation(out, *served, *format);
    if (r.dump) {
      outcome.dump_csv =
          Rendered([&](std::ostream& rows) { WriteServingValidation(rows, *served, OutputFormat::kCsv); });
    }
    return outcome;
  }
  auto report = Calibrate(dataset->rows, *gpus, *fit);
  if (!report.ok()) return report.error();
  for (const auto& [reason, count] : dataset->skipped) report->skipped[reason] += count;
  // Serving runs (a benchmark tool's file): simulated, and fitted leaving one load out.
  auto serving = FitServingRuns(dataset->rows, *gpus, *report);
  if (!serving.ok()) return serving.error();
  WriteValidationReport(out, *report, dataset->name, dataset->description, *format, *serving ? &**serving : nullptr);
  if (r.dump) outcome.dump_csv = Rendered([&](std::ostream& rows) { WriteRowDump(rows, *report); });
  return outcome;
}

}  // namespace infersave
