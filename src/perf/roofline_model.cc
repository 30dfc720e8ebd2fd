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

  wb_ = WeightFormat(m, w.weight_precision);
  bkv_ = BytesPerValue(w.kv_precision);
  // Quantised layers run in the format's compute precision (FP8 W8A8, FP4 on
  // Blackwell, or weight-only dequantised to 16 bits); the others in 16 bits.
  // Sustained, not datasheet, tensor throughput: the GPU's measured matmul
  // fraction relative to the H100 SXM the engine efficiencies describe.
  const Precision compute = ComputePrecision(w.weight_precision, gpu);
  peak_quant_ = gpu.Flops(compute) * gpu.TensorScale(compute);
  const bool quantised = wb_.attention_quantized || wb_.dense_mlp_quantized || wb_.experts_quantized;
  peak_base_ = quantised ? std::max(gpu.Flops(Precision::kFp16), gpu.Flops(Precision::kBf16)) *
                               gpu.TensorScale(Precision::kBf16)
                         : peak_quant_;
  hbm_ = gpu.memory_bytes_per_s * e_.memory_efficiency;
  peak_hbm_ = gpu.memory_bytes_per_s;
  h2d_ = gpu.h2d_bytes_per_s * e_.host_link_efficiency;
  d2h_ = gpu.d2h_bytes_per_s * e_.host_link_efficiency;

  // Per GPU of a replica split `tp` ways: heads, MLP columns and vocabulary
  // are divided; the hidden state is replicated.
  tp_ = std::max(1, in.tp);
  link_bytes_per_s_ = in.link_bytes_per_s;
  peer_to_peer_ = in.peer_to_peer;
  const double shards = static_cast<double>(tp_);
  n_ = static_cast<double>(m.num_layers);
  n_win_ = static_cast<double>(m.windowed_layers);
  n_full_ = n_ - n_win_;
  n_moe_ = static_cast<double>(m.moe_layers);
  n_dense_ = n_ - n_moe_;
  h_ = static_cast<double>(m.hidden_size);
  heads_ = static_cast<double>(m.num_heads) / shards;
  vocab_ = static_cast<double>(m.vocab_size) / shards;
  kv_token_layer_ = infersave::KvBytesPerTokenLayer(m, tp_, bkv_);
  if (m.attention == AttentionKind::kLatent) {
    // MLA as vLLM runs it: prefill expands the latent into per-head K (no
    // rope + rope) and V and runs ordinary attention; decode absorbs the
    // up-projections into the query and output, and attends over the cached
    // latent directly (MQA-like: kv_lora_rank + rope for QK, kv_lora_rank for PV).
    const double qk = static_cast<double>(m.qk_head_dim());
    const double nope = static_cast<double>(m.qk_nope_head_dim);
    const double rope = static_cast<double>(m.qk_rope_head_dim);
    const double lora = static_cast<double>(m.kv_lora_rank);
    const double qlora = static_cast<double>(m.q_lora_rank);
    const double v = static_cast<double>(m.v_head_dim);
    const double q_proj = qlora > 0 ? h_ * qlora + qlora * heads_ * qk : h_ * heads_ * qk;
    attn_in_params_ = q_proj + h_ * (lora + rope) + lora * heads_ * (nope + v);
    attn_out_params_ = heads_ * v * h_;
    q_cols_ = heads_ * qk;
    kv_cols_ = heads_ * (qk + v);
    prefill_qk_ = qk;
    prefill_v_ = v;
    decode_qk_ = lora + rope;
    decode_v_ = lora;
  } else {
    const double q = static_cast<double>(m.q_width()) / shards;
    const double kv = static_cast<double>(KvHeadsPerGpu(m, tp_) * m.head_dim);
    attn_in_params_ = h_ * (q + 2 * kv);
    attn_out_params_ = q * h_;
    q_cols_ = q;
    kv_cols_ = 2 * kv;
    prefill_qk_ = prefill_v_ = decode_qk_ = decode_v_ = static_cast<double>(m.head_dim);
  }
  dense_ffn_ = static_cast<double>(m.intermediate_size) / shards;
  expert_ffn_ = static_cast<double>(m.moe_intermediate_size) / shards;
  shared_ffn_ = static_cast<double>(m.shared_expert_intermediate_size) / shards;
  experts_ = static_cast<double>(m.num_experts);
  k_active_ = static_cast<double>(m.experts_per_token);
  mats_ = m.gated_mlp ? 3 : 2;
  // Activation values the MLP's elementwise kernel moves per token, averaged
  // over the layers: read gate and up (or the one input), write the product.
  const double act_per_width = m.gated_mlp ? 3 : 2;
  act_values_ = act_per_width * (n_dense_ * dense_ffn_ + n_moe_ * (expert_ffn_ * k_active_ + shared_ffn_)) / n_;
  streamed_weight_bytes_ =
      in.weight_offload_ratio * WeightBytes(m, *in.params, w.weight_precision) / shards;
}

double RooflineTerms::Rate(bool quantised, Pass phase) const {
  const double efficiency =
      phase == Pass::kPrefill ? e_.prefill_compute_efficiency : e_.decode_compute_efficiency;
  return (quantised ? peak_quant_ : peak_base_) * efficiency;
}

// Weight bytes of an MoE layer's experts a pass touches (method.md section
// 4, fix 4): with N tokens each choosing k of E experts, E (1 - (1 - k/E)^N)
// distinct experts are read; shared experts and the router always.
double RooflineTerms::MoeWeightBytes(double tokens) const {
  const double expert_bytes = mats_ * h_ * expert_ffn_ * wb_.experts;
  const double touched = experts_ * (1 - std::pow(1 - k_active_ / experts_, tokens));
  return touched * expert_bytes + mats_ * h_ * shared_ffn_ * wb_.experts + h_ * experts_ * wb_.other;
}

double RooflineTerms::LinearLayers(double tokens, Pass phase) const {
  constexpr double ba = 2;  // 16-bit activations
  const double attn_rate = Rate(wb_.attention_quantized, phase);
  const double qkv = Roof(2 * tokens * attn_in_params_, attn_rate,
                          attn_in_params_ * wb_.attention + tokens * (h_ + q_cols_ + kv_cols_) * ba, hbm_);
  const double o = Roof(2 * tokens * attn_out_params_, attn_rate,
                        attn_out_params_ * wb_.attention + tokens * (q_cols_ + h_) * ba, hbm_);
  // Under tensor parallelism, two all-reduces of the hidden state (after the
  // O projection and after the MLP), which do not overlap computation.
  const double allreduce = 2 * AllReduceSeconds(tokens * h_ * ba, tp_, link_bytes_per_s_, e_, peer_to_peer_);
  // Elementwise kernels, as fused engines run them: two residual-add +
  // RMSNorm passes (read x and the residual, write both: 8 h values), the
  // gated activation (read 2 x width, write width) and rotary embedding
  // (read and write Q and K). Vidur's measured norm, rope, activation and add
  // kernels (../shared/validation-data/vidur/*--mlp.csv, time_stats columns)
  // take these bytes at 30-60% of peak bandwidth unfused (docs/model.md).
  const double elementwise = tokens * (8 * h_ + act_values_ + 2 * (q_cols_ + kv_cols_ / 2)) * ba / hbm_;
  // Four GEMM launches (QKV, O, MLP in, MLP out) and the engine's elementwise
  // kernels each cost a few microseconds beyond their roofline time (Vidur's
  // small GEMMs and elementwise ops).
  const double launches = (4 + static_cast<double>(e_.elementwise_kernels)) * e_.kernel_latency_s;
  const double common = qkv + o + elementwise + allreduce + launches;
  double total = n_ * common;
  if (n_dense_ > 0) {
    const double dense = Roof(2 * tokens * h_ * dense_ffn_ * mats_, Rate(wb_.dense_mlp_quantized, phase),
                              mats_ * h_ * dense_ffn_ * wb_.dense_mlp + tokens * (2 * h_ + mats_ * dense_ffn_) * ba,
                              hbm_);
    total += n_dense_ * dense;
  }
  if (n_moe_ > 0) {
    const double width = expert_ffn_ * k_active_ + shared_ffn_;
    const double moe = Roof(2 * tokens * h_ * width * mats_, Rate(wb_.experts_quantized, phase),
                            MoeWeightBytes(tokens) + tokens * (2 * h_ + mats_ * width) * ba, hbm_);
    total += n_moe_ * moe;
  }
  return total;
}

double RooflineTerms::PrefillAttention(double tokens, double full_pairs, double window_pairs) const {
  constexpr double ba = 2;
  const double rate = Rate(false, Pass::kPrefill);
  auto layer = [&](double pairs) {
    // QK^T and PV: one MAC per pair, head and head dimension each, 2 FLOPs per MAC.
    const double computed_pairs = e_.fused_attention ? pairs : 2 * pairs;
    const double flops = 2 * heads_ * (prefill_qk_ + prefill_v_) * computed_pairs;
    double bytes = tokens * kv_token_layer_ + 2 * tokens * q_cols_ * ba;
    if (!e_.fused_attention) bytes += 4 * heads_ * computed_pairs * ba;  // scores written and read
    return Roof(flops, rate, bytes, hbm_) + e_.kernel_latency_s;
  };
  return n_full_ * (n_full_ > 0 ? layer(full_pairs) : 0) + n_win_ * (n_win_ > 0 ? layer(window_pairs) : 0);
}

double RooflineTerms::DecodeAttention(double full_context, double window_context) const {
  const double rate = Rate(false, Pass::kDecode);
  // Paged decode kernels read the KV cache below the streaming rate of the
  // weights (FlashAttention paged decode on H100: about 0.6 of peak once
  // the fixed cost of the call, decode_attention_latency_s, is taken out).
  const double kv_rate = peak_hbm_ * e_.decode_attention_efficiency;
  auto layer = [&](double context) {
    return Roof(2 * heads_ * (decode_qk_ + decode_v_) * context, rate, context * kv_token_layer_, kv_rate);
  };
  return n_full_ * layer(full_context) + n_win_ * layer(window_context);
}

double RooflineTerms::LmHead(double rows) const {
  return Roof(2 * rows * h_ * vocab_, Rate(false, Pass::kDecode), vocab_ * h_ * wb_.lm_head + rows * vocab_ * 4,
              hbm_);
}

Timing RooflineModel::Predict(const PredictInput& in) const {
  using Pass = RooflineTerms::Pass;
  const Workload& w = *in.workload;
  const EngineProfile& e = *in.engine;
  const ModelConfig& m = *in.model;
  const RooflineTerms terms(in);
  const double n = terms.layers();
  const double bs = static_cast<double>(w.batch_size);
  const double lin = static_cast<double>(w.input_len);
  const double lm_head = terms.LmHead(bs);  // the last position of every sequence

  // ---- Prefill: the BS prompts, in chunks of the engine's token budget.
  const double prompt_tokens = bs * lin;
  const double passes = e.prefill_chunk_tokens > 0
                            ? std::ceil(prompt_tokens / static_cast<double>(e.prefill_chunk_tokens))
                            : 1.0;
  const double chunk = prompt_tokens / passes;
  // Attention over the prompt: L (L + 1) / 2 causal pairs per sequence in a
  // full-attention layer, taken as L^2 / 2; a windowed layer's exact count.
  const double window_pairs = bs * CausalPairsUpTo(m.window_kind, m.window_tokens, w.input_len);
  const double attn_pre = terms.PrefillAttention(prompt_tokens, bs * lin * lin / 2, window_pairs);
  const double prefill_uncal =
      passes * (terms.LinearLayers(chunk, Pass::kPrefill) + n * e.layer_overhead_s + e.step_overhead_s) + attn_pre +
      lm_head + bs * e.per_sequence_step_s;  // each sequence samples its first token

  Timing t;
  const double kv_token_layer = terms.KvBytesPerTokenLayer();  // one token, one layer
  t.prefill_compute_s = in.ctcf.prefill.Apply(prefill_uncal);
  // Streamed weights cross the host link once per forward pass.
  const double streamed_weight_bytes = terms.StreamedWeightBytes();
  const double h2d = terms.h2d_bytes_per_s();
  const double d2h = terms.d2h_bytes_per_s();
  // The offloaded share of the prompt's KV is written out (windowed layers
  // keep only their window).
  const double prompt_kv = bs * KvBytesPerSequence(m, w.input_len, std::max(1, in.tp), BytesPerValue(w.kv_precision));
  t.prefill_offload_write_s = in.offload_ratio * prompt_kv / d2h + passes * streamed_weight_bytes / h2d;
  t.prefill_s = e.overlap_prefill_offload ? std::max(t.prefill_compute_s, t.prefill_offload_write_s)
                                          : t.prefill_compute_s + t.prefill_offload_write_s;

  // ---- Decode: one token per sequence per step; the attention reads the KV
  // of the whole context c, which grows from L_in + 1 to L_in + L_out - 1
  // (fix 3). Step time is linear in c, D0 + D1 c, while every layer sees the
  // whole context; past a window the windowed layers' share is a constant.
  const double d0 = terms.LinearLayers(bs, Pass::kDecode) + n * (e.layer_overhead_s + e.decode_attention_latency_s) + lm_head +
                    e.step_overhead_s + bs * e.per_sequence_step_s;
  const double full_slope = terms.DecodeAttention(bs, 0);
  const double window_slope = terms.DecodeAttention(0, bs);
  const double alpha = in.ctcf.decode.alpha;
  // Offloaded KV: C_off of the context is read over the host link every step,
  // and the new token's share written back.
  const double fetch_per_layer = in.offload_ratio * bs * kv_token_layer / h2d;
  const double f0_base = in.offload_ratio * bs * kv_token_layer * n / d2h + streamed_weight_bytes / h2d;

  t.decode_steps = w.output_len - 1;
  const int64_t c0 = w.input_len + 1;
  const int64_t c1 = w.input_len + w.output_len - 1;
  // The step's lines on a range of contexts: below the window (or without
  // one) every layer grows with c; above it the windowed layers attend to a
  // constant number of tokens.
  struct Lines {
    double a0, a1, f0, f1;
  };
  const bool windowed = m.windowed_layers > 0 && m.window_kind != WindowKind::kNone;
  const double beyond = windowed ? MeanAttendedTokens(m.window_kind, m.window_tokens, 1e300) : 0;
  auto lines = [&](bool past_window) {
    Lines l;
    const double win_c_slope = past_window ? 0 : 1;
    const double win_c_const = past_window ? beyond : 0;
    // CTCF on the step's computation: alpha (D0 + D1 c) + beta.
    l.a0 = alpha * (d0 + window_slope * win_c_const) + in.ctcf.decode.beta_s;
    l.a1 = alpha * (full_slope + window_slope * win_c_slope);
    l.f0 = f0_base + fetch_per_layer * terms.windowed_layers() * win_c_const;
    l.f1 = fetch_per_layer * (terms.full_layers() + terms.windowed_layers() * win_c_slope);
    return l;
  };
  auto step_at = [&](double c) {
    const Lines l = lines(windowed && c > static_cast<double>(m.window_tokens));
    return e.overlap_decode_offload ? std::max(l.a0 + l.a1 * c, l.f0 + l.f1 * c)
                                    : l.a0 + l.a1 * c + l.f0 + l.f1 * c;
  };
  auto add_range = [&](int64_t lo, int64_t hi, bool past_window) {
    if (hi < lo) return;
    const Lines l = lines(past_window);
    t.decode_total_s += e.overlap_decode_offload ? SumMaxOfLines(l.a0, l.a1, l.f0, l.f1, lo, hi)
                                                 : SumLine(l.a0 + l.f0, l.a1 + l.f1, lo, hi);
    t.decode_fetch_total_s += SumLine(l.f0, l.f1, lo, hi);
  };
  if (t.decode_steps > 0) {
    if (!windowed) {
      add_range(c0, c1, false);
    } else {
      add_range(c0, std::min(c1, m.window_tokens), false);
      add_range(std::max(c0, m.window_tokens + 1), c1, true);
    }
    t.decode_first_step_s = step_at(static_cast<double>(c0));
    t.decode_last_step_s = step_at(static_cast<double>(c1));
  }
  t.total_s = t.prefill_s + t.decode_total_s;
  return t;
}

}  // namespace infersave
