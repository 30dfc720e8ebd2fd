// One model copy (issue 12): a model split over `tp` GPUs of an instance, run
// by an engine in the workload's formats, with the calibration of that GPU
// and engine. The batch planner, the serving planner and the validations
// build their predictions from it, so that the prediction input is assembled
// in one place.
#pragma once

#include "infersave/calibration.h"
#include "infersave/engine.h"
#include "infersave/hardware.h"
#include "infersave/memory.h"
#include "infersave/model.h"
#include "infersave/perf.h"
#include "infersave/workload.h"

namespace infersave {

struct Replica {
  const ModelConfig* model = nullptr;
  const ParameterCount* params = nullptr;
  const GpuSpec* gpu = nullptr;
  const EngineProfile* engine = nullptr;
  int tp = 1;  // GPUs per copy
  Ctcf ctcf;   // identity when uncalibrated

  // Memory on each of the copy's GPUs for `workload` (formats, and the
  // batch the activations are sized for).
  MemoryBreakdown Memory(const Workload& workload, double gpu_memory_utilization, MemoryStyle style) const;
  // The input of a static-batch prediction, or of an IterationTimer (offload 0).
  PredictInput Input(const Workload& workload, double kv_offload_ratio = 0, double weight_offload_ratio = 0) const;
  // One batch of `workload` (paper eqs. 4-6 or the roofline, as `perf` is).
  Timing Predict(const PerfModel& perf, const Workload& workload, double kv_offload_ratio = 0,
                 double weight_offload_ratio = 0) const;
};

}  // namespace infersave
