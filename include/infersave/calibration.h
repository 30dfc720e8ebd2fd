// Compute Time Calibration Function (CTCF, paper eq. 7; method.md section 5):
// measured = alpha * predicted + beta, per (GPU, engine, phase).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/status.h"

namespace infersave {

enum class Phase { kPrefill, kDecode };
std::string_view PhaseName(Phase phase);

struct CtcfEntry {
  std::string gpu;         // GPU name as in the GPU table
  std::string engine;      // engine profile name
  Phase phase = Phase::kPrefill;
  double alpha = 1;        // dimensionless
  double beta_s = 0;       // seconds (>= 0), per batch prefill or per decode step
  int points = 0;          // measurements the fit used
  double median_ape_pct = -1;  // cross-validated median absolute % error; < 0 unknown
};

// How far off the uncalibrated model was for one engine, over every
// measurement behind a calibration file: what a prediction on a GPU without
// an entry can expect.
struct UncalibratedError {
  int runs = 0;
  double median_ape_pct = 0;
};

struct Calibration {
  std::string source;      // file or shipped name
  std::string perf_model;  // the performance model the fit was made against
  std::vector<CtcfEntry> entries;
  std::map<std::string, UncalibratedError> uncalibrated_by_engine;  // engine name (lower case) -> error
  // nullptr when there is no entry for this GPU (name, case-insensitive),
  // engine and phase.
  const CtcfEntry* Find(std::string_view gpu, std::string_view engine, Phase phase) const;
};

// Parses a calibration file (written by `infersave calibrate`; format in
// docs/formats.md). Errors name the source and the entry.
Result<Calibration> ParseCalibration(std::string_view json_text, std::string_view source);

}  // namespace infersave
