// Flags shared by `plan` and `predict`, and turning them into library inputs.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "infersave/calibration.h"
#include "infersave/engine.h"
#include "infersave/hardware.h"
#include "infersave/calibrate_job.h"
#include "infersave/job.h"
#include "infersave/model.h"
#include "infersave/planner.h"
#include "infersave/report.h"
#include "infersave/status.h"
#include "server.h"

namespace infersave::cli {

// Exit codes (README): 0 found, 1 nothing meets the constraints, 2 usage
// error, 3 invalid input file or value.
inline constexpr int kExitOk = 0;
inline constexpr int kExitNoneQualifies = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInvalidInput = 3;  // malformed input, unknown name, unreadable file
inline constexpr int kExitInternal = 70;     // a bug (EX_SOFTWARE)

// The flags of `plan`, `predict` and `simulate` set the fields of one
// JobRequest (include/infersave/job.h), which holds their defaults.
void AddJobFlags(CLI::App& app, JobRequest& request);
// Online-serving flags of `plan` and `simulate` (docs/serving.md).
void AddServeFlags(CLI::App& app, JobRequest& request);

// Today's date (UTC), YYYY-MM-DD, for the catalog's age.
inline std::string Today() { return CurrentDate(); }

// Flags of `calibrate` and `validate`.
struct CalibrateFlags {
  std::vector<std::string> measurements;  // calibrate: datasets or measurement CSVs
  std::string dataset;                    // validate: one dataset or measurements CSV
  std::string data_dir = "../shared/validation-data";
  std::string output;        // calibrate -o
  std::string dump;          // per-row CSV
  std::string perf_model = "roofline";
  std::string gpu_table;
  std::string catalog;       // resolves an `instance` column
  std::string format = "table";
  std::string engine = "vllm";  // efficiencies for the per-operator datasets
  int folds = 5;
  bool serving = false;  // validate: the continuous-batching simulator (tgi-sagemaker, argonne-ttft)
  std::string calibration = "public";  // validate --dataset mlperf / --serving: the calibration scored beside the model
  CalibrateRequest::RunFields run;     // calibrate: what benchmark files lack
};

// The CLI flag that sets a request field ("workload.batch_size" -> "--batch-size").
std::string FlagFor(std::string_view field_path);
// Prints the error, naming request fields by their flags; returns the exit code.
int ReportError(const Error& error);

enum class Command { kPlan, kPredict, kSimulate };
// Runs a plan, prediction or simulation, printing the document; returns the exit code.
int RunJob(Command command, const JobRequest& request);
int RunServer(const infersave::server::ServerOptions& options);
int RunModels(const std::string& format);
int RunInstances(const std::string& catalog, const std::string& gpu_table, const std::string& format);
int RunEngines(const std::string& format);
int RunCalibrate(const CalibrateFlags& flags);
int RunValidate(const CalibrateFlags& flags);

}  // namespace infersave::cli
