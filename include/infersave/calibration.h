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
  // Carrying the fit to GPUs of the same silicon without an entry of their
  // own: allowed when the fit improved a measured sibling's runs
  // (`infersave calibrate` checks), for the prefill always and for the
  // decode when the sibling's memory bandwidth is within 35%.
  std::string silicon;         // the fitted GPU's die; "" = never carried
  double memory_gbps = 0;      // the fitted GPU's memory bandwidth
  bool carries = false;
};

// How far off the uncalibrated model was for one engine, over every
// measurement behind a calibration file: what a prediction on a GPU without
// an entry can expect.
struct UncalibratedError {
  int runs = 0;
  double median_ape_pct = 0;
};

// The measured error of one (GPU, engine) group behind a calibration file:
// the uncalibrated model's, and the cross-validated correction's when one
// was fitted (shipped only when it beat the uncalibrated model).
struct GroupAccuracy {
  std::string gpu;
  std::string engine;
  int runs = 0;
  double uncalibrated_median_pct = 0;
  double uncalibrated_p90_pct = 0;
  double calibrated_median_pct = -1;  // < 0: no cross-validated fit
  double calibrated_p90_pct = -1;
  bool shipped = false;
};

// What a prediction can expect to be off by: the median and 90th-percentile
// absolute error of the nearest measured group, and which group that is.
struct ErrorBand {
  double median_pct = -1;  // < 0: no measurement to go by
  double p90_pct = -1;
  std::string basis;       // "calibrated on A100 with vllm (5-fold CV, 220 runs)", ...
};

struct Calibration {
  std::string source;      // file or shipped name
  std::string perf_model;  // the performance model the fit was made against
  std::vector<CtcfEntry> entries;
  std::map<std::string, UncalibratedError> uncalibrated_by_engine;  // engine name (lower case) -> error
  std::vector<GroupAccuracy> groups;  // every measured group, shipped or not
  const GroupAccuracy* FindGroup(std::string_view gpu, std::string_view engine) const;
  // The error band of a prediction on `gpu` with `engine`, `calibrated` or
  // not: the group's own cross-validated (or uncalibrated) error when it was
  // measured; else the uncalibrated error of the engine on other GPUs.
  ErrorBand ExpectedError(std::string_view gpu, std::string_view engine, bool calibrated) const;
  // nullptr when there is no entry for this GPU (name, case-insensitive),
  // engine and phase.
  const CtcfEntry* Find(std::string_view gpu, std::string_view engine, Phase phase) const;
  // Find, else an entry of the same silicon that carries to this GPU (see
  // CtcfEntry::carries); `carried` says which of the two it was.
  const CtcfEntry* FindOrCarry(std::string_view gpu, std::string_view silicon, double memory_gbps,
                               std::string_view engine, Phase phase, bool* carried) const;
};

// Parses a calibration file (written by `infersave calibrate`; format in
// docs/formats.md). Errors name the source and the entry.
Result<Calibration> ParseCalibration(std::string_view json_text, std::string_view source);

}  // namespace infersave
