// Benchmark result files as their tools write them (issue 15 item 1), read
// into measurements: `vllm bench serve` (and benchmark_serving.py), `vllm
// bench throughput`, SGLang's bench_serving, genai-perf and AIPerf profile
// exports, trtllm-bench reports (JSON or the printed text), llmperf summaries
// and llama-bench JSON. The format is detected from the content. Which
// fields each reader uses: docs/calibration.md, "Benchmark files".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/hardware.h"
#include "infersave/measurements.h"
#include "infersave/status.h"

namespace infersave {

enum class BenchFormat {
  kVllmServe,       // vllm bench serve --save-result, benchmark_serving.py (object, JSON Lines or a sweep's array)
  kVllmThroughput,  // vllm bench throughput --output-json
  kSglangServing,   // python -m sglang.bench_serving --output-file (JSON Lines)
  kGenaiPerf,       // genai-perf / AIPerf profile_export_*.json
  kTrtllmBench,     // trtllm-bench throughput --report_json, or its printed report
  kLlmperf,         // llmperf token_benchmark_ray.py *_summary.json
  kLlamaBench,      // llama-bench -o json / jsonl
};
std::string_view BenchFormatName(BenchFormat format);

// What a file may lack, from the command line or the request. Given values
// win over the file's own.
struct BenchDefaults {
  std::string gpu;                   // GPU name (or an instance below)
  std::optional<Instance> instance;  // the catalog instance the run used
  std::string engine;
  std::string model;                 // shipped name or config path
  int tp = 0;                        // 0 = the file's, else 1
  std::optional<Precision> precision;
  int64_t input_len = 0;             // 0 = the file's (vllm bench throughput records none)
  int64_t output_len = 0;
};

// The format of a benchmark file, or nullopt when the text is none of them
// (a measurements CSV, for instance).
std::optional<BenchFormat> DetectBenchFormat(std::string_view text);

// Reads every run in the file as a measurement (serving runs for the
// serving tools, static-batch rows for llama-bench's prompt and generation
// tests). Fails with a message naming the file, the run and the field.
Result<std::vector<Measurement>> ReadBenchFile(std::string_view text, std::string_view source,
                                               const BenchDefaults& defaults, const GpuTable& gpus);

// A shipped model for a Hugging Face id ("meta-llama/Llama-3.1-8B-Instruct"
// -> "llama-3.1-8b"), or nullopt.
std::optional<std::string> ShippedModelForHfId(std::string_view hf_id);

}  // namespace infersave
