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

// "8h", "30m", "90s", "2d", "1.5h" -> seconds.
Result<double> ParseDuration(const std::string& text) {
  const std::string t = io::ToLower(io::Trim(text));
  const char unit = t.empty() ? '\0' : t.back();
  const double scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
  const std::optional<double> value = scale > 0 ? io::ParseNumber(t.substr(0, t.size() - 1)) : std::nullopt;
  if (!value || !(*value > 0) || !std::isfinite(*value)) {
    return FieldError("deadline", fmt::format("expected a duration such as 8h, 30m, 90s or 2d, got {}", io::Quote(text)));
  }
  return *value * scale;
}

// The items of a comma-separated list, trimmed ("fp16, fp8" -> {"fp16", "fp8"}).
std::vector<std::string> ListItems(std::string_view text) {
  std::vector<std::string> items;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    items.emplace_back(io::Trim(text.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  return items;
}

// The formats a request allows: one each by default, lists to search.
struct Formats {
  std::vector<Precision> weights;
  std::vector<Precision> kv;
};

Result<std::vector<Precision>> FormatList(std::string_view field, const std::string& text, bool kv) {
  std::vector<Precision> out;
  for (const std::string& item : ListItems(text)) {
    auto p = ParseFormat(field, item);
    if (!p.ok()) return p.error();
    if (kv && *p == Precision::kInt4) return ValueError(field, item, "give fp16, bf16, fp8 or int8");
    if (std::find(out.begin(), out.end(), *p) == out.end()) out.push_back(*p);
  }
  return out;
}

Result<Formats> ResolveFormats(const JobRequest& r, const ModelConfig& model) {
  auto precision = ParseFormat("precision", r.precision);
  if (!precision.ok()) return precision.error();
  if (*precision != Precision::kFp16 && *precision != Precision::kBf16 && *precision != Precision::kFp32) {
    return ValueError("precision", r.precision, fmt::format("give fp16, bf16 or fp32 (quantised formats with {} and {})",
                                                              FieldRef("weights"), FieldRef("kv_cache")));
  }
  Formats f;
  // A quantised checkpoint runs in its own format unless `weights` says otherwise.
  f.weights = {model.quant.quantized ? model.quant.format : *precision};
  f.kv = {*precision};
  if (!r.weights.empty()) {
    auto weights = FormatList("weights", r.weights, false);
    if (!weights.ok()) return weights.error();
    f.weights = std::move(weights).value();
  }
  if (!r.kv_cache.empty()) {
    auto kv = FormatList("kv_cache", r.kv_cache, true);
    if (!kv.ok()) return kv.error();
    f.kv = std::move(kv).value();
  }
  return f;
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

// An engine profile and its calibration (the request's, else the engine's default).
Result<std::pair<EngineProfile, std::optional<Calibration>>> LoadEngineAndCalibration(const JobRequest& r,
                                                                                      const std::string& name,
                                                                                      const FileSource& files) {
  auto engine = LoadEngine(name, files);
  if (!engine.ok()) return engine.error().AtField("engine");
  std::optional<Calibration> calibration;
  const std::string cal_name = r.calibration.empty() ? engine->default_calibration : r.calibration;
  if (!cal_name.empty() && cal_name != "none") {
    auto cal = LoadCalibration(cal_name, files);
    if (!cal.ok()) return cal.error().AtField("calibration");
    calibration = std::move(cal).value();
  }
  return std::make_pair(std::move(engine).value(), std::move(calibration));
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
  auto engine = LoadEngineAndCalibration(r, ListItems(r.engine).front(), files);
  if (!engine.ok()) return engine.error();
  job.engine = std::move(engine->first);
  job.calibration = std::move(engine->second);
  return Status::Ok();
}

// Fields of a batch job that mean nothing to a stream of requests.
Status RejectBatchFields(const JobRequest& r) {
  for (const char* field :
       {"batch_size", "requests", "pace", "offload", "billing", "slo_headroom", "search_batch", "deadline"}) {
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

// The combinations a request searches (none when it names one of each).
Status ResolveVariants(const JobRequest& r, const Formats& formats, const FileSource& files, Job& job) {
  const std::vector<std::string> engines = ListItems(r.engine);
  std::vector<int64_t> batches = {0};
  if (r.search_batch && !r.online()) {
    batches.clear();
    constexpr int64_t kMaxSearchedBatch = 4096;
    for (int64_t b = 1; b <= std::min(r.requests, kMaxSearchedBatch); b *= 2) batches.push_back(b);
  }
  std::vector<bool> spots = {r.spot};
  if (!r.pricing.empty()) {
    if (r.spot) {
      return FieldError("pricing", fmt::format("give {} or {}, not both", FieldRef("spot"), FieldRef("pricing")));
    }
    spots.clear();
    for (const std::string& item : ListItems(r.pricing)) {
      const std::string p = io::ToLower(item);
      if (p != "on-demand" && p != "spot") {
        return ValueError("pricing", item, "give on-demand, spot, or both as on-demand,spot");
      }
      if (std::find(spots.begin(), spots.end(), p == "spot") == spots.end()) spots.push_back(p == "spot");
    }
  }
  // The engine's scheduler settings to try (online plans): {max_num_seqs, token budget}; {0, 0} = the profile's.
  std::vector<std::pair<int64_t, int64_t>> schedulers = {{0, 0}};
  if (r.search_scheduler) {
    if (!r.online()) {
      return FieldError("search_scheduler", fmt::format("applies to online plans ({} or a latency objective)",
                                                        FieldRef("rate")));
    }
    schedulers.clear();
    for (int64_t seqs : {64, 128, 256, 512}) {
      if (job.engine.prefill_chunk_tokens > 0) {
        for (int64_t budget : {2048, 8192}) schedulers.emplace_back(seqs, budget);
      } else {
        schedulers.emplace_back(seqs, 0);
      }
    }
  }
  const size_t combinations = formats.weights.size() * formats.kv.size() * engines.size() * batches.size() *
                              spots.size() * schedulers.size();
  job.options.spot = spots.front();
  if (combinations == 1 && batches.front() == 0 && schedulers.front().first == 0) return Status::Ok();
  constexpr size_t kMaxCombinations = 64;
  if (combinations > kMaxCombinations) {
    return InvalidArgument(fmt::format("{} weight formats x {} KV formats x {} engines x {} batch sizes x {} prices x "
                                       "{} scheduler settings make {} plans; search at most {}",
                                       formats.weights.size(), formats.kv.size(), engines.size(), batches.size(),
                                       spots.size(), schedulers.size(), combinations, kMaxCombinations));
  }
  for (size_t e = 0; e < engines.size(); ++e) {
    std::pair<EngineProfile, std::optional<Calibration>> loaded{job.engine, job.calibration};
    if (e > 0) {
      auto engine = LoadEngineAndCalibration(r, engines[e], files);
      if (!engine.ok()) return engine.error();
      loaded = std::move(engine).value();
      if (Status s = ApplyEngineOverrides(r, loaded.first); !s.ok()) return s.error();
    }
    for (Precision weights : formats.weights) {
      for (Precision kv : formats.kv) {
        for (int64_t b : batches) {
          for (bool spot : spots) {
            for (auto [seqs, budget] : schedulers) {
              EngineProfile engine = loaded.first;
              if (seqs > 0) {
                engine.max_num_seqs = seqs;
                engine.max_num_seqs_large_gpu = 0;
              }
              if (budget > 0) engine.prefill_chunk_tokens = budget;
              job.variants.push_back(JobVariant{weights, kv, b, spot, std::move(engine), loaded.second});
            }
          }
        }
      }
    }
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
      {"objective.deadline_s", "deadline"},
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
                       top_override > 0 ? top_override : top, today, frontier};
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
  job.frontier = r.frontier;
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
  auto formats = ResolveFormats(r, job.model);
  if (!formats.ok()) return formats.error();
  o.workload.weight_precision = formats->weights.front();
  o.workload.kv_precision = formats->kv.front();
  if (Status s = ResolveVariants(r, *formats, files, job); !s.ok()) return s.error();
  o.slo_tps = r.slo_tps;
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
  if (!r.deadline.empty()) {
    auto deadline = ParseDuration(r.deadline);
    if (!deadline.ok()) return deadline.error();
    o.deadline_s = *deadline;
    o.pace = Pace::kMax;
    if (!r.Given("slo_tps")) o.slo_tps = 0;
  }
  if (Status s = ValidatePlanOptions(o, job.model); !s.ok()) return s.error();
  return job;
}

}  // namespace infersave
