// The roofline's per-operator terms against Vidur's profiling (issue: say
// which term of the model is wrong, with evidence).
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "infersave/calibrate.h"

namespace infersave {
namespace {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

struct Bucket {
  std::vector<double> errors, measured, predicted;
};

std::vector<OperatorErrorRow> Collect(std::map<std::pair<std::string, std::string>, Bucket>& buckets) {
  std::vector<OperatorErrorRow> rows;
  for (auto& [key, b] : buckets) {
    rows.push_back(OperatorErrorRow{key.first, key.second.substr(2), ComputeErrorStats(b.errors), Median(b.measured),
                                    Median(b.predicted)});
  }
  return rows;
}

}  // namespace

std::vector<OperatorErrorRow> ValidateGemms(const std::vector<GemmMeasurement>& gemms, const GpuTable& gpus,
                                            const EngineProfile& engine) {
  // Sort keys carry a rank prefix so that ranges print in order.
  auto range = [](int64_t t) -> std::string {
    if (t <= 16) return "0 1-16 tokens";
    if (t <= 128) return "1 17-128 tokens";
    if (t <= 1024) return "2 129-1024 tokens";
    return "3 >1024 tokens";
  };
  std::map<std::pair<std::string, std::string>, Bucket> buckets;
  for (const GemmMeasurement& g : gemms) {
    const GpuSpec* gpu = gpus.Find(g.gpu);
    if (!gpu || g.measured_s <= 0) continue;
    const double t = static_cast<double>(g.tokens), k = static_cast<double>(g.k), n = static_cast<double>(g.n);
    const double compute = 2 * t * k * n / (gpu->Flops(Precision::kFp16) * engine.prefill_compute_efficiency);
    const double memory = 2 * (t * k + k * n + t * n) / (gpu->memory_bytes_per_s * engine.memory_efficiency);
    const double predicted = std::max(compute, memory) + engine.kernel_latency_s;
    Bucket& b = buckets[{fmt::format("{} {}", gpu->name, g.op), range(g.tokens)}];
    b.errors.push_back(100 * (predicted - g.measured_s) / g.measured_s);
    b.measured.push_back(g.measured_s);
    b.predicted.push_back(predicted);
  }
  return Collect(buckets);
}

std::vector<OperatorErrorRow> ValidateAllReduce(const std::vector<CollectiveMeasurement>& runs, const GpuTable& gpus,
                                                const EngineProfile& engine) {
  auto range = [](double bytes) -> std::string {
    if (bytes < 64 * 1024) return "0 < 64 KiB";
    if (bytes < 4 * 1024 * 1024) return "1 64 KiB - 4 MiB";
    return "2 >= 4 MiB";
  };
  std::map<std::pair<std::string, std::string>, Bucket> buckets;
  for (const CollectiveMeasurement& c : runs) {
    const GpuSpec* gpu = gpus.Find(c.gpu);
    if (!gpu || c.measured_s <= 0 || c.gpus < 2) continue;
    const double predicted = AllReduceSeconds(c.bytes, c.gpus, GpuLinkBytesPerSecond(*gpu), engine);
    Bucket& b = buckets[{fmt::format("{} {} GPUs", c.system, c.gpus), range(c.bytes)}];
    b.errors.push_back(100 * (predicted - c.measured_s) / c.measured_s);
    b.measured.push_back(c.measured_s);
    b.predicted.push_back(predicted);
  }
  return Collect(buckets);
}

}  // namespace infersave
