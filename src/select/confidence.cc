// How sure a plan is (include/infersave/confidence.h, docs/confidence.md).
#include "infersave/confidence.h"

#include <algorithm>
#include <cmath>

namespace infersave {

namespace {

// |e| of a normal error: median 0.6745 sigma, 90th percentile 1.6449 sigma.
constexpr double kMedianAbsZ = 0.6744897501960817;
constexpr double kP90AbsZ = 1.6448536269514722;
// The flip search: uniform errors in these steps, up to this bound.
constexpr double kFlipStep = 0.005;
constexpr double kFlipMax = 0.5;

// The pick among batch candidates whose predictions are all scaled by
// `k` (throughputs x k, times / k): the cheapest that then meets the SLO
// (nullptr when none). Only what pricing needs is scaled, in `scaled`.
const Instance* BatchPickAt(const std::vector<Evaluation>& candidates, const PlanOptions& o, double k,
                            Evaluation& scaled) {
  const Evaluation* best = nullptr;
  double best_cost = 0, best_tps = 0;
  for (const Evaluation& e : candidates) {
    // Only the prediction moves: a candidate screened out, that cannot run,
    // or left out for its low confidence, stays out.
    if (!e.predicted || (e.verdict != Verdict::kQualifies && e.verdict != Verdict::kMissesSlo)) continue;
    scaled.instance = e.instance;
    scaled.replicas = e.replicas;
    scaled.batch_size = e.batch_size;
    scaled.usd_per_hour = e.usd_per_hour;
    scaled.tps = e.tps * k;
    scaled.timing.total_s = e.timing.total_s / k;
    PriceJob(scaled, o);
    if (!scaled.meets_slo) continue;
    const double cost = scaled.job_cost_usd;
    if (!best || cost < best_cost ||
        (cost == best_cost &&
         (e.usd_per_hour < best->usd_per_hour ||
          (e.usd_per_hour == best->usd_per_hour &&
           (scaled.tps > best_tps || (scaled.tps == best_tps && e.instance->name < best->instance->name)))))) {
      best = &e;
      best_cost = cost;
      best_tps = scaled.tps;
    }
  }
  return best ? best->instance : nullptr;
}

// The pick among online candidates whose capacities are scaled by `k` and
// light-load latencies by 1 / k. Candidates whose rate was never searched
// (they missed at light load) stay out.
std::string ServingPickAt(const std::vector<ServingEvaluation>& candidates, const ServingOptions& o, double target,
                          double k) {
  std::string best;
  double best_cost = 0, best_price = 0;
  for (const ServingEvaluation& e : candidates) {
    if (!e.predicted || e.max_rate_per_instance <= 0 || e.verdict == Verdict::kLowConfidence) continue;
    if (o.slo.ttft_s && e.light.ttft_s / k > *o.slo.ttft_s) continue;
    if (o.slo.tpot_s && e.light.tpot_s / k > *o.slo.tpot_s) continue;
    const double capacity = e.max_rate_per_instance * k;
    const double instances = target > 0 ? std::max(1.0, std::ceil(target / capacity - 1e-9)) : 1;
    const double cost = target > 0 ? instances * e.usd_per_hour : e.usd_per_million_tokens / k;
    if (best.empty() || cost < best_cost || (cost == best_cost && e.usd_per_hour < best_price)) {
      best = e.instance->name;
      best_cost = cost;
      best_price = e.usd_per_hour;
    }
  }
  return best;
}

// The smallest |u| (steps of kFlipStep up to kFlipMax) for which pick_at(1 - u)
// or pick_at(1 + u) differs from `current`.
template <typename Pick, typename PickAt>
std::optional<double> FirstFlip(const Pick& current, PickAt pick_at) {
  for (int i = 1; i * kFlipStep <= kFlipMax + 1e-12; ++i) {
    const double u = i * kFlipStep;
    if (pick_at(1 - u) != current || pick_at(1 + u) != current) return std::round(u * 1000) / 10;
  }
  return std::nullopt;
}

}  // namespace

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double ErrorSigmaPct(const Calibration* calibration, const std::string& gpu, const std::string& engine,
                     bool calibrated) {
  if (!calibration) return -1;
  const ErrorBand band = calibration->ExpectedError(gpu, engine, calibrated);
  const double from_median = band.median_pct >= 0 ? band.median_pct / kMedianAbsZ : -1;
  const double from_p90 = band.p90_pct >= 0 ? band.p90_pct / kP90AbsZ : -1;
  return std::max(from_median, from_p90);
}

double ProbabilityAtLeast(double predicted, double need, double sigma_pct) {
  if (!(need > 0)) return 1;
  if (!(sigma_pct > 0)) return predicted >= need ? 1 : 0;
  return NormalCdf((predicted / need - 1) / (sigma_pct / 100));
}

double ProbabilityAtMost(double predicted, double objective, double sigma_pct) {
  if (!(objective > 0)) return 0;
  if (!(sigma_pct > 0)) return predicted <= objective ? 1 : 0;
  return NormalCdf((1 - predicted / objective) / (sigma_pct / 100));
}

void AssessConfidence(std::vector<Evaluation>& candidates, const PlanContext& context, const PlanOptions& o) {
  const double need = o.slo_tps * (1 + o.slo_headroom_pct / 100);
  for (Evaluation& e : candidates) {
    if (!e.predicted) continue;
    e.error_sigma_pct = ErrorSigmaPct(context.calibration, e.instance->gpu.name, context.engine->name, e.ctcf.calibrated());
    if (!(e.error_sigma_pct > 0)) continue;
    if (o.deadline_s) {
      e.slo_confidence = ProbabilityAtMost(e.job_hours * 3600, *o.deadline_s, e.error_sigma_pct);
    } else if (need > 0) {
      e.slo_confidence = ProbabilityAtLeast(e.tps, need, e.error_sigma_pct);
    }
  }
}

std::optional<double> PickFlipsAtErrorPct(const std::vector<Evaluation>& candidates, const PlanOptions& o) {
  Evaluation scaled;
  const auto pick_at = [&](double k) { return BatchPickAt(candidates, o, k, scaled); };
  return FirstFlip(pick_at(1), pick_at);
}

void AssessConfidence(std::vector<ServingEvaluation>& candidates, const PlanContext& context,
                      const ServingOptions& o, double target) {
  for (ServingEvaluation& e : candidates) {
    if (!e.predicted) continue;
    e.error_sigma_pct = ErrorSigmaPct(context.calibration, e.instance->gpu.name, context.engine->name, e.ctcf.calibrated());
    if (!(e.error_sigma_pct > 0) || e.verdict == Verdict::kMissesSlo) continue;
    std::optional<double> p;
    const auto take = [&](double q) { p = p ? std::min(*p, q) : q; };
    if (target > 0) {
      take(ProbabilityAtLeast(e.max_rate_per_instance * static_cast<double>(e.instances), target, e.error_sigma_pct));
    }
    if (o.slo.ttft_s) take(ProbabilityAtMost(e.light.ttft_s, *o.slo.ttft_s, e.error_sigma_pct));
    if (o.slo.tpot_s) take(ProbabilityAtMost(e.light.tpot_s, *o.slo.tpot_s, e.error_sigma_pct));
    e.slo_confidence = p;
  }
}

std::optional<double> PickFlipsAtErrorPct(const std::vector<ServingEvaluation>& candidates, const ServingOptions& o,
                                          double target) {
  const auto pick_at = [&](double k) { return ServingPickAt(candidates, o, target, k); };
  return FirstFlip(pick_at(1), pick_at);
}

}  // namespace infersave
