// Performance prediction (paper eqs. 1, 4-7; method.md section 4): prefill
// time, decode time per token and throughput of one model replica on one GPU.
#pragma once

#include <memory>
#include <string_view>

#include "infersave/calibration.h"
#include "infersave/engine.h"
#include "infersave/hardware.h"
#include "infersave/memory.h"
#include "infersave/model.h"
#include "infersave/workload.h"

namespace infersave {

enum class PerfModelKind {
  kPaper,     // eqs. 4-6 exactly as the paper states them
  kRoofline,  // per-operator roofline, growing context, GQA/MoE aware (default)
};
std::string_view PerfModelName(PerfModelKind kind);
Result<PerfModelKind> ParsePerfModel(std::string_view text);

// CTCF for one phase: calibrated = alpha x uncalibrated + beta_s (eq. 7).
// Identity unless `calibrated`.
struct PhaseCtcf {
  double alpha = 1;
  double beta_s = 0;
  bool calibrated = false;
  int points = 0;               // measurements the fit used
  double median_ape_pct = -1;   // its cross-validated error; < 0 unknown
  std::string carried_from;     // the same-silicon GPU the fit was made on, when not this one
  double Apply(double t) const { return alpha * t + beta_s; }
};

struct Ctcf {
  PhaseCtcf prefill;
  PhaseCtcf decode;
  // Whether either phase was calibrated.
  bool calibrated() const { return prefill.calibrated || decode.calibrated; }
};

// Predicted times for one batch of BS requests on one replica.
struct Timing {
  double prefill_s = 0;               // all BS prompts, through every layer (batch TTFT)
  double prefill_compute_s = 0;       // of which computation (after CTCF)
  double prefill_offload_write_s = 0; // host-link transfers: offloaded KV written, streamed weights read
  double decode_total_s = 0;          // all L_out - 1 decode steps
  double decode_first_step_s = 0;     // step at context L_in + 1
  double decode_last_step_s = 0;      // step at context L_in + L_out - 1
  double decode_fetch_total_s = 0;    // host-link transfers (offloaded KV, streamed weights), all steps
  double total_s = 0;                 // T_E2E = prefill + decode
  int64_t decode_steps = 0;           // L_out - 1 (the prefill yields the first token)
  double decode_s_per_token() const;  // mean step time (0 when L_out = 1)
  // Eq. 1: BS x (L_in + L_out) / T_E2E, input and output tokens.
  double tokens_per_s(const Workload& w) const;
  double output_tokens_per_s(const Workload& w) const;
};

// Everything a prediction needs about one replica's placement.
struct PredictInput {
  const ModelConfig* model = nullptr;
  const ParameterCount* params = nullptr;
  const Workload* workload = nullptr;
  const GpuSpec* gpu = nullptr;
  const EngineProfile* engine = nullptr;
  double offload_ratio = 0;  // C_off
  // Fraction of the weights streamed from CPU memory every forward pass.
  double weight_offload_ratio = 0;
  Ctcf ctcf;
  // Tensor parallelism: the replica is split over `tp` GPUs that all-reduce
  // twice per layer over a link of `link_bytes_per_s` per direction.
  int tp = 1;
  double link_bytes_per_s = 0;
  bool peer_to_peer = true;  // false: collectives go through host memory
};

// Time of one ring all-reduce of `bytes` over `tp` GPUs (method.md section 8):
// latency + 2 (tp - 1) / tp x bytes / (link x efficiency). Checked against
// Vidur's measured all-reduces (docs/model.md). Without peer-to-peer access
// the engine's host-staged efficiency and latency factor apply.
double AllReduceSeconds(double bytes, int tp, double link_bytes_per_s, const EngineProfile& engine,
                        bool peer_to_peer = true);

// The per-direction GPU-to-GPU bandwidth of a GPU: half the vendor's
// bidirectional NVLink or xGMI figure, or the PCIe figure as given.
double GpuLinkBytesPerSecond(const GpuSpec& gpu);

class PerfModel {
 public:
  virtual ~PerfModel() = default;
  virtual PerfModelKind kind() const = 0;
  // The memory formulas that go with this model.
  virtual MemoryStyle memory_style() const = 0;
  // Pure function of its input; never fails (inputs are validated upstream).
  virtual Timing Predict(const PredictInput& in) const = 0;
};

std::unique_ptr<PerfModel> MakePerfModel(PerfModelKind kind);

}  // namespace infersave
