// Job requests as JSON objects (the service's bodies, the Python module's
// keyword arguments): one key per JobRequest field.
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "infersave/job.h"
#include "io/text.h"

namespace infersave {

namespace {

using nlohmann::json;
using Setter = std::function<Status(const json&, JobRequest&)>;
// How a key is read, and its JSON Schema type.
struct Field {
  Setter set;
  const char* type;
};

Error TypeError(std::string_view key, std::string_view expected, const json& v) {
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("{}: expected {}, got {}", FieldRef(key), expected, io::Quote(v.dump())), std::string(key));
}

Field String(std::string_view key, std::string JobRequest::*field) {
  return {[key, field](const json& v, JobRequest& r) -> Status {
    if (!v.is_string()) return TypeError(key, "a string", v);
    r.*field = v.get<std::string>();
    return Status::Ok();
  }, "string"};
}

Field Bool(std::string_view key, bool JobRequest::*field) {
  return {[key, field](const json& v, JobRequest& r) -> Status {
    if (!v.is_boolean()) return TypeError(key, "true or false", v);
    r.*field = v.get<bool>();
    return Status::Ok();
  }, "boolean"};
}

Result<double> Number(std::string_view key, const json& v) {
  if (!v.is_number()) return TypeError(key, "a number", v);
  const double d = v.get<double>();
  if (!std::isfinite(d)) return TypeError(key, "a finite number", v);
  return d;
}

Field Double(std::string_view key, double JobRequest::*field) {
  return {[key, field](const json& v, JobRequest& r) -> Status {
    auto d = Number(key, v);
    if (!d.ok()) return d.error();
    r.*field = *d;
    return Status::Ok();
  }, "number"};
}

// null leaves an optional unset.
Field OptionalDouble(std::string_view key, std::optional<double> JobRequest::*field) {
  return {[key, field](const json& v, JobRequest& r) -> Status {
    if (v.is_null()) {
      (r.*field).reset();
      return Status::Ok();
    }
    auto d = Number(key, v);
    if (!d.ok()) return d.error();
    r.*field = *d;
    return Status::Ok();
  }, "number"};
}

template <typename Int>
Field Integer(std::string_view key, Int JobRequest::*field) {
  return {[key, field](const json& v, JobRequest& r) -> Status {
    if (!v.is_number_integer()) return TypeError(key, "a whole number", v);
    if (v.is_number_unsigned()) {
      const auto u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<Int>::max())) return TypeError(key, "a smaller number", v);
      r.*field = static_cast<Int>(u);
      return Status::Ok();
    }
    const auto i = v.get<int64_t>();
    if (std::is_unsigned_v<Int> && i < 0) return TypeError(key, "a whole number >= 0", v);
    if (i < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
        (i > 0 && static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<Int>::max()))) {
      return TypeError(key, "a smaller number", v);
    }
    r.*field = static_cast<Int>(i);
    return Status::Ok();
  }, "integer"};
}

// A config.json inline: an object, or its text.
Status ReadModelConfig(const json& v, JobRequest& r) {
  if (v.is_object()) {
    r.model_config = v.dump();
  } else if (v.is_string()) {
    r.model_config = v.get<std::string>();
  } else {
    return TypeError("model_config", "a config.json object", v);
  }
  return Status::Ok();
}

const std::map<std::string, Field, std::less<>>& Fields() {
  static const auto* fields = new std::map<std::string, Field, std::less<>>{
      {"model", String("model", &JobRequest::model)},
      {"model_config", {ReadModelConfig, "object"}},
      {"catalog", String("catalog", &JobRequest::catalog)},
      {"catalog_csv", String("catalog_csv", &JobRequest::catalog_csv)},
      {"cloud", String("cloud", &JobRequest::cloud)},
      {"region", String("region", &JobRequest::region)},
      {"spot", Bool("spot", &JobRequest::spot)},
      {"pricing", String("pricing", &JobRequest::pricing)},
      {"today", String("today", &JobRequest::today)},
      {"gpu_table", String("gpu_table", &JobRequest::gpu_table)},
      {"engine", String("engine", &JobRequest::engine)},
      {"calibration", String("calibration", &JobRequest::calibration)},
      {"perf_model", String("perf_model", &JobRequest::perf_model)},
      {"gpu_memory_utilization", OptionalDouble("gpu_memory_utilization", &JobRequest::gpu_memory_utilization)},
      {"precision", String("precision", &JobRequest::precision)},
      {"weights", String("weights", &JobRequest::weights)},
      {"kv_cache", String("kv_cache", &JobRequest::kv_cache)},
      {"batch_size", Integer("batch_size", &JobRequest::batch_size)},
      {"input_len", Integer("input_len", &JobRequest::input_len)},
      {"output_len", Integer("output_len", &JobRequest::output_len)},
      {"requests", Integer("requests", &JobRequest::requests)},
      {"slo_tps", Double("slo_tps", &JobRequest::slo_tps)},
      {"slo_headroom", Double("slo_headroom", &JobRequest::slo_headroom)},
      {"max_price", OptionalDouble("max_price", &JobRequest::max_price)},
      {"billing", String("billing", &JobRequest::billing)},
      {"pace", String("pace", &JobRequest::pace)},
      {"offload", String("offload", &JobRequest::offload)},
      {"search_batch", Bool("search_batch", &JobRequest::search_batch)},
      {"deadline", String("deadline", &JobRequest::deadline)},
      {"confidence", OptionalDouble("confidence", &JobRequest::confidence)},
      {"rate", OptionalDouble("rate", &JobRequest::rate)},
      {"slo_ttft_ms", OptionalDouble("slo_ttft_ms", &JobRequest::slo_ttft_ms)},
      {"slo_tpot_ms", OptionalDouble("slo_tpot_ms", &JobRequest::slo_tpot_ms)},
      {"slo_percentile", Double("slo_percentile", &JobRequest::slo_percentile)},
      {"workload", String("workload", &JobRequest::workload)},
      {"trace", String("trace", &JobRequest::trace)},
      {"prompt_tokens", String("prompt_tokens", &JobRequest::prompt_tokens)},
      {"output_tokens", String("output_tokens", &JobRequest::output_tokens)},
      {"arrival", String("arrival", &JobRequest::arrival)},
      {"seed", Integer("seed", &JobRequest::seed)},
      {"sim_requests", Integer("sim_requests", &JobRequest::sim_requests)},
      {"max_tokens", Integer("max_tokens", &JobRequest::max_tokens)},
      {"max_num_seqs", Integer("max_num_seqs", &JobRequest::max_num_seqs)},
      {"exhaustive", Bool("exhaustive", &JobRequest::exhaustive)},
      {"search_scheduler", Bool("search_scheduler", &JobRequest::search_scheduler)},
      {"instance", String("instance", &JobRequest::instance)},
      {"tp", Integer("tp", &JobRequest::tp)},
      {"users", Integer("users", &JobRequest::users)},
      {"think_s", Double("think_s", &JobRequest::think_s)},
      {"format", String("format", &JobRequest::format)},
      {"top", Integer("top", &JobRequest::top)},
      {"emit", String("emit", &JobRequest::emit)},
      {"frontier", Bool("frontier", &JobRequest::frontier)},
  };
  return *fields;
}

}  // namespace

Result<JobRequest> ParseJobRequest(std::string_view json_text) {
  json body = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    // Parse again for the position of the fault.
    try {
      body = json::parse(json_text);
    } catch (const json::parse_error& e) {
      return InvalidInput(fmt::format("request body: not valid JSON: {}", e.what()));
    }
    return InvalidInput("request body: not valid JSON");
  }
  if (!body.is_object()) return InvalidInput("request body: expected a JSON object of request fields");
  JobRequest r;
  const std::vector<std::string> names = JobRequestFields();
  for (const auto& [key, value] : body.items()) {
    const auto it = Fields().find(key);
    if (it == Fields().end()) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("unknown request field {}{}", io::Quote(key), io::DidYouMean(key, names)), key);
    }
    if (Status s = it->second.set(value, r); !s.ok()) return s.error();
    r.given.push_back(key);
  }
  return r;
}

std::vector<std::string> JobRequestFields() {
  std::vector<std::string> names;
  for (const auto& [name, field] : Fields()) names.push_back(name);
  return names;
}

std::string JobRequestFieldType(std::string_view name) {
  const auto it = Fields().find(name);
  return it == Fields().end() ? "" : it->second.type;
}

}  // namespace infersave
