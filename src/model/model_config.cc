// Reads HuggingFace config.json files (method.md section 8) and counts
// parameters exactly (method.md section 3).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "infersave/model.h"

#include <optional>
#include "io/text.h"

namespace infersave {
namespace {

using nlohmann::json;

// Largest dimension we accept; real models are far below, and beyond it
// products of dimensions stop being exact in a double.
constexpr int64_t kMaxDimension = int64_t{1} << 24;

// Line and column of a byte offset, for JSON syntax errors.
std::string Where(std::string_view text, size_t byte) {
  byte = std::min(byte, text.size());
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < byte; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return fmt::format("{}:{}", line, byte - line_start + 1);
}

// nlohmann's messages quote the bytes last read verbatim; escape the ones a
// terminal would not show (control bytes, DEL, bytes of invalid UTF-8).
std::string EscapeBytes(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

class FieldReader {
 public:
  // `prefix` names the object inside the document in messages ("text_config.").
  FieldReader(const json& object, std::string_view source, std::string prefix = "")
      : object_(object), source_(source), prefix_(std::move(prefix)) {}

  const json& object() const { return object_; }
  std::string_view source() const { return source_; }
  // The field's name as a message shows it ("text_config.hidden_size").
  std::string Name(const char* key) const { return prefix_ + key; }
  bool Has(const char* key) const {
    auto it = object_.find(key);
    return it != object_.end() && !it->is_null();
  }

  // A required positive integer field.
  Result<int64_t> Required(const char* key) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      return InvalidInput(fmt::format("{}: missing required field '{}'", source_, Name(key)));
    }
    return Integer(key, *it);
  }

  // An optional positive integer field, `fallback` when absent or null.
  Result<int64_t> Optional(const char* key, int64_t fallback) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return fallback;
    return Integer(key, *it);
  }

  Result<bool> Flag(const char* key, bool fallback) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) {
      return InvalidInput(fmt::format("{}: field '{}': expected true or false, got {}", source_,
                                      Name(key), it->dump()));
    }
    return it->get<bool>();
  }

  std::string Text(const char* key) const {
    auto it = object_.find(key);
    return (it != object_.end() && it->is_string()) ? it->get<std::string>() : std::string();
  }

  // An optional integer that may be 0 (first_k_dense_replace), `fallback` when absent or null.
  Result<int64_t> NonNegative(const char* key, int64_t fallback) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return fallback;
    if (it->is_number_integer() && it->get<int64_t>() == 0) return int64_t{0};
    return Integer(key, *it);
  }

  // An optional list of non-negative integers (mlp_only_layers, no_rope_layers).
  Result<std::vector<int64_t>> IntegerList(const char* key) const {
    return List<int64_t>(key, "integers", fmt::format("integers from 0 to {}", kMaxDimension), [](const json& v) {
      return v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= kMaxDimension;
    });
  }

  // An optional list of strings (layer_types).
  Result<std::vector<std::string>> TextList(const char* key) const {
    return List<std::string>(key, "strings", "strings", [](const json& v) { return v.is_string(); });
  }

 private:
  // An optional list (absent or null: empty) whose every element passes
  // `valid`; errors say "expected a list of <what>" (<element_what> for a
  // bad element).
  template <typename T, typename Valid>
  Result<std::vector<T>> List(const char* key, std::string_view what, const std::string& element_what,
                              Valid valid) const {
    std::vector<T> out;
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) return out;
    if (!it->is_array()) {
      return InvalidInput(fmt::format("{}: field '{}': expected a list of {}, got {}", source_, Name(key), what,
                                      io::Quote(it->dump())));
    }
    for (const json& v : *it) {
      if (!valid(v)) {
        return InvalidInput(fmt::format("{}: field '{}': expected a list of {}, got {}", source_, Name(key),
                                        element_what, io::Quote(v.dump())));
      }
      out.push_back(v.get<T>());
    }
    return out;
  }

  Result<int64_t> Integer(const char* key, const json& value) const {
    double number = 0;
    if (value.is_number_integer() || value.is_number_unsigned()) {
      number = value.get<double>();
    } else if (value.is_number_float() && value.get<double>() == std::floor(value.get<double>())) {
      number = value.get<double>();
    } else {
      return InvalidInput(fmt::format("{}: field '{}': expected a positive integer, got {}",
                                      source_, Name(key), io::Quote(value.dump())));
    }
    if (number < 1 || number > static_cast<double>(kMaxDimension)) {
      return InvalidInput(fmt::format("{}: field '{}': expected a positive integer up to {}, got {}",
                                      source_, Name(key), kMaxDimension, value.dump()));
    }
    return static_cast<int64_t>(number);
  }

  const json& object_;
  std::string_view source_;
  std::string prefix_;
};

#define INFERSAVE_ASSIGN(lhs, expr)        \
  do {                                     \
    auto result_ = (expr);                 \
    if (!result_.ok()) return result_.error(); \
    lhs = result_.value();                 \
  } while (false)

Status ReadOpt(const FieldReader& f, ModelConfig& m) {
  INFERSAVE_ASSIGN(m.hidden_size, f.Required("hidden_size"));
  INFERSAVE_ASSIGN(m.intermediate_size, f.Required("ffn_dim"));
  INFERSAVE_ASSIGN(m.num_layers, f.Required("num_hidden_layers"));
  INFERSAVE_ASSIGN(m.num_heads, f.Required("num_attention_heads"));
  INFERSAVE_ASSIGN(m.vocab_size, f.Required("vocab_size"));
  INFERSAVE_ASSIGN(m.max_position_embeddings, f.Required("max_position_embeddings"));
  INFERSAVE_ASSIGN(m.word_embed_proj_dim, f.Optional("word_embed_proj_dim", m.hidden_size));
  bool bias = true;
  INFERSAVE_ASSIGN(bias, f.Flag("enable_bias", true));
  INFERSAVE_ASSIGN(m.tie_word_embeddings, f.Flag("tie_word_embeddings", true));
  m.num_kv_heads = m.num_heads;
  m.head_dim = m.hidden_size / m.num_heads;
  m.gated_mlp = false;
  m.linear_bias = bias;
  m.qkv_bias = bias;
  m.o_bias = bias;
  m.norm_bias = true;
  // OPT's learned positions are offset by 2 (HF OPTLearnedPositionalEmbedding).
  m.learned_positions = m.max_position_embeddings + 2;
  return Status::Ok();
}

// transformers' defaults for fields a family's config may leave out (the
// config class's __init__ defaults, transformers 4.5x). Only fields whose
// default is part of the architecture are listed.
struct FamilyDefaults {
  int64_t vocab_size = 0;               // 0: required
  int64_t max_position_embeddings = 0;  // 0: required
  int64_t head_dim = 0;                 // 0: hidden_size / num_attention_heads
  bool tie_word_embeddings = false;
  int64_t sliding_window = 0;
  int64_t sliding_window_pattern = 0;
};

FamilyDefaults DefaultsOf(ModelFamily family) {
  FamilyDefaults d;
  switch (family) {
    case ModelFamily::kGemma2:  // Gemma2Config
      d.tie_word_embeddings = true;
      d.head_dim = 256;
      d.sliding_window = 4096;
      break;
    case ModelFamily::kGemma3:  // Gemma3TextConfig: gemma-3 configs omit these inside text_config
      d.vocab_size = 262208;
      d.max_position_embeddings = 131072;
      d.head_dim = 256;
      d.tie_word_embeddings = true;
      d.sliding_window = 4096;
      d.sliding_window_pattern = 6;
      break;
    case ModelFamily::kLlama4:  // Llama4TextConfig
      d.head_dim = 128;
      break;
    default:
      break;
  }
  return d;
}

// Fields every decoder of the Llama shape has; a config without them is not
// one we can size.
Status ReadDecoderCore(const FieldReader& f, ModelConfig& m, const FamilyDefaults& d) {
  INFERSAVE_ASSIGN(m.hidden_size, f.Required("hidden_size"));
  INFERSAVE_ASSIGN(m.num_layers, f.Required("num_hidden_layers"));
  INFERSAVE_ASSIGN(m.num_heads, f.Required("num_attention_heads"));
  INFERSAVE_ASSIGN(m.num_kv_heads, f.Optional("num_key_value_heads", m.num_heads));
  if (d.vocab_size > 0) {
    INFERSAVE_ASSIGN(m.vocab_size, f.Optional("vocab_size", d.vocab_size));
  } else {
    INFERSAVE_ASSIGN(m.vocab_size, f.Required("vocab_size"));
  }
  if (d.max_position_embeddings > 0) {
    INFERSAVE_ASSIGN(m.max_position_embeddings, f.Optional("max_position_embeddings", d.max_position_embeddings));
  } else {
    INFERSAVE_ASSIGN(m.max_position_embeddings, f.Required("max_position_embeddings"));
  }
  INFERSAVE_ASSIGN(m.tie_word_embeddings, f.Flag("tie_word_embeddings", d.tie_word_embeddings));
  INFERSAVE_ASSIGN(m.head_dim, f.Optional("head_dim", d.head_dim > 0 ? d.head_dim : m.hidden_size / m.num_heads));
  bool attention_bias = false;
  bool mlp_bias = false;
  INFERSAVE_ASSIGN(attention_bias, f.Flag("attention_bias", false));
  INFERSAVE_ASSIGN(mlp_bias, f.Flag("mlp_bias", false));
  m.gated_mlp = true;
  // transformers' LlamaAttention biases q, k, v and o alike with
  // attention_bias; mlp_bias covers only the MLP.
  m.qkv_bias = attention_bias;
  m.o_bias = attention_bias;
  m.linear_bias = mlp_bias;
  m.norm_bias = false;
  return Status::Ok();
}

// Marks `count` of the layers as windowed with the given window.
void SetWindow(ModelConfig& m, WindowKind kind, int64_t window, int64_t count) {
  if (window <= 0 || count <= 0) return;
  m.window_kind = kind;
  m.window_tokens = window;
  m.windowed_layers = std::min(count, m.num_layers);
}

// layer_types ("sliding_attention" / "full_attention" / "chunked_attention"),
// as transformers >= 4.53 writes it into configs with mixed layers. Returns
// false when the config has no such list.
Result<bool> ReadLayerTypes(const FieldReader& f, ModelConfig& m, WindowKind kind, int64_t window) {
  auto types = f.TextList("layer_types");
  if (!types.ok()) return types.error();
  if (types->empty()) return false;
  if (static_cast<int64_t>(types->size()) != m.num_layers) {
    return InvalidInput(fmt::format("{}: field '{}' lists {} layers, but num_hidden_layers is {}", f.source(),
                                    f.Name("layer_types"), types->size(), m.num_layers));
  }
  int64_t windowed = 0;
  for (const std::string& t : *types) {
    if (t == "sliding_attention" || t == "chunked_attention") {
      ++windowed;
    } else if (t != "full_attention") {
      return InvalidInput(fmt::format(
          "{}: field '{}': unknown layer type {} (expected sliding_attention, chunked_attention or full_attention)",
          f.source(), f.Name("layer_types"), io::Quote(t)));
    }
  }
  if (windowed > 0 && window <= 0) {
    return InvalidInput(fmt::format("{}: field '{}' has {} windowed layers but no window size ('sliding_window')",
                                    f.source(), f.Name("layer_types"), windowed));
  }
  SetWindow(m, kind, window, windowed);
  return true;
}

// A sliding window on every layer when the config sets one (Mistral, Mixtral,
// Phi-3); Qwen families only with use_sliding_window, on the layers from
// max_window_layers up (transformers' Qwen2 layer_types rule).
Status ReadUniformSlidingWindow(const FieldReader& f, ModelConfig& m, bool qwen_rule) {
  int64_t window = 0;
  INFERSAVE_ASSIGN(window, f.Optional("sliding_window", 0));
  if (window <= 0) return Status::Ok();
  auto listed = ReadLayerTypes(f, m, WindowKind::kSliding, window);
  if (!listed.ok()) return listed.error();
  if (*listed) return Status::Ok();
  if (qwen_rule) {
    bool use = false;
    INFERSAVE_ASSIGN(use, f.Flag("use_sliding_window", false));
    if (!use) return Status::Ok();
    int64_t first = 0;
    INFERSAVE_ASSIGN(first, f.NonNegative("max_window_layers", m.num_layers));
    SetWindow(m, WindowKind::kSliding, window, m.num_layers - std::min(first, m.num_layers));
    return Status::Ok();
  }
  SetWindow(m, WindowKind::kSliding, window, m.num_layers);
  return Status::Ok();
}

// Layers with routed experts: every `step`-th layer (counting from 1) from
// `first` on, minus the listed dense ones.
int64_t CountMoeLayers(int64_t layers, int64_t first, int64_t step, const std::vector<int64_t>& dense_listed) {
  int64_t count = 0;
  for (int64_t i = first; i < layers; ++i) {
    if ((i + 1 - first) % step != 0 && step > 1) continue;
    if (std::find(dense_listed.begin(), dense_listed.end(), i) != dense_listed.end()) continue;
    ++count;
  }
  return count;
}

Status ReadLlamaLike(const FieldReader& f, ModelConfig& m) {
  if (Status s = ReadDecoderCore(f, m, DefaultsOf(m.family)); !s.ok()) return s;
  INFERSAVE_ASSIGN(m.intermediate_size, f.Required("intermediate_size"));
  if (m.family == ModelFamily::kQwen2) m.qkv_bias = true;  // Qwen2 always biases Q, K, V (not O)
  if (m.family == ModelFamily::kQwen2) m.o_bias = false;
  if (m.family == ModelFamily::kMixtral) {
    INFERSAVE_ASSIGN(m.num_experts, f.Required("num_local_experts"));
    INFERSAVE_ASSIGN(m.experts_per_token, f.Required("num_experts_per_tok"));
    m.moe_intermediate_size = m.intermediate_size;
    m.moe_layers = m.num_layers;
  }
  const bool qwen = m.family == ModelFamily::kQwen2;
  return ReadUniformSlidingWindow(f, m, qwen);
}

// Qwen3 (dense), Qwen2-MoE and Qwen3-MoE.
Status ReadQwen(const FieldReader& f, ModelConfig& m) {
  if (Status s = ReadDecoderCore(f, m, DefaultsOf(m.family)); !s.ok()) return s;
  INFERSAVE_ASSIGN(m.intermediate_size, f.Required("intermediate_size"));
  m.qk_norm = m.family != ModelFamily::kQwen2Moe;
  if (m.family == ModelFamily::kQwen2Moe) {  // Qwen2 attention: Q, K, V biased
    m.qkv_bias = true;
    m.o_bias = false;
  }
  if (m.family != ModelFamily::kQwen3) {
    INFERSAVE_ASSIGN(m.num_experts, f.Required("num_experts"));
    INFERSAVE_ASSIGN(m.experts_per_token, f.Required("num_experts_per_tok"));
    INFERSAVE_ASSIGN(m.moe_intermediate_size, f.Required("moe_intermediate_size"));
    int64_t step = 1;
    INFERSAVE_ASSIGN(step, f.Optional("decoder_sparse_step", 1));
    auto dense = f.IntegerList("mlp_only_layers");
    if (!dense.ok()) return dense.error();
    m.moe_layers = CountMoeLayers(m.num_layers, 0, step, *dense);
    if (m.family == ModelFamily::kQwen2Moe) {
      INFERSAVE_ASSIGN(m.shared_expert_intermediate_size, f.NonNegative("shared_expert_intermediate_size", 0));
      m.shared_expert_gate = m.shared_expert_intermediate_size > 0;
    }
  }
  return ReadUniformSlidingWindow(f, m, /*qwen_rule=*/true);
}

// Gemma 2 and Gemma 3: gated GELU MLP, four RMSNorms per layer, tied
// embeddings, local (sliding) and global layers.
Status ReadGemma(const FieldReader& f, ModelConfig& m) {
  const FamilyDefaults d = DefaultsOf(m.family);
  if (Status s = ReadDecoderCore(f, m, d); !s.ok()) return s;
  INFERSAVE_ASSIGN(m.intermediate_size, f.Required("intermediate_size"));
  m.norms_per_layer = 4;
  m.qk_norm = m.family == ModelFamily::kGemma3;
  int64_t window = 0;
  INFERSAVE_ASSIGN(window, f.Optional("sliding_window", d.sliding_window));
  auto listed = ReadLayerTypes(f, m, WindowKind::kSliding, window);
  if (!listed.ok()) return listed.error();
  if (*listed) return Status::Ok();
  if (m.family == ModelFamily::kGemma2) {
    // Even layers (0, 2, ...) are local: transformers' Gemma2 layer_types.
    SetWindow(m, WindowKind::kSliding, window, (m.num_layers + 1) / 2);
  } else {
    // Every `pattern`-th layer is global, the others local.
    int64_t pattern = 0;
    INFERSAVE_ASSIGN(pattern, f.Optional("sliding_window_pattern", d.sliding_window_pattern));
    SetWindow(m, WindowKind::kSliding, window, m.num_layers - m.num_layers / pattern);
  }
  return Status::Ok();
}

// DeepSeek-V2 and V3: multi-head latent attention, dense first layers, then
// shared and routed experts. The multi-token-prediction layers of V3
// (num_nextn_predict_layers) are not loaded without speculative decoding and
// are not counted.
Status ReadDeepseek(const FieldReader& f, ModelConfig& m) {
  if (Status s = ReadDecoderCore(f, m, DefaultsOf(m.family)); !s.ok()) return s;
  INFERSAVE_ASSIGN(m.intermediate_size, f.Required("intermediate_size"));
  m.attention = AttentionKind::kLatent;
  INFERSAVE_ASSIGN(m.kv_lora_rank, f.Required("kv_lora_rank"));
  INFERSAVE_ASSIGN(m.q_lora_rank, f.NonNegative("q_lora_rank", 0));
  INFERSAVE_ASSIGN(m.qk_nope_head_dim, f.Required("qk_nope_head_dim"));
  INFERSAVE_ASSIGN(m.qk_rope_head_dim, f.Required("qk_rope_head_dim"));
  INFERSAVE_ASSIGN(m.v_head_dim, f.Required("v_head_dim"));
  m.head_dim = m.qk_nope_head_dim + m.qk_rope_head_dim;
  m.num_kv_heads = m.num_heads;  // every head has its own K and V once the latent is expanded
  int64_t routed = 0;
  INFERSAVE_ASSIGN(routed, f.NonNegative("n_routed_experts", 0));
  if (routed > 0) {
    m.num_experts = routed;
    INFERSAVE_ASSIGN(m.experts_per_token, f.Required("num_experts_per_tok"));
    INFERSAVE_ASSIGN(m.moe_intermediate_size, f.Required("moe_intermediate_size"));
    int64_t first = 0, step = 1, shared = 0;
    INFERSAVE_ASSIGN(first, f.NonNegative("first_k_dense_replace", 0));
    INFERSAVE_ASSIGN(step, f.Optional("moe_layer_freq", 1));
    INFERSAVE_ASSIGN(shared, f.NonNegative("n_shared_experts", 0));
    // transformers: layer i is MoE when i >= first_k_dense_replace and i % moe_layer_freq == 0.
    m.moe_layers = 0;
    for (int64_t i = first; i < m.num_layers; ++i) {
      if (i % step == 0) ++m.moe_layers;
    }
    m.shared_expert_intermediate_size = shared * m.moe_intermediate_size;
    // V3 routes with a per-expert score-correction bias (topk_method noaux_tc).
    m.router_bias = f.Text("topk_method") == "noaux_tc";
  }
  return Status::Ok();
}

// gpt-oss: biased attention with a learned sink per head, alternating
// sliding-window and full layers, every layer MoE with biased experts and router.
Status ReadGptOss(const FieldReader& f, ModelConfig& m) {
  if (Status s = ReadDecoderCore(f, m, DefaultsOf(m.family)); !s.ok()) return s;
  INFERSAVE_ASSIGN(m.intermediate_size, f.Required("intermediate_size"));
  INFERSAVE_ASSIGN(m.num_experts, f.Required("num_local_experts"));
  if (f.Has("num_experts_per_tok")) {
    INFERSAVE_ASSIGN(m.experts_per_token, f.Required("num_experts_per_tok"));
  } else {
    INFERSAVE_ASSIGN(m.experts_per_token, f.Required("experts_per_token"));
  }
  m.moe_intermediate_size = m.intermediate_size;
  m.moe_layers = m.num_layers;
  m.router_bias = true;
  m.expert_bias = true;
  m.attention_sinks = true;
  // GptOssAttention biases Q, K, V and O with config.attention_bias (true in gpt-oss's configs).
  bool attention_bias = true;
  INFERSAVE_ASSIGN(attention_bias, f.Flag("attention_bias", true));
  m.qkv_bias = m.o_bias = attention_bias;
  int64_t window = 0;
  INFERSAVE_ASSIGN(window, f.Optional("sliding_window", 128));
  auto listed = ReadLayerTypes(f, m, WindowKind::kSliding, window);
  if (!listed.ok()) return listed.error();
  if (!*listed) SetWindow(m, WindowKind::kSliding, window, (m.num_layers + 1) / 2);  // even layers local
  return Status::Ok();
}

// Llama 4: chunked local attention on the RoPE layers (3 of 4 by default),
// global attention without RoPE on the others; MoE layers every
// interleave_moe_layer_step layers, each with a shared expert as wide as a
// routed one; dense layers use intermediate_size_mlp.
Status ReadLlama4(const FieldReader& f, ModelConfig& m) {
  if (Status s = ReadDecoderCore(f, m, DefaultsOf(m.family)); !s.ok()) return s;
  int64_t expert_width = 0, dense_width = 0;
  INFERSAVE_ASSIGN(expert_width, f.Required("intermediate_size"));
  INFERSAVE_ASSIGN(dense_width, f.Optional("intermediate_size_mlp", expert_width));
  m.intermediate_size = dense_width;
  INFERSAVE_ASSIGN(m.num_experts, f.Required("num_local_experts"));
  INFERSAVE_ASSIGN(m.experts_per_token, f.Optional("num_experts_per_tok", 1));
  m.moe_intermediate_size = expert_width;
  m.shared_expert_intermediate_size = expert_width;
  auto listed = f.IntegerList("moe_layers");
  if (!listed.ok()) return listed.error();
  if (!listed->empty()) {
    m.moe_layers = static_cast<int64_t>(listed->size());
  } else {
    int64_t step = 1;
    INFERSAVE_ASSIGN(step, f.Optional("interleave_moe_layer_step", 1));
    // transformers: moe_layers = range(step - 1, layers, step).
    m.moe_layers = CountMoeLayers(m.num_layers, 0, step, {});
  }
  int64_t chunk = 0;
  INFERSAVE_ASSIGN(chunk, f.Optional("attention_chunk_size", 0));
  if (chunk > 0) {
    auto rope = f.IntegerList("no_rope_layers");
    if (!rope.ok()) return rope.error();
    int64_t chunked = 0;
    if (!rope->empty()) {
      if (static_cast<int64_t>(rope->size()) != m.num_layers) {
        return InvalidInput(fmt::format("{}: field '{}' lists {} layers, but num_hidden_layers is {}", f.source(),
                                        f.Name("no_rope_layers"), rope->size(), m.num_layers));
      }
      for (int64_t r : *rope) chunked += r != 0 ? 1 : 0;  // 1: a RoPE layer, which attends within its chunk
    } else {
      int64_t interval = 4;
      INFERSAVE_ASSIGN(interval, f.Optional("no_rope_layer_interval", 4));
      for (int64_t i = 0; i < m.num_layers; ++i) chunked += (i + 1) % interval != 0 ? 1 : 0;
    }
    SetWindow(m, WindowKind::kChunked, chunk, chunked);
  }
  return Status::Ok();
}

// Phi-3 and Phi-4: Llama's weights (QKV and gate/up fused into one matrix
// each, the same count), sliding window on every layer when set.
Status ReadPhi3(const FieldReader& f, ModelConfig& m) {
  if (Status s = ReadDecoderCore(f, m, DefaultsOf(m.family)); !s.ok()) return s;
  INFERSAVE_ASSIGN(m.intermediate_size, f.Required("intermediate_size"));
  return ReadUniformSlidingWindow(f, m, /*qwen_rule=*/false);
}

// A vision tower in the ViT/SigLIP shape (pre-norm blocks with biased QKV,
// O and a two-matrix MLP; patch and position embeddings; a final LayerNorm)
// and its projector into the text model's width. Exact for SigLIP (Gemma 3);
// Llama 4's pixel-shuffle adapter is counted as its two matrices.
Result<int64_t> CountVisionTower(const FieldReader& v, int64_t text_hidden) {
  int64_t d = 0, ffn = 0, layers = 0, patch = 0, image = 0;
  INFERSAVE_ASSIGN(d, v.Required("hidden_size"));
  INFERSAVE_ASSIGN(ffn, v.Required("intermediate_size"));
  INFERSAVE_ASSIGN(layers, v.Required("num_hidden_layers"));
  INFERSAVE_ASSIGN(patch, v.Required("patch_size"));
  INFERSAVE_ASSIGN(image, v.Required("image_size"));
  int64_t channels = 3;
  INFERSAVE_ASSIGN(channels, v.Optional("num_channels", 3));
  const int64_t per_layer = 4 * d * d + 4 * d + 2 * d * ffn + ffn + d + 4 * d;
  const int64_t patches = (image / patch) * (image / patch);
  int64_t total = layers * per_layer + channels * patch * patch * d + d + patches * d + 2 * d;
  int64_t out_width = d;
  if (v.Has("pixel_shuffle_ratio")) {  // Llama 4: pixel shuffle, then a two-matrix adapter
    int64_t proj_in = 0, proj_out = 0;
    INFERSAVE_ASSIGN(proj_in, v.Required("projector_input_dim"));
    INFERSAVE_ASSIGN(proj_out, v.Required("projector_output_dim"));
    const double ratio = v.object().at("pixel_shuffle_ratio").is_number()
                             ? v.object().at("pixel_shuffle_ratio").get<double>()
                             : 0.5;
    const auto in = static_cast<int64_t>(static_cast<double>(d) / (ratio * ratio));
    total += in * proj_in + proj_in * proj_out + d;  // + class embedding
    INFERSAVE_ASSIGN(out_width, v.Optional("vision_output_dim", proj_out));
  }
  return total + out_width * text_hidden + out_width;  // projector (+ its input norm)
}

// The checkpoint's quantisation (quantization_config), or none.
Status ReadQuantization(const json& doc, std::string_view source, ModelConfig& m) {
  auto it = doc.find("quantization_config");
  if (it == doc.end() || it->is_null()) return Status::Ok();
  auto bad = [&](const std::string& what) {
    return InvalidInput(fmt::format("{}: field 'quantization_config': {}", source, what));
  };
  if (!it->is_object()) return bad(fmt::format("expected an object, got {}", io::Quote(it->dump())));
  const json& q = *it;
  CheckpointQuant& c = m.quant;
  c.quantized = true;
  c.method = q.contains("quant_method") && q["quant_method"].is_string() ? q["quant_method"].get<std::string>() : "";
  const std::string method = io::ToLower(c.method);
  auto number = [&](const json& obj, const char* key, int64_t fallback) -> int64_t {
    auto f = obj.find(key);
    return f != obj.end() && f->is_number_integer() ? f->get<int64_t>() : fallback;
  };
  auto bits_format = [&](int64_t bits, bool floating) -> Result<Precision> {
    if (bits == 4) return floating ? Precision::kFp4 : Precision::kInt4;
    if (bits == 8) return floating ? Precision::kFp8 : Precision::kInt8;
    return bad(fmt::format("{} {}-bit weights are not supported (4 or 8 bits)", c.method, bits));
  };
  std::vector<std::string> skipped;
  auto read_skipped = [&](const char* key) {
    auto f = q.find(key);
    if (f == q.end() || !f->is_array()) return;
    for (const json& s : *f) {
      if (s.is_string()) skipped.push_back(s.get<std::string>());
    }
  };
  read_skipped("modules_to_not_convert");
  read_skipped("ignore");
  read_skipped("ignored_layers");
  if (method == "awq" || method == "gptq") {
    const int64_t bits = number(q, "bits", number(q, "w_bit", 4));
    auto format = bits_format(bits, false);
    if (!format.ok()) return format.error();
    c.format = *format;
    c.group_size = number(q, "group_size", number(q, "q_group_size", 128));
    c.vllm_quantization = method;
  } else if (method == "fp8") {
    c.format = Precision::kFp8;
    c.vllm_quantization = "fp8";
  } else if (method == "mxfp4") {
    c.format = Precision::kFp4;
    c.group_size = 32;
    c.vllm_quantization = "mxfp4";
  } else if (method == "bitsandbytes") {
    const bool four = q.value("load_in_4bit", false);
    const bool eight = q.value("load_in_8bit", false);
    if (!four && !eight) return bad("bitsandbytes without load_in_4bit or load_in_8bit");
    c.format = four ? Precision::kInt4 : Precision::kInt8;
    c.group_size = four ? 64 : 0;
    c.vllm_quantization = "bitsandbytes";
  } else if (method == "compressed-tensors") {
    auto groups = q.find("config_groups");
    if (groups == q.end() || !groups->is_object() || groups->empty()) return bad("compressed-tensors without config_groups");
    const json& group = groups->begin().value();
    auto weights = group.find("weights");
    if (!group.is_object() || weights == group.end() || !weights->is_object()) {
      return bad("compressed-tensors group without 'weights'");
    }
    const bool floating = weights->value("type", std::string("int")) == "float";
    auto format = bits_format(number(*weights, "num_bits", 0), floating);
    if (!format.ok()) return format.error();
    c.format = *format;
    c.group_size = number(*weights, "group_size", 0);
    c.vllm_quantization = "compressed-tensors";
  } else {
    return bad(fmt::format("unsupported quant_method {} (supported: awq, gptq, fp8, compressed-tensors, mxfp4, "
                           "bitsandbytes)",
                           io::Quote(c.method)));
  }
  for (const std::string& s : skipped) {
    if (s.find("attn") != std::string::npos) c.attention = false;
    if (s.find("experts") != std::string::npos) c.experts = false;
    if (s == "lm_head") c.lm_head = false;
  }
  c.note = fmt::format("{}, {} weights{}{}", c.method, PrecisionName(c.format),
                       c.group_size > 0 ? fmt::format(", group {}", c.group_size) : "",
                       !c.attention ? ", attention left in 16-bit" : "");
  return Status::Ok();
}

#undef INFERSAVE_ASSIGN

Status CheckConsistency(const ModelConfig& m, std::string_view source) {
  // Llama-family configs may give a head_dim with heads x head_dim != hidden_size; that is valid.
  if (m.family == ModelFamily::kOpt && m.hidden_size % m.num_heads != 0) {
    return InvalidInput(fmt::format(
        "{}: hidden_size {} is not a multiple of num_attention_heads {}", source, m.hidden_size,
        m.num_heads));
  }
  if (m.head_dim < 1) {
    return InvalidInput(fmt::format("{}: hidden_size {} is smaller than num_attention_heads {}",
                                    source, m.hidden_size, m.num_heads));
  }
  if (m.num_kv_heads > m.num_heads || m.num_heads % m.num_kv_heads != 0) {
    return InvalidInput(fmt::format(
        "{}: num_key_value_heads {} must divide num_attention_heads {}", source, m.num_kv_heads,
        m.num_heads));
  }
  if (m.experts_per_token > m.num_experts) {
    return InvalidInput(fmt::format("{}: num_experts_per_tok {} exceeds the {} experts",
                                    source, m.experts_per_token, m.num_experts));
  }
  if (m.moe_layers > 0 && m.moe_intermediate_size < 1) {
    return InvalidInput(fmt::format("{}: MoE layers need a positive expert width (moe_intermediate_size)", source));
  }
  return Status::Ok();
}

// model_type -> family, for the types we read.
std::optional<ModelFamily> FamilyOf(std::string_view type) {
  static const std::pair<std::string_view, ModelFamily> kTypes[] = {
      {"opt", ModelFamily::kOpt},           {"llama", ModelFamily::kLlama},
      {"mistral", ModelFamily::kLlama},     {"qwen2", ModelFamily::kQwen2},
      {"mixtral", ModelFamily::kMixtral},   {"qwen3", ModelFamily::kQwen3},
      {"qwen2_moe", ModelFamily::kQwen2Moe}, {"qwen3_moe", ModelFamily::kQwen3Moe},
      {"gemma2", ModelFamily::kGemma2},     {"gemma3", ModelFamily::kGemma3},
      {"gemma3_text", ModelFamily::kGemma3}, {"phi3", ModelFamily::kPhi3},
      {"deepseek_v2", ModelFamily::kDeepseekV2}, {"deepseek_v3", ModelFamily::kDeepseekV2},
      {"gpt_oss", ModelFamily::kGptOss},    {"llama4", ModelFamily::kLlama4},
      {"llama4_text", ModelFamily::kLlama4},
  };
  for (const auto& [name, family] : kTypes) {
    if (name == type) return family;
  }
  return std::nullopt;
}

constexpr std::string_view kKnownTypes =
    "opt, llama, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe, gemma2, gemma3, gemma3_text, phi3, "
    "deepseek_v2, deepseek_v3, gpt_oss, llama4, llama4_text";

// A config of a model_type we do not know, read as a Llama-style decoder
// when it has the fields one needs.
Status ReadUnknownDecoder(const FieldReader& f, ModelConfig& m) {
  for (const char* key : {"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                          "vocab_size", "max_position_embeddings"}) {
    if (!f.Has(key)) {
      return InvalidInput(fmt::format(
          "{}: model_type {} is not one InferSave reads ({}), and the config lacks '{}', which a Llama-style "
          "decoder needs",
          f.source(), io::Quote(m.model_type), kKnownTypes, f.Name(key)));
    }
  }
  if (f.Has("num_local_experts") || f.Has("num_experts") || f.Has("n_routed_experts") || f.Has("kv_lora_rank")) {
    return InvalidInput(fmt::format(
        "{}: model_type {} is not one InferSave reads ({}), and its experts or latent attention cannot be read as a "
        "Llama-style decoder",
        f.source(), io::Quote(m.model_type), kKnownTypes));
  }
  if (Status s = ReadDecoderCore(f, m, FamilyDefaults{}); !s.ok()) return s;
  auto ffn = f.Required("intermediate_size");
  if (!ffn.ok()) return ffn.error();
  m.intermediate_size = *ffn;
  if (Status s = ReadUniformSlidingWindow(f, m, false); !s.ok()) return s;
  m.assumptions.push_back(fmt::format(
      "{}: unknown model_type {} read as a Llama-style decoder (RMSNorm, gated MLP of intermediate_size, "
      "{} KV heads of {}, {}biases{}); its parameter count and memory may be off if the architecture differs",
      f.source(), io::Quote(m.model_type), m.num_kv_heads, m.head_dim,
      m.qkv_bias ? "attention " : "no ", m.tie_word_embeddings ? ", tied embeddings" : ""));
  return Status::Ok();
}

}  // namespace

std::string_view FamilyName(ModelFamily family) {
  switch (family) {
    case ModelFamily::kOpt: return "opt";
    case ModelFamily::kLlama: return "llama";
    case ModelFamily::kQwen2: return "qwen2";
    case ModelFamily::kMixtral: return "mixtral";
    case ModelFamily::kQwen3: return "qwen3";
    case ModelFamily::kQwen2Moe: return "qwen2_moe";
    case ModelFamily::kQwen3Moe: return "qwen3_moe";
    case ModelFamily::kGemma2: return "gemma2";
    case ModelFamily::kGemma3: return "gemma3";
    case ModelFamily::kPhi3: return "phi3";
    case ModelFamily::kDeepseekV2: return "deepseek";
    case ModelFamily::kGptOss: return "gpt_oss";
    case ModelFamily::kLlama4: return "llama4";
    case ModelFamily::kDecoder: return "decoder";
  }
  return "?";
}

Result<ModelConfig> ParseModelConfig(std::string_view json_text, std::string_view source) {
  json doc;
  try {
    doc = json::parse(json_text.begin(), json_text.end());
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line 1, column 2: "
    size_t colon = what.find(": ");
    std::string detail = EscapeBytes(colon == std::string::npos ? what : what.substr(colon + 2));
    if (json_text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return InvalidInput(fmt::format("{}: empty file: expected a JSON object (a HuggingFace config.json)", source));
    }
    return InvalidInput(fmt::format("{}:{}: invalid JSON: {}", source, Where(json_text, e.byte - (e.byte > 0 ? 1 : 0)), detail));
  } catch (const json::exception& e) {
    // Not a syntax error but still unreadable, e.g. out_of_range.406 for a number beyond a double ("1e400").
    std::string what = e.what();
    size_t bracket = what.find("] ");
    return InvalidInput(fmt::format("{}: invalid JSON: {}", source,
                                    EscapeBytes(bracket == std::string::npos ? what : what.substr(bracket + 2))));
  }
  if (!doc.is_object()) {
    return InvalidInput(fmt::format("{}: expected a JSON object (a HuggingFace config.json), got {}",
                                    source, doc.type_name()));
  }
  ModelConfig m;
  m.name = std::string(source);
  m.source = std::string(source);
  FieldReader top(doc, source);
  m.model_type = top.Text("model_type");
  if (m.model_type.empty()) {
    return InvalidInput(fmt::format("{}: missing required field 'model_type' (expected one of {})", source,
                                    kKnownTypes));
  }
  // Multimodal checkpoints (gemma3, llama4, ...) nest the language model's
  // fields in text_config, with defaults for what they leave out.
  const json* text = &doc;
  std::string prefix;
  if (auto t = doc.find("text_config"); t != doc.end() && t->is_object() && !doc.contains("hidden_size")) {
    text = &*t;
    prefix = "text_config.";
  } else if (t != doc.end() && !t->is_null() && !t->is_object()) {
    return InvalidInput(fmt::format("{}: field 'text_config': expected an object, got {}", source,
                                    io::Quote(t->dump())));
  }
  FieldReader f(*text, source, prefix);
  const std::string type = io::ToLower(m.model_type);
  const std::optional<ModelFamily> family = FamilyOf(type);
  Status status;
  if (!family) {
    m.family = ModelFamily::kDecoder;
    status = ReadUnknownDecoder(f, m);
  } else {
    m.family = *family;
    switch (m.family) {
      case ModelFamily::kOpt: status = ReadOpt(f, m); break;
      case ModelFamily::kLlama:
      case ModelFamily::kQwen2:
      case ModelFamily::kMixtral: status = ReadLlamaLike(f, m); break;
      case ModelFamily::kQwen3:
      case ModelFamily::kQwen2Moe:
      case ModelFamily::kQwen3Moe: status = ReadQwen(f, m); break;
      case ModelFamily::kGemma2:
      case ModelFamily::kGemma3: status = ReadGemma(f, m); break;
      case ModelFamily::kPhi3: status = ReadPhi3(f, m); break;
      case ModelFamily::kDeepseekV2: status = ReadDeepseek(f, m); break;
      case ModelFamily::kGptOss: status = ReadGptOss(f, m); break;
      case ModelFamily::kLlama4: status = ReadLlama4(f, m); break;
      case ModelFamily::kDecoder: break;
    }
  }
  if (!status.ok()) return status.error();
  // A top-level tie_word_embeddings of a nested config wins (Llama 4 sets it there).
  if (text != &doc && doc.contains("tie_word_embeddings") && doc["tie_word_embeddings"].is_boolean()) {
    m.tie_word_embeddings = doc["tie_word_embeddings"].get<bool>();
  }
  if (Status s = CheckConsistency(m, source); !s.ok()) return s.error();
  if (auto v = doc.find("vision_config"); v != doc.end() && v->is_object()) {
    FieldReader vision(*v, source, "vision_config.");
    auto params = CountVisionTower(vision, m.hidden_size);
    if (!params.ok()) return params.error();
    m.vision_params = *params;
  }
  if (Status s = ReadQuantization(*text, source, m); !s.ok()) return s.error();
  if (!m.quant.quantized && text != &doc) {
    if (Status s = ReadQuantization(doc, source, m); !s.ok()) return s.error();
  }
  m.torch_dtype = f.Text("torch_dtype");
  if (m.torch_dtype.empty()) m.torch_dtype = top.Text("torch_dtype");
  if (m.torch_dtype.empty()) m.torch_dtype = top.Text("dtype");  // transformers >= 4.56 writes "dtype"

  if (auto n = doc.find("_name_or_path"); n != doc.end() && n->is_string() && !n->get<std::string>().empty()) {
    m.hf_repo = n->get<std::string>();
  } else {
    const size_t slash = source.rfind('/');
    m.hf_repo = slash == std::string_view::npos ? "." : slash == 0 ? "/" : std::string(source.substr(0, slash));
  }
  auto meta = doc.find("_infersave");
  if (meta != doc.end() && meta->is_object()) {
    if (auto r = meta->find("hf_repo"); r != meta->end() && r->is_string()) m.hf_repo = r->get<std::string>();
    if (auto n = meta->find("name"); n != meta->end() && n->is_string()) m.name = n->get<std::string>();
    if (auto s = meta->find("source"); s != meta->end() && s->is_string()) m.source = s->get<std::string>();
    if (auto p = meta->find("published_params"); p != meta->end() && p->is_number()) {
      m.published_params = p->get<double>();
    }
  }
  return m;
}

ParameterCount CountParameters(const ModelConfig& m) {
  ParameterCount c;
  const int64_t h = m.hidden_size;
  const int64_t q = m.q_width();
  const int64_t kv = m.kv_width();

  // Embeddings: tokens (OPT may embed in a narrower width and project), and
  // learned positions.
  const int64_t embed_width = m.word_embed_proj_dim > 0 ? m.word_embed_proj_dim : h;
  c.embeddings = m.vocab_size * embed_width + m.learned_positions * h;
  if (embed_width != h) c.embeddings += 2 * embed_width * h;  // project_in and project_out, no bias

  // Attention.
  if (m.attention == AttentionKind::kLatent) {
    // MLA (DeepSeek-V2/V3): Q through a low-rank bottleneck (or a full
    // projection), one down-projection to the latent plus the shared rotary
    // key, the latent's norm, its up-projection to per-head K (no rope) and
    // V, and O from the heads' values.
    const int64_t heads = m.num_heads;
    const int64_t qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
    const int64_t q_proj = m.q_lora_rank > 0 ? h * m.q_lora_rank + m.q_lora_rank * heads * qk : h * heads * qk;
    const int64_t kv_a = h * (m.kv_lora_rank + m.qk_rope_head_dim);
    const int64_t kv_b = m.kv_lora_rank * heads * (m.qk_nope_head_dim + m.v_head_dim);
    const int64_t o = heads * m.v_head_dim * h;
    c.attention_linear_per_layer = q_proj + kv_a + kv_b + o;
    c.attention_per_layer = c.attention_linear_per_layer + m.kv_lora_rank + (m.q_lora_rank > 0 ? m.q_lora_rank : 0);
  } else {
    // Q (h -> q), K and V (h -> kv), O (q -> h), with biases as configured.
    c.attention_linear_per_layer = h * q + 2 * h * kv + q * h;
    c.attention_per_layer = c.attention_linear_per_layer;
    if (m.qkv_bias) c.attention_per_layer += q + 2 * kv;
    if (m.o_bias) c.attention_per_layer += h;
    if (m.qk_norm) c.attention_per_layer += 2 * m.head_dim;  // one weight per head dimension, shared by the heads
    if (m.attention_sinks) c.attention_per_layer += m.num_heads;
  }

  // MLP: two matrices (fc1, fc2) or three when gated (gate, up, down).
  const int64_t matrices = m.gated_mlp ? 3 : 2;
  auto mlp = [&](int64_t ffn, bool bias) {
    int64_t p = matrices * h * ffn;
    if (bias) p += (matrices - 1) * ffn + h;
    return p;
  };
  c.dense_mlp_linear_per_layer = matrices * h * m.intermediate_size;
  c.dense_mlp_per_layer = m.dense_layers() > 0 ? mlp(m.intermediate_size, m.linear_bias) : 0;
  if (m.dense_layers() == 0) c.dense_mlp_linear_per_layer = 0;
  if (m.moe_layers > 0) {
    const int64_t expert = mlp(m.moe_intermediate_size, m.linear_bias || m.expert_bias);
    const int64_t shared = m.shared_expert_intermediate_size > 0 ? mlp(m.shared_expert_intermediate_size, false) : 0;
    const int64_t router = h * m.num_experts + (m.router_bias ? m.num_experts : 0) + (m.shared_expert_gate ? h : 0);
    c.moe_mlp_per_layer = expert * m.num_experts + shared + router;
    c.moe_mlp_active_per_layer = expert * m.experts_per_token + shared + router;
    c.expert_linear_per_layer = matrices * h * m.moe_intermediate_size * m.num_experts +
                                (shared > 0 ? matrices * h * m.shared_expert_intermediate_size : 0);
  }
  const int64_t mlp_total = m.dense_layers() * c.dense_mlp_per_layer + m.moe_layers * c.moe_mlp_per_layer;
  const int64_t mlp_active = m.dense_layers() * c.dense_mlp_per_layer + m.moe_layers * c.moe_mlp_active_per_layer;
  c.mlp_per_layer = mlp_total / m.num_layers;
  c.mlp_active_per_layer = mlp_active / m.num_layers;

  // Norms per layer (two, or Gemma's four), plus a final one; LayerNorm has a
  // bias, RMSNorm not.
  const int64_t norm = m.norm_bias ? 2 * h : h;
  c.norms_per_layer = m.norms_per_layer * norm;
  c.final_norm = norm;
  c.lm_head = m.tie_word_embeddings ? 0 : m.vocab_size * embed_width;
  c.vision = m.vision_params;

  c.decoder = m.num_layers * (c.attention_per_layer + c.norms_per_layer) + mlp_total;
  c.total = c.embeddings + c.decoder + c.final_norm + c.lm_head + c.vision;
  c.active_per_token = c.embeddings + c.final_norm + c.lm_head +
                       m.num_layers * (c.attention_per_layer + c.norms_per_layer) + mlp_active;
  return c;
}

int64_t AttendedTokens(WindowKind kind, int64_t window, int64_t position) {
  if (kind == WindowKind::kNone || window <= 0) return position;
  if (kind == WindowKind::kSliding) return std::min(position, window);
  return (position - 1) % window + 1;
}

double CausalPairsUpTo(WindowKind kind, int64_t window, int64_t x) {
  const auto tri = [](int64_t k) { return static_cast<double>(k) * static_cast<double>(k + 1) / 2; };
  if (x <= 0) return 0;
  if (kind == WindowKind::kNone || window <= 0) return tri(x);
  if (kind == WindowKind::kSliding) {
    if (x <= window) return tri(x);
    return tri(window) + static_cast<double>(x - window) * static_cast<double>(window);
  }
  return static_cast<double>(x / window) * tri(window) + tri(x % window);
}

double MeanAttendedTokens(WindowKind kind, int64_t window, double context) {
  if (kind == WindowKind::kNone || window <= 0 || context <= static_cast<double>(window)) return context;
  const double w = static_cast<double>(window);
  return kind == WindowKind::kSliding ? w : (w + 1) / 2;
}

}  // namespace infersave
