// Online serving: iteration times, KV limits and the rate search
// (include/infersave/serving.h; method.md section 9).
#include "infersave/serving.h"
#include "infersave/confidence.h"
#include "infersave/replica.h"
#include "infersave/search.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "io/text.h"
#include "perf/roofline_terms.h"
#include "serve/rate_search.h"

namespace infersave {

// ---- Iteration time ----------------------------------------------------------------

// The timer keeps its own copy of the engine profile: the roofline terms
// refer to it, and the caller's profile may not outlive the timer.
struct IterationTimer::Terms {
  explicit Terms(const PredictInput& in) : engine(*in.engine), roofline(WithEngine(in, &engine)) {}
  static PredictInput WithEngine(PredictInput in, const EngineProfile* engine) {
    in.engine = engine;
    return in;
  }
  EngineProfile engine;
  RooflineTerms roofline;
};

IterationTimer::IterationTimer(const PredictInput& in)
    : terms_(std::make_shared<const Terms>(in)), ctcf_(in.ctcf) {}

double IterationTimer::Seconds(const IterationShape& shape) const {
  using Pass = RooflineTerms::Pass;
  const RooflineTerms& r = terms_->roofline;
  const EngineProfile& e = r.engine();
  const double prefill = static_cast<double>(shape.prefill_tokens);
  const double decode = static_cast<double>(shape.decode_sequences);
  const double n = r.layers();
  if (prefill + decode <= 0) return 0;
  // The linear operators see every token of the iteration at once; a batch
  // with prefill tokens is large enough to run its GEMMs at prefill efficiency.
  double uncalibrated = r.LinearLayers(prefill + decode, prefill > 0 ? Pass::kPrefill : Pass::kDecode) +
                        n * e.layer_overhead_s;
  if (prefill > 0) {
    uncalibrated += r.PrefillAttention(prefill, shape.prefill_attention_pairs, shape.prefill_window_attention_pairs);
  }
  if (decode > 0) {
    uncalibrated += r.DecodeAttention(static_cast<double>(shape.decode_context_tokens),
                                      static_cast<double>(shape.decode_window_context_tokens)) +
                    n * e.decode_attention_latency_s;
  }
  // Logits and sampling for every decoding sequence and every prefill chunk
  // that completes its prompt.
  const double rows = decode + static_cast<double>(shape.prefill_completions);
  uncalibrated += r.LmHead(rows) + e.step_overhead_s + rows * e.per_sequence_step_s;
  if (decode == 0) return ctcf_.prefill.Apply(uncalibrated);
  if (prefill == 0) return ctcf_.decode.Apply(uncalibrated);
  const double w = prefill / (prefill + decode);
  const double alpha = w * ctcf_.prefill.alpha + (1 - w) * ctcf_.decode.alpha;
  const double beta = w * ctcf_.prefill.beta_s + (1 - w) * ctcf_.decode.beta_s;
  return alpha * uncalibrated + beta;
}

StepTimeFn IterationTimer::AsStepTime() const {
  return [timer = *this](const IterationShape& shape) { return timer.Seconds(shape); };
}

IterationTimer IterationTimer::WithCtcf(const Ctcf& ctcf) const {
  IterationTimer copy = *this;
  copy.ctcf_ = ctcf;
  return copy;
}

double IterationTimer::KvBytesPerToken() const { return terms_->roofline.KvBytesPerToken(); }

double IterationTimer::HostLinkBytesPerSecond() const { return terms_->roofline.h2d_bytes_per_s(); }

EngineLimits ServingLimits(const EngineProfile& engine, double kv_space_bytes, double kv_bytes_per_token,
                           double h2d_bytes_per_s) {
  EngineLimits l;
  l.max_sequences = std::max<int64_t>(1, engine.max_num_seqs);
  // An engine without chunked prefill (budget 0) still batches decodes of
  // every running sequence; the simulator needs a budget of at least that.
  const int64_t chunk = engine.prefill_chunk_tokens > 0 ? engine.prefill_chunk_tokens : kMaxSequenceTokens;
  l.max_batched_tokens = std::max<int64_t>(chunk, l.max_sequences);
  l.block_size_tokens = std::max<int64_t>(1, engine.kv_block_tokens);
  const double block_bytes = static_cast<double>(l.block_size_tokens) * kv_bytes_per_token;
  l.kv_blocks = block_bytes > 0 ? static_cast<int64_t>(std::floor(std::max(0.0, kv_space_bytes) / block_bytes)) : 0;
  l.preemption = engine.swap_preemption ? EngineLimits::Preemption::kSwap : EngineLimits::Preemption::kRecompute;
  l.swap_s_per_block = engine.swap_preemption && h2d_bytes_per_s > 0 ? block_bytes / h2d_bytes_per_s : 0;
  l.reserve_full_request = engine.reserve_output_kv;
  l.mixed_batches = engine.mixed_prefill_decode;
  return l;
}

std::vector<Request> ScaleArrivals(const std::vector<Request>& requests, double factor) {
  std::vector<Request> out = requests;
  for (Request& r : out) r.arrival_s *= factor;
  return out;
}

// ---- One replica ------------------------------------------------------------------

Result<ServingReplica> MakeServingReplica(const PlanContext& context, const PlanOptions& plan,
                                          const Instance& instance, int tp) {
  Evaluator evaluator(context, plan);
  const EngineProfile& engine = evaluator.EngineFor(instance);
  ServingReplica replica;
  replica.ctcf = evaluator.LookupCtcf(instance);
  const Replica copy{context.model, &evaluator.params(), &instance.gpu, &engine, tp, replica.ctcf};
  // The activation workspace of the largest forward pass: one token budget.
  Workload pass = plan.workload;
  pass.batch_size = 1;
  pass.input_len = engine.prefill_chunk_tokens > 0 ? engine.prefill_chunk_tokens : plan.workload.input_len;
  pass.output_len = 1;
  const double utilization = plan.gpu_memory_utilization.value_or(engine.gpu_memory_utilization);
  replica.memory = copy.Memory(pass, utilization, MemoryStyle::kWorkspace);
  replica.timer = std::make_shared<IterationTimer>(copy.Input(plan.workload));
  replica.limits = ServingLimits(engine, replica.memory.available_bytes(), replica.timer->KvBytesPerToken(),
                                 replica.timer->HostLinkBytesPerSecond());
  replica.limits.max_sequences = std::max<int64_t>(1, engine.MaxSequences(instance.gpu));
  replica.limits.max_batched_tokens = std::max(replica.limits.max_batched_tokens, replica.limits.max_sequences);
  const ModelConfig& model = *context.model;
  if (model.windowed_layers > 0) {
    replica.limits.window_kind = model.window_kind;
    replica.limits.window_tokens = model.window_tokens;
    replica.limits.windowed_kv_share =
        static_cast<double>(model.windowed_layers) / static_cast<double>(model.num_layers);
  }
  replica.fits = replica.limits.kv_blocks >= 1;
  return replica;
}

// ---- Options ----------------------------------------------------------------------

Status ValidateServingOptions(const ServingOptions& o, const EngineProfile& engine) {
  if (!engine.continuous_batching) {
    return InvalidArgument(fmt::format(
        "engine '{}' runs static batches (continuous_batching is false in its profile); latency objectives and "
        "request rates need a continuous-batching engine such as vllm, tensorrt-llm, tgi or llamacpp",
        engine.name));
  }
  if (o.plan.perf_model != PerfModelKind::kRoofline) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("online serving is simulated with the roofline model only (the paper's equations have "
                             "no iteration time); set {} to roofline",
                             FieldRef("perf_model")),
                 "perf_model");
  }
  if (o.requests.empty()) return InvalidArgument("the serving workload has no requests");
  if (!(o.requests_rate_per_s > 0) || !std::isfinite(o.requests_rate_per_s)) {
    return InvalidArgument(fmt::format("the workload's arrival rate must be > 0 requests/s, got {}",
                                       o.requests_rate_per_s));
  }
  if (o.target_rate_per_s && !(*o.target_rate_per_s > 0 && *o.target_rate_per_s < 1e9)) {
    return InvalidField("serving.rate", fmt::format("must be a positive number of requests/s, got {}", *o.target_rate_per_s));
  }
  auto positive_ms = [](const std::optional<double>& v, const char* field) -> Status {
    if (v && !(*v > 0 && *v < 1e6)) {
      return InvalidField(field, fmt::format("must be a positive number of milliseconds, got {}", *v * 1000));
    }
    return Status::Ok();
  };
  if (Status s = positive_ms(o.slo.ttft_s, "objective.ttft_ms"); !s.ok()) return s;
  if (Status s = positive_ms(o.slo.tpot_s, "objective.tpot_ms"); !s.ok()) return s;
  if (!(o.slo.percentile > 0 && o.slo.percentile <= 100)) {
    return InvalidField("objective.percentile", fmt::format("must be in (0, 100], got {}", o.slo.percentile));
  }
  if (!(o.slo_tps >= 0) || !std::isfinite(o.slo_tps)) {
    return InvalidField("objective.slo_tps", fmt::format("must be a number >= 0, got {}", o.slo_tps));
  }
  if (!(o.rate_tolerance > 0 && o.rate_tolerance < 0.5)) {
    return InvalidArgument(fmt::format("rate tolerance must be in (0, 0.5), got {}", o.rate_tolerance));
  }
  return Status::Ok();
}

// ---- Ranking ----------------------------------------------------------------------

bool RanksBefore(const ServingEvaluation& a, const ServingEvaluation& b, bool by_fleet_cost) {
  const int ga = RankGroup(a), gb = RankGroup(b);
  if (ga != gb) return ga < gb;
  if (ga == 0) {
    const double ca = by_fleet_cost ? a.fleet_usd_per_hour : a.usd_per_million_tokens;
    const double cb = by_fleet_cost ? b.fleet_usd_per_hour : b.usd_per_million_tokens;
    if (ca != cb) return ca < cb;
    if (a.usd_per_million_tokens != b.usd_per_million_tokens) return a.usd_per_million_tokens < b.usd_per_million_tokens;
    if (a.usd_per_hour != b.usd_per_hour) return a.usd_per_hour < b.usd_per_hour;
    // Equal costs: the one with more capacity to spare.
    if (a.max_rate_per_instance != b.max_rate_per_instance) return a.max_rate_per_instance > b.max_rate_per_instance;
  }
  if (ga == 1 && a.max_rate_per_instance != b.max_rate_per_instance) {
    return a.max_rate_per_instance > b.max_rate_per_instance;
  }
  if (a.instance->name != b.instance->name) return a.instance->name < b.instance->name;
  return a.tp < b.tp;
}

namespace {

int64_t PeakTokens(const Request& r) { return r.prompt_tokens + r.output_tokens - 1; }

double MeanTokens(const std::vector<Request>& requests, bool prompt) {
  double sum = 0;
  for (const Request& r : requests) sum += static_cast<double>(prompt ? r.prompt_tokens : r.output_tokens);
  return requests.empty() ? 0 : sum / static_cast<double>(requests.size());
}



// What every layout of a serving plan shares.
struct LayoutJob {
  const PlanContext& context;
  const ServingOptions& o;
  int64_t longest;  // the longest request's peak tokens
  double target;    // requests/s (0 = none)
  double tokens_per_request;
};

// One instance at one TP degree, screened and sized; `replica` is set when
// its rate is to be searched (SearchLayout).
struct Layout {
  ServingEvaluation e;
  std::optional<ServingReplica> replica;
  double cost_bound = 0;  // the least its fleet can cost (RateUpperBound)
};

Result<Layout> PrepareLayout(const LayoutJob& job, const Instance& instance, int tp) {
  const ServingOptions& o = job.o;
  Layout layout;
  ServingEvaluation& e = layout.e;
  e.instance = &instance;
  e.tp = tp;
  e.replicas = instance.gpu_count / tp;
  e.engine = job.context.engine;
  e.weights = o.plan.workload.weight_precision;
  e.kv_cache = o.plan.workload.kv_precision;
  e.longest_request_tokens = job.longest;
  const Verdict screened =
      e.Screen(ScreenInstance(instance, *job.context.engine, o.plan.workload, o.plan.spot, o.plan.max_usd_per_hour));
  auto replica = MakeServingReplica(job.context, o.plan, instance, tp);
  if (!replica.ok()) return replica.error();
  e.memory = replica->memory;
  replica->limits.reserved_output_tokens = o.max_output_tokens;
  e.limits = replica->limits;
  e.ctcf = replica->ctcf;
  e.kv_capacity_tokens = e.limits.kv_blocks * e.limits.block_size_tokens;
  const int64_t peak_blocks = (job.longest + e.limits.block_size_tokens - 1) / e.limits.block_size_tokens;
  if (screened != Verdict::kQualifies) {
    e.verdict = screened;
  } else if (!replica->fits) {
    e.verdict = Verdict::kCannotRun;
  } else if (peak_blocks > e.limits.kv_blocks) {
    e.verdict = Verdict::kRequestTooLong;
  } else {
    layout.replica = std::move(replica).value();
  }
  return layout;
}

// The rate search of a prepared layout, and its fleet's price.
Status SearchLayout(const LayoutJob& job, Layout& layout) {
  const ServingOptions& o = job.o;
  ServingEvaluation& e = layout.e;
  e.predicted = true;
  ReplicaSearch search(o, e.limits, layout.replica->timer->AsStepTime());
  auto found = SearchRate(search, o, e);
  if (!found.ok()) return found.error();
  e.simulations = search.simulations;
  if (!*found) {
    e.verdict = Verdict::kMissesSlo;
    return Status::Ok();
  }
  e.max_rate_per_instance = e.max_rate_per_replica * e.replicas;
  if (job.target > 0) {
    e.instances = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(job.target / e.max_rate_per_instance - 1e-9)));
    auto at = search.At(job.target / static_cast<double>(e.instances * e.replicas));
    if (!at.ok()) return at.error();
    e.at_target = *at;
  } else {
    e.instances = 1;
    e.at_target = e.best;
  }
  e.simulations = search.simulations;
  e.fleet_usd_per_hour = static_cast<double>(e.instances) * e.usd_per_hour;
  const double served_rate = job.target > 0 ? job.target : e.max_rate_per_instance;
  e.usd_per_million_tokens = e.fleet_usd_per_hour / (served_rate * job.tokens_per_request * 3600) * 1e6;
  return Status::Ok();
}

// An upper bound on the requests/s one replica can serve, from the step
// times alone (no simulation): no iteration processes more than the token
// budget, and none takes less than the step time of a full budget with the
// least attention (every context one token long, no causal pairs), so
// throughput is at most budget / that time, maximised over the split
// between decoding sequences and prefill tokens. Step times grow with
// context and pairs, so the bound holds for any real iteration.
double RateUpperBound(const ServingReplica& replica, double tokens_per_request) {
  const EngineLimits& l = replica.limits;
  const int64_t budget = std::max<int64_t>(1, l.max_batched_tokens);
  double best_tokens_per_s = 0;
  for (int64_t d = 0;; d = d == 0 ? 1 : d * 2) {
    const int64_t decode = std::min({d, l.max_sequences, budget});
    IterationShape shape;
    shape.decode_sequences = decode;
    shape.decode_context_tokens = decode;
    shape.decode_window_context_tokens = decode;
    shape.prefill_tokens = budget - decode;
    const double t = replica.timer->Seconds(shape);
    if (t > 0) best_tokens_per_s = std::max(best_tokens_per_s, static_cast<double>(budget) / t);
    if (decode >= std::min(l.max_sequences, budget)) break;
  }
  return best_tokens_per_s / std::max(1.0, tokens_per_request);
}

// Which of two layouts of one instance to keep: the better rank group, then
// the lower cost, then the higher capacity; among those that miss, the lower
// TPOT at light load; among those that do not fit, the widest split (the
// closest to fitting).
bool BetterLayout(const ServingEvaluation& e, const ServingEvaluation& chosen, bool by_fleet_cost) {
  const int ga = RankGroup(e), gb = RankGroup(chosen);
  if (ga != gb) return ga < gb;
  if (ga == 0) {
    const double ca = by_fleet_cost ? e.fleet_usd_per_hour : e.usd_per_million_tokens;
    const double cb = by_fleet_cost ? chosen.fleet_usd_per_hour : chosen.usd_per_million_tokens;
    return ca < cb || (ca == cb && e.max_rate_per_instance > chosen.max_rate_per_instance);
  }
  if (ga == 1) return e.light.tpot_s < chosen.light.tpot_s;
  return ga == 3 && e.verdict == Verdict::kCannotRun;
}

// Warnings about a serving plan that is computed right but may mislead
// (issue 13): a percentile resting on too few simulated requests, a fleet
// beyond the clouds' usual quotas, a rate too low for an always-on service.
std::vector<std::string> ServingSanityWarnings(const ServingPlan& plan, const ServingOptions& o) {
  std::vector<std::string> out;
  // The tail beyond the percentile should hold at least 10 requests.
  constexpr double kTailRequests = 10;
  const double tail_share = (100 - o.slo.percentile) / 100;
  const double needed = tail_share > 0 ? std::ceil(kTailRequests / tail_share - 1e-9) : 0;
  if (tail_share > 0 && static_cast<double>(plan.simulated_requests) < needed) {
    out.push_back(fmt::format("only {} requests are simulated per rate; a p{:g} rests on the slowest {:g}% of them, "
                              "fewer than {:g} requests, and is noisy (simulate {:.0f} requests or more)",
                              plan.simulated_requests, o.slo.percentile, tail_share * 100, kTailRequests, needed));
  }
  if (plan.recommendation) {
    if (std::string w = FleetQuotaWarning(*plan.recommendation); !w.empty()) out.push_back(std::move(w));
  }
  if (plan.target_rate_per_s > 0 && plan.target_rate_per_s < 1.0 / 60) {
    out.push_back(fmt::format("a target of {:.3g} requests/s is less than one request a minute: an always-on instance "
                              "idles almost all the time; a batch job or a scale-to-zero endpoint may cost less",
                              plan.target_rate_per_s));
  }
  return out;
}

}  // namespace

Result<ServingPlan> MakeServingPlan(const PlanContext& context, const ServingOptions& o) {
  if (Status s = ValidateServingOptions(o, *context.engine); !s.ok()) return s.error();
  if (Status s = CheckEngineFormats(*context.engine, o.plan.workload); !s.ok()) return s.error();
  if (Status s = CheckSpotPrices(*context.catalog, o.plan.spot); !s.ok()) return s.error();
  const ModelConfig& model = *context.model;
  ServingPlan plan;
  plan.engine = context.engine->name;
  plan.catalog = context.catalog->name;
  plan.catalog_as_of = context.catalog->as_of;
  plan.params = CountParameters(model);
  plan.mean_prompt_tokens = MeanTokens(o.requests, true);
  plan.mean_output_tokens = MeanTokens(o.requests, false);
  plan.simulated_requests = static_cast<int64_t>(o.requests.size());
  const double tokens_per_request = plan.mean_prompt_tokens + plan.mean_output_tokens;
  double target = o.target_rate_per_s.value_or(0);
  if (o.slo_tps > 0) target = std::max(target, o.slo_tps / tokens_per_request);
  plan.target_rate_per_s = target;
  int64_t longest = 0;
  for (const Request& r : o.requests) {
    Request reserved = r;
    // Engines that reserve a whole request hold its max_tokens from admission.
    if (context.engine->reserve_output_kv) reserved.output_tokens = std::max(r.output_tokens, o.max_output_tokens);
    longest = std::max(longest, PeakTokens(reserved));
  }
  for (const Request& r : o.requests) {
    if (r.prompt_tokens + r.output_tokens > model.max_position_embeddings) {
      return InvalidArgument(fmt::format("a request of {} prompt + {} output tokens exceeds {}'s context window of {} "
                                         "tokens",
                                         r.prompt_tokens, r.output_tokens, model.name, model.max_position_embeddings));
    }
  }

  const bool by_fleet_cost = target > 0;
  const LayoutJob job{context, o, longest, target, tokens_per_request};
  // Every layout of every instance, screened and sized.
  std::vector<Layout> layouts;
  for (const Instance& instance : context.catalog->instances) {
    for (int tp = 1; tp <= instance.gpu_count; tp *= 2) {
      if (instance.gpu_count % tp != 0 || !ValidTensorParallel(model, tp)) continue;
      auto layout = PrepareLayout(job, instance, tp);
      if (!layout.ok()) return layout.error();
      layouts.push_back(std::move(layout).value());
    }
  }
  // The least each layout that may run can cost (cost per hour of the fleet
  // the target needs at its rate bound, or cost per million tokens at it).
  std::vector<size_t> order;
  for (size_t i = 0; i < layouts.size(); ++i) {
    Layout& l = layouts[i];
    if (!l.replica) continue;
    const double bound = RateUpperBound(*l.replica, tokens_per_request - 1) * static_cast<double>(l.e.replicas);
    l.cost_bound = !(bound > 0) ? std::numeric_limits<double>::infinity()
                   : by_fleet_cost  ? std::max(1.0, std::ceil(target / bound - 1e-9)) * l.e.usd_per_hour
                                    : l.e.usd_per_hour / (bound * tokens_per_request * 3600) * 1e6;
    order.push_back(i);
  }
  // Cheapest bound first: once a layout qualifies at a cost below another's
  // bound, that one cannot win and is not simulated (unless exhaustive).
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return layouts[a].cost_bound < layouts[b].cost_bound; });
  double best_cost = std::numeric_limits<double>::infinity();
  size_t done = 0;
  for (size_t i : order) {
    Layout& l = layouts[i];
    if (!o.exhaustive && l.cost_bound > best_cost) {
      l.e.verdict = Verdict::kPruned;
      l.e.cost_bound = l.cost_bound;
      l.e.cost_bound_beaten = best_cost;
      ++plan.pruned;
    } else {
      if (Status s = SearchLayout(job, l); !s.ok()) return s.error();
      plan.simulations += l.e.simulations;
      if (l.e.qualifies()) {
        best_cost = std::min(best_cost, by_fleet_cost ? l.e.fleet_usd_per_hour : l.e.usd_per_million_tokens);
      }
    }
    ++done;
    if (o.progress) o.progress(done, order.size());
  }
  // Per instance, its best layout.
  std::map<const Instance*, ServingEvaluation> chosen;
  for (Layout& l : layouts) {
    auto it = chosen.find(l.e.instance);
    if (it == chosen.end()) {
      chosen.emplace(l.e.instance, std::move(l.e));
    } else if (BetterLayout(l.e, it->second, by_fleet_cost)) {
      it->second = std::move(l.e);
    }
  }
  for (const Instance& instance : context.catalog->instances) {
    auto it = chosen.find(&instance);
    if (it != chosen.end()) plan.candidates.push_back(std::move(it->second));
  }
  AssessConfidence(plan.candidates, context, o, target);
  if (o.plan.min_confidence > 0) {
    for (ServingEvaluation& e : plan.candidates) {
      const bool objective = target > 0 || o.slo.any();
      if (e.qualifies() && objective && (!e.slo_confidence || *e.slo_confidence < o.plan.min_confidence)) {
        e.verdict = Verdict::kLowConfidence;
      }
    }
  }
  std::sort(plan.candidates.begin(), plan.candidates.end(),
            [&](const ServingEvaluation& a, const ServingEvaluation& b) { return RanksBefore(a, b, by_fleet_cost); });
  if (!plan.candidates.empty() && plan.candidates.front().qualifies()) plan.recommendation = plan.candidates.front();
  if (plan.recommendation) plan.pick_flips_at_error_pct = PickFlipsAtErrorPct(plan.candidates, o, target);
  plan.frontier = ParetoFrontier(plan.candidates);
  if (plan.recommendation && plan.recommendation->spot) plan.warnings.push_back(kSpotServiceWarning);
  if (plan.recommendation) {
    // The price the fleet cost relies on, and its date.
    const std::string relied = OldestPriceDate({plan.recommendation->instance});
    plan.catalog_as_of = relied;
  }

  if (context.calibration && !io::EqualsIgnoreCase(context.calibration->perf_model, "roofline")) {
    plan.warnings.push_back(fmt::format("calibration {} was fitted against the '{}' model, not 'roofline'; "
                                        "step times are uncalibrated",
                                        context.calibration->source, context.calibration->perf_model));
  }
  for (std::string& w : InputWarnings(context, o.plan.spot)) plan.warnings.push_back(std::move(w));
  for (std::string& w : ServingSanityWarnings(plan, o)) plan.warnings.push_back(std::move(w));
  return plan;
}

std::string ServingRejectionText(const ServingEvaluation& e, const ServingOptions& o) {
  const std::string pct = fmt::format("p{:g}", o.slo.percentile);
  switch (e.verdict) {
    case Verdict::kQualifies:
      return "";
    case Verdict::kNoSpotPrice:
    case Verdict::kOverPriceCap:
    case Verdict::kIncompatible:
    case Verdict::kUnsupportedPrecision:
      return ScreeningRejectionText(e, o.plan);
    case Verdict::kCannotRun: {
      constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
      std::string text = fmt::format(
          "does not fit: weights {:.1f} GiB + activations {:.1f} GiB + reserve {:.1f} GiB leave no KV cache in the "
          "usable {:.1f} GiB of one {}",
          e.memory.weights_bytes / kGiB, e.memory.activation_bytes / kGiB, e.memory.reserve_bytes / kGiB,
          e.memory.budget_bytes / kGiB, e.instance->gpu.name);
      if (e.tp > 1) text += fmt::format(" (model split over {} GPUs)", e.tp);
      return text;
    }
    case Verdict::kLowConfidence:
      return LowConfidenceText(e, o.plan.min_confidence);
    case Verdict::kPruned: {
      const bool per_hour = o.target_rate_per_s.has_value() || o.slo_tps > 0;
      const auto money = [&](double usd) {
        return per_hour ? fmt::format("${:.3f}/h", usd) : fmt::format("${:.3f} per million tokens", usd);
      };
      return fmt::format("not simulated: at its throughput bound its fleet would still cost {}, more than the {} of "
                         "a candidate that meets the objectives (--exhaustive simulates it)",
                         money(e.cost_bound), money(e.cost_bound_beaten));
    }
    case Verdict::kRequestTooLong:
      return fmt::format("KV cache holds {} tokens per replica; the longest request needs {}", e.kv_capacity_tokens,
                         e.longest_request_tokens);
    case Verdict::kMissesSlo: {
      if (e.limited_by.rfind("TTFT", 0) == 0) {
        return fmt::format("misses TTFT even one request at a time: {} {:.0f} ms > {:.0f} ms", pct,
                           e.light.ttft_s * 1000, *o.slo.ttft_s * 1000);
      }
      if (e.limited_by.rfind("TPOT", 0) == 0) {
        return fmt::format("misses TPOT even one request at a time: {} {:.1f} ms > {:.1f} ms", pct,
                           e.light.tpot_s * 1000, *o.slo.tpot_s * 1000);
      }
      return "sustains no measurable rate within the objectives";
    }
  }
  return "";
}

}  // namespace infersave
