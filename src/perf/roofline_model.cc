#include "perf/roofline_model.h"

#include "perf/roofline_terms.h"

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

RooflineTerms::RooflineTerms(const PredictInput& in) : e_(*in.engine) {
  const ModelConfig& m = *in.model;
  const Workload& w = *in.workload;
  const GpuSpec& gpu = *in.gpu;

  bw_ = BytesPerWeight(w.weight_precision);
  bkv_ = BytesPerValue(w.kv_precision);
  const double peak = gpu.Flops(ComputePrecision(w.weight_precision));
  flops_pre_ = peak * e_.prefill_compute_efficiency;
  flops_dec_ = peak * e_.decode_compute_efficiency;
  hbm_ = gpu.memory_bytes_per_s * e_.memory_efficiency;
  h2d_ = gpu.h2d_bytes_per_s * e_.host_link_efficiency;
  d2h_ = gpu.d2h_bytes_per_s * e_.host_link_efficiency;

  // Per GPU of a replica split `tp` ways: heads, MLP columns and vocabulary
  // are divided; the hidden state is replicated.
  tp_ = std::max(1, in.tp);
  link_bytes_per_s_ = in.link_bytes_per_s;
  const double shards = static_cast<double>(tp_);
  n_ = static_cast<double>(m.num_layers);
  h_ = static_cast<double>(m.hidden_size);
  q_ = static_cast<double>(m.q_width()) / shards;
  kv_ = static_cast<double>(KvHeadsPerGpu(m, tp_) * m.head_dim);
  ffn_ = static_cast<double>(m.intermediate_size) / shards;
  heads_ = static_cast<double>(m.num_heads) / shards;
  dh_ = static_cast<double>(m.head_dim);
  vocab_ = static_cast<double>(m.vocab_size) / shards;
  experts_ = static_cast<double>(m.num_experts);
  k_active_ = static_cast<double>(m.experts_per_token);
  mats_ = m.gated_mlp ? 3 : 2;
  streamed_weight_bytes_ = in.weight_offload_ratio * static_cast<double>(in.params->total) * bw_ / shards;
}

// Weight bytes of the MLP a pass touches (method.md section 4, fix 4): with
// N tokens each choosing k of E experts, E (1 - (1 - k/E)^N) distinct experts
// are read.
double RooflineTerms::MlpWeightBytes(double tokens) const {
  const double expert_bytes = mats_ * h_ * ffn_ * bw_;
  if (experts_ <= 1) return expert_bytes;
  const double touched = experts_ * (1 - std::pow(1 - k_active_ / experts_, tokens));
  return touched * expert_bytes + h_ * experts_ * bw_;  // + router
}

double RooflineTerms::LinearLayer(double tokens, double flop_rate) const {
  constexpr double ba = 2;  // 16-bit activations
  const double qkv = Roof(2 * tokens * h_ * (q_ + 2 * kv_), flop_rate,
                          h_ * (q_ + 2 * kv_) * bw_ + tokens * (h_ + q_ + 2 * kv_) * ba, hbm_);
  const double o = Roof(2 * tokens * q_ * h_, flop_rate, q_ * h_ * bw_ + tokens * (q_ + h_) * ba, hbm_);
  // Under tensor parallelism, two all-reduces of the hidden state (after the
  // O projection and after the MLP), which do not overlap computation.
  const double allreduce = 2 * AllReduceSeconds(tokens * h_ * ba, tp_, link_bytes_per_s_, e_);
  const double mlp = Roof(2 * tokens * h_ * ffn_ * mats_ * k_active_, flop_rate,
                          MlpWeightBytes(tokens) + tokens * (2 * h_ + mats_ * ffn_ * k_active_) * ba, hbm_);
  const double elementwise = tokens * 8 * h_ * ba / hbm_;
  // Four GEMM launches (QKV, O, MLP in, MLP out) each cost a few
  // microseconds beyond their roofline time (Vidur's small GEMMs).
  return qkv + o + mlp + elementwise + allreduce + 4 * e_.kernel_latency_s;
}

double RooflineTerms::PrefillAttentionLayer(double tokens, double pairs) const {
  constexpr double ba = 2;
  // QK^T and PV: 2 MACs of head_dim per pair and head, 2 FLOPs per MAC.
  const double computed_pairs = e_.fused_attention ? pairs : 2 * pairs;
  const double flops = 4 * heads_ * dh_ * computed_pairs;
  double bytes = 2 * tokens * kv_ * bkv_ + 2 * tokens * q_ * ba;
  if (!e_.fused_attention) bytes += 4 * heads_ * computed_pairs * ba;  // scores written and read
  return Roof(flops, flops_pre_, bytes, hbm_) + e_.kernel_latency_s;
}

double RooflineTerms::DecodeAttentionLayer(double context_tokens) const {
  return Roof(4 * heads_ * dh_ * context_tokens, flops_dec_, 2 * context_tokens * kv_ * bkv_, hbm_);
}

double RooflineTerms::LmHead(double rows) const {
  return Roof(2 * rows * h_ * vocab_, flops_dec_, vocab_ * h_ * bw_ + rows * vocab_ * 4, hbm_);
}

Timing RooflineModel::Predict(const PredictInput& in) const {
  const Workload& w = *in.workload;
  const EngineProfile& e = *in.engine;
  const RooflineTerms terms(in);
  const double n = terms.layers();
  const double bs = static_cast<double>(w.batch_size);
  const double lin = static_cast<double>(w.input_len);
  const double flops_pre = terms.prefill_flop_rate();
  const double flops_dec = terms.decode_flop_rate();
  const double lm_head = terms.LmHead(bs);  // the last position of every sequence

  // ---- Prefill: the BS prompts, in chunks of the engine's token budget.
  const double prompt_tokens = bs * lin;
  const double passes = e.prefill_chunk_tokens > 0
                            ? std::ceil(prompt_tokens / static_cast<double>(e.prefill_chunk_tokens))
                            : 1.0;
  const double chunk = prompt_tokens / passes;
  // Attention over the prompt: L (L + 1) / 2 causal pairs per sequence,
  // taken as L^2 / 2.
  const double attn_pre = terms.PrefillAttentionLayer(prompt_tokens, bs * lin * lin / 2);
  const double prefill_uncal = passes * (n * (terms.LinearLayer(chunk, flops_pre) + e.layer_overhead_s) +
                                         e.step_overhead_s) +
                               n * attn_pre + lm_head;

  Timing t;
  const double kv_bytes_per_token = terms.KvBytesPerToken();  // all layers, one sequence
  t.prefill_compute_s = in.ctcf.prefill.Apply(prefill_uncal);
  // Streamed weights cross the host link once per forward pass.
  const double streamed_weight_bytes = terms.StreamedWeightBytes();
  const double h2d = terms.h2d_bytes_per_s();
  const double d2h = terms.d2h_bytes_per_s();
  t.prefill_offload_write_s = in.offload_ratio * bs * lin * kv_bytes_per_token / d2h + passes * streamed_weight_bytes / h2d;
  t.prefill_s = e.overlap_prefill_offload ? std::max(t.prefill_compute_s, t.prefill_offload_write_s)
                                          : t.prefill_compute_s + t.prefill_offload_write_s;

  // ---- Decode: one token per sequence per step; the attention reads the KV
  // of the whole context c, which grows from L_in + 1 to L_in + L_out - 1
  // (fix 3). Step time is linear in c: D0 + D1 c.
  const double d0 = n * (terms.LinearLayer(bs, flops_dec) + e.layer_overhead_s + e.kernel_latency_s) + lm_head +
                    e.step_overhead_s;
  const double d1 = n * terms.DecodeAttentionLayer(bs);
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
