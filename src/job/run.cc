// Running a job request: resolve it, plan, predict or simulate, and write the
// document. Every front end (CLI, service, Python) calls these, so that they
// hold no planning logic of their own.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "infersave/emit.h"
#include "infersave/job.h"
#include "infersave/search.h"
#include "infersave/shipped.h"
#include "io/text.h"

namespace infersave {

namespace {

Result<const Instance*> FindInstance(const Job& job, const std::string& name) {
  if (name.empty()) return InvalidField("instance", "is required: give an instance type, e.g. g5.xlarge");
  const Instance* instance = job.catalog.Find(name);
  if (instance) return instance;
  std::vector<std::string> names;
  for (const Instance& i : job.catalog.instances) names.push_back(i.name);
  return Error(ErrorCode::kNotFound,
               fmt::format("unknown instance {} in catalog {}{}", io::Quote(name), job.catalog.name,
                           io::DidYouMean(name, names)),
               "instance");
}

Outcome NothingToDeploy() {
  return Outcome{false, fmt::format("nothing to deploy: no instance meets the constraints (run without {} to see why "
                                    "each instance was rejected)",
                                    FieldRef("emit"))};
}

// The context and options of one variant of a searched job.
PlanContext VariantContext(const Job& job, const JobVariant& v) {
  PlanContext ctx = job.context();
  ctx.engine = &v.engine;
  ctx.calibration = v.calibration ? &*v.calibration : nullptr;
  return ctx;
}

std::string VariantName(const JobVariant& v) {
  return fmt::format("{} weights, {} KV cache on {}{}", PrecisionName(v.weights), PrecisionName(v.kv_cache),
                     v.engine.name, v.batch_size > 0 ? fmt::format(", batch {}", v.batch_size) : "");
}

// What a search tried: "weights fp16, fp8; engines vllm, tensorrt-llm; batch sizes 1-256".
std::string Searched(const Job& job) {
  std::vector<std::string> weights, kv, engines, prices;
  std::vector<int64_t> batches, seqs, budgets;
  const auto add = [](auto& list, auto value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
  };
  for (const JobVariant& v : job.variants) {
    add(weights, std::string(PrecisionName(v.weights)));
    add(kv, std::string(PrecisionName(v.kv_cache)));
    add(engines, v.engine.name);
    if (v.batch_size > 0) add(batches, v.batch_size);
    add(prices, std::string(v.spot ? "spot" : "on-demand"));
    add(seqs, static_cast<int64_t>(v.engine.max_num_seqs));
    add(budgets, static_cast<int64_t>(v.engine.prefill_chunk_tokens));
  }
  std::vector<std::string> parts;
  if (weights.size() > 1) parts.push_back(fmt::format("weights {}", fmt::join(weights, ", ")));
  if (kv.size() > 1) parts.push_back(fmt::format("KV cache {}", fmt::join(kv, ", ")));
  if (engines.size() > 1) parts.push_back(fmt::format("engines {}", fmt::join(engines, ", ")));
  if (batches.size() > 1) parts.push_back(fmt::format("batch sizes {}-{}", batches.front(), batches.back()));
  if (prices.size() > 1) parts.push_back(fmt::format("prices {}", fmt::join(prices, ", ")));
  if (seqs.size() > 1) parts.push_back(fmt::format("max_num_seqs {}", fmt::join(seqs, ", ")));
  if (budgets.size() > 1) parts.push_back(fmt::format("token budgets {}", fmt::join(budgets, ", ")));
  return fmt::format("{}", fmt::join(parts, "; "));
}

// A plan per variant, merged; a variant the engine cannot run (a format it
// lacks) is left out with a warning, and only when every one fails is the
// first failure returned.
template <typename PlanT, typename MakeFn, typename MergeFn>
Result<PlanT> SearchVariants(const Job& job, MakeFn make, MergeFn merge) {
  std::vector<PlanT> plans;
  std::vector<std::string> skipped;
  std::optional<Error> first_error;
  for (const JobVariant& v : job.variants) {
    Result<PlanT> plan = make(v);
    if (!plan.ok()) {
      if (plan.error().code() == ErrorCode::kCancelled || plan.error().code() == ErrorCode::kInternal) {
        return plan.error();
      }
      if (!first_error) first_error = plan.error();
      skipped.push_back(fmt::format("not searched: {}: {}", VariantName(v), plan.error().message()));
      continue;
    }
    plans.push_back(std::move(plan).value());
  }
  if (plans.empty()) return *first_error;
  PlanT merged = merge(std::move(plans));
  for (std::string& w : skipped) merged.warnings.push_back(std::move(w));
  return merged;
}

Result<Plan> MakeJobPlan(const Job& job) {
  if (job.variants.empty()) return MakePlan(job.context(), job.options);
  return SearchVariants<Plan>(
      job,
      [&](const JobVariant& v) {
        PlanOptions o = job.options;
        o.workload.weight_precision = v.weights;
        o.workload.kv_precision = v.kv_cache;
        if (v.batch_size > 0) o.workload.batch_size = v.batch_size;
        o.spot = v.spot;
        return MakePlan(VariantContext(job, v), o);
      },
      [&](std::vector<Plan> plans) { return MergeSearchedPlans(std::move(plans), Searched(job)); });
}

Result<ServingPlan> MakeJobServingPlan(const Job& job, const ServingOptions& options) {
  if (job.variants.empty()) return MakeServingPlan(job.context(), options);
  return SearchVariants<ServingPlan>(
      job,
      [&](const JobVariant& v) {
        ServingOptions o = options;
        o.plan.workload.weight_precision = v.weights;
        o.plan.workload.kv_precision = v.kv_cache;
        o.plan.spot = v.spot;
        return MakeServingPlan(VariantContext(job, v), o);
      },
      [&](std::vector<ServingPlan> plans) {
        return MergeSearchedServingPlans(std::move(plans), options, Searched(job));
      });
}

// The report context of a plan's pick: its own engine, when plans searched several.
ReportContext PickReport(const Job& job, const Candidate* pick) {
  ReportContext rc = job.report();
  if (pick && pick->engine) {
    rc.engine = pick->engine;
    for (const JobVariant& v : job.variants) {
      if (&v.engine == pick->engine) rc.calibration = v.calibration ? &*v.calibration : nullptr;
    }
  }
  return rc;
}

Result<Outcome> RunServingPlan(const JobRequest& r, const Job& job, const FileSource& files, std::ostream& out,
                               const RunHooks& hooks) {
  auto sj = ResolveServingJob(r, job, files);
  if (!sj.ok()) return sj.error();
  sj->options.progress = hooks.progress;
  sj->options.cancelled = hooks.cancelled;
  auto plan = MakeJobServingPlan(job, sj->options);
  if (!plan.ok()) return plan.error();
  sj->options.progress = nullptr;
  sj->options.cancelled = nullptr;
  if (!r.emit.empty()) {
    if (!plan->recommendation) return NothingToDeploy();
    ServingOptions chosen = sj->options;
    chosen.plan.workload.weight_precision = plan->recommendation->weights;
    chosen.plan.workload.kv_precision = plan->recommendation->kv_cache;
    chosen.plan.spot = plan->recommendation->spot;
    if (Status s = WriteServingDeployment(out, *plan, chosen, PickReport(job, &*plan->recommendation), r.emit);
        !s.ok()) {
      return s.error().AtField("emit");
    }
    return Outcome{true, ""};
  }
  WriteServingPlan(out, *plan, sj->options, job.report(), job.format);
  return Outcome{plan->recommendation.has_value(), ""};
}

// The TP degree an online plan would choose for this instance under this
// load (0 when it would run none).
Result<int> PlannedTp(const Job& job, const ServingJob& sj, const Instance& instance) {
  Catalog single = job.catalog;
  single.instances = {instance};
  single.other_region_rows = 0;
  PlanContext ctx = job.context();
  ctx.catalog = &single;
  ServingOptions o = sj.options;
  o.progress = nullptr;
  o.exhaustive = true;  // every layout of the one instance
  auto plan = MakeServingPlan(ctx, o);
  if (!plan.ok()) return plan.error();
  const bool runs = !plan->candidates.empty() && plan->candidates.front().predicted;
  return runs ? plan->candidates.front().tp : 0;
}

// The replica a simulation runs: the request's TP degree, else the one an
// online plan would choose, else the smallest split that fits.
Result<std::pair<ServingReplica, int>> SimulatedReplica(const JobRequest& r, const Job& job, const Instance& instance,
                                                        int planned_tp) {
  int tp = r.tp != 0 ? r.tp : planned_tp;
  if (tp != 0 && (tp < 1 || instance.gpu_count % tp != 0 || !ValidTensorParallel(job.model, tp))) {
    return InvalidField("tp", fmt::format("{}: must divide {}'s {} GPUs and {}'s {} attention heads", tp,
                                          instance.name, instance.gpu_count, job.model.name, job.model.num_heads));
  }
  std::optional<ServingReplica> replica;
  for (int t = tp == 0 ? 1 : tp; t <= instance.gpu_count; t *= 2) {
    if (instance.gpu_count % t != 0 || !ValidTensorParallel(job.model, t)) continue;
    auto made = MakeServingReplica(job.context(), job.options, instance, t);
    if (!made.ok()) return made.error();
    replica = std::move(made).value();
    tp = t;
    if (replica->fits || r.tp != 0 || planned_tp != 0) break;
  }
  if (!replica || !replica->fits) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{} on {} leaves no GPU memory for the KV cache (try {} or a larger instance)",
                             job.model.name, instance.name, FieldRef("tp")),
                 "instance");
  }
  return std::make_pair(std::move(*replica), tp);
}

}  // namespace

Result<Outcome> RunPlanRequest(const JobRequest& r, const FileSource& files, std::string_view today,
                               std::ostream& out, const RunHooks& hooks) {
  auto job = ResolveJob(r, files, today);
  if (!job.ok()) return job.error();
  if (r.online()) return RunServingPlan(r, *job, files, out, hooks);
  auto plan = MakeJobPlan(*job);
  if (!plan.ok()) return plan.error();
  if (r.emit.empty()) {
    WritePlan(out, *plan, job->report(), job->format);
    return Outcome{plan->recommendation.has_value(), ""};
  }
  if (!plan->recommendation) return NothingToDeploy();
  if (Status s = WriteDeployment(out, *plan, PickReport(*job, &*plan->recommendation), r.emit); !s.ok()) {
    return s.error().AtField("emit");
  }
  return Outcome{true, ""};
}

Result<Outcome> RunPredictRequest(const JobRequest& r, const FileSource& files, std::string_view today,
                                  std::ostream& out) {
  auto job = ResolveJob(r, files, today);
  if (!job.ok()) return job.error();
  auto instance = FindInstance(*job, r.instance);
  if (!instance.ok()) return instance.error();
  // Plan over the one instance, so that the report has the same context.
  Catalog single = job->catalog;
  single.instances = {**instance};
  single.other_region_rows = 0;
  PlanContext ctx = job->context();
  ctx.catalog = &single;
  auto plan = MakePlan(ctx, job->options);
  if (!plan.ok()) return plan.error();
  ReportContext report = job->report(1);
  report.catalog = &single;
  const Evaluation& e = plan->candidates.front();
  WritePrediction(out, e, *plan, report, job->format);
  return Outcome{e.can_run, ""};
}

Result<Outcome> RunSimulateRequest(const JobRequest& request, const FileSource& files, std::string_view today,
                                   std::ostream& out, const RunHooks& hooks) {
  JobRequest r = request;
  if (r.users < 0) return InvalidField("users", fmt::format("must be >= 1, got {}", r.users));
  if (!(r.think_s >= 0) || !std::isfinite(r.think_s)) {
    return InvalidField("think_s", fmt::format("must be >= 0 seconds, got {}", r.think_s));
  }
  if (r.users == 0 && !r.rate && r.workload.empty() && r.trace.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("give {} (open loop) or {} (closed loop)", FieldRef("rate"), FieldRef("users")), "rate");
  }
  if (r.users > 0 && r.rate) {
    return Error(ErrorCode::kInvalidArgument, fmt::format("give {} or {}, not both", FieldRef("rate"), FieldRef("users")),
                 "users");
  }
  const bool rate_given = r.rate.has_value();
  if (r.users > 0) r.rate = 1;  // arrivals are replaced by the users' loop
  auto job = ResolveJob(r, files, today);
  if (!job.ok()) return job.error();
  auto instance = FindInstance(*job, r.instance);
  if (!instance.ok()) return instance.error();
  auto sj = ResolveServingJob(r, *job, files);
  if (!sj.ok()) return sj.error();
  const Workload& w = job->options.workload;
  if (!PrecisionSupported((*instance)->gpu, w)) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("{} cannot run {} weights with a {} KV cache", (*instance)->gpu.name,
                             PrecisionName(w.weight_precision), PrecisionName(w.kv_precision)),
                 "weights");
  }
  int planned_tp = 0;
  if (r.tp == 0 && (*instance)->gpu_count > 1 && r.users == 0) {
    auto planned = PlannedTp(*job, *sj, **instance);
    if (!planned.ok()) return planned.error();
    planned_tp = *planned;
  }
  auto replica = SimulatedReplica(r, *job, **instance, planned_tp);
  if (!replica.ok()) return replica.error();
  auto& [rep, tp] = *replica;
  const ServingOptions& o = sj->options;
  rep.limits.reserved_output_tokens = o.max_output_tokens;
  // The instance's replicas share the load: each sees 1/replicas of the
  // arrivals (the same pattern, stretched), or of the users.
  const int replicas = (*instance)->gpu_count / tp;
  std::vector<Request> requests = o.requests;
  double stretch = replicas;
  if (rate_given && sj->workload.trace) stretch *= o.requests_rate_per_s / *r.rate;
  if (stretch != 1 && r.users == 0) requests = ScaleArrivals(requests, stretch);
  const int64_t users = (r.users + replicas - 1) / replicas;
  if (hooks.cancelled && hooks.cancelled()) return Cancelled("the simulation was stopped before it started");
  Result<SimulationResult> result =
      r.users > 0 ? SimulateClosedLoop(requests, ClosedLoop{users, r.think_s}, rep.limits, rep.timer->AsStepTime())
                  : Simulate(requests, rep.limits, rep.timer->AsStepTime());
  if (!result.ok()) return result.error();
  SimulationSummary summary;
  summary.instance = (*instance)->name;
  summary.gpus = fmt::format("{}x{}", (*instance)->gpu_count, (*instance)->gpu.name);
  summary.tp = tp;
  summary.replicas = replicas;
  summary.description = r.users > 0 ? fmt::format("{} closed-loop users (think {:g} s); {}", r.users, r.think_s,
                                                  o.description.substr(o.description.find(';') + 2))
                                    : o.description;
  summary.kv_capacity_tokens = rep.limits.kv_blocks * rep.limits.block_size_tokens;
  summary.max_sequences = rep.limits.max_sequences;
  summary.requests = requests;
  summary.result = std::move(result).value();
  if (o.slo.any()) {
    summary.fraction_meeting =
        FractionMeeting(summary.result, o.slo.ttft_s.value_or(1e300), o.slo.tpot_s.value_or(1e300));
  }
  summary.accuracy = CtcfAccuracyNote(rep.ctcf, (*instance)->gpu.name, "roofline", job->report(1));
  WriteSimulation(out, summary, job->report(1), job->format);
  return Outcome{true, ""};
}

Status WriteModelList(std::ostream& out, std::string_view format_text) {
  auto format = ParseOutputFormat(format_text);
  if (!format.ok()) return format.error().AtField("format");
  std::vector<ModelConfig> models;
  for (const std::string& name : ShippedModelNames()) {
    auto m = LoadModel(name, NoFiles());
    if (!m.ok()) return InternalError("shipped model " + name + ": " + m.error().message());
    models.push_back(std::move(m).value());
  }
  WriteModels(out, models, *format);
  return Status::Ok();
}

Status WriteInstanceList(std::string_view catalog_name, std::string_view gpu_table, const FileSource& files,
                         std::ostream& out, std::string_view format_text) {
  auto format = ParseOutputFormat(format_text);
  if (!format.ok()) return format.error().AtField("format");
  auto gpus = LoadGpuTable(gpu_table, files);
  if (!gpus.ok()) return gpus.error().AtField("gpu_table");
  auto catalog = LoadCatalog(catalog_name, *gpus, "", files);
  if (!catalog.ok()) return catalog.error().AtField("catalog");
  WriteInstances(out, *catalog, *format);
  return Status::Ok();
}

Status WriteEngineList(std::ostream& out, std::string_view format_text) {
  auto format = ParseOutputFormat(format_text);
  if (!format.ok()) return format.error().AtField("format");
  std::vector<EngineProfile> engines;
  for (const std::string& name : ShippedEngineNames()) {
    auto e = LoadEngine(name, NoFiles());
    if (!e.ok()) return InternalError("shipped engine " + name + ": " + e.error().message());
    engines.push_back(std::move(e).value());
  }
  WriteEngines(out, engines, *format);
  return Status::Ok();
}

}  // namespace infersave
