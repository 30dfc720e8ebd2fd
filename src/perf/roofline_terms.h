// The per-operator roofline terms of one model replica on one GPU (method.md
// section 4), shared by the static-batch prediction (RooflineModel::Predict)
// and the continuous-batching iteration time (serving.h's IterationTimer), so
// that both price a token the same way.
#pragma once

#include "infersave/perf.h"

namespace infersave {

class RooflineTerms {
 public:
  // Reads the model, GPU, engine, formats, tensor-parallel degree and link of
  // `in`; the workload's lengths and batch size are not used.
  explicit RooflineTerms(const PredictInput& in);

  // One layer's linear operators and elementwise work for `tokens` rows: QKV
  // and O projections, MLP (the experts N tokens touch), norms, residuals
  // and activation (memory only), the two tensor-parallel all-reduces of the
  // hidden state and four GEMM launch latencies.
  double LinearLayer(double tokens, double flop_rate) const;
  // One layer's prefill attention over `tokens` query rows that see `pairs`
  // causal (query, key) pairs in all; fused kernels compute only those pairs
  // and never write the scores, unfused ones compute and write the whole
  // square (2 x pairs). Includes one kernel launch.
  double PrefillAttentionLayer(double tokens, double pairs) const;
  // One layer's decode attention for a step whose sequences hold
  // `context_tokens` tokens of KV in all: QK^T and PV over every cached
  // token. Linear in the context.
  double DecodeAttentionLayer(double context_tokens) const;
  // The LM head for `rows` sampled positions.
  double LmHead(double rows) const;
  // Bytes of streamed weights (weight offloading) per GPU, read over the host
  // link once per forward pass.
  double StreamedWeightBytes() const { return streamed_weight_bytes_; }
  // KV bytes of one token over all layers, per GPU.
  double KvBytesPerToken() const { return 2 * kv_ * bkv_ * n_; }

  double layers() const { return n_; }
  double prefill_flop_rate() const { return flops_pre_; }
  double decode_flop_rate() const { return flops_dec_; }
  double h2d_bytes_per_s() const { return h2d_; }
  double d2h_bytes_per_s() const { return d2h_; }
  const EngineProfile& engine() const { return e_; }

 private:
  double MlpWeightBytes(double tokens) const;

  const EngineProfile& e_;
  int tp_ = 1;
  double link_bytes_per_s_ = 0;
  double bw_ = 2, bkv_ = 2;
  double flops_pre_ = 0, flops_dec_ = 0, hbm_ = 0, h2d_ = 0, d2h_ = 0;
  double n_ = 0, h_ = 0, q_ = 0, kv_ = 0, ffn_ = 0, heads_ = 0, dh_ = 0, vocab_ = 0;
  double experts_ = 0, k_active_ = 0, mats_ = 2;
  double streamed_weight_bytes_ = 0;
};

}  // namespace infersave
