// MLPerf Inference datacenter LLM results (../shared/validation-data/mlperf)
// as validation data: each Offline result is a system's saturated
// throughput, predicted here with the planner's own memory and time model
// (issue 9; docs/validation-data.md, "MLPerf").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/calibration.h"
#include "infersave/hardware.h"
#include "infersave/status.h"

namespace infersave {

// The request lengths and latency limits of one MLPerf LLM benchmark, as the
// MLPerf inference rules and reference implementation define them.
struct MlperfWorkload {
  std::string benchmark;   // "llama2-70b"
  std::string model;       // shipped model name
  double mean_input = 0;   // prompt tokens, mean over the dataset
  double mean_output = 0;  // generated tokens, mean over the dataset (reference implementation)
  int64_t max_output = 0;  // max_new_tokens: what an engine that reserves a request's whole KV must hold
  double ttft_p99_s = 0;   // Server scenario limits
  double tpot_p99_s = 0;
  std::string source;
};
const std::vector<MlperfWorkload>& MlperfWorkloads();

// One submitted result, mapped to the planner's names.
struct MlperfResult {
  std::string version;     // "v5.1"
  std::string submitter;
  std::string system;
  std::string benchmark;   // MlperfWorkload::benchmark
  std::string scenario;    // "Offline" or "Server"
  std::string gpu;         // GPU table name
  int gpus = 0;            // accelerators in the system (per node x nodes)
  int gpus_per_node = 0;
  std::string engine;      // engine profile: tensorrt-llm, vllm, vllm-rocm
  Precision weights = Precision::kFp16;
  double measured_tokens_per_s = 0;  // generated tokens per second, whole system
  std::string source;      // the results file and line
};

struct MlperfData {
  std::vector<MlperfResult> rows;
  std::map<std::string, int> skipped;  // reason -> rows
  std::map<std::string, int> assumed;  // assumption -> rows it was applied to
};

// Reads mlperf/mlperf-inference-v4.1-v5.1-llm-datacenter.csv under data_dir.
// Keeps valid closed-division Offline and Server results of benchmarks with a
// shipped model, a GPU in `gpus`, a profiled engine and a stated weight type;
// every other row is counted in `skipped` with its reason.
Result<MlperfData> LoadMlperf(std::string_view data_dir, const GpuTable& gpus);

// The planner's prediction of one result's throughput: the best
// tensor-parallel layout of the system's GPUs (within a node), each replica
// running the largest batch its KV cache and the engine's max_num_seqs allow,
// at the benchmark's mean lengths.
struct MlperfPrediction {
  MlperfResult result;
  std::string gpu_class;   // "SXM", "PCIe or power-limited" (one GPU); "multi-GPU over NVLink/PCIe/xGMI"
  int tp = 1;
  int replicas = 1;
  int64_t batch = 0;       // sequences per replica
  double predicted_tps = 0;             // uncalibrated
  std::optional<double> calibrated_tps; // with the engine's shipped calibration, when it covers the GPU
  double error_pct() const { return 100 * (predicted_tps - result.measured_tokens_per_s) / result.measured_tokens_per_s; }
};

// Predicts every Offline result (Server results are left out: they need the
// serving simulator at the benchmark's limits). `calibration` may be null.
// Rows the planner cannot place (the model does not fit) are counted in
// `unplaced`.
struct MlperfValidation {
  std::vector<MlperfPrediction> predictions;
  std::map<std::string, int> unplaced;  // reason -> rows
};
Result<MlperfValidation> ValidateMlperf(const MlperfData& data, const GpuTable& gpus,
                                        const Calibration* calibration);

// The decision check: for each (benchmark, scenario, version) that several
// GPU types ran, price each GPU-hour at the cheapest shipped instance holding
// that GPU and compare the GPU the model predicts cheapest per generated
// token with the one measured cheapest (the best result per GPU type).
struct MlperfDecision {
  std::string workload;        // "llama2-70b Offline v5.1"
  std::string predicted_pick;  // GPU
  std::string measured_pick;
  double pick_cost_over_best_pct = 0;  // measured cost per token of the predicted pick over the measured best
  bool pass = false;                   // within 2%
  int gpu_types = 0;
};
std::vector<MlperfDecision> MlperfDecisionCheck(const std::vector<MlperfPrediction>& predictions,
                                                const std::vector<const Catalog*>& catalogs);

}  // namespace infersave
