// Merging the plans of a knob search (include/infersave/search.h).
#include "infersave/search.h"

#include <algorithm>
#include <array>
#include <map>

#include "infersave/confidence.h"

namespace infersave {

namespace {

// Each warning once, in first-seen order.
void AddWarnings(std::vector<std::string>& into, const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) {
    if (std::find(into.begin(), into.end(), w) == into.end()) into.push_back(w);
  }
}

// Per instance, the candidate that ranks first under `before`.
template <typename Candidate, typename Before>
std::vector<Candidate> BestPerInstance(const std::vector<std::vector<Candidate>>& lists, Before before) {
  std::map<std::string, Candidate> best;
  for (const auto& list : lists) {
    for (const Candidate& c : list) {
      auto it = best.find(c.instance->name);
      if (it == best.end()) {
        best.emplace(c.instance->name, c);
      } else if (before(c, it->second)) {
        it->second = c;
      }
    }
  }
  std::vector<Candidate> out;
  out.reserve(best.size());
  for (auto& [name, c] : best) out.push_back(std::move(c));
  std::sort(out.begin(), out.end(), before);
  return out;
}

// The points no other point is at most as large as in every coordinate, and
// smaller in one; by ascending first coordinate.
template <typename Candidate, typename Coordinates>
std::vector<Candidate> NonDominated(const std::vector<Candidate>& candidates, Coordinates coords) {
  std::vector<const Candidate*> points;
  for (const Candidate& c : candidates) {
    if (c.qualifies()) points.push_back(&c);
  }
  std::vector<Candidate> out;
  for (const Candidate* a : points) {
    const auto ca = coords(*a);
    const bool dominated = std::any_of(points.begin(), points.end(), [&](const Candidate* b) {
      if (b == a) return false;
      const auto cb = coords(*b);
      bool all_le = true, one_lt = false;
      for (size_t i = 0; i < ca.size(); ++i) {
        all_le = all_le && cb[i] <= ca[i];
        one_lt = one_lt || cb[i] < ca[i];
      }
      return all_le && one_lt;
    });
    if (!dominated) out.push_back(*a);
  }
  std::stable_sort(out.begin(), out.end(), [&](const Candidate& a, const Candidate& b) { return coords(a)[0] < coords(b)[0]; });
  return out;
}

}  // namespace

std::vector<Evaluation> ParetoFrontier(const std::vector<Evaluation>& candidates) {
  return NonDominated(candidates,
                      [](const Evaluation& e) { return std::array<double, 2>{e.job_cost_usd, e.job_hours}; });
}

std::vector<ServingEvaluation> ParetoFrontier(const std::vector<ServingEvaluation>& candidates) {
  return NonDominated(candidates, [](const ServingEvaluation& e) {
    return std::array<double, 3>{e.fleet_usd_per_hour, e.at_target.ttft_s, e.at_target.tpot_s};
  });
}

Plan MergeSearchedPlans(std::vector<Plan> plans, std::string searched) {
  if (plans.size() == 1) return std::move(plans.front());
  Plan merged = plans.front();
  merged.searched = std::move(searched);
  std::vector<std::vector<Evaluation>> lists;
  merged.warnings.clear();
  merged.max_performance.reset();
  merged.no_offload.reset();
  for (const Plan& p : plans) {
    lists.push_back(p.candidates);
    AddWarnings(merged.warnings, p.warnings);
    if (p.max_performance && (!merged.max_performance || p.max_performance->tps > merged.max_performance->tps)) {
      merged.max_performance = p.max_performance;
    }
    if (p.no_offload && (!merged.no_offload || RanksBefore(*p.no_offload, *merged.no_offload))) {
      merged.no_offload = p.no_offload;
    }
  }
  merged.candidates = BestPerInstance(lists, [](const Evaluation& a, const Evaluation& b) { return RanksBefore(a, b); });
  merged.recommendation.reset();
  if (!merged.candidates.empty() && merged.candidates.front().qualifies()) {
    merged.recommendation = merged.candidates.front();
    const Evaluation& pick = *merged.recommendation;
    merged.options.workload.weight_precision = pick.weights;
    merged.options.workload.kv_precision = pick.kv_cache;
    if (pick.batch_size > 0) merged.options.workload.batch_size = pick.batch_size;
    merged.options.spot = pick.spot;
    if (pick.engine) merged.engine = pick.engine->name;
  }
  const auto instance_of = [](const std::optional<Evaluation>& e) { return e ? e->instance : nullptr; };
  if (merged.recommendation || merged.max_performance || merged.no_offload) {
    merged.catalog_as_of = OldestPriceDate(
        {instance_of(merged.recommendation), instance_of(merged.max_performance), instance_of(merged.no_offload)});
  }
  merged.savings_vs_max_performance_pct = SavingsPct(merged.recommendation, merged.max_performance);
  merged.savings_vs_no_offload_pct = SavingsPct(merged.recommendation, merged.no_offload);
  merged.pick_flips_at_error_pct.reset();
  if (merged.recommendation) merged.pick_flips_at_error_pct = PickFlipsAtErrorPct(merged.candidates, merged.options);
  merged.frontier = ParetoFrontier(merged.candidates);
  return merged;
}

ServingPlan MergeSearchedServingPlans(std::vector<ServingPlan> plans, const ServingOptions& options,
                                      std::string searched) {
  if (plans.size() == 1) return std::move(plans.front());
  ServingPlan merged = plans.front();
  merged.searched = std::move(searched);
  const bool by_fleet_cost = merged.target_rate_per_s > 0;
  std::vector<std::vector<ServingEvaluation>> lists;
  merged.warnings.clear();
  merged.simulations = 0;
  merged.pruned = 0;
  for (const ServingPlan& p : plans) {
    lists.push_back(p.candidates);
    // The spot note belongs to the merged pick only (added below).
    std::vector<std::string> warnings = p.warnings;
    warnings.erase(std::remove(warnings.begin(), warnings.end(), std::string(kSpotServiceWarning)), warnings.end());
    AddWarnings(merged.warnings, warnings);
    merged.simulations += p.simulations;
    merged.pruned += p.pruned;
  }
  merged.candidates = BestPerInstance(lists, [by_fleet_cost](const ServingEvaluation& a, const ServingEvaluation& b) {
    return RanksBefore(a, b, by_fleet_cost);
  });
  merged.recommendation.reset();
  merged.pick_flips_at_error_pct.reset();
  if (!merged.candidates.empty() && merged.candidates.front().qualifies()) {
    merged.recommendation = merged.candidates.front();
    if (merged.recommendation->engine) merged.engine = merged.recommendation->engine->name;
    merged.catalog_as_of = OldestPriceDate({merged.recommendation->instance});
    if (merged.recommendation->spot) merged.warnings.push_back(kSpotServiceWarning);
    // The flips of the pick among the merged candidates (each plan's own
    // flips only knew its own combination).
    merged.pick_flips_at_error_pct = PickFlipsAtErrorPct(merged.candidates, options, merged.target_rate_per_s);
  }
  merged.frontier = ParetoFrontier(merged.candidates);
  return merged;
}

}  // namespace infersave
