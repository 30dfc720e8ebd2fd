#include "common.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <map>

#include "infersave/shipped.h"
#include "io/text.h"

namespace infersave::cli {

void AddJobFlags(CLI::App& app, JobFlags& f) {
  app.add_option("-m,--model", f.model, "shipped model name (see `infersave models`) or path to a HuggingFace config.json")
      ->capture_default_str();
  app.add_option("-c,--catalog", f.catalog, "shipped catalog (aws, gcp, azure, paper) or path to a SkyPilot-format CSV")
      ->capture_default_str();
  app.add_option("--cloud", f.cloud, "use the shipped catalog of a cloud: aws, gcp or azure (instead of --catalog)");
  app.add_option("--region", f.region, "keep only this region's instances (e.g. us-east-1)");
  app.add_flag("--spot", f.spot, "price instances at their spot price (those without one are left out)");
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
  app.add_option("--slo-headroom", f.slo_headroom_pct, "required margin over --slo-tps, percent")
      ->capture_default_str();
  app.add_option("--max-price", f.max_price, "price cap, USD per instance-hour (default: none)");
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

Result<Job> LoadJob(const JobFlags& f) {
  Job job;
  job.today = f.today.empty() ? Today() : f.today;
  if (!DaysBetween("2000-01-01", job.today)) {
    return InvalidArgument(fmt::format("--today: expected a date YYYY-MM-DD, got \"{}\"", f.today));
  }
  auto format = ParseOutputFormat(f.format);
  if (!format.ok()) return format.error();
  job.format = *format;

  auto model = LoadModel(f.model);
  if (!model.ok()) return model.error();
  job.model = std::move(model).value();
  auto gpus = LoadGpuTable(f.gpu_table);
  if (!gpus.ok()) return gpus.error();
  job.gpus = std::move(gpus).value();
  std::string catalog_name = f.catalog;
  if (!f.cloud.empty()) {
    const std::string cloud = io::ToLower(f.cloud);
    if (cloud != "aws" && cloud != "gcp" && cloud != "azure") {
      return InvalidArgument(fmt::format("--cloud: expected aws, gcp or azure, got \"{}\"", f.cloud));
    }
    if (f.catalog != "aws" && !io::EqualsIgnoreCase(f.catalog, cloud)) {
      return InvalidArgument(fmt::format("give --cloud or --catalog, not both (--cloud {} --catalog {})", f.cloud,
                                         f.catalog));
    }
    catalog_name = cloud;
  }
  auto catalog = LoadCatalog(catalog_name, job.gpus, f.region);
  if (!catalog.ok()) return catalog.error();
  job.catalog = std::move(catalog).value();
  auto engine = LoadEngine(f.engine);
  if (!engine.ok()) return engine.error();
  job.engine = std::move(engine).value();

  std::string calibration = f.calibration.empty() ? job.engine.default_calibration : f.calibration;
  if (!calibration.empty() && calibration != "none") {
    auto cal = LoadCalibration(calibration);
    if (!cal.ok()) return cal.error();
    job.calibration = std::move(cal).value();
  }

  PlanOptions& o = job.options;
  o.workload.batch_size = f.batch_size;
  o.workload.input_len = f.input_len;
  o.workload.output_len = f.output_len;
  o.workload.requests = f.requests;
  auto precision = ParsePrecision(f.precision);
  if (!precision.ok()) return precision.error();
  if (*precision != Precision::kFp16 && *precision != Precision::kBf16 && *precision != Precision::kFp32) {
    return InvalidArgument(fmt::format(
        "--precision {}: give fp16, bf16 or fp32 (quantised formats with --weights and --kv-cache)", f.precision));
  }
  o.workload.weight_precision = *precision;
  o.workload.kv_precision = *precision;
  // A quantised checkpoint runs in its own format unless --weights says otherwise.
  if (job.model.quant.quantized) o.workload.weight_precision = job.model.quant.format;
  if (!f.weights.empty()) {
    auto weights = ParsePrecision(f.weights);
    if (!weights.ok()) return InvalidArgument("--weights: " + weights.error().message());
    o.workload.weight_precision = *weights;
  }
  if (!f.kv_cache.empty()) {
    auto kv = ParsePrecision(f.kv_cache);
    if (!kv.ok()) return InvalidArgument("--kv-cache: " + kv.error().message());
    if (*kv == Precision::kInt4) return InvalidArgument("--kv-cache int4: give fp16, bf16, fp8 or int8");
    o.workload.kv_precision = *kv;
  }
  o.slo_tps = f.slo_tps;
  o.spot = f.spot;
  o.slo_headroom_pct = f.slo_headroom_pct;
  if (f.max_price) o.max_usd_per_hour = *f.max_price;
  auto billing = ParseBilling(f.billing);
  if (!billing.ok()) return billing.error();
  o.billing = *billing;
  auto pace = ParsePace(f.pace);
  if (!pace.ok()) return pace.error();
  o.pace = *pace;
  auto perf = ParsePerfModel(f.perf_model);
  if (!perf.ok()) return perf.error();
  o.perf_model = *perf;
  if (f.offload == "auto") {
    o.offload_mode = OffloadMode::kAuto;
  } else if (f.offload == "none") {
    o.offload_mode = OffloadMode::kNone;
  } else {
    double ratio = 0;
    size_t used = 0;
    try {
      ratio = std::stod(f.offload, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != f.offload.size() || !(ratio >= 0 && ratio <= 1)) {
      return InvalidArgument(fmt::format("--offload: expected auto, none or a ratio between 0 and 1, got \"{}\"", f.offload));
    }
    o.offload_mode = OffloadMode::kFixed;
    o.offload_ratio = ratio;
    const double step = job.engine.offload_step;
    if (step > 0 && std::fabs(ratio / step - std::round(ratio / step)) > 1e-6) {
      return InvalidArgument(fmt::format("--offload {}: engine '{}' places the KV cache in steps of {:g}; give a "
                                         "multiple of it",
                                         f.offload, job.engine.name, step));
    }
  }
  o.gpu_memory_utilization = f.gpu_memory_utilization;
  if (Status s = ValidatePlanOptions(o, job.model); !s.ok()) return s.error();
  return job;
}

std::string Today() {
  const auto now = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day ymd{now};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::string FlagFor(std::string_view field_path) {
  // The request fields the library names in its errors, and the flags that set them.
  static const std::map<std::string_view, std::string_view> kFlags = {
      {"workload.batch_size", "--batch-size"},
      {"workload.input_len", "--input-len"},
      {"workload.output_len", "--output-len"},
      {"workload.requests", "--requests"},
      {"objective.slo_tps", "--slo-tps"},
      {"objective.slo_headroom_pct", "--slo-headroom"},
      {"objective.max_usd_per_hour", "--max-price"},
      {"objective.ttft_ms", "--slo-ttft-ms"},
      {"objective.tpot_ms", "--slo-tpot-ms"},
      {"objective.percentile", "--slo-percentile"},
      {"offload.ratio", "--offload"},
      {"engine.gpu_memory_utilization", "--gpu-memory-utilization"},
      {"serving.rate", "--rate"},
      {"calibration.folds", "--folds"},
      {"perf_model", "--perf-model"},
  };
  const auto it = kFlags.find(field_path);
  return std::string(it == kFlags.end() ? field_path : it->second);
}

int ReportError(const Error& error) {
  std::cerr << "infersave: error: " << error.message(FlagFor) << '\n';
  switch (error.code()) {
    case ErrorCode::kInvalidArgument: return kExitUsage;
    case ErrorCode::kInternal: return kExitInternal;
    case ErrorCode::kInvalidInput:
    case ErrorCode::kNotFound:
    case ErrorCode::kIo: return kExitInvalidInput;
  }
  return kExitInternal;
}

}  // namespace infersave::cli
