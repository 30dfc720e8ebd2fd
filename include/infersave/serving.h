// Online serving (method.md section 9): a stream of requests on a
// continuous-batching engine, judged by time to first token (TTFT) and time
// per output token (TPOT) at a percentile, at a request rate.
//
// The pieces: IterationTimer prices one engine iteration with the roofline
// terms of the static-batch model (so one calibration serves both);
// ServingLimits sizes the paged KV cache from the memory the planner computes;
// MakeServingPlan finds, for every instance and tensor-parallel layout, the
// highest request rate one replica sustains within the objectives (bisection
// over the simulator), the instances a target rate needs, and their cost.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infersave/planner.h"
#include "infersave/simulator.h"

namespace infersave {

// ---- One replica -------------------------------------------------------------

// Seconds of one continuous-batching iteration on one replica: the linear
// operators run over prefill and decode tokens together, prefill attention
// over the chunks' causal pairs, decode attention over every cached token, the
// LM head over the sampled rows, plus the engine's layer and step overheads;
// the CTCF of the phase applies (a mixed iteration blends the prefill and
// decode CTCF by its share of tokens). Built from the roofline only; streamed
// weights and KV offload are not modelled here (serving plans keep both on
// the GPU).
class IterationTimer {
 public:
  // `in` gives the model, formats (workload), GPU, engine, TP degree, link
  // and CTCF; its offload ratios must be 0. Everything it points to must
  // outlive the timer.
  explicit IterationTimer(const PredictInput& in);
  double Seconds(const IterationShape& shape) const;
  // A StepTimeFn calling Seconds (shares the timer's state).
  StepTimeFn AsStepTime() const;
  // The same timer with another CTCF (shares the roofline terms): what a
  // serving calibration tries while it fits.
  IterationTimer WithCtcf(const Ctcf& ctcf) const;
  // KV bytes of one token on each GPU of the replica (all layers).
  double KvBytesPerToken() const;
  // Host-to-GPU bytes/s at the engine's efficiency (swaps).
  double HostLinkBytesPerSecond() const;

 private:
  struct Terms;
  std::shared_ptr<const Terms> terms_;
  Ctcf ctcf_;
};

// Scheduler and KV limits of `engine` on one replica whose GPUs keep
// `kv_space_bytes` each for the KV cache, each token taking
// `kv_bytes_per_token` per GPU; swaps cross a host link of
// `h2d_bytes_per_s` (already scaled by the engine's efficiency).
EngineLimits ServingLimits(const EngineProfile& engine, double kv_space_bytes, double kv_bytes_per_token,
                           double h2d_bytes_per_s);

// ---- Objectives and options ----------------------------------------------------

struct LatencyObjectives {
  std::optional<double> ttft_s;  // --slo-ttft-ms / 1000
  std::optional<double> tpot_s;  // --slo-tpot-ms / 1000
  double percentile = 99;        // the objectives hold for this share of requests, (0, 100]
  bool any() const { return ttft_s.has_value() || tpot_s.has_value(); }
};

// A replica keeps up with an offered rate when it completes at least this
// share of what arrives over the run (SimulationResult::completion_ratio);
// below it the queue grows without bound and no latency objective can hold.
inline constexpr double kMinCompletionRatio = 0.9;

struct ServingOptions {
  // Formats (workload.weight_precision, kv_precision), price cap, spot,
  // billing-free parts of the batch planner's options; workload lengths and
  // batch size are not used. perf_model must be roofline.
  PlanOptions plan;
  // The requests the simulation replays (generated or a trace), with their
  // arrival times at a mean rate of `requests_rate_per_s`; the rate search
  // compresses or stretches these arrival times, keeping their pattern.
  std::vector<Request> requests;
  double requests_rate_per_s = 1;
  // Requests per second the whole service must sustain; unset = none (rank
  // by cost per million tokens at one instance's capacity).
  std::optional<double> target_rate_per_s;
  // Tokens per second (input + output) the service must sustain; 0 = none.
  // Raises the target rate to slo_tps / mean tokens per request.
  double slo_tps = 0;
  LatencyObjectives slo;
  // The max_tokens clients send, which engines that reserve a whole request
  // (TensorRT-LLM, TGI) hold from admission; 0 = each request's own output.
  int64_t max_output_tokens = 0;
  // Relative width at which the rate bisection stops.
  double rate_tolerance = 0.02;
  // How the requests came about, one line for reports ("Poisson arrivals,
  // prompts normal(512, 128), ...").
  std::string description;
  // Simulate every layout that may run; by default a layout whose cost bound
  // (an analytic upper bound on its rate) is above the cost of a layout
  // already found to qualify is left out (Verdict::kPruned): it cannot win.
  bool exhaustive = false;
  // Called after each layout is evaluated: (done, total). May be empty.
  std::function<void(size_t, size_t)> progress;
  // Asked before each simulation; true stops the plan with ErrorCode::kCancelled
  // (a service's time limit). May be empty.
  std::function<bool()> cancelled;
};

Status ValidateServingOptions(const ServingOptions& options, const EngineProfile& engine);

// ---- Results ------------------------------------------------------------------

// One replica simulated at one offered rate.
struct OperatingPoint {
  double rate_per_s = 0;  // offered requests/s per replica
  // At the objectives' percentile.
  double ttft_s = 0;
  double tpot_s = 0;
  LatencyStats ttft;  // mean, p50, p90, p99
  LatencyStats tpot;
  LatencyStats e2e;
  double output_tokens_per_s = 0;
  double total_tokens_per_s = 0;
  double completion_ratio = 1;
  double fraction_meeting = 1;  // requests meeting every objective given
  int64_t preemptions = 0;
  bool meets = false;  // objectives at the percentile and completion ratio
};

// One instance, its best layout simulated under the request stream.
struct ServingEvaluation : Candidate {
  EngineLimits limits;
  // kPruned: the least its fleet could cost (per hour with a target rate,
  // else per million tokens), and the qualifying cost that beat it.
  double cost_bound = 0;
  double cost_bound_beaten = 0;
  int64_t kv_capacity_tokens = 0;  // per replica
  int64_t longest_request_tokens = 0;
  OperatingPoint light;  // requests one at a time
  OperatingPoint best;   // at the highest sustainable rate per replica
  // What stops a higher rate: "TTFT p99", "TPOT p99" or "throughput".
  std::string limited_by;
  double max_rate_per_replica = 0;
  double max_rate_per_instance = 0;  // replicas x per replica
  OperatingPoint at_target;  // one replica's share of the target rate
  double fleet_usd_per_hour = 0;
  // Fleet cost over the tokens (input + output) it serves at the target rate
  // (or at capacity without one), USD per million tokens.
  double usd_per_million_tokens = 0;
  int simulations = 0;
};

struct ServingPlan {
  std::string engine;
  std::string catalog;
  std::string catalog_as_of;
  ParameterCount params;
  double target_rate_per_s = 0;  // 0 = none
  double mean_prompt_tokens = 0;
  double mean_output_tokens = 0;
  int64_t simulated_requests = 0;
  // Qualifying instances first, by fleet cost per hour (no target: by cost
  // per million tokens), then those that run but miss, then the rest by name.
  std::vector<ServingEvaluation> candidates;
  std::optional<ServingEvaluation> recommendation;
  std::vector<std::string> warnings;
  int64_t simulations = 0;
  int64_t pruned = 0;  // layouts not simulated (ServingOptions::exhaustive)
  // The smallest uniform prediction error, percent, that changes the pick
  // (confidence.h); unset when none below 50% does.
  std::optional<double> pick_flips_at_error_pct;
  std::string searched;  // what a knob search tried (search.h); empty when none
  // The qualifying candidates no other beats on fleet cost, TTFT and TPOT at
  // the objectives' percentile at the target rate (ascending cost).
  std::vector<ServingEvaluation> frontier;
};

// The rank order of an online plan's candidates: rank group, then the fleet's
// cost per hour (by_fleet_cost: a target rate) or per million tokens, the
// hourly price, the higher capacity, then the name.
bool RanksBefore(const ServingEvaluation& a, const ServingEvaluation& b, bool by_fleet_cost);

// The warning of an online plan whose pick runs on spot instances.
inline constexpr const char* kSpotServiceWarning =
    "the pick runs on spot instances, which the cloud can reclaim at any time: the service runs short of capacity "
    "(and may miss its objectives) until a replacement is up; keep some on-demand capacity if that matters";

// Evaluates every instance (every valid TP layout, the best kept).
Result<ServingPlan> MakeServingPlan(const PlanContext& context, const ServingOptions& options);

// One sentence on why a candidate was rejected ("" when it qualifies).
std::string ServingRejectionText(const ServingEvaluation& e, const ServingOptions& options);

// ---- One instance, one load ------------------------------------------------------

// The replica of `instance` at TP degree `tp` as the serving planner sets it
// up (memory, limits, calibration, step time): for `infersave simulate` and
// the serving validation.
struct ServingReplica {
  MemoryBreakdown memory;
  EngineLimits limits;
  Ctcf ctcf;
  std::shared_ptr<IterationTimer> timer;
  bool fits = false;  // weights + activations + reserve fit, and one block of KV
};

Result<ServingReplica> MakeServingReplica(const PlanContext& context, const PlanOptions& plan, const Instance& instance,
                                          int tp);

// Arrival times multiplied by `factor` (> 0).
std::vector<Request> ScaleArrivals(const std::vector<Request>& requests, double factor);

}  // namespace infersave
