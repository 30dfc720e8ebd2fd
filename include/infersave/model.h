// Transformer model architecture, read from a HuggingFace config.json, and the
// exact parameter count derived from it (method.md section 3).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/hardware.h"

#include "infersave/status.h"

namespace infersave {

// Architecture families whose HuggingFace field names we read. Each
// model_type maps to one family; FamilyName gives the canonical model_type.
enum class ModelFamily {
  kOpt,        // "opt": LayerNorm with bias, biased linears, learned positions
  kLlama,      // "llama", "mistral": RMSNorm, gated MLP (SwiGLU), GQA, no biases
  kQwen2,      // "qwen2": as Llama, plus biases on the Q, K and V projections
  kMixtral,    // "mixtral": Llama-style attention, mixture-of-experts gated MLP
  kQwen3,      // "qwen3": Llama-style with q/k RMSNorm and an explicit head_dim
  kQwen2Moe,   // "qwen2_moe": Qwen2 attention, routed experts plus a gated shared expert
  kQwen3Moe,   // "qwen3_moe": Qwen3 attention, routed experts (moe_intermediate_size)
  kGemma2,     // "gemma2": four norms per layer, tied embeddings, alternating sliding window
  kGemma3,     // "gemma3" / "gemma3_text": Gemma 2 plus q/k norms, 5 local : 1 global layers, vision tower
  kPhi3,       // "phi3": Llama-style with fused QKV and gate/up projections (same weights)
  kDeepseekV2, // "deepseek_v2", "deepseek_v3": multi-head latent attention, shared + routed experts
  kGptOss,     // "gpt_oss": biased attention with sinks, alternating sliding window, biased experts
  kLlama4,     // "llama4" / "llama4_text": chunked local attention on 3 of 4 layers, shared + routed experts
  kDecoder,    // any other model_type with the standard decoder fields, read as Llama (with a warning)
};

std::string_view FamilyName(ModelFamily family);

// How a layer attends: standard multi-head attention (MHA, GQA, MQA: K and V
// cached per KV head) or DeepSeek's multi-head latent attention (one
// compressed latent of kv_lora_rank + qk_rope_head_dim values cached per token).
enum class AttentionKind { kStandard, kLatent };

// Which tokens the windowed layers of a model see.
enum class WindowKind {
  kNone,     // every layer attends to the whole context
  kSliding,  // the last window_tokens tokens (Mistral, Gemma 2/3, gpt-oss)
  kChunked,  // the tokens of the current chunk of window_tokens (Llama 4 attention_chunk_size)
};

// The quantisation a checkpoint ships in (its config's quantization_config).
struct CheckpointQuant {
  bool quantized = false;
  std::string method;  // quant_method verbatim: awq, gptq, fp8, compressed-tensors, mxfp4, bitsandbytes
  Precision format = Precision::kFp16;  // the quantised modules' storage format
  int64_t group_size = 0;               // weights per scale (0: per channel or per block)
  // Which linear layers are stored in `format`; the others (and always the
  // embeddings, norms, routers and biases) keep the checkpoint's 16-bit type.
  bool attention = true;
  bool dense_mlp = true;
  bool experts = true;
  bool lm_head = false;
  std::string vllm_quantization;  // vLLM's --quantization for this checkpoint: the method ("awq", "gptq", "fp8", ...)
  std::string note;               // what was read, for reports ("awq, 4 bit, group 128")
};

// The dimensions that drive memory, FLOPs and bytes moved. All counts are
// per model (not per GPU shard).
struct ModelConfig {
  std::string name;    // shipped name ("opt-2.7b") or the config's file path
  std::string source;  // where the config came from (URL or path), for reports
  ModelFamily family = ModelFamily::kLlama;
  std::string model_type;  // the config's model_type, verbatim

  int64_t num_layers = 0;         // num_hidden_layers
  int64_t hidden_size = 0;        // h1
  int64_t intermediate_size = 0;  // h2: the dense MLP's width (ffn_dim in OPT; the expert width for Mixtral)
  int64_t num_heads = 0;          // num_attention_heads
  int64_t num_kv_heads = 0;       // num_key_value_heads (= num_heads for multi-head attention)
  int64_t head_dim = 0;           // head_dim, or hidden_size / num_heads
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;  // longest context the model supports, tokens
  int64_t num_experts = 1;              // routed experts (num_local_experts, num_experts, n_routed_experts); 1 if dense
  int64_t experts_per_token = 1;        // num_experts_per_tok (1 for dense models)
  int64_t word_embed_proj_dim = 0;      // OPT only: embedding width when it differs from hidden_size

  // Mixture of experts beyond Mixtral's all-MoE layout.
  int64_t moe_layers = 0;                // layers with routed experts (the rest have a dense MLP)
  int64_t moe_intermediate_size = 0;     // one routed expert's width
  int64_t shared_expert_intermediate_size = 0;  // total width of the always-active shared expert(s); 0 = none
  bool shared_expert_gate = false;       // Qwen2-MoE's sigmoid gate on the shared expert (h x 1)
  bool router_bias = false;              // router logits biased (gpt-oss), or DeepSeek's score-correction bias
  bool expert_bias = false;              // biases inside each expert (gpt-oss)

  // Attention.
  AttentionKind attention = AttentionKind::kStandard;
  int64_t kv_lora_rank = 0;      // MLA: width of the cached latent
  int64_t q_lora_rank = 0;       // MLA: width of the query's low-rank bottleneck (0: a full Q projection)
  int64_t qk_nope_head_dim = 0;  // MLA: per-head query/key width without rotary embedding
  int64_t qk_rope_head_dim = 0;  // MLA: per-head rotary width (the key part is shared and cached)
  int64_t v_head_dim = 0;        // MLA: per-head value width
  bool qk_norm = false;          // RMSNorm on each head's query and key (Qwen3, Gemma 3)
  bool attention_sinks = false;  // a learned sink logit per head (gpt-oss): no cached tokens
  bool o_bias = false;           // bias on the output projection
  int64_t norms_per_layer = 2;   // norms in each decoder layer (Gemma 2/3: 4)

  // Windowed layers: `windowed_layers` of the num_layers layers see only
  // window_tokens tokens (see WindowKind); the others see the whole context.
  WindowKind window_kind = WindowKind::kNone;
  int64_t window_tokens = 0;
  int64_t windowed_layers = 0;

  // Weights the engine loads besides the decoder: the vision tower and its
  // projector for multimodal checkpoints (counted in memory, not in the
  // time of a text-only request).
  int64_t vision_params = 0;

  bool tie_word_embeddings = false;  // LM head shares the input embedding matrix
  bool gated_mlp = true;             // three MLP matrices (gate, up, down) instead of two
  bool qkv_bias = false;             // biases on the Q, K, V projections
  bool linear_bias = false;          // biases on every linear layer (OPT)
  bool norm_bias = false;            // LayerNorm (weight and bias) rather than RMSNorm (weight)
  int64_t learned_positions = 0;     // rows of the learned position table (OPT: max_position + 2)

  CheckpointQuant quant;             // the checkpoint's own quantisation, if any

  std::string torch_dtype;     // the config's torch_dtype, verbatim ("float16", "bfloat16")
  double published_params = 0;  // the publisher's total, when the shipped file records it; else 0
  // HuggingFace repository id to deploy ("facebook/opt-2.7b"): the shipped
  // file's _infersave.hf_repo; for another config.json a guess: its
  // _name_or_path, else the folder holding the file (must be checked).
  std::string hf_repo;
  // What was assumed while reading the config (an unknown model_type read as
  // a Llama-style decoder, ...); front ends show them as warnings.
  std::vector<std::string> assumptions;

  int64_t kv_width() const { return num_kv_heads * head_dim; }  // n_kv x d_head
  int64_t q_width() const { return num_heads * head_dim; }
  int64_t dense_layers() const { return num_layers - moe_layers; }
  int64_t full_attention_layers() const { return num_layers - windowed_layers; }
  bool is_moe() const { return moe_layers > 0; }
  // Per-head widths of the attention product: query.key and value.
  int64_t qk_head_dim() const {
    return attention == AttentionKind::kLatent ? qk_nope_head_dim + qk_rope_head_dim : head_dim;
  }
  int64_t value_head_dim() const { return attention == AttentionKind::kLatent ? v_head_dim : head_dim; }
  // Values cached per token and layer for the whole model (both K and V, or
  // the MLA latent), in elements.
  int64_t kv_values_per_token_layer() const {
    return attention == AttentionKind::kLatent ? kv_lora_rank + qk_rope_head_dim : 2 * kv_width();
  }
  // Tokens of KV a windowed layer holds for a sequence of `context` tokens
  // (the window for a sliding layer; the chunk for a chunked one, which the
  // engine must still reserve).
  int64_t WindowedKvTokens(int64_t context) const { return std::min(context, window_tokens); }
};

// Parameter counts, in parameters (not bytes).
struct ParameterCount {
  int64_t embeddings = 0;      // token (+ position, + OPT projections) embeddings
  int64_t attention_per_layer = 0;  // projections, their biases, q/k norms, sinks (alike in every layer)
  int64_t attention_linear_per_layer = 0;  // of which the projection matrices (what quantisation stores)
  int64_t dense_mlp_per_layer = 0;  // one dense layer's MLP (0 when every layer is MoE)
  int64_t moe_mlp_per_layer = 0;    // one MoE layer: every routed expert, shared experts, router
  int64_t moe_mlp_active_per_layer = 0;  // what one token uses of it: k experts, shared experts, router
  int64_t expert_linear_per_layer = 0;   // the routed and shared experts' matrices of one MoE layer
  int64_t dense_mlp_linear_per_layer = 0;  // a dense MLP's matrices
  // Mean over the layers of the MLP (all of it, and what one token uses);
  // exact for models whose layers are all alike.
  int64_t mlp_per_layer = 0;
  int64_t mlp_active_per_layer = 0;
  int64_t norms_per_layer = 0;
  int64_t final_norm = 0;
  int64_t lm_head = 0;         // 0 when tied to the embeddings
  int64_t vision = 0;          // vision tower and projector (multimodal checkpoints)
  int64_t decoder = 0;         // all decoder layers
  int64_t total = 0;
  int64_t active_per_token = 0;  // parameters one token touches (MoE: active experts only; no vision tower)
  int64_t per_layer() const { return attention_per_layer + mlp_per_layer + norms_per_layer; }
};

// Counts every weight from the config: embeddings, positional embeddings,
// attention (QKV/O or MLA's projections), MLP (2 or 3 matrices, times experts,
// shared experts, routers), norms, biases, LM head unless tied, and the
// vision tower (method.md section 3; docs/model.md).
ParameterCount CountParameters(const ModelConfig& model);

// ---- Attention windows (docs/model.md, "Attention variants") -----------------

// Tokens a windowed layer attends to for the token at 1-based `position`:
// min(position, W) for a sliding window; the tokens of the current chunk so
// far, (position - 1) mod W + 1, for chunked attention; position without one.
int64_t AttendedTokens(WindowKind kind, int64_t window, int64_t position);
// Sum of AttendedTokens over positions 1..x: the causal (query, key) pairs a
// prompt of x tokens computes in one windowed layer. Exact.
double CausalPairsUpTo(WindowKind kind, int64_t window, int64_t x);
// The decode-time mean of AttendedTokens at context c, used where a closed
// form needs a step time linear in pieces: c up to the window; beyond it W
// for a sliding window and (W + 1) / 2 for chunked attention (the mean over
// a chunk's positions).
double MeanAttendedTokens(WindowKind kind, int64_t window, double context);

// Parses the text of a HuggingFace config.json. `source` names the text in
// messages ("models/foo.json"). Reads the families of ModelFamily (nested
// text_config included); an unknown model_type with the standard decoder
// fields is read as a Llama-style decoder and says so in `assumptions`. Fails
// with kInvalidInput and a message naming the source, line and field for
// malformed JSON, a missing or non-positive required field, a config that is
// not a decoder, an unreadable quantization_config, or inconsistent dimensions.
Result<ModelConfig> ParseModelConfig(std::string_view json_text, std::string_view source);

}  // namespace infersave
