// Benchmark measurements: the rows users (and the public-data adapters)
// produce, against which the CTCF is fitted and the model validated
// (method.md section 5). Format: docs/calibration.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/hardware.h"
#include "infersave/simulator.h"
#include "infersave/status.h"

namespace infersave {

// Which tokens a measured throughput counts.
enum class TokensCounted {
  kInputAndOutput,  // BS x (L_in + L_out) / T (paper eq. 1; Argonne)
  kOutput,          // BS x L_out / T (generation throughput; FlexGen)
};

// One benchmark run: a static batch (the default), or a serving run, a
// stream of requests at a rate or a concurrency (`serving()`).
struct Measurement {
  std::string gpu;        // GPU name or alias, as in the GPU table
  // The catalog instance the run used, when the row names one: its GPU as
  // the catalog gives it (overrides included), host memory and GPU count.
  std::optional<Instance> instance;
  std::string engine;     // engine profile name
  std::string model;      // shipped model name or path to a config.json
  Precision precision = Precision::kFp16;
  int tp = 1;             // tensor-parallel degree (GPUs per model copy)
  int64_t batch_size = 1; // sequences processed together
  int64_t input_len = 0;  // prompt tokens per sequence (the mean, when they vary)
  int64_t output_len = 0; // generated tokens per sequence (the mean, when they vary)
  // Where the run kept its KV cache and weights: the fraction of each in CPU
  // memory. Unset: the planner's own choice (Algorithm 1).
  std::optional<double> kv_offload;
  std::optional<double> weight_offload;

  // Serving runs: requests offered at `request_rate` per second (infinity:
  // all at once, as `vllm bench throughput` does) and/or with at most
  // `concurrency` in flight (closed-loop clients); `num_requests` in all,
  // their lengths drawn from `input_dist` and `output_dist` (fixed at
  // input_len and output_len when the file gives no distribution).
  std::optional<double> request_rate;
  std::optional<int64_t> concurrency;
  int64_t num_requests = 0;
  std::optional<LengthDistribution> input_dist;
  std::optional<LengthDistribution> output_dist;
  bool serving() const { return request_rate.has_value() || concurrency.has_value(); }

  // Measured values; at least one is present. For a serving run, prefill_s
  // is the mean time to first token over the requests, decode_s_per_token
  // the mean time per output token after the first (TPOT), and
  // throughput_tps the run's token throughput.
  std::optional<double> prefill_s;           // the batch's prefill (time to first token), seconds
  std::optional<double> decode_s_per_token;  // mean time of one decode step, seconds
  std::optional<double> total_s;             // the batch end to end, seconds
  std::optional<double> throughput_tps;      // tokens per second, counted as `counts` says
  TokensCounted counts = TokensCounted::kInputAndOutput;
  std::string source;     // where the row came from (file:line, dataset and row)
  int line = 0;           // line in the measurements file (0 for adapters)

  // The measured end-to-end time, from total_s or from the throughput.
  std::optional<double> MeasuredTotalSeconds() const;
};

// Parses a measurements CSV (columns in docs/calibration.md). Rows may name
// an `instance` instead of a `gpu`; it is looked up in `catalog` (when null,
// such rows are errors). Every malformed row is an error naming the file,
// line and column.
Result<std::vector<Measurement>> ParseMeasurements(std::string_view csv_text, std::string_view source,
                                                   const Catalog* catalog = nullptr);

// Writes measurements as CSV in the same format (for adapters' dumps).
std::string MeasurementsToCsv(const std::vector<Measurement>& rows);

}  // namespace infersave
