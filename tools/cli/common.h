// Flags shared by `plan` and `predict`, and turning them into library inputs.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "infersave/calibration.h"
#include "infersave/engine.h"
#include "infersave/hardware.h"
#include "infersave/model.h"
#include "infersave/planner.h"
#include "infersave/report.h"
#include "infersave/status.h"

namespace infersave::cli {

// Exit codes (README): 0 found, 1 nothing meets the constraints, 2 usage
// error, 3 invalid input file or value.
inline constexpr int kExitOk = 0;
inline constexpr int kExitNoneQualifies = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInvalidInput = 3;  // malformed input, unknown name, unreadable file
inline constexpr int kExitInternal = 70;     // a bug (EX_SOFTWARE)

// Raw flag values, as typed.
struct JobFlags {
  std::string model = "opt-2.7b";
  std::string catalog = "aws";
  std::string cloud;   // aws, gcp, azure: the shipped catalog of that cloud
  std::string region;  // keep only this region's rows
  bool spot = false;
  std::string today;   // YYYY-MM-DD the catalog's age is measured to ("" = the system date)
  std::string gpu_table;  // "" = shipped
  int64_t batch_size = 32;
  int64_t input_len = 128;
  int64_t output_len = 512;
  int64_t requests = 3000;
  std::string precision = "fp16";
  std::string weights;   // overrides --precision for the weights
  std::string kv_cache;  // overrides --precision for the KV cache
  double slo_tps = 400;
  double slo_headroom_pct = 0;
  std::optional<double> max_price;
  std::string billing = "per-second";
  std::string pace = "slo";
  std::string perf_model = "roofline";
  std::string engine = "vllm";
  std::string offload = "auto";
  std::string calibration;  // "" = the engine's default, "none" = none
  std::optional<double> gpu_memory_utilization;
  std::string format = "table";
  std::string emit;  // plan --emit: skypilot, vllm or flexgen ("" = the report)
  // Long names (without "--") of the flags given on the command line, so that
  // a default can be told from a value the user typed.
  std::vector<std::string> given;
};

// Online-serving flags of `plan` and `simulate` (docs/serving.md).
struct ServeFlags {
  std::optional<double> rate;  // requests/s
  std::optional<double> slo_ttft_ms;
  std::optional<double> slo_tpot_ms;
  double slo_percentile = 99;
  std::string workload;  // JSON file
  std::string trace;     // CSV file
  std::string prompt_tokens;  // length spec ("" = --input-len)
  std::string output_tokens;  // length spec ("" = --output-len)
  std::string arrival = "poisson";
  uint64_t seed = 1;
  int64_t sim_requests = 2000;
  int64_t max_tokens = 0;    // max_tokens the clients send (0 = each request's own output)
  int64_t max_num_seqs = 0;  // the engine's batch cap (0 = the profile's default for the GPU)
  // Whether any flag asks for online serving (plan then simulates).
  bool online() const;
};

void AddServeFlags(CLI::App& app, ServeFlags& flags);

// `simulate`: one instance under one load.
struct SimulateFlags {
  std::string instance;
  int tp = 0;          // 0 = the smallest split that fits
  int64_t users = 0;   // closed-loop users (0 = open loop at --rate)
  double think_s = 0;  // pause between a user's requests
};

void AddJobFlags(CLI::App& app, JobFlags& flags);

// Everything a plan needs, loaded and validated; owns what PlanContext points to.
struct Job {
  ModelConfig model;
  GpuTable gpus;
  Catalog catalog;
  EngineProfile engine;
  std::optional<Calibration> calibration;
  PlanOptions options;
  OutputFormat format = OutputFormat::kTable;

  PlanContext context() const {
    return PlanContext{&model, &catalog, &engine, calibration ? &*calibration : nullptr};
  }
  std::string today;  // YYYY-MM-DD
  ReportContext report(int top) const {
    return ReportContext{&model, &engine, &catalog, calibration ? &*calibration : nullptr, top, today};
  }
};

Result<Job> LoadJob(const JobFlags& flags);

// Today's date (UTC), YYYY-MM-DD, for the catalog's age.
std::string Today();

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
};

// Prints "infersave: error: <message>" and returns the exit code for it.
// The CLI flag that sets a request field ("workload.batch_size" -> "--batch-size").
std::string FlagFor(std::string_view field_path);
// Prints the error, naming request fields by their flags; returns the exit code.
int ReportError(const Error& error);

int RunPlan(const JobFlags& flags, const ServeFlags& serve, int top);
int RunServePlan(const JobFlags& flags, const ServeFlags& serve, int top);
int RunSimulate(const JobFlags& flags, const ServeFlags& serve, const SimulateFlags& sim);
int RunPredict(const JobFlags& flags, const std::string& instance);
int RunModels(const std::string& format);
int RunInstances(const std::string& catalog, const std::string& gpu_table, const std::string& format);
int RunEngines(const std::string& format);
int RunCalibrate(const CalibrateFlags& flags);
int RunValidate(const CalibrateFlags& flags);

}  // namespace infersave::cli
