// `infersave predict --instance NAME`: one instance, full breakdown.
#include <fmt/format.h>

#include <iostream>

#include "common.h"
#include "io/text.h"

namespace infersave::cli {

int RunPredict(const JobFlags& flags, const std::string& instance_name) {
  auto job = LoadJob(flags);
  if (!job.ok()) return ReportError(job.error());
  const Instance* instance = job->catalog.Find(instance_name);
  if (!instance) {
    std::vector<std::string> names;
    for (const Instance& i : job->catalog.instances) names.push_back(i.name);
    return ReportError(NotFound(fmt::format("unknown instance {} in catalog {}{}", io::Quote(instance_name),
                                            job->catalog.name, io::DidYouMean(instance_name, names))));
  }
  // Plan over the one instance, so that the report has the same context.
  Catalog single = job->catalog;
  single.instances = {*instance};
  single.other_region_rows = 0;
  PlanContext ctx = job->context();
  ctx.catalog = &single;
  auto plan = MakePlan(ctx, job->options);
  if (!plan.ok()) return ReportError(plan.error());
  ReportContext report = job->report(1);
  report.catalog = &single;
  const Evaluation& e = plan->candidates.front();
  WritePrediction(std::cout, e, *plan, report, job->format);
  std::cout.flush();
  return e.can_run ? kExitOk : kExitNoneQualifies;
}

}  // namespace infersave::cli
