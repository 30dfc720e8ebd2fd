// Memory need and Algorithm 1 (paper Table II and Section IV-C; method.md section 3).
#include "infersave/memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace infersave {

Status ValidateWorkload(const Workload& w, const ModelConfig& model) {
  auto check = [](const char* field, int64_t value, int64_t max) -> Status {
    if (value < 1 || value > max) {
      return InvalidField(field, fmt::format("must be between 1 and {}, got {}", max, value));
    }
    return Status::Ok();
  };
  if (Status s = check("workload.batch_size", w.batch_size, kMaxBatchSize); !s.ok()) return s;
  if (Status s = check("workload.input_len", w.input_len, kMaxSequenceTokens); !s.ok()) return s;
  if (Status s = check("workload.output_len", w.output_len, kMaxSequenceTokens); !s.ok()) return s;
  if (Status s = check("workload.requests", w.requests, kMaxRequests); !s.ok()) return s;
  if (w.context_len() > model.max_position_embeddings) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{} {} + {} {} = {} tokens exceeds {}'s context window of {} tokens "
                             "(max_position_embeddings)",
                             FieldRef("workload.input_len"), w.input_len, FieldRef("workload.output_len"),
                             w.output_len, w.context_len(), model.name, model.max_position_embeddings),
                 "workload.output_len");
  }
  return Status::Ok();
}

namespace {

// Peak transient memory of one prefill pass (this project's model, method.md
// section 3): hidden states, Q/K/V, the MLP intermediate, the attention
// score and probability matrices unless attention is fused, and the
// last-token logits in FP32.
double WorkspaceBytes(const ModelConfig& m, const Workload& w, const EngineProfile& e, int tp) {
  constexpr double kActivationBytes = 2;  // activations are kept in 16-bit
  const double all_tokens = static_cast<double>(w.batch_size) * static_cast<double>(w.input_len);
  const double tokens = e.prefill_chunk_tokens > 0 ? std::min(all_tokens, static_cast<double>(e.prefill_chunk_tokens))
                                                   : all_tokens;
  const double h = static_cast<double>(m.hidden_size);
  const double shards = static_cast<double>(tp);
  // Hidden states are replicated on every shard; heads and the MLP are split.
  const double hidden = 4 * tokens * h;
  const double kv_cols = m.attention == AttentionKind::kLatent
                             ? static_cast<double>(m.num_heads / tp * (m.qk_head_dim() + m.v_head_dim))
                             : static_cast<double>(2 * KvHeadsPerGpu(m, tp) * m.head_dim);
  const double qkv = tokens * (static_cast<double>(m.num_heads / tp * m.qk_head_dim()) + kv_cols);
  // The widest MLP intermediate a token produces: a dense layer's, or the
  // active experts' plus the shared expert's.
  const double dense_width = m.dense_layers() > 0 ? static_cast<double>(m.intermediate_size) : 0;
  const double moe_width = m.is_moe() ? static_cast<double>(m.moe_intermediate_size * m.experts_per_token +
                                                            m.shared_expert_intermediate_size)
                                      : 0;
  const double mlp = tokens * std::max(dense_width, moe_width) * (m.gated_mlp ? 3 : 2) / shards;
  double scores = 0;
  if (!e.fused_attention) {
    const double sequences = std::ceil(tokens / static_cast<double>(w.input_len));
    const double len = static_cast<double>(w.input_len);
    const double seen = m.full_attention_layers() > 0 ? len : static_cast<double>(m.WindowedKvTokens(w.input_len));
    scores = 2 * sequences * static_cast<double>(m.num_heads / tp) * len * seen;
  }
  const double logits_bytes = static_cast<double>(w.batch_size) * static_cast<double>(m.vocab_size) * 4 / shards;
  return (hidden + qkv + mlp + scores) * kActivationBytes + logits_bytes;
}

}  // namespace

bool ValidTensorParallel(const ModelConfig& m, int tp) {
  if (tp < 1 || m.num_heads % tp != 0) return false;
  return m.num_kv_heads % tp == 0 || tp % m.num_kv_heads == 0;
}

int64_t KvHeadsPerGpu(const ModelConfig& m, int tp) {
  return m.num_kv_heads >= tp ? m.num_kv_heads / tp : 1;  // replicated when tp > KV heads
}

WeightBytesPerParam WeightFormat(const ModelConfig& m, Precision weights) {
  WeightBytesPerParam f;
  const double stored = BytesPerWeight(weights);
  const bool quantised = weights == Precision::kFp8 || weights == Precision::kInt8 || weights == Precision::kInt4 ||
                         weights == Precision::kFp4;
  if (!quantised) {
    f.attention = f.dense_mlp = f.experts = f.lm_head = f.other = stored;
    return f;
  }
  // The checkpoint says which modules it quantised; a format the user asks
  // for on another checkpoint covers every decoder linear layer.
  const bool own = m.quant.quantized && m.quant.format == weights;
  f.attention_quantized = own ? m.quant.attention : true;
  f.dense_mlp_quantized = own ? m.quant.dense_mlp : true;
  f.experts_quantized = own ? m.quant.experts : true;
  f.attention = f.attention_quantized ? stored : 2;
  f.dense_mlp = f.dense_mlp_quantized ? stored : 2;
  f.experts = f.experts_quantized ? stored : 2;
  f.lm_head = own && m.quant.lm_head ? stored : 2;
  f.other = 2;
  return f;
}

double WeightBytes(const ModelConfig& m, const ParameterCount& p, Precision weights) {
  const WeightBytesPerParam f = WeightFormat(m, weights);
  const double n = static_cast<double>(m.num_layers);
  const double attention = n * static_cast<double>(p.attention_linear_per_layer);
  const double dense = static_cast<double>(m.dense_layers() * p.dense_mlp_linear_per_layer);
  const double experts = static_cast<double>(m.moe_layers * p.expert_linear_per_layer);
  const double head = static_cast<double>(p.lm_head);
  const double other = static_cast<double>(p.total) - attention - dense - experts - head;
  return attention * f.attention + dense * f.dense_mlp + experts * f.experts + head * f.lm_head + other * f.other;
}

double KvBytesPerTokenLayer(const ModelConfig& m, int tp, double bytes_per_value) {
  if (m.attention == AttentionKind::kLatent) {
    return static_cast<double>(m.kv_values_per_token_layer()) * bytes_per_value;
  }
  return 2 * static_cast<double>(KvHeadsPerGpu(m, tp) * m.head_dim) * bytes_per_value;
}

double KvBytesPerSequence(const ModelConfig& m, int64_t context, int tp, double bytes_per_value) {
  const double tokens = static_cast<double>(m.full_attention_layers()) * static_cast<double>(context) +
                        static_cast<double>(m.windowed_layers) * static_cast<double>(m.WindowedKvTokens(context));
  return tokens * KvBytesPerTokenLayer(m, tp, bytes_per_value);
}

MemoryBreakdown ComputeMemory(const ModelConfig& m, const ParameterCount& params, const Workload& w,
                              const EngineProfile& e, double gpu_memory_bytes,
                              double gpu_memory_utilization, MemoryStyle style, int tp) {
  MemoryBreakdown mem;
  const double bkv = BytesPerValue(w.kv_precision);
  const double bs = static_cast<double>(w.batch_size);
  const double ctx = static_cast<double>(w.context_len());
  const double n = static_cast<double>(m.num_layers);
  // Every weight matrix, embeddings and LM head included (vocabulary-parallel),
  // is split over the tp GPUs; norms are replicated but negligible.
  mem.weights_bytes = WeightBytes(m, params, w.weight_precision) / static_cast<double>(tp);
  if (style == MemoryStyle::kPaper) {
    // Table II: Mem_KV with the hidden size h1 (the paper's model has no GQA),
    // and Mem_activation = 2 (L_in + L_out) BS h1, without a byte factor.
    const double h1 = static_cast<double>(m.hidden_size);
    mem.kv_bytes = 2 * bs * ctx * n * h1 * bkv;
    mem.activation_bytes = 2 * ctx * bs * h1;
    mem.reserve_bytes = 0;
  } else {
    // Method.md section 3: KV with n_kv x d_head (GQA), the GPU's share of the heads.
    mem.kv_bytes = bs * KvBytesPerSequence(m, w.context_len(), tp, bkv);
    mem.activation_bytes = WorkspaceBytes(m, w, e, tp);
    mem.reserve_bytes = e.runtime_reserve_bytes;
  }
  // The largest layer's KV: a full-attention layer's when there is one.
  mem.kv_per_layer_bytes =
      style == MemoryStyle::kPaper || m.full_attention_layers() > 0
          ? (style == MemoryStyle::kPaper ? mem.kv_bytes / n : bs * ctx * KvBytesPerTokenLayer(m, tp, bkv))
          : bs * static_cast<double>(m.WindowedKvTokens(w.context_len())) * KvBytesPerTokenLayer(m, tp, bkv);
  mem.layer_weight_bytes = mem.weights_bytes / n;
  mem.budget_bytes = gpu_memory_bytes * gpu_memory_utilization;
  if (e.kv_fraction_of_free && style == MemoryStyle::kWorkspace) {
    // The fraction applies to what the weights, workspace and runtime leave.
    mem.budget_bytes = mem.base_bytes() + gpu_memory_utilization * std::max(0.0, gpu_memory_bytes - mem.base_bytes());
    if (mem.base_bytes() > gpu_memory_bytes) mem.budget_bytes = gpu_memory_bytes;
  }
  return mem;
}

OffloadDecision DecideOffload(const MemoryBreakdown& mem, const EngineProfile& engine, OffloadMode mode,
                              double fixed_ratio, double host_memory_bytes) {
  OffloadDecision d;
  d.host_available_bytes = std::max(0.0, host_memory_bytes - engine.host_reserve_bytes);
  d.host_reserve_bytes = engine.host_reserve_bytes;
  // What the KV cache may use on the GPU (less when weights stream).
  double available = mem.available_bytes();
  auto cannot = [&](OffloadBlocker b) {
    d.placement = Placement::kCannotRun;
    d.blocker = b;
    return d;
  };
  // The engine process itself needs host memory, offloading or not.
  if (available >= 0 && host_memory_bytes < engine.host_reserve_bytes) {
    return cannot(OffloadBlocker::kHostMemoryTooSmall);
  }
  if (available < mem.kv_per_layer_bytes && engine.supports_weight_offload && mode != OffloadMode::kNone) {
    // Stream weights: keep what fits beside a double buffer of one layer's
    // weights and one layer's KV (all of the KV when the engine cannot
    // offload it).
    const double kv_on_gpu = engine.supports_kv_offload ? mem.kv_per_layer_bytes : mem.kv_bytes;
    const double space = mem.budget_bytes - mem.activation_bytes - mem.reserve_bytes - 2 * mem.layer_weight_bytes -
                         kv_on_gpu;
    if (space <= 0) return cannot(OffloadBlocker::kWeightsDoNotFit);
    double fraction = std::min(1.0, space / mem.weights_bytes);
    if (engine.offload_step > 0) fraction = std::floor(fraction / engine.offload_step + 1e-9) * engine.offload_step;
    d.weight_gpu_fraction = fraction;
    d.host_weight_bytes = (1 - fraction) * mem.weights_bytes;
    available = mem.budget_bytes - mem.activation_bytes - mem.reserve_bytes - 2 * mem.layer_weight_bytes -
                fraction * mem.weights_bytes;
    if (host_memory_bytes < engine.host_reserve_bytes) return cannot(OffloadBlocker::kHostMemoryTooSmall);
  } else if (available < 0) {
    return cannot(OffloadBlocker::kWeightsDoNotFit);
  }
  d.kv_space_bytes = available;
  d.required_ratio = available >= mem.kv_bytes ? 0.0 : 1.0 - available / mem.kv_bytes;

  if (mode == OffloadMode::kFixed) {
    if (fixed_ratio > 0 && !engine.supports_kv_offload) return cannot(OffloadBlocker::kEngineCannotOffload);
    // Offloaded or not, the layer being computed needs its KV on the GPU.
    if (fixed_ratio > 0 && available < mem.kv_per_layer_bytes) return cannot(OffloadBlocker::kNoRoomForOneLayer);
    if (fixed_ratio + 1e-12 < d.required_ratio) {
      if (available < mem.kv_per_layer_bytes) return cannot(OffloadBlocker::kNoRoomForOneLayer);
      return cannot(OffloadBlocker::kFixedRatioTooSmall);
    }
    d.ratio = fixed_ratio;
  } else if (d.required_ratio > 0) {
    if (available < mem.kv_per_layer_bytes) return cannot(OffloadBlocker::kNoRoomForOneLayer);
    if (mode == OffloadMode::kNone) return cannot(OffloadBlocker::kOffloadDisabled);
    if (!engine.supports_kv_offload) return cannot(OffloadBlocker::kEngineCannotOffload);
    // Engines place whole steps (FlexGen: percents); round up so the GPU part fits.
    d.ratio = engine.offload_step > 0
                  ? std::min(1.0, std::ceil(d.required_ratio / engine.offload_step - 1e-9) * engine.offload_step)
                  : d.required_ratio;
  }
  d.host_kv_bytes = d.ratio * mem.kv_bytes;
  if (d.host_kv_bytes + d.host_weight_bytes > d.host_available_bytes) {
    return cannot(OffloadBlocker::kHostMemoryTooSmall);
  }
  d.placement = d.ratio > 0 || d.weight_gpu_fraction < 1 ? Placement::kOffload : Placement::kFits;
  return d;
}

}  // namespace infersave
