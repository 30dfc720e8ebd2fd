#include "perf/paper_model.h"

#include <algorithm>

namespace infersave {

// Paper Section IV-D, per layer, with 2 FLOPs per multiply-add. FLOPS_GPU is
// the GPU table's FP32 rate, because the values the paper lists (T4 8.24,
// L4 30.29, ...) are FP32 CUDA-core peaks (method.md section 4, weakness 2).
// The decode transfer keeps the printed "+ L_out" term, which is not scaled by
// C_off (the authors' script uses "+ 2" instead); see docs/model.md.
Timing PaperModel::Predict(const PredictInput& in) const {
  const ModelConfig& m = *in.model;
  const Workload& w = *in.workload;
  const GpuSpec& gpu = *in.gpu;
  const double bs = static_cast<double>(w.batch_size);
  const double lin = static_cast<double>(w.input_len);
  const double lout = static_cast<double>(w.output_len);
  const double h1 = static_cast<double>(m.hidden_size);
  const double h2 = static_cast<double>(m.intermediate_size);
  const double n = static_cast<double>(m.num_layers);
  const double b = BytesPerValue(w.kv_precision);
  const double flops = gpu.Flops(Precision::kFp32);
  const double c_off = in.offload_ratio;

  // Eq. 5: prefill compute and the write of the offloaded KV (overlapped).
  const double pre_compute = bs * (8 * lin * h1 * h1 + 4 * lin * h1 * h2) / flops +
                             4 * bs * lin * lin * h1 / flops;
  const double pre_write = c_off * (2 * (lin + 1) * h1 * b) * bs / gpu.d2h_bytes_per_s;
  // Eq. 6: decode compute at the mean context, then the fetch (serial).
  const double dec_compute = bs * (8 * h1 * h1 + 4 * h1 * h2) / flops + 4 * bs * (lin + lout / 2) * h1 / flops;
  const double dec_fetch = (c_off * 2 * (lin + 1) + lout) * h1 * b * bs / gpu.h2d_bytes_per_s;

  // CTCF (eq. 7) applies to the computation of a whole pass: n layers.
  Timing t;
  t.prefill_compute_s = in.ctcf.prefill.Apply(n * pre_compute);
  t.prefill_offload_write_s = n * pre_write;
  t.prefill_s = std::max(t.prefill_compute_s, t.prefill_offload_write_s);
  const double step = in.ctcf.decode.Apply(n * dec_compute) + n * dec_fetch;
  t.decode_steps = w.output_len - 1;
  t.decode_first_step_s = t.decode_steps > 0 ? step : 0;
  t.decode_last_step_s = t.decode_first_step_s;
  t.decode_total_s = step * static_cast<double>(t.decode_steps);
  t.decode_fetch_total_s = n * dec_fetch * static_cast<double>(t.decode_steps);
  t.total_s = t.prefill_s + t.decode_total_s;  // eq. 4
  return t;
}

}  // namespace infersave
