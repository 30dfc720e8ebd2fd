// Fitting the CTCF from measurements and scoring predictions against them
// (paper eq. 7, method.md section 5).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infersave/calibration.h"
#include "infersave/hardware.h"
#include "infersave/measurements.h"
#include "infersave/perf.h"
#include "infersave/status.h"

namespace infersave {

// Error of predictions against measurements, in percent of the measured value.
struct ErrorStats {
  int n = 0;
  double mape_pct = 0;        // mean absolute percentage error
  double median_ape_pct = 0;  // median absolute percentage error
  double p90_ape_pct = 0;     // 90th percentile of the absolute percentage error
  double bias_pct = 0;        // mean signed error: > 0 the model predicts too high
};
ErrorStats ComputeErrorStats(const std::vector<double>& signed_pct_errors);

// The quantity a measurement is scored on: the one it measured (a throughput
// is scored as a throughput).
enum class Metric { kPrefill, kDecodePerToken, kTotal, kThroughput };
std::string_view MetricName(Metric metric);

// CTCF parameters of one (GPU, engine) group.
struct CtcfParams {
  PhaseCtcf prefill;
  PhaseCtcf decode;
};

// One measurement as the model sees it.
struct RowEvaluation {
  const Measurement* row = nullptr;
  std::string gpu;               // canonical GPU name
  bool usable = false;
  std::string skip_reason;       // why not, when !usable
  Metric metric = Metric::kTotal;
  double measured = 0;           // in the metric's unit (s, s/token or tokens/s)
  double predicted_uncalibrated = 0;
  double predicted_calibrated = 0;  // with the group's fit (in sample)
  bool calibrated = false;
  double predicted_cross_validated = 0;  // with a fit on the other folds only
  bool cross_validated = false;
  bool offloaded = false;        // the model put part of the KV cache in CPU memory
  // Regressors of the fit (uncalibrated model, seconds): prefill computation,
  // decode computation summed over steps, and the number of decode steps.
  double prefill_compute_s = 0;
  double decode_compute_s = 0;
  double decode_steps = 0;
};

struct GroupFit {
  std::string gpu;
  std::string engine;
  int points = 0;               // usable measurements
  bool fitted = false;
  std::string refusal;          // why no fit, when !fitted
  CtcfParams params;
  ErrorStats before;            // uncalibrated model
  ErrorStats after;             // calibrated, in sample
  std::optional<ErrorStats> cross_validated;  // k-fold, each row scored by a fit that did not see it
  int folds = 0;
  // Whether the fit goes into the calibration: only when its cross-validated
  // median error beats the uncalibrated model's on the same runs.
  bool shipped = false;
  std::vector<std::string> warnings;
};

struct CalibrationOptions {
  PerfModelKind perf_model = PerfModelKind::kRoofline;
  int folds = 5;  // k of k-fold cross-validation (leave-one-out when a group has fewer rows)
};

struct CalibrationReport {
  std::vector<GroupFit> groups;                 // sorted by GPU, then engine
  std::vector<RowEvaluation> rows;              // every measurement, in input order
  std::map<std::string, int> skipped;           // reason -> rows
  Calibration calibration;                      // the fitted groups, as `plan --calibration` reads them
};

// Why Calibrate passes over a serving run (CalibrateServing fits those).
inline constexpr std::string_view kServingRunSkip = "serving run: fitted through the simulator (serving fit)";

// Predicts every measurement with the uncalibrated model, fits alpha and beta
// per (GPU, engine, phase) by least squares on relative errors, and
// cross-validates the fit. Fails only on inputs it cannot interpret at all
// (unknown model or engine names are per-row skips).
Result<CalibrationReport> Calibrate(const std::vector<Measurement>& rows, const GpuTable& gpus,
                                    const CalibrationOptions& options);

struct ServingCalibrationReport;  // serving_calibrate.h

// Serialises a calibration to the JSON format ParseCalibration reads. The
// serving fit's groups (when given) join the measured groups behind each
// prediction's expected error: a shipped serving fit in place of the static
// one of its GPU and engine, an unshipped one where no static group exists.
std::string CalibrationToJson(const CalibrationReport& report, std::string_view source_note,
                              const ServingCalibrationReport* serving = nullptr);

}  // namespace infersave

#include "infersave/datasets.h"
#include "infersave/engine.h"

namespace infersave {

// Error of the roofline's per-operator terms against Vidur's measurements:
// GEMM times per (GPU, operator, token range) and all-reduce times per
// (system, GPUs, message size range).
struct OperatorErrorRow {
  std::string group;     // "A100-80GB mlp_up_proj", "h100_dgx 4 GPUs"
  std::string range;     // "1-16 tokens", "< 1 MiB"
  ErrorStats error;      // signed % error of predicted vs measured time
  double median_measured_s = 0;
  double median_predicted_s = 0;
};

// GEMMs are predicted as max(2 t k n / (peak x prefill_compute_efficiency),
// 2 (t k + k n + t n) bytes / (bandwidth x memory_efficiency)) + kernel_latency_s.
std::vector<OperatorErrorRow> ValidateGemms(const std::vector<GemmMeasurement>& gemms, const GpuTable& gpus,
                                            const EngineProfile& engine);
// All-reduces are predicted by AllReduceSeconds over the GPU's link.
std::vector<OperatorErrorRow> ValidateAllReduce(const std::vector<CollectiveMeasurement>& runs, const GpuTable& gpus,
                                                const EngineProfile& engine);

}  // namespace infersave
