// Cost and SLO-based selection (paper eqs. 1-3, Section IV-E; method.md section 6).
#include "infersave/planner.h"
#include "infersave/confidence.h"
#include "infersave/replica.h"
#include "infersave/search.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "io/text.h"

namespace infersave {

namespace {
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
}

std::string_view BillingName(Billing billing) {
  return billing == Billing::kHourly ? "hourly" : "per-second";
}

Result<Billing> ParseBilling(std::string_view text) {
  std::string t = io::ToLower(io::Trim(text));
  if (t == "per-second" || t == "second" || t == "per_second") return Billing::kPerSecond;
  if (t == "hourly" || t == "per-hour" || t == "hour") return Billing::kHourly;
  return InvalidArgument(fmt::format("unknown billing {} (expected 'per-second' or 'hourly')", io::Quote(text)));
}

std::string_view PaceName(Pace pace) { return pace == Pace::kSlo ? "slo" : "max"; }

Result<Pace> ParsePace(std::string_view text) {
  std::string t = io::ToLower(io::Trim(text));
  if (t == "slo") return Pace::kSlo;
  if (t == "max") return Pace::kMax;
  return InvalidArgument(fmt::format("unknown pace {} (expected 'slo' or 'max')", io::Quote(text)));
}

Status ValidatePlanOptions(const PlanOptions& o, const ModelConfig& model) {
  if (Status s = ValidateWorkload(o.workload, model); !s.ok()) return s;
  if (!(o.slo_tps >= 0) || !std::isfinite(o.slo_tps)) {
    return InvalidField("objective.slo_tps", fmt::format("must be a number >= 0 (0 = no objective), got {}", o.slo_tps));
  }
  if (!(o.slo_headroom_pct >= 0 && o.slo_headroom_pct <= 1000)) {
    return InvalidField("objective.slo_headroom_pct",
                        fmt::format("must be between 0 and 1000 percent, got {}", o.slo_headroom_pct));
  }
  if (!(o.max_usd_per_hour > 0)) {
    return InvalidField("objective.max_usd_per_hour",
                        fmt::format("must be a positive USD/hour, got {}", o.max_usd_per_hour));
  }
  if (o.offload_mode == OffloadMode::kFixed && !(o.offload_ratio >= 0 && o.offload_ratio <= 1)) {
    return InvalidField("offload.ratio", fmt::format("must be between 0 and 1, got {}", o.offload_ratio));
  }
  if (!(o.min_confidence >= 0 && o.min_confidence < 1)) {
    return InvalidField("objective.confidence",
                        fmt::format("must be a probability in [0, 1), e.g. 0.9, got {}", o.min_confidence));
  }

  if (o.deadline_s && !(*o.deadline_s >= 60 && *o.deadline_s <= 365 * 86400.0)) {
    return InvalidField("objective.deadline_s",
                        fmt::format("must be between 1 minute and 365 days, got {:g} s", *o.deadline_s));
  }
  if (o.deadline_s && o.slo_tps > 0) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("give {} or {}, not both: a deadline sets the pace of a batch job",
                             FieldRef("objective.deadline_s"), FieldRef("objective.slo_tps")),
                 "objective.deadline_s");
  }
  if (o.gpu_memory_utilization && !(*o.gpu_memory_utilization > 0 && *o.gpu_memory_utilization <= 1)) {
    return InvalidField("engine.gpu_memory_utilization",
                        fmt::format("must be in (0, 1], got {}", *o.gpu_memory_utilization));
  }
  return Status::Ok();
}

bool PrecisionSupported(const GpuSpec& gpu, const Workload& w) {
  if (gpu.Flops(ComputePrecision(w.weight_precision, gpu)) <= 0) return false;
  // An FP8 KV cache needs FP8 support (Ada, Hopper); INT8 and 16-bit caches
  // are only storage.
  if (w.kv_precision == Precision::kFp8 && gpu.Flops(Precision::kFp8) <= 0) return false;
  if (w.kv_precision == Precision::kBf16 && gpu.Flops(Precision::kBf16) <= 0) return false;
  return true;
}

Status CheckEngineFormats(const EngineProfile& engine, const Workload& w) {
  auto names = [](const std::vector<Precision>& v) {
    std::vector<std::string> out;
    for (Precision p : v) out.emplace_back(PrecisionName(p));
    return fmt::format("{}", fmt::join(out, ", "));
  };
  auto has = [](const std::vector<Precision>& v, Precision p) { return std::find(v.begin(), v.end(), p) != v.end(); };
  if (!has(engine.weight_formats, w.weight_precision)) {
    return InvalidArgument(fmt::format("engine '{}' does not run {} weights (it runs {})", engine.name,
                                       PrecisionName(w.weight_precision), names(engine.weight_formats)));
  }
  if (!has(engine.kv_formats, w.kv_precision)) {
    return InvalidArgument(fmt::format("engine '{}' does not keep a {} KV cache (it keeps {})", engine.name,
                                       PrecisionName(w.kv_precision), names(engine.kv_formats)));
  }
  return Status::Ok();
}

Evaluator::Evaluator(const PlanContext& context, const PlanOptions& options)
    : context_(context),
      options_(options),
      params_(CountParameters(*context.model)),
      perf_(MakePerfModel(options.perf_model)) {
  calibration_matches_model_ =
      context.calibration && io::EqualsIgnoreCase(context.calibration->perf_model, PerfModelName(options.perf_model));
  unfused_engine_ = *context.engine;
  unfused_engine_.fused_attention = false;
}

const EngineProfile& Evaluator::EngineFor(const Instance& instance) const {
  const EngineProfile& e = *context_.engine;
  const bool degraded = e.fused_attention && instance.gpu.compute_capability > 0 &&
                        instance.gpu.compute_capability < e.fused_attention_min_compute_capability;
  return degraded ? unfused_engine_ : e;
}

Screening ScreenInstance(const Instance& instance, const EngineProfile& engine, const Workload& workload, bool spot,
                         double max_usd_per_hour) {
  Screening s;
  s.spot = spot;
  s.priced = !spot || instance.spot_usd_per_hour.has_value();
  s.usd_per_hour = spot ? instance.spot_usd_per_hour.value_or(instance.usd_per_hour) : instance.usd_per_hour;
  s.within_price_cap = s.usd_per_hour <= max_usd_per_hour;
  s.compatibility = CheckCompatibility(engine, instance);
  s.precision_supported = PrecisionSupported(instance.gpu, workload);
  return s;
}

Screening::Rejection Screening::FirstRejection() const {
  if (!priced) return Rejection::kNoSpotPrice;
  if (!within_price_cap) return Rejection::kOverPriceCap;
  if (!compatibility.runs) return Rejection::kIncompatible;
  if (!precision_supported) return Rejection::kUnsupportedPrecision;
  return Rejection::kNone;
}

Verdict Candidate::Screen(Screening screening) {
  spot = screening.spot;
  priced = screening.priced;
  usd_per_hour = screening.usd_per_hour;
  within_price_cap = screening.within_price_cap;
  precision_supported = screening.precision_supported;
  compatible = screening.compatibility.runs;
  if (!compatible) incompatibility = std::move(screening.compatibility.reason);
  switch (screening.FirstRejection()) {
    case Screening::Rejection::kNoSpotPrice: return Verdict::kNoSpotPrice;
    case Screening::Rejection::kOverPriceCap: return Verdict::kOverPriceCap;
    case Screening::Rejection::kIncompatible: return Verdict::kIncompatible;
    case Screening::Rejection::kUnsupportedPrecision: return Verdict::kUnsupportedPrecision;
    case Screening::Rejection::kNone: break;
  }
  return Verdict::kQualifies;
}

int RankGroup(const Candidate& c) {
  switch (c.verdict) {
    case Verdict::kQualifies: return 0;
    case Verdict::kMissesSlo:
    case Verdict::kLowConfidence: return 1;
    case Verdict::kPruned: return 2;
    case Verdict::kOverPriceCap: return c.predicted ? 2 : 3;
    default: return 3;
  }
}

std::string FleetQuotaWarning(const Candidate& pick) {
  constexpr int64_t kQuotaInstances = 100;
  if (pick.instances <= kQuotaInstances) return "";
  return fmt::format("the pick needs {} instances of {}; clouds cap GPU instances per account and region (quotas, "
                     "often far below 100): check yours before relying on this fleet",
                     pick.instances, pick.instance->name);
}

std::string LowConfidenceText(const Candidate& c, double min_confidence) {
  if (!c.slo_confidence) {
    return fmt::format("no measured error for {} to say how likely it meets the objective (confidence {:g}% asked)",
                       c.instance->gpu.name, min_confidence * 100);
  }
  return fmt::format("meets the objective as predicted, but only with probability {:.0f}% < {:g}% asked (error "
                     "spread {:.1f}%)",
                     *c.slo_confidence * 100, min_confidence * 100, c.error_sigma_pct);
}

std::string ScreeningRejectionText(const Candidate& e, const PlanOptions& o) {
  const Instance& inst = *e.instance;
  switch (e.verdict) {
    case Verdict::kOverPriceCap:
      return fmt::format("over the price cap: ${:.3f}/h > ${:.2f}/h", e.usd_per_hour, o.max_usd_per_hour);
    case Verdict::kNoSpotPrice:
      return "no spot price in the catalog";
    case Verdict::kIncompatible:
      return e.incompatibility;
    case Verdict::kUnsupportedPrecision: {
      const Precision weights = o.workload.weight_precision;
      const char* why = weights == Precision::kFp8 || o.workload.kv_precision == Precision::kFp8
                            ? " (FP8 needs an Ada or Hopper GPU)"
                            : "";
      if (inst.gpu.Flops(ComputePrecision(weights, inst.gpu)) <= 0) {
        return fmt::format("{} cannot run {} weights: no {} tensor cores{}", inst.gpu.name, PrecisionName(weights),
                           PrecisionName(ComputePrecision(weights, inst.gpu)), why);
      }
      return fmt::format("{} cannot hold a {} KV cache{}", inst.gpu.name, PrecisionName(o.workload.kv_precision),
                         why);
    }
    default:
      return "";
  }
}

Compatibility CheckCompatibility(const EngineProfile& engine, const Instance& instance) {
  Compatibility c;
  const GpuSpec& gpu = instance.gpu;
  if (std::find(engine.vendors.begin(), engine.vendors.end(), gpu.vendor) == engine.vendors.end()) {
    c.runs = false;
    c.reason = fmt::format("engine '{}' has no build for {} GPUs ({}); it runs on {}", engine.name,
                           gpu.vendor == "amd" ? "AMD" : "NVIDIA", gpu.name, fmt::join(engine.vendors, ", "));
    if (gpu.vendor == "amd") c.reason += " (the vllm-rocm engine profile runs on AMD GPUs)";
    return c;
  }
  const double cc = gpu.compute_capability;
  if (gpu.vendor == "nvidia" && cc > 0 && cc < engine.min_compute_capability) {
    c.runs = false;
    c.reason = fmt::format("engine '{}' needs compute capability {:.1f} or newer; {} is {:.1f}", engine.name,
                           engine.min_compute_capability, gpu.name, cc);
    return c;
  }
  if (instance.host_arch == "arm64" && gpu.vendor == "nvidia" && cc > 0 && cc < engine.arm_host_min_compute_capability) {
    c.runs = false;
    c.reason = fmt::format("no prebuilt engine '{}' for an ARM (aarch64) host with a compute capability {:.1f} GPU "
                           "({}); its aarch64 builds target compute capability {:.1f} and newer",
                           engine.name, cc, gpu.name, engine.arm_host_min_compute_capability);
    return c;
  }
  if (engine.fused_attention && cc > 0 && cc < engine.fused_attention_min_compute_capability) {
    c.degraded = true;
    c.reason = fmt::format("no FlashAttention on {} (compute capability {:.1f}): engine '{}' runs a slower attention "
                           "backend, predicted with unfused attention",
                           gpu.name, cc, engine.name);
  }
  return c;
}

Evaluation Evaluator::Evaluate(const Instance& instance) const {
  return Evaluate(instance, options_.offload_mode, options_.offload_ratio);
}

namespace {

// Which of two placements of the same instance to report: the better verdict,
// then the lower job cost, then the higher throughput; among placements that
// cannot run, the widest split (the closest to fitting).
bool BetterLayout(const Evaluation& a, const Evaluation& b) {
  const int ga = RankGroup(a), gb = RankGroup(b);
  if (ga != gb) return ga < gb;
  if (!a.can_run) return a.tp > b.tp;
  if (a.job_cost_usd != b.job_cost_usd) return a.job_cost_usd < b.job_cost_usd;
  if (a.tps != b.tps) return a.tps > b.tps;
  return a.tp < b.tp;
}

}  // namespace

Evaluation Evaluator::Evaluate(const Instance& instance, OffloadMode mode, double fixed_ratio) const {
  // Every tensor-parallel degree that divides the GPU count and the model's
  // heads (the paper's model knows only one GPU per copy).
  const Ctcf ctcf = LookupCtcf(instance);
  Evaluation best = EvaluateLayoutWith(instance, 1, mode, fixed_ratio, ctcf);
  if (options_.perf_model == PerfModelKind::kPaper) return best;
  for (int tp = 2; tp <= instance.gpu_count; tp *= 2) {
    if (instance.gpu_count % tp != 0 || !ValidTensorParallel(*context_.model, tp)) continue;
    Evaluation e = EvaluateLayoutWith(instance, tp, mode, fixed_ratio, ctcf);
    if (BetterLayout(e, best)) best = e;
  }
  return best;
}

Ctcf Evaluator::LookupCtcf(const Instance& instance) const {
  Ctcf ctcf;
  if (!calibration_matches_model_) return ctcf;
  auto fill = [&](Phase phase, PhaseCtcf& out) {
    bool carried = false;
    if (const CtcfEntry* c = context_.calibration->FindOrCarry(instance.gpu.name, instance.gpu.silicon,
                                                               instance.gpu.memory_bytes_per_s / 1e9,
                                                               context_.engine->name, phase, &carried)) {
      out = PhaseCtcf{c->alpha, c->beta_s, true, c->points, c->median_ape_pct, carried ? c->gpu : std::string()};
    }
  };
  fill(Phase::kPrefill, ctcf.prefill);
  fill(Phase::kDecode, ctcf.decode);
  return ctcf;
}

namespace {

// Seconds one instance takes for `requests` of the job at full speed: split
// over its replicas, in batches of BS; a partial last batch takes as long as
// a full one.
double FlatOutSeconds(const Evaluation& e, const Workload& w, int64_t requests) {
  const int64_t per_replica = (requests + e.replicas - 1) / e.replicas;
  const int64_t batch = e.batch_size > 0 ? e.batch_size : w.batch_size;
  const double batches = std::ceil(static_cast<double>(per_replica) / static_cast<double>(batch));
  return batches * e.timing.total_s;
}

double BilledHours(double job_s, Billing billing) {
  return billing == Billing::kHourly ? std::max(1.0, std::ceil(job_s / 3600 - 1e-9)) : std::max(60.0, std::ceil(job_s)) / 3600;
}

}  // namespace

void PriceJob(Evaluation& e, const PlanOptions& o) {
  const Workload& w = o.workload;
  e.instances = 1;
  double job_s = 0;
  if (o.deadline_s) {
    // The fewest instances that finish by the deadline, the requests split
    // evenly over them; each is billed for its own time.
    const double one = FlatOutSeconds(e, w, w.requests);
    int64_t n = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(one / *o.deadline_s - 1e-9)));
    while (n < w.requests && FlatOutSeconds(e, w, (w.requests + n - 1) / n) > *o.deadline_s) ++n;
    e.instances = n;
    job_s = FlatOutSeconds(e, w, (w.requests + n - 1) / n);
  } else if (o.pace == Pace::kSlo && o.slo_tps > 0) {
    // Paper eq. 2: the job's tokens at min(TPS, TPS_SLO).
    job_s = static_cast<double>(w.requests) * static_cast<double>(w.context_len()) / std::min(e.tps, o.slo_tps);
  } else {
    job_s = FlatOutSeconds(e, w, w.requests);
  }
  e.job_hours = job_s / 3600;
  e.billed_hours = BilledHours(job_s, o.billing);
  e.job_cost_usd = static_cast<double>(e.instances) * e.billed_hours * e.usd_per_hour;
  const double tps_eff = o.slo_tps > 0 ? std::min(e.tps, o.slo_tps) : e.tps;
  e.cost_efficiency = tps_eff * 3600 / (e.billed_hours * e.usd_per_hour);
  e.meets_slo = o.deadline_s ? job_s <= *o.deadline_s : e.tps >= o.slo_tps * (1 + o.slo_headroom_pct / 100);
}

Evaluation Evaluator::EvaluateLayout(const Instance& instance, int tp, OffloadMode mode, double fixed_ratio) const {
  return EvaluateLayoutWith(instance, tp, mode, fixed_ratio, LookupCtcf(instance));
}

Evaluation Evaluator::EvaluateLayoutWith(const Instance& instance, int tp, OffloadMode mode, double fixed_ratio,
                                         const Ctcf& ctcf) const {
  const Workload& w = options_.workload;
  const EngineProfile& engine = EngineFor(instance);
  Evaluation e;
  e.instance = &instance;
  e.tp = tp;
  e.replicas = instance.gpu_count / tp;
  e.engine = context_.engine;
  e.weights = w.weight_precision;
  e.kv_cache = w.kv_precision;
  e.batch_size = w.batch_size;
  const Verdict screened = e.Screen(ScreenInstance(instance, engine, w, options_.spot, options_.max_usd_per_hour));

  const Replica replica{context_.model, &params_, &instance.gpu, &engine, tp, ctcf};
  const double utilization = options_.gpu_memory_utilization.value_or(engine.gpu_memory_utilization);
  e.memory = replica.Memory(w, utilization, perf_->memory_style());
  e.offload = DecideOffload(e.memory, engine, mode, fixed_ratio,
                            instance.host_memory_bytes / std::max(1, instance.gpu_count));
  if (options_.perf_model == PerfModelKind::kPaper && e.offload.weight_gpu_fraction < 1) {
    // The paper's equations have no weight transfers.
    e.offload.placement = Placement::kCannotRun;
    e.offload.blocker = OffloadBlocker::kWeightsDoNotFit;
  }
  e.can_run = e.compatible && e.precision_supported && e.offload.placement != Placement::kCannotRun;

  if (e.can_run) {
    e.ctcf = ctcf;
    e.timing = replica.Predict(*perf_, w, e.offload.ratio, 1 - e.offload.weight_gpu_fraction);

    const double replicas = static_cast<double>(e.replicas);
    e.tps = replicas * e.timing.tokens_per_s(w);
    e.output_tps = replicas * e.timing.output_tokens_per_s(w);
    PriceJob(e, options_);
  }

  // Algorithm 1 filters by price first, then by memory; then the SLO.
  e.predicted = e.can_run;
  if (screened != Verdict::kQualifies) {
    e.verdict = screened;
    return e;
  }
  if (!e.can_run) {
    e.verdict = Verdict::kCannotRun;
  } else if (!e.meets_slo) {
    e.verdict = Verdict::kMissesSlo;
  } else {
    e.verdict = Verdict::kQualifies;
  }
  return e;
}

// Rank order (method.md section 6): the job's cost, then the hourly price,
// then the higher throughput, then the name, so that ties are deterministic.
bool RanksBefore(const Evaluation& a, const Evaluation& b) {
  const int ga = RankGroup(a), gb = RankGroup(b);
  if (ga != gb) return ga < gb;
  if (ga < 3) {
    if (a.job_cost_usd != b.job_cost_usd) return a.job_cost_usd < b.job_cost_usd;
    if (a.usd_per_hour != b.usd_per_hour) return a.usd_per_hour < b.usd_per_hour;
    if (a.tps != b.tps) return a.tps > b.tps;
  }
  return a.instance->name < b.instance->name;
}

std::optional<double> SavingsPct(const std::optional<Evaluation>& pick, const std::optional<Evaluation>& baseline) {
  if (!pick || !baseline || baseline->job_cost_usd <= 0) return std::nullopt;
  return 100.0 * (1.0 - pick->job_cost_usd / baseline->job_cost_usd);
}

namespace {

std::vector<Evaluation> EvaluateAll(const Evaluator& evaluator, const Catalog& catalog, OffloadMode mode,
                                    double ratio) {
  std::vector<Evaluation> all;
  all.reserve(catalog.instances.size());
  for (const Instance& inst : catalog.instances) all.push_back(evaluator.Evaluate(inst, mode, ratio));
  std::sort(all.begin(), all.end(), [](const Evaluation& a, const Evaluation& b) { return RanksBefore(a, b); });
  return all;
}

std::string Gib(double bytes) { return fmt::format("{:.1f} GiB", bytes / kGiB); }

}  // namespace

Result<Plan> MakePlan(const PlanContext& context, const PlanOptions& options) {
  if (Status s = ValidatePlanOptions(options, *context.model); !s.ok()) return s.error();
  if (Status s = CheckEngineFormats(*context.engine, options.workload); !s.ok()) return s.error();
  if (Status s = CheckSpotPrices(*context.catalog, options.spot); !s.ok()) return s.error();
  Evaluator evaluator(context, options);
  Plan plan;
  plan.options = options;
  plan.params = evaluator.params();
  plan.perf_model = std::string(PerfModelName(options.perf_model));
  plan.engine = context.engine->name;
  plan.catalog = context.catalog->name;
  plan.catalog_as_of = context.catalog->as_of;
  plan.candidates = EvaluateAll(evaluator, *context.catalog, options.offload_mode, options.offload_ratio);
  AssessConfidence(plan.candidates, context, options);
  if (options.min_confidence > 0) {
    for (Evaluation& e : plan.candidates) {
      if (e.qualifies() && (options.slo_tps > 0 || options.deadline_s) &&
          (!e.slo_confidence || *e.slo_confidence < options.min_confidence)) {
        e.verdict = Verdict::kLowConfidence;
      }
    }
    std::sort(plan.candidates.begin(), plan.candidates.end(),
              [](const Evaluation& a, const Evaluation& b) { return RanksBefore(a, b); });
  }

  if (!plan.candidates.empty() && plan.candidates.front().qualifies()) {
    plan.recommendation = plan.candidates.front();
  }
  // Max-Performance: the highest predicted throughput among instances that
  // can run the job within the price cap (the paper's g6e.xlarge).
  for (const Evaluation& e : plan.candidates) {
    if (!e.can_run || !e.within_price_cap || !e.priced) continue;
    if (!plan.max_performance || e.tps > plan.max_performance->tps ||
        (e.tps == plan.max_performance->tps && RanksBefore(e, *plan.max_performance))) {
      plan.max_performance = e;
    }
  }
  // No-offload: the same selection with offloading disabled.
  if (options.offload_mode == OffloadMode::kNone) {
    plan.no_offload = plan.recommendation;
  } else {
    std::vector<Evaluation> without = EvaluateAll(evaluator, *context.catalog, OffloadMode::kNone, 0);
    if (!without.empty() && without.front().qualifies()) plan.no_offload = without.front();
  }
  // The plan's prices are as old as the oldest one it relies on: the pick and
  // the baselines its savings are measured against.
  auto instance_of = [](const std::optional<Evaluation>& e) { return e ? e->instance : nullptr; };
  const std::string relied = OldestPriceDate(
      {instance_of(plan.recommendation), instance_of(plan.max_performance), instance_of(plan.no_offload)});
  if (plan.recommendation || plan.max_performance || plan.no_offload) plan.catalog_as_of = relied;
  plan.savings_vs_max_performance_pct = SavingsPct(plan.recommendation, plan.max_performance);
  plan.savings_vs_no_offload_pct = SavingsPct(plan.recommendation, plan.no_offload);
  if (plan.recommendation) plan.pick_flips_at_error_pct = PickFlipsAtErrorPct(plan.candidates, options);
  plan.frontier = ParetoFrontier(plan.candidates);
  if (plan.recommendation) {
    if (std::string w = FleetQuotaWarning(*plan.recommendation); !w.empty()) plan.warnings.push_back(std::move(w));
  }

  if (context.calibration && !io::EqualsIgnoreCase(context.calibration->perf_model, plan.perf_model)) {
    plan.warnings.push_back(fmt::format(
        "calibration {} was fitted against the '{}' model, not '{}'; predictions are uncalibrated",
        context.calibration->source, context.calibration->perf_model, plan.perf_model));
  }
  for (std::string& w : InputWarnings(context, options.spot)) plan.warnings.push_back(std::move(w));
  return plan;
}

Status CheckSpotPrices(const Catalog& catalog, bool spot) {
  if (!spot) return Status::Ok();
  for (const Instance& i : catalog.instances) {
    if (i.spot_usd_per_hour) return Status::Ok();
  }
  return InvalidInput(fmt::format("catalog {} has no spot prices (its SpotPrice column is empty); plan at on-demand "
                                  "prices, or give a catalog with spot prices",
                                  catalog.name));
}

std::vector<std::string> InputWarnings(const PlanContext& context, bool spot) {
  std::vector<std::string> out;
  for (const std::string& a : context.model->assumptions) out.push_back("model: " + a);
  std::vector<std::string> degraded;
  for (const Instance& i : context.catalog->instances) {
    Compatibility c = CheckCompatibility(*context.engine, i);
    if (c.runs && c.degraded && std::find(degraded.begin(), degraded.end(), i.gpu.name) == degraded.end()) {
      degraded.push_back(i.gpu.name);
      out.push_back("engine: " + c.reason);
    }
  }
  for (std::string& w : CheckCatalogPrices(*context.catalog)) out.push_back("catalog: " + std::move(w));
  if (spot) {
    int missing = 0;
    for (const Instance& i : context.catalog->instances) missing += i.spot_usd_per_hour ? 0 : 1;
    if (missing > 0) {
      out.push_back(fmt::format("{} of {} instances have no spot price in catalog {} and were left out", missing,
                                context.catalog->instances.size(), context.catalog->name));
    }
  }
  if (context.catalog->other_region_rows > 0) {
    out.push_back(fmt::format(
        "catalog {} lists {} more row{} for instance types in other regions or zones; the first row of each type "
        "was used (plan for one region to pick its rows)",
        context.catalog->name, context.catalog->other_region_rows, context.catalog->other_region_rows == 1 ? "" : "s"));
  }
  return out;
}

std::string RejectionText(const Evaluation& e, const PlanOptions& o) {
  const Instance& inst = *e.instance;
  switch (e.verdict) {
    case Verdict::kQualifies:
      return "";
    case Verdict::kOverPriceCap:
    case Verdict::kNoSpotPrice:
    case Verdict::kIncompatible:
    case Verdict::kUnsupportedPrecision:
      return ScreeningRejectionText(e, o);
    case Verdict::kRequestTooLong:  // online plans only
      break;
    case Verdict::kLowConfidence:
      return LowConfidenceText(e, o.min_confidence);
    case Verdict::kPruned:  // online plans only
      break;
    case Verdict::kMissesSlo: {
      const double need = o.slo_tps * (1 + o.slo_headroom_pct / 100);
      if (o.slo_headroom_pct > 0) {
        return fmt::format("misses the SLO: {:.0f} tok/s < {:.0f} tok/s ({:g} + {:g}% headroom)", e.tps, need,
                           o.slo_tps, o.slo_headroom_pct);
      }
      return fmt::format("misses the SLO: {:.0f} tok/s < {:.0f} tok/s", e.tps, need);
    }
    case Verdict::kCannotRun:
      break;
  }
  const MemoryBreakdown& m = e.memory;
  const OffloadDecision& d = e.offload;
  switch (d.blocker) {
    case OffloadBlocker::kWeightsDoNotFit: {
      std::string text = fmt::format(
          "does not fit: weights {} + activations {} + reserve {} exceed the usable {} of one {}",
          Gib(m.weights_bytes), Gib(m.activation_bytes), Gib(m.reserve_bytes), Gib(m.budget_bytes), inst.gpu.name);
      if (e.tp > 1) text += fmt::format(" (model split over {} GPUs)", e.tp);
      return text;
    }
    case OffloadBlocker::kNoRoomForOneLayer:
      return fmt::format("cannot run: {} left after weights and activations, less than one layer's KV cache ({})",
                         Gib(d.kv_space_bytes), Gib(m.kv_per_layer_bytes));
    case OffloadBlocker::kOffloadDisabled:
      return fmt::format("KV cache {} does not fit in the {} left, and offloading is disabled", Gib(m.kv_bytes),
                         Gib(d.kv_space_bytes));
    case OffloadBlocker::kEngineCannotOffload:
      return fmt::format("KV cache {} does not fit in the {} left, and the engine cannot offload it",
                         Gib(m.kv_bytes), Gib(d.kv_space_bytes));
    case OffloadBlocker::kFixedRatioTooSmall:
      return fmt::format("offload ratio {:.2f} is too small: the GPU holds only {} of the {} KV cache (needs >= {:.2f})",
                         o.offload_ratio, Gib(d.kv_space_bytes), Gib(m.kv_bytes), d.required_ratio);
    case OffloadBlocker::kHostMemoryTooSmall:
      if (d.ratio == 0) {
        return fmt::format("host memory per GPU ({}) is less than the engine's own need ({})",
                           Gib(inst.host_memory_bytes / std::max(1, inst.gpu_count)),
                           Gib(d.host_reserve_bytes));
      }
      if (d.host_weight_bytes > 0) {
        return fmt::format(
            "offloaded weights {} + KV cache {} do not fit in host memory ({} usable per GPU of {})",
            Gib(d.host_weight_bytes), Gib(d.ratio * m.kv_bytes), Gib(d.host_available_bytes),
            Gib(inst.host_memory_bytes));
      }
      return fmt::format("offloaded KV cache {} does not fit in host memory ({} usable per GPU of {})",
                         Gib(d.ratio * m.kv_bytes), Gib(d.host_available_bytes), Gib(inst.host_memory_bytes));
    case OffloadBlocker::kNone:
      break;
  }
  return "cannot run";
}

}  // namespace infersave
