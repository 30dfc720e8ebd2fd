// One model copy (include/infersave/replica.h).
#include "infersave/replica.h"

namespace infersave {

MemoryBreakdown Replica::Memory(const Workload& workload, double gpu_memory_utilization, MemoryStyle style) const {
  return ComputeMemory(*model, *params, workload, *engine, gpu->memory_bytes, gpu_memory_utilization, style, tp);
}

PredictInput Replica::Input(const Workload& workload, double kv_offload_ratio, double weight_offload_ratio) const {
  PredictInput in;
  in.model = model;
  in.params = params;
  in.workload = &workload;
  in.gpu = gpu;
  in.engine = engine;
  in.offload_ratio = kv_offload_ratio;
  in.weight_offload_ratio = weight_offload_ratio;
  in.ctcf = ctcf;
  in.tp = tp;
  in.link_bytes_per_s = GpuLinkBytesPerSecond(*gpu);
  in.peer_to_peer = gpu->peer_to_peer;
  return in;
}

Timing Replica::Predict(const PerfModel& perf, const Workload& workload, double kv_offload_ratio,
                        double weight_offload_ratio) const {
  return perf.Predict(Input(workload, kv_offload_ratio, weight_offload_ratio));
}

}  // namespace infersave
