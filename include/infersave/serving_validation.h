// The continuous-batching simulator against measured serving runs
// (docs/validation-data.md, "Serving"): TGI on SageMaker under closed-loop
// users, and Argonne's time to first token of a 16-request burst.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "infersave/calibration.h"
#include "infersave/datasets.h"
#include "infersave/hardware.h"
#include "infersave/report.h"
#include "infersave/status.h"

namespace infersave {

// One measured value against the simulation of the same run.
struct ServingValidationRow {
  std::string source;
  std::string gpu;
  std::string model;
  std::string engine;
  int tp = 1;
  int64_t users = 0;  // closed-loop users (TGI) or requests sent at once (Argonne)
  int64_t input_len = 0;
  int64_t output_len = 0;
  std::string metric;  // "per-token latency", "throughput", "TTFT"
  std::string unit;    // "ms", "tok/s", "s"
  double measured = 0;
  double simulated = 0;             // uncalibrated simulation
  double simulated_calibrated = 0;  // with the shipped calibration (equal when it has no entry)
  bool calibration_in_sample = false;  // the shipped calibration was fitted on this row's dataset
  double static_model = 0;          // the static-batch model's value for the same run (uncalibrated)
};

struct ServingValidationReport {
  std::string dataset;
  std::string description;
  std::vector<ServingValidationRow> rows;
  std::map<std::string, int> skipped;
};

// Simulates every row of a `tgi-sagemaker` or `argonne-ttft` dataset.
// `calibration` may be null. Other datasets fail with kInvalidArgument.
Result<ServingValidationReport> ValidateServing(const Dataset& dataset, const GpuTable& gpus,
                                                const Calibration* calibration);

// Median absolute percentage error of one metric over the rows (-1 when none).
double MedianApe(const std::vector<ServingValidationRow>& rows, const std::string& metric, bool calibrated,
                 bool static_model = false);

// The simulator against measured serving runs: one row per run and metric,
// and the median error per metric (table, JSON; CSV: the rows).
void WriteServingValidation(std::ostream& out, const ServingValidationReport& report, OutputFormat format);

}  // namespace infersave
