// Serving calibration (issue 15): the CTCF fitted from serving benchmarks
// (a request stream at a rate or a concurrency, as `vllm bench serve`,
// SGLang's bench_serving, genai-perf or llmperf measure it) through the
// continuous-batching simulator at the measured loads, not through the
// static-batch model. docs/calibration.md, "Serving runs".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infersave/calibrate.h"
#include "infersave/calibration.h"
#include "infersave/hardware.h"
#include "infersave/measurements.h"
#include "infersave/status.h"

namespace infersave {

// What the simulator gives for one serving run.
struct SimulatedServing {
  double ttft_mean_s = 0;
  double tpot_mean_s = 0;  // over requests with 2+ output tokens
  double output_tps = 0;
  double total_tps = 0;    // input + output tokens
};

// One measured value of a serving run against its simulation.
struct ServingFitValue {
  Metric metric = Metric::kPrefill;  // kPrefill: mean TTFT; kDecodePerToken: mean TPOT; kThroughput
  double measured = 0;
  double uncalibrated = 0;
  double calibrated = 0;        // with the group's fit (in sample)
  double cross_validated = 0;   // with a fit that did not see this run's load
  bool has_cross_validated = false;
};

struct ServingRunFit {
  const Measurement* row = nullptr;
  std::string gpu;  // canonical GPU name
  std::string load; // "4 req/s", "all at once", "16 concurrent"
  std::vector<ServingFitValue> values;
};

// The fitted parameters: the prefill and decode corrections (alpha) and the
// fixed cost of every engine step (beta, the same for both phases).
struct ServingGroupFit {
  std::string gpu;
  std::string engine;
  int runs = 0;
  int values = 0;
  bool fitted = false;
  std::string refusal;        // why not, when !fitted
  std::string parameters;     // which were fitted: "prefill alpha, decode alpha, step cost"
  CtcfParams params;
  ErrorStats before;          // uncalibrated simulation
  ErrorStats after;           // calibrated, in sample
  std::optional<ErrorStats> cross_validated;  // leave one load out
  int loads = 0;              // distinct loads (rates or concurrencies)
  bool shipped = false;       // cross-validated error beat the uncalibrated one
  std::vector<std::string> warnings;
};

struct ServingCalibrationReport {
  std::vector<ServingGroupFit> groups;
  std::vector<ServingRunFit> runs;
  std::map<std::string, int> skipped;  // reason -> runs
};

// The serving runs among `rows` (Measurement::serving()), simulated and
// fitted per (GPU, engine) by Levenberg-Marquardt on the log of
// simulated / measured over every measured value; cross-validated by leaving
// one load out at a time. Static-batch rows are ignored.
Result<ServingCalibrationReport> CalibrateServing(const std::vector<Measurement>& rows, const GpuTable& gpus);

// The serving runs a static Calibrate passed over (kServingRunSkip in its
// `skipped`): fitted by CalibrateServing, and taken out of the static
// report's skips, since the serving report shows them. nullopt when there
// were none.
Result<std::optional<ServingCalibrationReport>> FitServingRuns(const std::vector<Measurement>& rows,
                                                              const GpuTable& gpus, CalibrationReport& report);

// Simulates one serving run with the given CTCF (uncalibrated when it is
// calibrated() == false): what the fit and `validate` compare.
Result<SimulatedServing> SimulateServingRun(const Measurement& row, const GpuTable& gpus, const Ctcf& ctcf);

// Adds the shipped serving fits to `calibration` (replacing entries of the
// same GPU, engine and phase).
void AddServingFits(const ServingCalibrationReport& report, Calibration& calibration);

}  // namespace infersave
