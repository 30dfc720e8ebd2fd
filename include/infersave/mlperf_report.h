// Presentation of the MLPerf validation (table, JSON, CSV per prediction).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "infersave/calibrate.h"
#include "infersave/mlperf.h"
#include "infersave/report.h"

namespace infersave {

struct MlperfGroupError {
  std::string group;  // "Offline | multi-GPU over NVLink | tensorrt-llm"
  ErrorStats uncalibrated;
  ErrorStats calibrated;
};
// Error per (scenario, GPU class, engine), or per (scenario, GPU, engine).
std::vector<MlperfGroupError> GroupMlperfErrors(const std::vector<MlperfPrediction>& predictions, bool by_gpu);

void WriteMlperfValidation(std::ostream& out, const MlperfData& data, const MlperfValidation& validation,
                           const std::vector<MlperfDecision>& decisions, OutputFormat format);

}  // namespace infersave
