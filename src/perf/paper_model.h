// The paper's analytical model, eqs. 4-6 exactly as printed (Section IV-D).
#pragma once

#include "infersave/perf.h"

namespace infersave {

class PaperModel final : public PerfModel {
 public:
  PerfModelKind kind() const override { return PerfModelKind::kPaper; }
  MemoryStyle memory_style() const override { return MemoryStyle::kPaper; }
  Timing Predict(const PredictInput& in) const override;
};

}  // namespace infersave
