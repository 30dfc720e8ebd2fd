// How sure a plan is (issue 13; docs/confidence.md).
//
// The error model: a prediction's relative error e = (predicted - actual) /
// actual is taken as normal with mean 0 and spread sigma, from the measured
// absolute errors of the nearest group (Calibration::ExpectedError): sigma =
// max(median / 0.6745, p90 / 1.6449), the spread of a normal error whose
// |e| has that median and 90th percentile. Any predicted quantity is then
// actual = predicted / (1 + e), and
//   P(actual throughput >= need) = Phi((predicted / need - 1) / sigma)
//   P(actual time <= objective)  = Phi((1 - predicted / objective) / sigma).
#pragma once

#include <string>

#include "infersave/planner.h"
#include "infersave/serving.h"

namespace infersave {

// Standard normal CDF.
double NormalCdf(double z);

// The spread, percent, of a prediction's relative error on `gpu` with
// `engine`; < 0 when the calibration has no measured error to go by.
double ErrorSigmaPct(const Calibration* calibration, const std::string& gpu, const std::string& engine,
                     bool calibrated);

// P(actual >= need) for a throughput predicted at `predicted`.
double ProbabilityAtLeast(double predicted, double need, double sigma_pct);
// P(actual <= objective) for a time predicted at `predicted`.
double ProbabilityAtMost(double predicted, double objective, double sigma_pct);

// Batch plans: every candidate's error spread and probability of meeting
// the throughput objective (MakePlan then applies options.min_confidence).
void AssessConfidence(std::vector<Evaluation>& candidates, const PlanContext& context, const PlanOptions& options);
// The smallest uniform error (0.5% steps up to 50%, either way) under which
// another candidate, or none, would be picked; unset when none does.
std::optional<double> PickFlipsAtErrorPct(const std::vector<Evaluation>& candidates, const PlanOptions& options);

// Online plans: the same, with the capacity margin of the fleet over the
// target rate and the latency margins at light load (the smaller of the two).
void AssessConfidence(std::vector<ServingEvaluation>& candidates, const PlanContext& context,
                      const ServingOptions& options, double target_rate_per_s);
std::optional<double> PickFlipsAtErrorPct(const std::vector<ServingEvaluation>& candidates,
                                          const ServingOptions& options, double target_rate_per_s);

}  // namespace infersave
