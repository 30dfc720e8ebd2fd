// Shared pieces of the performance models.
#include "infersave/perf.h"

#include <fmt/format.h>

#include "io/text.h"
#include "perf/paper_model.h"
#include "perf/roofline_model.h"

namespace infersave {

std::string_view PerfModelName(PerfModelKind kind) {
  return kind == PerfModelKind::kPaper ? "paper" : "roofline";
}

Result<PerfModelKind> ParsePerfModel(std::string_view text) {
  std::string t = io::ToLower(io::Trim(text));
  if (t == "paper") return PerfModelKind::kPaper;
  if (t == "roofline") return PerfModelKind::kRoofline;
  return InvalidArgument(fmt::format("unknown performance model {} (expected 'roofline' or 'paper')", io::Quote(text)));
}

double Timing::decode_s_per_token() const {
  return decode_steps > 0 ? decode_total_s / static_cast<double>(decode_steps) : 0.0;
}

double Timing::tokens_per_s(const Workload& w) const {
  return total_s > 0 ? static_cast<double>(w.batch_size * w.context_len()) / total_s : 0.0;
}

double Timing::output_tokens_per_s(const Workload& w) const {
  return total_s > 0 ? static_cast<double>(w.batch_size * w.output_len) / total_s : 0.0;
}

double AllReduceSeconds(double bytes, int tp, double link_bytes_per_s, const EngineProfile& engine,
                        bool peer_to_peer) {
  if (tp <= 1) return 0;
  const double share = 2.0 * (tp - 1) / tp;
  // The fixed cost grows with the GPUs taking part (Vidur's DGX H100
  // all-reduces of small messages: 24, 28 and 35 us at 2, 4 and 8 GPUs).
  double latency = engine.collective_latency_s + engine.collective_latency_per_gpu_s * (tp - 2);
  double efficiency = engine.collective_efficiency;
  if (!peer_to_peer) {
    // Staged through host memory: every byte is copied to a host buffer and
    // read back by the next GPU of the ring.
    latency *= engine.host_staged_latency_factor;
    efficiency = engine.host_staged_collective_efficiency;
  }
  return latency + share * bytes / (link_bytes_per_s * efficiency);
}

double GpuLinkBytesPerSecond(const GpuSpec& gpu) {
  // NVLink and AMD's xGMI are quoted as total bidirectional bandwidth per
  // GPU (data/README.md); PCIe per direction.
  const bool bidirectional = gpu.gpu_link.rfind("NVLink", 0) == 0 || gpu.gpu_link == "xGMI";
  const double quoted = gpu.gpu_link_bytes_per_s > 0 ? gpu.gpu_link_bytes_per_s : gpu.h2d_bytes_per_s;
  return bidirectional ? quoted / 2 : quoted;
}

std::unique_ptr<PerfModel> MakePerfModel(PerfModelKind kind) {
  if (kind == PerfModelKind::kPaper) return std::make_unique<PaperModel>();
  return std::make_unique<RooflineModel>();
}

}  // namespace infersave
