// Engine profiles (method.md section 4, weakness 5).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "infersave/engine.h"
#include "io/text.h"

namespace infersave {
namespace {

using nlohmann::json;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// One settable field: its JSON key, kind and place in the profile.
struct Field {
  const char* key;
  enum Kind { kFraction, kNonNegative, kFlag, kBytesGiB, kCount } kind;
  double* number = nullptr;
  bool* flag = nullptr;
  long* count = nullptr;
};

std::vector<Field> FieldsOf(EngineProfile& e) {
  return {
      {"prefill_compute_efficiency", Field::kFraction, &e.prefill_compute_efficiency},
      {"decode_compute_efficiency", Field::kFraction, &e.decode_compute_efficiency},
      {"memory_efficiency", Field::kFraction, &e.memory_efficiency},
      {"host_link_efficiency", Field::kFraction, &e.host_link_efficiency},
      {"collective_efficiency", Field::kFraction, &e.collective_efficiency},
      {"collective_latency_s", Field::kNonNegative, &e.collective_latency_s},
      {"kernel_latency_s", Field::kNonNegative, &e.kernel_latency_s},
      {"layer_overhead_s", Field::kNonNegative, &e.layer_overhead_s},
      {"step_overhead_s", Field::kNonNegative, &e.step_overhead_s},
      {"overlap_prefill_offload", Field::kFlag, nullptr, &e.overlap_prefill_offload},
      {"overlap_decode_offload", Field::kFlag, nullptr, &e.overlap_decode_offload},
      {"fused_attention", Field::kFlag, nullptr, &e.fused_attention},
      {"kv_fraction_of_free", Field::kFlag, nullptr, &e.kv_fraction_of_free},
      {"min_compute_capability", Field::kNonNegative, &e.min_compute_capability},
      {"elementwise_kernels", Field::kCount, nullptr, nullptr, &e.elementwise_kernels},
      {"collective_latency_per_gpu_s", Field::kNonNegative, &e.collective_latency_per_gpu_s},
      {"host_staged_collective_efficiency", Field::kFraction, &e.host_staged_collective_efficiency},
      {"host_staged_latency_factor", Field::kNonNegative, &e.host_staged_latency_factor},
      {"per_sequence_step_s", Field::kNonNegative, &e.per_sequence_step_s},
      {"decode_attention_efficiency", Field::kFraction, &e.decode_attention_efficiency},
      {"decode_attention_latency_s", Field::kNonNegative, &e.decode_attention_latency_s},
      {"fused_attention_min_compute_capability", Field::kNonNegative, &e.fused_attention_min_compute_capability},
      {"arm_host_min_compute_capability", Field::kNonNegative, &e.arm_host_min_compute_capability},
      {"prefill_chunk_tokens", Field::kCount, nullptr, nullptr, &e.prefill_chunk_tokens},
      {"offload_step", Field::kNonNegative, &e.offload_step},
      {"supports_kv_offload", Field::kFlag, nullptr, &e.supports_kv_offload},
      {"supports_weight_offload", Field::kFlag, nullptr, &e.supports_weight_offload},
      {"runtime_reserve_gib", Field::kBytesGiB, &e.runtime_reserve_bytes},
      {"host_reserve_gib", Field::kBytesGiB, &e.host_reserve_bytes},
      {"gpu_memory_utilization", Field::kFraction, &e.gpu_memory_utilization},
      {"continuous_batching", Field::kFlag, nullptr, &e.continuous_batching},
      {"max_num_seqs", Field::kCount, nullptr, nullptr, &e.max_num_seqs},
      {"max_num_seqs_large_gpu", Field::kCount, nullptr, nullptr, &e.max_num_seqs_large_gpu},
      {"large_gpu_min_memory_gib", Field::kNonNegative, &e.large_gpu_min_memory_gib},
      {"kv_block_tokens", Field::kCount, nullptr, nullptr, &e.kv_block_tokens},
      {"swap_preemption", Field::kFlag, nullptr, &e.swap_preemption},
      {"reserve_output_kv", Field::kFlag, nullptr, &e.reserve_output_kv},
      {"mixed_prefill_decode", Field::kFlag, nullptr, &e.mixed_prefill_decode},
  };
}

Result<EngineProfile> ParseOne(const json& obj, std::string_view where) {
  if (!obj.is_object()) {
    return InvalidInput(fmt::format("{}: expected an engine profile object, got {}", where, obj.type_name()));
  }
  EngineProfile e;
  std::vector<Field> fields = FieldsOf(e);
  std::vector<std::string> keys = {"name", "description", "default_calibration", "pip_package", "weight_formats",
                                   "kv_formats", "vendors", "large_gpu_exceptions"};
  for (const Field& f : fields) keys.emplace_back(f.key);

  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (!key.empty() && key.front() == '_') continue;  // a note
    if (key == "name" || key == "description" || key == "default_calibration" || key == "pip_package") {
      if (!v.is_string()) {
        return InvalidInput(fmt::format("{}: field '{}': expected a string, got {}", where, key, v.dump()));
      }
      std::string& target = key == "name"          ? e.name
                            : key == "description" ? e.description
                            : key == "pip_package" ? e.pip_package
                                                   : e.default_calibration;
      target = v.get<std::string>();
      continue;
    }
    if (key == "large_gpu_exceptions") {
      if (!v.is_array()) {
        return InvalidInput(fmt::format("{}: field '{}': expected a list of GPU names", where, key));
      }
      for (const json& item : v) {
        if (!item.is_string()) {
          return InvalidInput(fmt::format("{}: field '{}': expected a list of GPU names, got {}", where, key,
                                          io::Quote(item.dump())));
        }
        e.large_gpu_exceptions.push_back(item.get<std::string>());
      }
      continue;
    }
    if (key == "vendors") {
      e.vendors.clear();
      for (const json& item : v.is_array() ? v : json::array({nullptr})) {
        const std::string vendor = item.is_string() ? io::ToLower(item.get<std::string>()) : "";
        if (vendor != "nvidia" && vendor != "amd") {
          return InvalidInput(fmt::format("{}: field 'vendors': expected a list of nvidia and amd, got {}", where,
                                          io::Quote(v.dump())));
        }
        e.vendors.push_back(vendor);
      }
      continue;
    }
    if (key == "weight_formats" || key == "kv_formats") {
      if (!v.is_array() || v.empty()) {
        return InvalidInput(fmt::format("{}: field '{}': expected a non-empty array of formats", where, key));
      }
      std::vector<Precision>& out = key == "weight_formats" ? e.weight_formats : e.kv_formats;
      out.clear();
      for (const json& item : v) {
        auto p = item.is_string() ? ParsePrecision(item.get<std::string>())
                                  : Result<Precision>(InvalidInput("not a string"));
        if (!p.ok()) {
          return InvalidInput(fmt::format("{}: field '{}': unknown format {} (expected fp32, fp16, bf16, fp8, int8 "
                                          "or int4)",
                                          where, key, io::Quote(item.dump())));
        }
        out.push_back(*p);
      }
      continue;
    }
    const Field* field = nullptr;
    for (const Field& f : fields) {
      if (key == f.key) field = &f;
    }
    if (!field) {
      return InvalidInput(fmt::format("{}: unknown field '{}'{}", where, key, io::DidYouMean(key, keys)));
    }
    if (field->kind == Field::kFlag) {
      if (!v.is_boolean()) {
        return InvalidInput(fmt::format("{}: field '{}': expected true or false, got {}", where, key, v.dump()));
      }
      *field->flag = v.get<bool>();
    } else {
      if (!v.is_number()) {
        return InvalidInput(fmt::format("{}: field '{}': expected a number, got {}", where, key, io::Quote(v.dump())));
      }
      double x = v.get<double>();
      if (field->kind == Field::kCount) {
        if (x < 0 || x != std::floor(x) || x > 1e9) {
          return InvalidInput(fmt::format("{}: field '{}': expected a whole number >= 0, got {}", where, key, v.dump()));
        }
        *field->count = static_cast<long>(x);
      } else {
        *field->number = field->kind == Field::kBytesGiB ? x * kGiB : x;
      }
    }
  }
  if (e.name.empty()) return InvalidInput(fmt::format("{}: missing required field 'name'", where));
  if (Status s = ValidateEngineProfile(e, where); !s.ok()) return s.error();
  return e;
}

}  // namespace

Status ValidateEngineProfile(const EngineProfile& e, std::string_view source) {
  auto fraction = [&](const char* key, double v) -> Status {
    if (!(v > 0 && v <= 1)) {
      return InvalidInput(fmt::format("{}: engine '{}': field '{}': expected a fraction in (0, 1], got {}",
                                      source, e.name, key, v));
    }
    return Status::Ok();
  };
  for (auto [key, v] : {std::pair{"prefill_compute_efficiency", e.prefill_compute_efficiency},
                        std::pair{"decode_compute_efficiency", e.decode_compute_efficiency},
                        std::pair{"memory_efficiency", e.memory_efficiency},
                        std::pair{"host_link_efficiency", e.host_link_efficiency},
                        std::pair{"collective_efficiency", e.collective_efficiency},
                        std::pair{"host_staged_collective_efficiency", e.host_staged_collective_efficiency},
                        std::pair{"gpu_memory_utilization", e.gpu_memory_utilization}}) {
    if (Status s = fraction(key, v); !s.ok()) return s;
  }
  // The reserves are held in bytes but named (and reported) in GiB.
  struct Bounded {
    const char* key;
    double value;
    double unit;
  };
  for (const Bounded& b : {Bounded{"layer_overhead_s", e.layer_overhead_s, 1},
                           Bounded{"collective_latency_s", e.collective_latency_s, 1},
                           Bounded{"kernel_latency_s", e.kernel_latency_s, 1},
                           Bounded{"step_overhead_s", e.step_overhead_s, 1},
                           Bounded{"runtime_reserve_gib", e.runtime_reserve_bytes, kGiB},
                           Bounded{"host_reserve_gib", e.host_reserve_bytes, kGiB}}) {
    if (!(b.value >= 0 && b.value < 1e12)) {
      return InvalidInput(fmt::format("{}: engine '{}': field '{}': expected a value >= 0, got {}",
                                      source, e.name, b.key, b.value / b.unit));
    }
  }
  for (auto [key, v] : {std::pair{"max_num_seqs", e.max_num_seqs}, std::pair{"kv_block_tokens", e.kv_block_tokens}}) {
    if (v < 1) {
      return InvalidInput(fmt::format("{}: engine '{}': field '{}': expected a whole number >= 1, got {}", source,
                                      e.name, key, v));
    }
  }
  if (!(e.offload_step >= 0 && e.offload_step <= 0.5)) {
    return InvalidInput(fmt::format("{}: engine '{}': field 'offload_step': expected 0 (continuous) to 0.5, got {}",
                                    source, e.name, e.offload_step));
  }
  return Status::Ok();
}

Result<std::vector<EngineProfile>> ParseEngineProfiles(std::string_view json_text, std::string_view source) {
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return InvalidInput(fmt::format(
        "{}: invalid JSON (expected an engine profile object or {{\"engines\": [...]}})", source));
  }
  std::vector<EngineProfile> out;
  if (doc.is_object() && doc.contains("engines")) {
    const json& list = doc["engines"];
    if (!list.is_array() || list.empty()) {
      return InvalidInput(fmt::format("{}: field 'engines': expected a non-empty array", source));
    }
    for (size_t i = 0; i < list.size(); ++i) {
      auto e = ParseOne(list[i], fmt::format("{}: engines[{}]", source, i));
      if (!e.ok()) return e.error();
      out.push_back(std::move(e).value());
    }
  } else {
    auto e = ParseOne(doc, source);
    if (!e.ok()) return e.error();
    out.push_back(std::move(e).value());
  }
  return out;
}

long EngineProfile::MaxSequences(const GpuSpec& gpu) const {
  if (max_num_seqs_large_gpu <= 0 || gpu.memory_bytes < large_gpu_min_memory_gib * 1024.0 * 1024.0 * 1024.0) {
    return max_num_seqs;
  }
  for (const std::string& excepted : large_gpu_exceptions) {
    if (io::EqualsIgnoreCase(excepted, gpu.name)) return max_num_seqs;
  }
  return max_num_seqs_large_gpu;
}

}  // namespace infersave
