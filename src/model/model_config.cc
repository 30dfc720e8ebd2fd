// Reads HuggingFace config.json files (method.md section 8) and counts
// parameters exactly (method.md section 3).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "infersave/model.h"
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
  FieldReader(const json& object, std::string_view source) : object_(object), source_(source) {}

  // A required positive integer field.
  Result<int64_t> Required(const char* key) const {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      return InvalidInput(fmt::format("{}: missing required field '{}'", source_, key));
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
                                      key, it->dump()));
    }
    return it->get<bool>();
  }

  std::string Text(const char* key) const {
    auto it = object_.find(key);
    return (it != object_.end() && it->is_string()) ? it->get<std::string>() : std::string();
  }

 private:
  Result<int64_t> Integer(const char* key, const json& value) const {
    double number = 0;
    if (value.is_number_integer() || value.is_number_unsigned()) {
      number = value.get<double>();
    } else if (value.is_number_float() && value.get<double>() == std::floor(value.get<double>())) {
      number = value.get<double>();
    } else {
      return InvalidInput(fmt::format("{}: field '{}': expected a positive integer, got {}",
                                      source_, key, io::Quote(value.dump())));
    }
    if (number < 1 || number > static_cast<double>(kMaxDimension)) {
      return InvalidInput(fmt::format("{}: field '{}': expected a positive integer up to {}, got {}",
                                      source_, key, kMaxDimension, value.dump()));
    }
    return static_cast<int64_t>(number);
  }

  const json& object_;
  std::string_view source_;
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
  m.norm_bias = true;
  // OPT's learned positions are offset by 2 (HF OPTLearnedPositionalEmbedding).
  m.learned_positions = m.max_position_embeddings + 2;
  return Status::Ok();
}

Status ReadLlamaLike(const FieldReader& f, ModelConfig& m) {
  INFERSAVE_ASSIGN(m.hidden_size, f.Required("hidden_size"));
  INFERSAVE_ASSIGN(m.intermediate_size, f.Required("intermediate_size"));
  INFERSAVE_ASSIGN(m.num_layers, f.Required("num_hidden_layers"));
  INFERSAVE_ASSIGN(m.num_heads, f.Required("num_attention_heads"));
  INFERSAVE_ASSIGN(m.num_kv_heads, f.Optional("num_key_value_heads", m.num_heads));
  INFERSAVE_ASSIGN(m.vocab_size, f.Required("vocab_size"));
  INFERSAVE_ASSIGN(m.max_position_embeddings, f.Required("max_position_embeddings"));
  INFERSAVE_ASSIGN(m.tie_word_embeddings, f.Flag("tie_word_embeddings", false));
  INFERSAVE_ASSIGN(m.head_dim, f.Optional("head_dim", m.hidden_size / m.num_heads));
  bool attention_bias = false;
  bool mlp_bias = false;
  INFERSAVE_ASSIGN(attention_bias, f.Flag("attention_bias", false));
  INFERSAVE_ASSIGN(mlp_bias, f.Flag("mlp_bias", false));
  m.gated_mlp = true;
  m.qkv_bias = attention_bias || m.family == ModelFamily::kQwen2;  // Qwen2 always biases Q, K, V
  m.linear_bias = mlp_bias;
  m.norm_bias = false;
  if (m.family == ModelFamily::kMixtral) {
    INFERSAVE_ASSIGN(m.num_experts, f.Required("num_local_experts"));
    INFERSAVE_ASSIGN(m.experts_per_token, f.Required("num_experts_per_tok"));
  }
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
    return InvalidInput(fmt::format("{}: num_experts_per_tok {} exceeds num_local_experts {}",
                                    source, m.experts_per_token, m.num_experts));
  }
  return Status::Ok();
}

}  // namespace

std::string_view FamilyName(ModelFamily family) {
  switch (family) {
    case ModelFamily::kOpt: return "opt";
    case ModelFamily::kLlama: return "llama";
    case ModelFamily::kQwen2: return "qwen2";
    case ModelFamily::kMixtral: return "mixtral";
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
  FieldReader f(doc, source);
  m.model_type = f.Text("model_type");
  if (m.model_type.empty()) {
    return InvalidInput(fmt::format(
        "{}: missing required field 'model_type' (expected one of opt, llama, mistral, qwen2, mixtral)",
        source));
  }
  std::string type = io::ToLower(m.model_type);
  Status status;
  if (type == "opt") {
    m.family = ModelFamily::kOpt;
    status = ReadOpt(f, m);
  } else if (type == "llama" || type == "mistral" || type == "qwen2" || type == "mixtral") {
    m.family = type == "qwen2"     ? ModelFamily::kQwen2
               : type == "mixtral" ? ModelFamily::kMixtral
                                   : ModelFamily::kLlama;
    status = ReadLlamaLike(f, m);
  } else {
    return InvalidInput(fmt::format(
        "{}: field 'model_type': unsupported model type {} (supported: opt, llama, mistral, qwen2, mixtral)",
        source, io::Quote(m.model_type)));
  }
  if (!status.ok()) return status.error();
  if (Status s = CheckConsistency(m, source); !s.ok()) return s.error();
  m.torch_dtype = f.Text("torch_dtype");

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
  const int64_t ffn = m.intermediate_size;

  // Embeddings: tokens (OPT may embed in a narrower width and project), and
  // learned positions.
  const int64_t embed_width = m.word_embed_proj_dim > 0 ? m.word_embed_proj_dim : h;
  c.embeddings = m.vocab_size * embed_width + m.learned_positions * h;
  if (embed_width != h) c.embeddings += 2 * embed_width * h;  // project_in and project_out, no bias

  // Attention: Q (h -> q), K and V (h -> kv), O (q -> h), with biases as configured.
  c.attention_per_layer = h * q + 2 * h * kv + q * h;
  if (m.qkv_bias) c.attention_per_layer += q + 2 * kv;
  // O projection bias: OPT's enable_bias; Llama's attention_bias (transformers'
  // LlamaAttention biases q, k, v and o alike, while mlp_bias covers only the
  // MLP); Qwen2 biases Q, K and V only.
  const bool o_bias = m.family == ModelFamily::kOpt     ? m.linear_bias
                      : m.family == ModelFamily::kQwen2 ? false
                                                        : m.qkv_bias;
  if (o_bias) c.attention_per_layer += h;

  // MLP: two matrices (fc1, fc2) or three when gated (gate, up, down), per expert.
  const int64_t matrices = m.gated_mlp ? 3 : 2;
  int64_t expert = matrices * h * ffn;
  if (m.linear_bias) expert += (matrices - 1) * ffn + h;
  const int64_t router = m.num_experts > 1 ? h * m.num_experts : 0;
  c.mlp_per_layer = expert * m.num_experts + router;
  c.mlp_active_per_layer = expert * m.experts_per_token + router;

  // Two norms per layer, plus a final one; LayerNorm has a bias, RMSNorm not.
  const int64_t norm = m.norm_bias ? 2 * h : h;
  c.norms_per_layer = 2 * norm;
  c.final_norm = norm;
  c.lm_head = m.tie_word_embeddings ? 0 : m.vocab_size * embed_width;

  c.total = c.embeddings + m.num_layers * c.per_layer() + c.final_norm + c.lm_head;
  c.active_per_token = c.embeddings + c.final_norm + c.lm_head +
                       m.num_layers * (c.attention_per_layer + c.mlp_active_per_layer + c.norms_per_layer);
  return c;
}

}  // namespace infersave
