// `infersave plan`: the cheapest instance that meets the objective.
#include <iostream>

#include "common.h"

namespace infersave::cli {

int RunPlan(const JobFlags& flags, int top) {
  if (top < 1) return ReportError(InvalidArgument("--top must be at least 1"));
  auto job = LoadJob(flags);
  if (!job.ok()) return ReportError(job.error());
  auto plan = MakePlan(job->context(), job->options);
  if (!plan.ok()) return ReportError(plan.error());
  WritePlan(std::cout, *plan, job->report(top), job->format);
  std::cout.flush();
  return plan->recommendation ? kExitOk : kExitNoneQualifies;
}

}  // namespace infersave::cli
