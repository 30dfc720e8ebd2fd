// Searching the deployment knobs (issue 13): a plan per combination of the
// formats and engines the user allows, merged into one plan whose
// candidates are each instance's best combination. The batch and online
// planners do the rest (layouts, prices, fit, performance, ranking).
#pragma once

#include <string>
#include <vector>

#include "infersave/planner.h"
#include "infersave/serving.h"

namespace infersave {

// Merges plans of the same job and catalog made with different formats or
// engines: per instance the candidate that ranks first, the candidates
// re-ranked, the recommendation, baselines and savings of the merged set,
// and the plans' warnings (each once). `options.workload`'s formats and
// `engine` become the recommendation's. Online plans need the options for
// the pick's flip search.
// `searched` describes what was tried, for the reports.
Plan MergeSearchedPlans(std::vector<Plan> plans, std::string searched = "");
ServingPlan MergeSearchedServingPlans(std::vector<ServingPlan> plans, const ServingOptions& options,
                                      std::string searched = "");

// The non-dominated candidates (Plan::frontier, ServingPlan::frontier).
std::vector<Evaluation> ParetoFrontier(const std::vector<Evaluation>& candidates);
std::vector<ServingEvaluation> ParetoFrontier(const std::vector<ServingEvaluation>& candidates);

}  // namespace infersave
