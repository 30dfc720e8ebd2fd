// The rate search of one replica (serving.h: MakeServingPlan): simulations
// at chosen rates, and the bisection for the highest rate that meets the
// objectives.
#pragma once

#include <fmt/format.h>

#include <limits>
#include <string>
#include <vector>

#include "infersave/serving.h"

namespace infersave {

// Simulates one replica of one layout at chosen rates.
class ReplicaSearch {
 public:
  ReplicaSearch(const ServingOptions& o, const EngineLimits& limits, StepTimeFn step)
      : o_(o), limits_(limits), step_(std::move(step)) {}

  Result<OperatingPoint> Run(const std::vector<Request>& requests, double rate_per_s) {
    if (o_.cancelled && o_.cancelled()) return Cancelled("the online plan was stopped before it finished");
    auto sim = Simulate(requests, limits_, step_);
    if (!sim.ok()) return sim.error();
    ++simulations;
    return Point(*sim, rate_per_s);
  }

  Result<OperatingPoint> At(double rate_per_s) {
    return Run(ScaleArrivals(o_.requests, o_.requests_rate_per_s / rate_per_s), rate_per_s);
  }

  OperatingPoint Point(const SimulationResult& r, double rate_per_s) const {
    OperatingPoint p;
    p.rate_per_s = rate_per_s;
    p.ttft_s = TtftPercentile(r, o_.slo.percentile);
    p.tpot_s = TpotPercentile(r, o_.slo.percentile);
    p.ttft = r.ttft;
    p.tpot = r.tpot;
    p.e2e = r.e2e;
    p.output_tokens_per_s = r.output_tokens_per_s;
    p.total_tokens_per_s = r.total_tokens_per_s;
    p.completion_ratio = r.completion_ratio;
    constexpr double kUnlimited = std::numeric_limits<double>::infinity();
    p.fraction_meeting = FractionMeeting(r, o_.slo.ttft_s.value_or(kUnlimited), o_.slo.tpot_s.value_or(kUnlimited));
    p.preemptions = r.preemptions;
    p.meets = LatencyOk(p) && p.completion_ratio >= kMinCompletionRatio;
    return p;
  }

  bool LatencyOk(const OperatingPoint& p) const {
    return (!o_.slo.ttft_s || p.ttft_s <= *o_.slo.ttft_s) && (!o_.slo.tpot_s || p.tpot_s <= *o_.slo.tpot_s);
  }

  // Which limit a failing point broke first, for the report.
  std::string Limit(const OperatingPoint& p) const {
    const std::string pct = fmt::format("p{:g}", o_.slo.percentile);
    if (o_.slo.ttft_s && p.ttft_s > *o_.slo.ttft_s) return "TTFT " + pct;
    if (o_.slo.tpot_s && p.tpot_s > *o_.slo.tpot_s) return "TPOT " + pct;
    return "throughput";
  }

  int simulations = 0;

 private:
  const ServingOptions& o_;
  const EngineLimits& limits_;
  StepTimeFn step_;
};

// Finds the highest sustainable rate of one replica; fills light, best,
// limited_by, max_rate_per_replica. Returns false when even light load
// misses an objective.
Result<bool> SearchRate(ReplicaSearch& search, const ServingOptions& o, ServingEvaluation& e);

}  // namespace infersave
