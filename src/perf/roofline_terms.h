// The per-operator roofline terms of one model replica on one GPU (method.md
// section 4), shared by the static-batch prediction (RooflineModel::Predict)
// and the continuous-batching iteration time (serving.h's IterationTimer), so
// that both price a token the same way.
#pragma once

#include "infersave/memory.h"
#include "infersave/perf.h"

namespace infersave {

class RooflineTerms {
 public:
  // Reads the model, GPU, engine, formats, tensor-parallel degree and link of
  // `in`; the workload's lengths and batch size are not used.
  explicit RooflineTerms(const PredictInput& in);

  enum class Pass { kPrefill, kDecode };

  // Every layer's linear operators and elementwise work for `tokens` rows:
  // attention projections (QKV and O, or MLA's), the MLP (dense layers, or
  // the experts N tokens touch plus shared experts), norms, residuals and
  // activation (memory only), the two tensor-parallel all-reduces of the
  // hidden state and four GEMM launch latencies per layer.
  double LinearLayers(double tokens, Pass phase) const;
  // Prefill attention of every layer over `tokens` query rows that see
  // `full_pairs` causal (query, key) pairs in a full-attention layer and
  // `window_pairs` in a windowed one; fused kernels compute only those pairs
  // and never write the scores, unfused ones compute and write the whole
  // square (2 x pairs). Includes one kernel launch per layer.
  double PrefillAttention(double tokens, double full_pairs, double window_pairs) const;
  // Decode attention of every layer for a step whose sequences attend to
  // `full_context` tokens in all in a full-attention layer and
  // `window_context` in a windowed one. Linear in each.
  double DecodeAttention(double full_context, double window_context) const;
  // The LM head for `rows` sampled positions.
  double LmHead(double rows) const;
  // Bytes of streamed weights (weight offloading) per GPU, read over the host
  // link once per forward pass.
  double StreamedWeightBytes() const { return streamed_weight_bytes_; }
  // KV bytes of one token in one layer, per GPU.
  double KvBytesPerTokenLayer() const { return kv_token_layer_; }
  // KV bytes of one token over all layers as if every layer were full
  // attention, per GPU (the unit of the simulator's KV blocks).
  double KvBytesPerToken() const { return kv_token_layer_ * n_; }
  double full_layers() const { return n_full_; }
  double windowed_layers() const { return n_win_; }

  double layers() const { return n_; }
  double h2d_bytes_per_s() const { return h2d_; }
  double d2h_bytes_per_s() const { return d2h_; }
  const EngineProfile& engine() const { return e_; }

 private:
  double MoeWeightBytes(double tokens) const;
  double Rate(bool quantised, Pass phase) const;

  const EngineProfile& e_;
  int tp_ = 1;
  double link_bytes_per_s_ = 0;
  bool peer_to_peer_ = true;
  WeightBytesPerParam wb_;
  double bkv_ = 2;
  double peak_quant_ = 0, peak_base_ = 0, hbm_ = 0, peak_hbm_ = 0, h2d_ = 0, d2h_ = 0;
  double n_ = 0, n_full_ = 0, n_win_ = 0, n_dense_ = 0, n_moe_ = 0;
  double h_ = 0, vocab_ = 0, mats_ = 2;
  // Attention, per GPU: projection weights in (QKV, or MLA's Q and latent
  // paths) and out (O); activation widths; heads and per-head widths.
  double attn_in_params_ = 0, attn_out_params_ = 0, q_cols_ = 0, kv_cols_ = 0;
  double heads_ = 0, prefill_qk_ = 0, prefill_v_ = 0, decode_qk_ = 0, decode_v_ = 0;
  double kv_token_layer_ = 0;
  // MLP, per GPU: dense width, one expert's width, shared experts' width.
  double dense_ffn_ = 0, expert_ffn_ = 0, shared_ffn_ = 0, experts_ = 0, k_active_ = 0;
  double act_values_ = 0;  // MLP activation values moved per token and layer
  double streamed_weight_bytes_ = 0;
};

}  // namespace infersave
