#include "common.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <algorithm>

#include "infersave/shipped.h"
#include "io/text.h"

namespace infersave::cli {

void AddJobFlags(CLI::App& app, JobRequest& f) {
  app.add_option("-m,--model", f.model, "shipped model name (see `infersave models`) or path to a HuggingFace config.json")
      ->capture_default_str();
  app.add_option("-c,--catalog", f.catalog, "shipped catalog (aws, gcp, azure, paper) or path to a SkyPilot-format CSV")
      ->capture_default_str();
  app.add_option("--cloud", f.cloud, "use the shipped catalog of a cloud: aws, gcp or azure (instead of --catalog)");
  app.add_option("--region", f.region, "keep only this region's instances (e.g. us-east-1)");
  app.add_flag("--spot", f.spot, "price instances at their spot price (those without one are left out)");
  app.add_option("--pricing", f.pricing,
                 "prices allowed: on-demand, spot, or on-demand,spot to take whichever is cheaper on each instance "
                 "(default: on-demand; --spot = spot)");
  app.add_option("--today", f.today, "date the catalog's age is counted to, YYYY-MM-DD (default: the system date)");
  app.add_option("--gpu-table", f.gpu_table, "path to a GPU table CSV replacing the shipped one");
  app.add_option("-b,--batch-size", f.batch_size, "requests processed together per replica (BS)")->capture_default_str();
  app.add_option("-i,--input-len", f.input_len, "prompt tokens per request (L_in)")->capture_default_str();
  app.add_option("-o,--output-len", f.output_len, "generated tokens per request (L_out)")->capture_default_str();
  app.add_option("-n,--requests", f.requests, "requests in the job (R)")->capture_default_str();
  app.add_option("--precision", f.precision, "weights and KV cache format: fp16, bf16 or fp32")->capture_default_str();
  app.add_option("--weights", f.weights, "weight format: fp16, bf16, fp32, fp8 (W8A8), int8, int4 (weight-only) or fp4 (MXFP4; default: the "
                 "checkpoint's quantization_config, else --precision)");
  app.add_option("--kv-cache", f.kv_cache, "KV cache format: fp16, bf16, fp8 or int8");
  app.add_option("--slo-tps", f.slo_tps, "throughput objective, tokens/s counting input and output (0 = none)")
      ->capture_default_str();
  app.add_option("--slo-headroom", f.slo_headroom, "required margin over --slo-tps, percent")
      ->capture_default_str();
  app.add_option("--max-price", f.max_price, "price cap, USD per instance-hour (default: none)");
  app.add_option("--deadline", f.deadline,
                 "batch job deadline, e.g. 8h, 30m, 2d: the cheapest fleet of each instance that finishes in time "
                 "(replaces --slo-tps)");
  app.add_flag("--search-batch", f.search_batch,
               "try batch sizes 1, 2, 4, ... up to the requests (at most 4096) on every instance and keep the best "
               "that fits (batch jobs)");
  app.add_option("--confidence", f.confidence,
                 "pick the cheapest instance that meets the objective with at least this probability, e.g. 0.9 "
                 "(docs/confidence.md; default: as predicted)");
  app.add_option("--billing", f.billing, "per-second (AWS on-demand, 60 s minimum) or hourly (the paper's rule)")
      ->capture_default_str();
  app.add_option("--pace", f.pace,
                 "slo: the job's tokens arrive at the SLO rate (paper eq. 2, a service); max: the job runs flat out "
                 "(a batch job)")
      ->capture_default_str();
  app.add_option("--perf-model", f.perf_model, "roofline (default) or paper (eqs. 4-6 as printed)")
      ->capture_default_str();
  app.add_option("-e,--engine", f.engine, "engine profile: vllm, tensorrt-llm, tgi, llamacpp, flexgen, vllm-rocm, or path to a profile .json")
      ->capture_default_str();
  app.add_option("--offload", f.offload, "KV cache offloading: auto, none, or a fixed ratio 0..1")
      ->capture_default_str();
  app.add_option("--calibration", f.calibration,
                 "CTCF calibration: shipped name or .json path; 'none' to disable (default: the engine's)");
  app.add_option("--gpu-memory-utilization", f.gpu_memory_utilization,
                 "fraction of GPU memory the engine may use (default: the engine's, 0.9)");
  app.add_option("-f,--format", f.format, "table, json or csv")->capture_default_str();
}

void AddServeFlags(CLI::App& app, JobRequest& f) {
  app.add_option("--rate", f.rate, "requests per second the service must sustain (online serving)");
  app.add_option("--slo-ttft-ms", f.slo_ttft_ms, "time-to-first-token objective, ms, at --slo-percentile");
  app.add_option("--slo-tpot-ms", f.slo_tpot_ms, "time-per-output-token objective, ms, at --slo-percentile");
  app.add_option("--slo-percentile", f.slo_percentile, "share of requests the latency objectives hold for, percent")
      ->capture_default_str();
  app.add_option("--workload", f.workload, "workload JSON file: arrivals, length distributions or a trace (docs/serving.md)");
  app.add_option("--trace", f.trace, "CSV trace with arrival_s, prompt_tokens, output_tokens per request");
  app.add_option("--prompt-tokens", f.prompt_tokens,
                 "prompt length distribution: N, uniform:LO:HI, normal:MEAN:SD, lognormal:MEAN:SD[:MAX] or file:PATH "
                 "(default: --input-len)");
  app.add_option("--output-tokens", f.output_tokens,
                 "output length distribution, same forms (default: --output-len)");
  app.add_option("--arrival", f.arrival, "poisson, or gamma:CV for bursty (CV > 1) or smooth (CV < 1) arrivals")
      ->capture_default_str();
  app.add_option("--seed", f.seed, "random seed of the generated workload")->capture_default_str();
  app.add_option("--sim-requests", f.sim_requests, "requests simulated per rate")->capture_default_str();
  app.add_option("--max-tokens", f.max_tokens,
                 "max_tokens the clients send; engines that reserve a whole request (tensorrt-llm, tgi) hold it from "
                 "admission (default: each request's own output)");
  app.add_flag("--search-scheduler", f.search_scheduler,
               "search the engine's max_num_seqs (64-512) and token budget per iteration (2048, 8192) in online plans");
  app.add_flag("--exhaustive", f.exhaustive,
               "simulate every instance and layout (by default those whose throughput bound cannot beat a qualifying "
               "one's cost are not simulated)");
  app.add_option("--max-num-seqs", f.max_num_seqs,
                 "the engine's cap on sequences running at once, as a max-load benchmark raises it (default: the "
                 "engine profile's for the GPU)");
}

std::string FlagFor(std::string_view field_path) {
  // A request field is set by the long option of the same name.
  std::string flag = "--" + RequestField(field_path);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

int ReportError(const Error& error) {
  std::cerr << "infersave: error: " << error.message(FlagFor) << '\n';
  switch (error.code()) {
    case ErrorCode::kInvalidArgument: return kExitUsage;
    case ErrorCode::kInternal:
    case ErrorCode::kCancelled: return kExitInternal;
    case ErrorCode::kInvalidInput:
    case ErrorCode::kNotFound:
    case ErrorCode::kIo: return kExitInvalidInput;
  }
  return kExitInternal;
}

}  // namespace infersave::cli
