// Memory need and Algorithm 1 (paper Table II and Section IV-C; method.md section 3).
#include "infersave/memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace infersave {

Status ValidateWorkload(const Workload& w, const ModelConfig& model) {
  auto check = [](const char* flag, int64_t value, int64_t max) -> Status {
    if (value < 1 || value > max) {
      return InvalidArgument(fmt::format("{} must be between 1 and {}, got {}", flag, max, value));
    }
    return Status::Ok();
  };
  if (Status s = check("--batch-size", w.batch_size, kMaxBatchSize); !s.ok()) return s;
  if (Status s = check("--input-len", w.input_len, kMaxSequenceTokens); !s.ok()) return s;
  if (Status s = check("--output-len", w.output_len, kMaxSequenceTokens); !s.ok()) return s;
  if (Status s = check("--requests", w.requests, kMaxRequests); !s.ok()) return s;
  if (w.context_len() > model.max_position_embeddings) {
    return InvalidArgument(fmt::format(
        "--input-len {} + --output-len {} = {} tokens exceeds {}'s context window of {} tokens "
        "(max_position_embeddings)",
        w.input_len, w.output_len, w.context_len(), model.name, model.max_position_embeddings));
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
  const double qkv = tokens * static_cast<double>(m.q_width() / tp + 2 * KvHeadsPerGpu(m, tp) * m.head_dim);
  const double mlp = tokens * static_cast<double>(m.intermediate_size) * (m.gated_mlp ? 3 : 2) *
                     static_cast<double>(m.experts_per_token) / shards;
  double scores = 0;
  if (!e.fused_attention) {
    const double sequences = std::ceil(tokens / static_cast<double>(w.input_len));
    const double len = static_cast<double>(w.input_len);
    scores = 2 * sequences * static_cast<double>(m.num_heads / tp) * len * len;
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

MemoryBreakdown ComputeMemory(const ModelConfig& m, const ParameterCount& params, const Workload& w,
                              const EngineProfile& e, double gpu_memory_bytes,
                              double gpu_memory_utilization, MemoryStyle style, int tp) {
  MemoryBreakdown mem;
  const double bw = BytesPerWeight(w.weight_precision);
  const double bkv = BytesPerValue(w.kv_precision);
  const double bs = static_cast<double>(w.batch_size);
  const double ctx = static_cast<double>(w.context_len());
  const double n = static_cast<double>(m.num_layers);
  // Every weight matrix, embeddings and LM head included (vocabulary-parallel),
  // is split over the tp GPUs; norms are replicated but negligible.
  mem.weights_bytes = static_cast<double>(params.total) * bw / static_cast<double>(tp);
  if (style == MemoryStyle::kPaper) {
    // Table II: Mem_KV with the hidden size h1 (the paper's model has no GQA),
    // and Mem_activation = 2 (L_in + L_out) BS h1, without a byte factor.
    const double h1 = static_cast<double>(m.hidden_size);
    mem.kv_bytes = 2 * bs * ctx * n * h1 * bkv;
    mem.activation_bytes = 2 * ctx * bs * h1;
    mem.reserve_bytes = 0;
  } else {
    // Method.md section 3: KV with n_kv x d_head (GQA), the GPU's share of the heads.
    mem.kv_bytes = 2 * bs * ctx * n * static_cast<double>(KvHeadsPerGpu(m, tp) * m.head_dim) * bkv;
    mem.activation_bytes = WorkspaceBytes(m, w, e, tp);
    mem.reserve_bytes = e.runtime_reserve_bytes;
  }
  mem.kv_per_layer_bytes = mem.kv_bytes / n;
  mem.layer_weight_bytes = mem.weights_bytes / n;
  mem.budget_bytes = gpu_memory_bytes * gpu_memory_utilization;
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
