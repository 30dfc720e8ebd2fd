// `calibrate` as a request (issue 12): what to fit from, and the fitted
// calibration, for every front end (CLI, Python).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "infersave/bench_files.h"
#include "infersave/file_source.h"
#include "infersave/status.h"

namespace infersave {

// What `calibrate` and `validate` read measurements with.
struct MeasurementsRequest {
  std::string data_dir = "../shared/validation-data";  // the public datasets' folder
  std::string gpu_table;   // "" = shipped
  std::string perf_model = "roofline";
  int folds = 5;           // k of the k-fold cross-validation, 2..100
  std::string format = "table";
  bool dump = false;       // also render the per-run rows (CSV)
  // What benchmark result files (bench_files.h) lack; given values win over
  // a file's own. The instance is looked up in `catalog` (calibrate), or in
  // the shipped aws, gcp and azure catalogs when none is named.
  struct RunFields {
    std::string gpu;
    std::string instance;
    std::string engine;
    std::string model;
    std::string precision;
    int tp = 0;
    int64_t input_len = 0;
    int64_t output_len = 0;
  } run;
};

struct CalibrateRequest : MeasurementsRequest {
  // Public dataset names (see `validate`) or measurement CSV paths (read
  // through the FileSource), fitted as one set of runs.
  std::vector<std::string> measurements;
  std::string catalog;  // resolves an `instance` column ("" = none)
};

struct CalibrateOutcome {
  bool fitted = false;          // at least one group could be fitted
  std::string source;           // the datasets' names ("argonne + runs.csv")
  std::string calibration_json; // what `plan --calibration` reads ("" when nothing was fitted)
  std::string dump_csv;         // the per-run rows (when asked for)
};

// The benchmark files' defaults from the request's run fields: the GPU or
// the instance (in `catalog`, else the shipped aws, gcp and azure ones), the
// precision; errors name the field ("run.gpu").
Result<BenchDefaults> ResolveRunFields(const CalibrateRequest::RunFields& fields, const Catalog* catalog,
                                       const GpuTable& gpus);

// Fits the CTCF from the measurements and writes the report to `out`.
Result<CalibrateOutcome> RunCalibrateRequest(const CalibrateRequest& request, const FileSource& files,
                                             std::ostream& out);

// `validate` as a request: the error of the model against one dataset.
struct ValidateRequest : MeasurementsRequest {
  // A public dataset name (datasets.h, plus "mlperf", "vidur-gemm" and
  // "vidur-allreduce") or a measurements CSV or benchmark file (read through
  // the FileSource). run.engine is `engine`.
  std::string dataset;
  // The engine whose efficiencies the per-operator datasets are scored with,
  // and the engine that served a benchmark file.
  std::string engine = "vllm";
  bool serving = false;  // through the continuous-batching simulator (tgi-sagemaker, argonne-ttft, files)
  std::string calibration = "public";  // scored beside the model (mlperf, serving)
};

struct ValidateOutcome {
  std::string dump_csv;  // the per-run rows (when asked for; none for the per-operator datasets)
};

// Scores the model against the dataset and writes the report to `out`.
Result<ValidateOutcome> RunValidateRequest(const ValidateRequest& request, const FileSource& files,
                                           std::ostream& out);

}  // namespace infersave
