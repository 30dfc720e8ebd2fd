// `infersave calibrate` and `infersave validate` (method.md section 5).
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "common.h"
#include "infersave/calibrate_job.h"
#include "infersave/calibrate_report.h"
#include "infersave/mlperf_report.h"
#include "infersave/datasets.h"
#include "infersave/serving_report.h"
#include "infersave/serving_validation.h"
#include "infersave/serving_calibrate.h"
#include "infersave/shipped.h"

namespace infersave::cli {

namespace {

Result<CalibrationOptions> Options(const std::string& perf_model, int folds) {
  CalibrationOptions o;
  auto kind = ParsePerfModel(perf_model);
  if (!kind.ok()) return kind.error();
  o.perf_model = *kind;
  if (folds < 2 || folds > 100) return InvalidArgument(fmt::format("--folds must be between 2 and 100, got {}", folds));
  o.folds = folds;
  return o;
}

// What both commands load first.
struct Common {
  OutputFormat format = OutputFormat::kTable;
  CalibrationOptions options;
  GpuTable gpus;
};

Result<Common> LoadCommon(const CalibrateFlags& f) {
  Common c;
  auto format = ParseOutputFormat(f.format);
  if (!format.ok()) return format.error();
  c.format = *format;
  auto options = Options(f.perf_model, f.folds);
  if (!options.ok()) return options.error();
  c.options = *options;
  auto gpus = LoadGpuTable(f.gpu_table);
  if (!gpus.ok()) return gpus.error();
  c.gpus = std::move(gpus).value();
  return c;
}

Status WriteDump(const std::string& path, const CalibrationReport& report) {
  if (path.empty()) return Status::Ok();
  std::ofstream dump(path);
  WriteRowDump(dump, report);
  if (!dump) return InvalidInput(fmt::format("cannot write {}", path));
  return Status::Ok();
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return InvalidInput(fmt::format("cannot write {}", path));
  return Status::Ok();
}

}  // namespace

int RunCalibrate(const CalibrateFlags& f) {
  CalibrateRequest request;
  request.measurements = f.measurements;
  request.data_dir = f.data_dir;
  request.catalog = f.catalog;
  request.gpu_table = f.gpu_table;
  request.perf_model = f.perf_model;
  request.folds = f.folds;
  request.format = f.format;
  request.dump = !f.dump.empty();
  request.run = f.run;
  std::ostringstream report;
  auto outcome = RunCalibrateRequest(request, LocalFiles(), report);
  if (!outcome.ok()) return ReportError(outcome.error());
  std::cout << report.str();
  if (!f.output.empty()) {
    if (!outcome->fitted) {
      return ReportError(InvalidInput(fmt::format("nothing could be fitted from {}; {} not written", outcome->source,
                                                  f.output)));
    }
    if (Status s = WriteFile(f.output, outcome->calibration_json); !s.ok()) return ReportError(s.error());
    std::cerr << "wrote " << f.output << '\n';
  }
  if (!f.dump.empty()) {
    if (Status s = WriteFile(f.dump, outcome->dump_csv); !s.ok()) return ReportError(s.error());
  }
  return outcome->fitted ? kExitOk : kExitNoneQualifies;
}

// MLPerf results: predicted with the planner's own placement and compared as
// system throughputs, plus the decision check at the shipped prices.
int RunValidateMlperf(const CalibrateFlags& f, const GpuTable& gpus, OutputFormat format) {
  auto data = LoadMlperf(f.data_dir, gpus);
  if (!data.ok()) return ReportError(data.error());
  auto calibration = LoadCalibration(f.calibration);
  if (!calibration.ok()) return ReportError(calibration.error());
  auto validation = ValidateMlperf(*data, gpus, &*calibration);
  if (!validation.ok()) return ReportError(validation.error());
  std::vector<Catalog> catalogs;
  for (const char* name : {"aws", "gcp", "azure"}) {
    auto c = LoadCatalog(name, gpus);
    if (!c.ok()) return ReportError(c.error());
    catalogs.push_back(std::move(c).value());
  }
  std::vector<const Catalog*> pointers;
  for (const Catalog& c : catalogs) pointers.push_back(&c);
  const auto decisions = MlperfDecisionCheck(validation->predictions, pointers);
  WriteMlperfValidation(std::cout, *data, *validation, decisions, format);
  if (!f.dump.empty()) {
    std::ostringstream rows;
    WriteMlperfValidation(rows, *data, *validation, decisions, OutputFormat::kCsv);
    if (Status s = WriteFile(f.dump, rows.str()); !s.ok()) return ReportError(s.error());
  }
  return kExitOk;
}

int RunValidate(const CalibrateFlags& f) {
  auto common = LoadCommon(f);
  if (!common.ok()) return ReportError(common.error());
  const OutputFormat* format = &common->format;
  const CalibrationOptions* options = &common->options;
  const GpuTable* gpus = &common->gpus;
  if (f.dataset == "vidur-gemm" || f.dataset == "vidur-allreduce") {
    auto engine = LoadEngine(f.engine.empty() ? "vllm" : f.engine);
    if (!engine.ok()) return ReportError(engine.error());
    if (f.dataset == "vidur-gemm") {
      auto gemms = LoadVidurGemms(f.data_dir, *gpus);
      if (!gemms.ok()) return ReportError(gemms.error());
      WriteOperatorReport(std::cout, ValidateGemms(*gemms, *gpus, *engine),
                          fmt::format("Roofline GEMM times (engine '{}' efficiencies) against Vidur's profiling: {} "
                                      "GEMMs",
                                      engine->name, gemms->size()),
                          *format);
    } else {
      auto runs = LoadVidurAllReduce(f.data_dir, *gpus);
      if (!runs.ok()) return ReportError(runs.error());
      WriteOperatorReport(std::cout, ValidateAllReduce(*runs, *gpus, *engine),
                          fmt::format("Ring all-reduce model (engine '{}') against Vidur's measured all-reduce: {} runs",
                                      engine->name, runs->size()),
                          *format);
    }
    return kExitOk;
  }
  if (f.dataset == "mlperf") return RunValidateMlperf(f, *gpus, *format);
  CalibrateRequest::RunFields run = f.run;
  run.engine = f.engine;
  auto bench = ResolveRunFields(run, nullptr, *gpus);
  if (!bench.ok()) return ReportError(bench.error());
  auto dataset = LoadDataset(f.dataset, f.data_dir, *gpus, nullptr, LocalFiles(), *bench);
  if (!dataset.ok()) return ReportError(dataset.error());
  if (f.serving) {
    // The shipped calibration of the continuous-batching engines.
    auto calibration = LoadCalibration(f.calibration);
    if (!calibration.ok()) return ReportError(calibration.error());
    auto served = ValidateServing(*dataset, *gpus, &*calibration);
    if (!served.ok()) return ReportError(served.error());
    WriteServingValidation(std::cout, *served, *format);
    if (!f.dump.empty()) {
      std::ostringstream rows;
      WriteServingValidation(rows, *served, OutputFormat::kCsv);
      if (Status s = WriteFile(f.dump, rows.str()); !s.ok()) return ReportError(s.error());
    }
    return kExitOk;
  }
  auto report = Calibrate(dataset->rows, *gpus, *options);
  if (!report.ok()) return ReportError(report.error());
  for (const auto& [reason, count] : dataset->skipped) report->skipped[reason] += count;
  // Serving runs (a benchmark tool's file): simulated, and fitted leaving one load out.
  auto serving = FitServingRuns(dataset->rows, *gpus, *report);
  if (!serving.ok()) return ReportError(serving.error());
  WriteValidationReport(std::cout, *report, dataset->name, dataset->description, *format,
                        *serving ? &**serving : nullptr);
  if (Status s = WriteDump(f.dump, *report); !s.ok()) return ReportError(s.error());
  return kExitOk;
}

}  // namespace infersave::cli
