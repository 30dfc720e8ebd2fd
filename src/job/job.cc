// The job request layer (include/infersave/job.h): one place for the
// defaults, the checks and the loading of what a request names.
#include "infersave/job.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "infersave/emit.h"
#include "infersave/shipped.h"
#include "io/text.h"

namespace infersave {

namespace {

// "<field>: <what>", about one request field.
Error FieldError(std::string_view field, std::string_view what, ErrorCode code = ErrorCode::kInvalidArgument) {
  return Error(code, FieldRef(field) + ": " + std::string(what), std::string(field));
}

// "<field> <value>: <what>", about a value that is well formed but not allowed.
Error ValueError(std::string_view field, std::string_view value, std::string_view what) {
  return Error(ErrorCode::kInvalidArgument, fmt::format("{} {}: {}", FieldRef(field), value, what), std::string(field));
}

Result<Precision> ParseFormat(std::string_view field, const std::string& text) {
  auto p = ParsePrecision(text);
  if (!p.ok()) return FieldError(field, p.error().message());
  return *p;
}

Status ResolveFormats(const JobRequest& r, const ModelConfig& model, Workload& w) {
  auto precision = ParseFormat("precision", r.precision);
  if (!precision.ok()) return precision.error();
  if (*precision != Precision::kFp16 && *precision != Precision::kBf16 && *precision != Precision::kFp32) {
    return ValueError("precision", r.precision, fmt::format("give fp16, bf16 or fp32 (quantised formats with {} and {})",
                                                              FieldRef("weights"), FieldRef("kv_cache")));
  }
  w.weight_precision = *precision;
  w.kv_precision = *precision;
  // A quantised checkpoint runs in its own format unless `weights` says otherwise.
  if (model.quant.quantized) w.weight_precision = model.quant.format;
  if (!r.weights.empty()) {
    auto weights = ParseFormat("weights", r.weights);
    if (!weights.ok()) return weights.error();
    w.weight_precision = *weights;
  }
  if (!r.kv_cache.empty()) {
    auto kv = ParseFormat("kv_cache", r.kv_cache);
    if (!kv.ok()) return kv.error();
    if (*kv == Precision::kInt4) return ValueError("kv_cache", r.kv_cache, "give fp16, bf16, fp8 or int8");
    w.kv_precision = *kv;
  }
  return Status::Ok();
}

Status ResolveOffload(const JobRequest& r, const EngineProfile& engine, PlanOptions& o) {
  if (r.offload == "auto") {
    o.offload_mode = OffloadMode::kAuto;
    return Status::Ok();
  }
  if (r.offload == "none") {
    o.offload_mode = OffloadMode::kNone;
    return Status::Ok();
  }
  const std::optional<double> ratio = io::ParseNumber(r.offload);
  if (!ratio || !(*ratio >= 0 && *ratio <= 1)) {
    return FieldError("offload", fmt::format("expected auto, none or a ratio between 0 and 1, got {}",
                                             io::Quote(r.offload)));
  }
  o.offload_mode = OffloadMode::kFixed;
  o.offload_ratio = *ratio;
  const double step = engine.offload_step;
  if (step > 0 && std::fabs(*ratio / step - std::round(*ratio / step)) > 1e-6) {
    return ValueError("offload", r.offload,
                      fmt::format("engine '{}' places the KV cache in steps of {:g}; give a multiple of it", engine.name,
                                  step));
  }
  return Status::Ok();
}

Result<std::string> CatalogName(const JobRequest& r) {
  if (r.cloud.empty()) return r.catalog;
  const std::string cloud = io::ToLower(r.cloud);
  if (cloud != "aws" && cloud != "gcp" && cloud != "azure") {
    return FieldError("cloud", fmt::format("expected aws, gcp or azure, got {}", io::Quote(r.cloud)));
  }
  if (r.Given("catalog") && !io::EqualsIgnoreCase(r.catalog, cloud)) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("give {} or {}, not both ({} {} {} {})", FieldRef("cloud"), FieldRef("catalog"),
                             FieldRef("cloud"), r.cloud, FieldRef("catalog"), r.catalog),
                 "cloud");
  }
  return cloud;
}

// Loads the model, GPU table, catalog, engine and calibration a request names.
Status LoadInputs(const JobRequest& r, const FileSource& files, Job& job) {
  auto model = r.model_config.empty() ? LoadModel(r.model, files) : ParseModelConfig(r.model_config, "model_config");
  if (!model.ok()) return model.error().AtField(r.model_config.empty() ? "model" : "model_config");
  job.model = std::move(model).value();
  auto gpus = LoadGpuTable(r.gpu_table, files);
  if (!gpus.ok()) return gpus.error().AtField("gpu_table");
  job.gpus = std::move(gpus).value();
  if (!r.catalog_csv.empty()) {
    if (r.Given("catalog") || r.Given("cloud")) {
      return FieldError("catalog_csv", fmt::format("give {} or {} and {}, not both", FieldRef("catalog_csv"),
                                                   FieldRef("catalog"), FieldRef("cloud")));
    }
    auto catalog = ParseCatalog(r.catalog_csv, "catalog_csv", job.gpus, r.region);
    if (!catalog.ok()) return catalog.error().AtField("catalog_csv");
    job.catalog = std::move(catalog).value();
  } else {
    auto name = CatalogName(r);
    if (!name.ok()) return name.error();
    auto catalog = LoadCatalog(*name, job.gpus, r.region, files);
    if (!catalog.ok()) return catalog.error().AtField(r.cloud.empty() ? "catalog" : "cloud");
    job.catalog = std::move(catalog).value();
  }
  auto engine = LoadEngine(r.engine, files);
  if (!engine.ok()) return engine.error().AtField("engine");
  job.engine = std::move(engine).value();
  const std::string calibration = r.calibration.empty() ? job.engine.default_calibration : r.calibration;
  if (!calibration.empty() && calibration != "none") {
    auto cal = LoadCalibration(calibration, files);
    if (!cal.ok()) return cal.error().AtField("calibration");
    job.calibration = std::move(cal).value();
  }
  return Status::Ok();
}

// Fields of a batch job that mean nothing to a stream of requests.
Status RejectBatchFields(const JobRequest& r) {
  for (const char* field : {"batch_size", "requests", "pace", "offload", "billing", "slo_headroom"}) {
    if (r.Given(field)) {
      return InvalidField(field, fmt::format("does not apply to online serving ({}, {}, {}, {} or {}): continuous "
                                           "batching sets the batch, and the service runs for as long as requests "
                                           "arrive",
                                           FieldRef("rate"), FieldRef("slo_ttft_ms"), FieldRef("slo_tpot_ms"),
                                           FieldRef("workload"), FieldRef("trace")));
    }
  }
  return Status::Ok();
}

// max_num_seqs replaces the engine's batch cap on every GPU.
Status ApplyEngineOverrides(const JobRequest& r, EngineProfile& engine) {
  if (r.max_num_seqs < 0 || r.max_num_seqs > 1'000'000) {
    return InvalidField("max_num_seqs", fmt::format("must be between 1 and 1000000, got {}", r.max_num_seqs));
  }
  if (r.max_num_seqs > 0) {
    engine.max_num_seqs = r.max_num_seqs;
    engine.max_num_seqs_large_gpu = 0;
  }
  return Status::Ok();
}

}  // namespace

bool JobRequest::Given(std::string_view field) const {
  return std::find(given.begin(), given.end(), field) != given.end();
}

bool JobRequest::online() const {
  return rate || slo_ttft_ms || slo_tpot_ms || !workload.empty() || !trace.empty();
}

std::string RequestField(std::string_view field_path) {
  static const std::map<std::string_view, std::string_view> kFields = {
      {"workload.batch_size", "batch_size"},
      {"workload.input_len", "input_len"},
      {"workload.output_len", "output_len"},
      {"workload.requests", "requests"},
      {"objective.slo_tps", "slo_tps"},
      {"objective.slo_headroom_pct", "slo_headroom"},
      {"objective.max_usd_per_hour", "max_price"},
      {"objective.ttft_ms", "slo_ttft_ms"},
      {"objective.tpot_ms", "slo_tpot_ms"},
      {"objective.percentile", "slo_percentile"},
      {"objective.confidence", "confidence"},
      {"offload.ratio", "offload"},
      {"engine.gpu_memory_utilization", "gpu_memory_utilization"},
      {"serving.rate", "rate"},
      {"calibration.folds", "folds"},
  };
  const auto it = kFields.find(field_path);
  return std::string(it == kFields.end() ? field_path : it->second);
}

PlanContext Job::context() const {
  return PlanContext{&model, &catalog, &engine, calibration ? &*calibration : nullptr};
}

ReportContext Job::report(int top_override) const {
  return ReportContext{&model, &engine, &catalog, calibration ? &*calibration : nullptr,
                       top_override > 0 ? top_override : top, today};
}

Result<Job> ResolveJob(const JobRequest& r, const FileSource& files, std::string_view today) {
  Job job;
  job.today = r.today.empty() ? std::string(today) : r.today;
  if (!DaysBetween("2000-01-01", job.today)) {
    return FieldError("today", fmt::format("expected a date YYYY-MM-DD, got {}", io::Quote(job.today)));
  }
  auto format = ParseOutputFormat(r.format);
  if (!format.ok()) return format.error().AtField("format");
  job.format = *format;
  if (r.top < 1) return InvalidField("top", fmt::format("must be at least 1, got {}", r.top));
  job.top = r.top;
  if (!r.emit.empty()) {
    if (auto target = ParseDeployTarget(r.emit); !target.ok()) return target.error().AtField("emit");
  }
  if (r.online()) {
    if (Status s = RejectBatchFields(r); !s.ok()) return s.error();
  }
  if (Status s = LoadInputs(r, files, job); !s.ok()) return s.error();
  if (Status s = ApplyEngineOverrides(r, job.engine); !s.ok()) return s.error();

  PlanOptions& o = job.options;
  o.workload.batch_size = r.batch_size;
  o.workload.input_len = r.input_len;
  o.workload.output_len = r.output_len;
  o.workload.requests = r.requests;
  if (Status s = ResolveFormats(r, job.model, o.workload); !s.ok()) return s.error();
  o.slo_tps = r.slo_tps;
  o.spot = r.spot;
  o.slo_headroom_pct = r.slo_headroom;
  if (r.max_price) o.max_usd_per_hour = *r.max_price;
  auto billing = ParseBilling(r.billing);
  if (!billing.ok()) return billing.error().AtField("billing");
  o.billing = *billing;
  auto pace = ParsePace(r.pace);
  if (!pace.ok()) return pace.error().AtField("pace");
  o.pace = *pace;
  auto perf = ParsePerfModel(r.perf_model);
  if (!perf.ok()) return perf.error().AtField("perf_model");
  o.perf_model = *perf;
  if (Status s = ResolveOffload(r, job.engine, o); !s.ok()) return s.error();
  o.gpu_memory_utilization = r.gpu_memory_utilization;
  if (r.confidence) o.min_confidence = *r.confidence;
  if (Status s = ValidatePlanOptions(o, job.model); !s.ok()) return s.error();
  return job;
}

}  // namespace infersave
