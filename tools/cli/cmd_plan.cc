// `infersave plan`: the cheapest instance that meets the objective.
#include <iostream>

#include "common.h"
#include "infersave/emit.h"

namespace infersave::cli {

int RunPlan(const JobFlags& flags, const ServeFlags& serve, int top) {
  if (top < 1) return ReportError(InvalidArgument("--top must be at least 1"));
  if (serve.online()) return RunServePlan(flags, serve, top);
  if (!flags.emit.empty()) {
    if (auto target = ParseDeployTarget(flags.emit); !target.ok()) return ReportError(target.error());
  }
  auto job = LoadJob(flags);
  if (!job.ok()) return ReportError(job.error());
  auto plan = MakePlan(job->context(), job->options);
  if (!plan.ok()) return ReportError(plan.error());
  if (!flags.emit.empty()) {
    if (!plan->recommendation) {
      std::cerr << "infersave: error: nothing to deploy: no instance meets the constraints (run without --emit "
                   "to see why each instance was rejected)\n";
      return kExitNoneQualifies;
    }
    if (Status s = WriteDeployment(std::cout, *plan, job->report(top), flags.emit); !s.ok()) {
      return ReportError(s.error());
    }
    std::cout.flush();
    return kExitOk;
  }
  WritePlan(std::cout, *plan, job->report(top), job->format);
  std::cout.flush();
  return plan->recommendation ? kExitOk : kExitNoneQualifies;
}

}  // namespace infersave::cli
