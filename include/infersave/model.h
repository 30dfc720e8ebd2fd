// Transformer model architecture, read from a HuggingFace config.json, and the
// exact parameter count derived from it (method.md section 3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "infersave/status.h"

namespace infersave {

// Architecture families whose HuggingFace field names we read.
enum class ModelFamily {
  kOpt,      // model_type "opt": LayerNorm with bias, biased linears, learned positions
  kLlama,    // "llama" and "mistral": RMSNorm, gated MLP (SwiGLU), GQA, no biases
  kQwen2,    // "qwen2": as Llama, plus biases on the Q, K and V projections
  kMixtral,  // "mixtral": Llama-style attention, mixture-of-experts gated MLP
};

std::string_view FamilyName(ModelFamily family);

// The dimensions that drive memory, FLOPs and bytes moved. All counts are
// per model (not per GPU shard).
struct ModelConfig {
  std::string name;    // shipped name ("opt-2.7b") or the config's file path
  std::string source;  // where the config came from (URL or path), for reports
  ModelFamily family = ModelFamily::kLlama;
  std::string model_type;  // the config's model_type, verbatim

  int64_t num_layers = 0;         // num_hidden_layers
  int64_t hidden_size = 0;        // h1
  int64_t intermediate_size = 0;  // h2: ffn_dim (OPT) or intermediate_size (per expert for MoE)
  int64_t num_heads = 0;          // num_attention_heads
  int64_t num_kv_heads = 0;       // num_key_value_heads (= num_heads for multi-head attention)
  int64_t head_dim = 0;           // head_dim, or hidden_size / num_heads
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;  // longest context the model supports, tokens
  int64_t num_experts = 1;              // num_local_experts (1 for dense models)
  int64_t experts_per_token = 1;        // num_experts_per_tok (1 for dense models)
  int64_t word_embed_proj_dim = 0;      // OPT only: embedding width when it differs from hidden_size

  bool tie_word_embeddings = false;  // LM head shares the input embedding matrix
  bool gated_mlp = true;             // three MLP matrices (gate, up, down) instead of two
  bool qkv_bias = false;             // biases on the Q, K, V projections
  bool linear_bias = false;          // biases on every linear layer (OPT)
  bool norm_bias = false;            // LayerNorm (weight and bias) rather than RMSNorm (weight)
  int64_t learned_positions = 0;     // rows of the learned position table (OPT: max_position + 2)

  std::string torch_dtype;     // the config's torch_dtype, verbatim ("float16", "bfloat16")
  double published_params = 0;  // the publisher's total, when the shipped file records it; else 0
  // HuggingFace repository id to deploy ("facebook/opt-2.7b"): the shipped
  // file's _infersave.hf_repo; for another config.json a guess: its
  // _name_or_path, else the folder holding the file (must be checked).
  std::string hf_repo;

  int64_t kv_width() const { return num_kv_heads * head_dim; }  // n_kv x d_head
  int64_t q_width() const { return num_heads * head_dim; }
};

// Parameter counts, in parameters (not bytes).
struct ParameterCount {
  int64_t embeddings = 0;      // token (+ position, + OPT projections) embeddings
  int64_t attention_per_layer = 0;
  int64_t mlp_per_layer = 0;   // all experts, plus the router
  int64_t mlp_active_per_layer = 0;  // the experts one token uses, plus the router
  int64_t norms_per_layer = 0;
  int64_t final_norm = 0;
  int64_t lm_head = 0;         // 0 when tied to the embeddings
  int64_t total = 0;
  int64_t active_per_token = 0;  // parameters one token touches (MoE: active experts only)
  int64_t per_layer() const { return attention_per_layer + mlp_per_layer + norms_per_layer; }
};

// Counts every weight from the config: embeddings, positional embeddings,
// QKV/O, MLP (2 or 3 matrices, times experts), norms, biases, LM head unless
// tied (method.md section 3).
ParameterCount CountParameters(const ModelConfig& model);

// Parses the text of a HuggingFace config.json. `source` names the text in
// messages ("models/foo.json"). Fails with kInvalidInput and a message naming
// the source, line and field for malformed JSON, a missing or non-positive
// required field, an unsupported model_type, or inconsistent dimensions.
Result<ModelConfig> ParseModelConfig(std::string_view json_text, std::string_view source);

}  // namespace infersave
