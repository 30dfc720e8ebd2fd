// `infersave calibrate` and `infersave validate` (method.md section 5).
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "common.h"
#include "infersave/calibrate_job.h"

namespace infersave::cli {

namespace {

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return InvalidInput(fmt::format("cannot write {}", path));
  return Status::Ok();
}

// The flags both commands share.
void FillMeasurementsRequest(const CalibrateFlags& f, MeasurementsRequest& request) {
  request.data_dir = f.data_dir;
  request.gpu_table = f.gpu_table;
  request.perf_model = f.perf_model;
  request.folds = f.folds;
  request.format = f.format;
  request.dump = !f.dump.empty();
  request.run = f.run;
}

}  // namespace

int RunCalibrate(const CalibrateFlags& f) {
  CalibrateRequest request;
  FillMeasurementsRequest(f, request);
  request.measurements = f.measurements;
  request.catalog = f.catalog;
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

int RunValidate(const CalibrateFlags& f) {
  ValidateRequest request;
  FillMeasurementsRequest(f, request);
  request.dataset = f.dataset;
  request.engine = f.engine;
  request.serving = f.serving;
  request.calibration = f.calibration;
  std::ostringstream report;
  auto outcome = RunValidateRequest(request, LocalFiles(), report);
  if (!outcome.ok()) return ReportError(outcome.error());
  std::cout << report.str();
  if (!f.dump.empty() && !outcome->dump_csv.empty()) {  // the per-operator datasets have no per-run rows
    if (Status s = WriteFile(f.dump, outcome->dump_csv); !s.ok()) return ReportError(s.error());
  }
  return kExitOk;
}

}  // namespace infersave::cli
