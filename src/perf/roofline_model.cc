#include "perf/roofline_model.h"

#include <algorithm>
#include <cmath>

namespace infersave {
namespace {

double SumLine(double a0, double a1, int64_t c0, int64_t c1) {
  if (c1 < c0) return 0;
  const double count = static_cast<double>(c1 - c0 + 1);
  return a0 * count + a1 * (static_cast<double>(c0) + static_cast<double>(c1)) * count / 2;
}

// Time of one operator: the slower of its compute and its memory traffic.
inline double Roof(double flops, double flop_rate, double bytes, double byte_rate) {
  return std::max(flops / flop_rate, bytes / byte_rate);
}

}  // namespace

double SumMaxOfLines(double a0, double a1, double b0, double b1, int64_t c0, int64_t c1) {
  if (c1 < c0) return 0;
  if (a1 == b1) return SumLine(std::max(a0, b0), a1, c0, c1);
  // The lines cross once, at x; below it one dominates, above it the other.
  const double x = (b0 - a0) / (a1 - b1);
  const bool a_wins_low = a1 < b1;  // the flatter line wins for small c
  int64_t split;
  if (x < static_cast<double>(c0)) {
    split = c0 - 1;
  } else if (x >= static_cast<double>(c1)) {
    split = c1;
  } else {
    split = static_cast<int64_t>(std::floor(x));
  }
  const double low = a_wins_low ? SumLine(a0, a1, c0, split) : SumLine(b0, b1, c0, split);
  const double high = a_wins_low ? SumLine(b0, b1, split + 1, c1) : SumLine(a0, a1, split + 1, c1);
  return low + high;
}

Timing RooflineModel::Predict(const PredictInput& in) const {
  const ModelConfig& m = *in.model;
  const Workload& w = *in.workload;
  const GpuSpec& gpu = *in.gpu;
  const EngineProfile& e = *in.engine;

  const double bw = BytesPerWeight(w.weight_precision);
  const double bkv = BytesPerValue(w.kv_precision);
  constexpr double ba = 2;  // 16-bit activations
  const double peak = gpu.Flops(ComputePrecision(w.weight_precision));
  const double flops_pre = peak * e.prefill_compute_efficiency;
  const double flops_dec = peak * e.decode_compute_efficiency;
  const double hbm = gpu.memory_bytes_per_s * e.memory_efficiency;
  const double h2d = gpu.h2d_bytes_per_s * e.host_link_efficiency;
  const double d2h = gpu.d2h_bytes_per_s * e.host_link_efficiency;

  // Per GPU of a replica split `tp` ways: heads, MLP columns and vocabulary
  // are divided; the hidden state is replicated.
  const int tp = std::max(1, in.tp);
  const double shards = static_cast<double>(tp);
  const double n = static_cast<double>(m.num_layers);
  const double h = static_cast<double>(m.hidden_size);
  const double q = static_cast<double>(m.q_width()) / shards;
  const double kv = static_cast<double>(KvHeadsPerGpu(m, tp) * m.head_dim);
  const double ffn = static_cast<double>(m.intermediate_size) / shards;
  const double heads = static_cast<double>(m.num_heads) / shards;
  const double dh = static_cast<double>(m.head_dim);
  const double vocab = static_cast<double>(m.vocab_size) / shards;
  const double bs = static_cast<double>(w.batch_size);
  const double lin = static_cast<double>(w.input_len);
  const double experts = static_cast<double>(m.num_experts);
  const double k_active = static_cast<double>(m.experts_per_token);
  const double mats = m.gated_mlp ? 3 : 2;

  // Weight bytes of the layer's linear operators (method.md section 4, fix 4):
  // attention projections, and the MLP experts a pass touches. With N tokens
  // each choosing k of E experts, E (1 - (1 - k/E)^N) distinct experts are read.
  const double expert_bytes = mats * h * ffn * bw;
  auto mlp_weight_bytes = [&](double tokens) {
    if (experts <= 1) return expert_bytes;
    const double touched = experts * (1 - std::pow(1 - k_active / experts, tokens));
    return touched * expert_bytes + h * experts * bw;  // + router
  };

  // Linear operators and elementwise work of one layer for N tokens: QKV and
  // O projections, MLP, norms/residuals/activation (memory only), and under
  // tensor parallelism the two all-reduces of the hidden state (after the O
  // projection and after the MLP), which do not overlap computation.
  auto linear_layer_time = [&](double tokens, double flop_rate) {
    const double qkv = Roof(2 * tokens * h * (q + 2 * kv), flop_rate,
                            h * (q + 2 * kv) * bw + tokens * (h + q + 2 * kv) * ba, hbm);
    const double o = Roof(2 * tokens * q * h, flop_rate,
                          q * h * bw + tokens * (q + h) * ba, hbm);
    const double allreduce = 2 * AllReduceSeconds(tokens * h * ba, tp, in.link_bytes_per_s, e);
    const double mlp = Roof(2 * tokens * h * ffn * mats * k_active, flop_rate,
                            mlp_weight_bytes(tokens) + tokens * (2 * h + mats * ffn * k_active) * ba, hbm);
    const double elementwise = tokens * 8 * h * ba / hbm;
    // Four GEMM launches (QKV, O, MLP in, MLP out) each cost a few
    // microseconds beyond their roofline time (Vidur's small GEMMs).
    return qkv + o + mlp + elementwise + allreduce + 4 * e.kernel_latency_s;
  };
  // The LM head, for the last position of every sequence.
  const double lm_head = Roof(2 * bs * h * vocab, flops_dec, vocab * h * bw + bs * vocab * 4, hbm);

  // ---- Prefill: the BS prompts, in chunks of the engine's token budget.
  const double prompt_tokens = bs * lin;
  const double passes = e.prefill_chunk_tokens > 0
                            ? std::ceil(prompt_tokens / static_cast<double>(e.prefill_chunk_tokens))
                            : 1.0;
  const double chunk = prompt_tokens / passes;
  // Attention over the prompt: QK^T and PV, 2 FLOPs per MAC; fused kernels do
  // the causal half and never write the L x L scores.
  const double causal = e.fused_attention ? 0.5 : 1.0;
  const double attn_pre_flops = 4 * bs * heads * dh * lin * lin * causal;
  double attn_pre_bytes = 2 * bs * lin * kv * bkv + 2 * bs * lin * q * ba;
  if (!e.fused_attention) attn_pre_bytes += 4 * bs * heads * lin * lin * ba;
  const double attn_pre = Roof(attn_pre_flops, flops_pre, attn_pre_bytes, hbm) + e.kernel_latency_s;
  const double prefill_uncal = passes * (n * (linear_layer_time(chunk, flops_pre) + e.layer_overhead_s) +
                                         e.step_overhead_s) +
                               n * attn_pre + lm_head;

  Timing t;
  const double kv_bytes_per_token = 2 * kv * bkv * n;  // all layers, one sequence
  t.prefill_compute_s = in.ctcf.prefill.Apply(prefill_uncal);
  // Streamed weights cross the host link once per forward pass.
  const double streamed_weight_bytes = in.weight_offload_ratio * static_cast<double>(in.params->total) *
                                       BytesPerWeight(w.weight_precision) / shards;
  t.prefill_offload_write_s = in.offload_ratio * bs * lin * kv_bytes_per_token / d2h + passes * streamed_weight_bytes / h2d;
  t.prefill_s = e.overlap_prefill_offload ? std::max(t.prefill_compute_s, t.prefill_offload_write_s)
                                          : t.prefill_compute_s + t.prefill_offload_write_s;

  // ---- Decode: one token per sequence per step; the attention reads the KV
  // of the whole context c, which grows from L_in + 1 to L_in + L_out - 1
  // (fix 3). Step time is linear in c: D0 + D1 c.
  const double d0 = n * (linear_layer_time(bs, flops_dec) + e.layer_overhead_s + e.kernel_latency_s) + lm_head +
                    e.step_overhead_s;
  const double d1 = n * Roof(4 * bs * heads * dh, flops_dec, 2 * bs * kv * bkv, hbm);
  // CTCF on the step's computation: alpha (D0 + D1 c) + beta.
  const double a0 = in.ctcf.decode.alpha * d0 + in.ctcf.decode.beta_s;
  const double a1 = in.ctcf.decode.alpha * d1;
  // Offloaded KV: C_off of the context is read over the host link every step,
  // and the new token's share written back.
  const double f1 = in.offload_ratio * bs * kv_bytes_per_token / h2d;
  const double f0 = in.offload_ratio * bs * kv_bytes_per_token / d2h + streamed_weight_bytes / h2d;

  t.decode_steps = w.output_len - 1;
  const int64_t c0 = w.input_len + 1;
  const int64_t c1 = w.input_len + w.output_len - 1;
  auto step_at = [&](double c) {
    return e.overlap_decode_offload ? std::max(a0 + a1 * c, f0 + f1 * c) : a0 + a1 * c + f0 + f1 * c;
  };
  if (t.decode_steps > 0) {
    t.decode_total_s = e.overlap_decode_offload ? SumMaxOfLines(a0, a1, f0, f1, c0, c1)
                                                : SumLine(a0 + f0, a1 + f1, c0, c1);
    t.decode_fetch_total_s = SumLine(f0, f1, c0, c1);
    t.decode_first_step_s = step_at(static_cast<double>(c0));
    t.decode_last_step_s = step_at(static_cast<double>(c1));
  }
  t.total_s = t.prefill_s + t.decode_total_s;
  return t;
}

}  // namespace infersave
