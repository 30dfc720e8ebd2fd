// The default performance model: a per-operator roofline over a growing
// context (method.md section 4, fixes 1-5).
#pragma once

#include "infersave/perf.h"

namespace infersave {

class RooflineModel final : public PerfModel {
 public:
  PerfModelKind kind() const override { return PerfModelKind::kRoofline; }
  MemoryStyle memory_style() const override { return MemoryStyle::kWorkspace; }
  Timing Predict(const PredictInput& in) const override;
};

// Sum over integers c in [c0, c1] of max(a0 + a1 c, b0 + b1 c), exactly.
double SumMaxOfLines(double a0, double a1, double b0, double b1, int64_t c0, int64_t c1);

}  // namespace infersave
