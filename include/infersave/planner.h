// Cost and selection (paper eqs. 1-3, Section IV-E; method.md section 6):
// evaluates every instance of a catalog and picks the cheapest that meets the
// objective.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "infersave/calibration.h"
#include "infersave/engine.h"
#include "infersave/hardware.h"
#include "infersave/memory.h"
#include "infersave/model.h"
#include "infersave/perf.h"
#include "infersave/workload.h"

namespace infersave {

enum class Billing {
  kPerSecond,  // AWS on-demand Linux: per second, 60 s minimum (default)
  kHourly,     // every started hour is billed (the paper's rule)
};
std::string_view BillingName(Billing billing);
Result<Billing> ParseBilling(std::string_view text);

// How long the job lasts (method.md section 6).
enum class Pace {
  // The job's tokens arrive at the SLO rate (paper eq. 2: T = tokens /
  // min(TPS, TPS_SLO)): throughput above the objective earns nothing, so every
  // qualifying instance is rented for the same time. Right for a service.
  kSlo,
  // The job runs flat out: ceil(R / (BS x replicas)) batches of T_E2E each.
  // Right for a batch job that is stopped when done.
  kMax,
};
std::string_view PaceName(Pace pace);
Result<Pace> ParsePace(std::string_view text);

// One job: what to plan for and how. Filled by the CLI (or any caller) and
// checked by ValidatePlanOptions.
struct PlanOptions {
  Workload workload;
  // Throughput objective, tokens/s counting input and output tokens (eq. 1);
  // 0 means no objective.
  double slo_tps = 0;
  // Margin in percent: an instance qualifies only if its predicted throughput
  // is at least slo_tps x (1 + slo_headroom_pct / 100). >= 0.
  double slo_headroom_pct = 0;
  // Price cap P_max in USD per instance-hour; infinity means none.
  double max_usd_per_hour = std::numeric_limits<double>::infinity();
  Billing billing = Billing::kPerSecond;
  // Price instances at their SpotPrice; those without one are rejected.
  bool spot = false;
  Pace pace = Pace::kSlo;  // kMax when slo_tps is 0
  PerfModelKind perf_model = PerfModelKind::kRoofline;
  OffloadMode offload_mode = OffloadMode::kAuto;
  double offload_ratio = 0;  // C_off for OffloadMode::kFixed, in [0, 1]
  // Fraction of GPU memory the engine may use, in (0, 1]; unset = the
  // engine profile's default.
  std::optional<double> gpu_memory_utilization;
  // A candidate qualifies only if it meets the objective with at least this
  // probability (confidence.h); 0 = as predicted. In [0, 1).
  double min_confidence = 0;
  // A batch job that must finish within this many seconds: each instance's
  // fleet is the fewest instances that do (the requests split evenly), each
  // billed; replaces slo_tps (which must then be 0). Unset = one instance.
  std::optional<double> deadline_s;
};

Status ValidatePlanOptions(const PlanOptions& options, const ModelConfig& model);

// Whether the engine runs the workload's weight and KV formats; the message
// lists the ones it does.
Status CheckEngineFormats(const EngineProfile& engine, const Workload& workload);

// Whether a GPU can run the workload's formats: tensor cores for the weights'
// compute format (FP8 needs Ada or Hopper; BF16 needs Ampere or later) and,
// for an FP8 or BF16 KV cache, support for it.
bool PrecisionSupported(const GpuSpec& gpu, const Workload& workload);

// Why an instance is not recommended, in batch and online plans alike.
enum class Verdict {
  kQualifies,        // runs, meets the objective, within the price cap
  kNoSpotPrice,      // spot pricing asked for, and the catalog has no spot price for it
  kOverPriceCap,     // price > P_max (Algorithm 1's first filter)
  kIncompatible,     // the engine does not run on this GPU or host (CheckCompatibility)
  kUnsupportedPrecision,  // the GPU cannot compute in the weights' precision
  kCannotRun,        // does not fit: Algorithm 1 found no placement (batch: Evaluation::offload.blocker), or
                     // weights + activations + reserve leave no KV cache (online)
  kRequestTooLong,   // online: the longest request's KV exceeds the cache
  kMissesSlo,        // predicted, and misses the objective (batch: throughput with headroom; online: a latency
                     // objective even one request at a time)
  kLowConfidence,    // meets the objective as predicted, but with a probability below PlanOptions::min_confidence
  kPruned,           // online: not simulated, its cost bound is above a qualifying candidate's cost
};

struct Screening;

// What every candidate of a plan is, batch or online (issue 12): an instance
// and a layout, its price and the checks before any prediction, the memory
// per GPU, the calibration applied, and the verdict. Evaluation (batch) and
// ServingEvaluation (online) add their predictions.
struct Candidate {
  const Instance* instance = nullptr;
  // What runs on it (issue 13: plans may search formats and engines): the
  // engine profile (the plan's; it must outlive the candidate) and formats.
  const EngineProfile* engine = nullptr;
  Precision weights = Precision::kFp16;
  Precision kv_cache = Precision::kFp16;
  int64_t batch_size = 0;  // batch plans: requests per batch on each replica
  int tp = 1;              // tensor-parallel degree: GPUs per model copy
  int replicas = 0;        // model copies on the instance: gpu_count / tp (data parallel)
  // The fleet: instances a deadline (batch) or a target rate (online) needs; 1 otherwise.
  int64_t instances = 1;
  MemoryBreakdown memory;  // per GPU
  Ctcf ctcf;               // the calibration applied (identity when none)
  double usd_per_hour = 0; // the price charged: spot under PlanOptions::spot, else on-demand
  bool spot = false;       // usd_per_hour is the spot price
  bool priced = true;      // has a price of the kind asked for
  bool within_price_cap = true;
  bool compatible = true;           // the engine runs on this GPU and host
  std::string incompatibility;      // why not (CheckCompatibility), when !compatible
  bool precision_supported = true;  // the GPU computes in the weights' precision
  bool predicted = false;  // its performance was predicted (batch: it can run; online: its rate was searched)
  // How sure the prediction is (include/infersave/confidence.h): the spread
  // of its relative error, percent (< 0: no measured error to go by), and
  // the probability that the candidate meets the objective (unset when there
  // is no objective or no error model).
  double error_sigma_pct = -1;
  std::optional<double> slo_confidence;
  Verdict verdict = Verdict::kQualifies;

  bool qualifies() const { return verdict == Verdict::kQualifies; }
  // Takes the screening's price and checks; returns the verdict it rejects
  // the candidate with, in Algorithm 1's order (kQualifies when none does).
  Verdict Screen(Screening screening);
};

// The rank group of a candidate, the same in both modes: 0 qualifies, 1
// predicted but misses the objective, 2 predicted but over the price cap,
// 3 the rest (cannot run, unpriced, incompatible).
int RankGroup(const Candidate& c);

// The warning for a pick that needs more instances than clouds usually
// allow one account in one region (quotas); "" for a fleet of 100 or fewer.
std::string FleetQuotaWarning(const Candidate& pick);

// Why a candidate was rejected for PlanOptions::min_confidence.
std::string LowConfidenceText(const Candidate& c, double min_confidence);

// Why a candidate the screening rejected (no spot price, over the cap,
// incompatible, unsupported formats) is not recommended; "" for other verdicts.
std::string ScreeningRejectionText(const Candidate& c, const PlanOptions& options);

// One instance, fully evaluated for a batch job.
struct Evaluation : Candidate {
  OffloadDecision offload;
  Timing timing;           // one batch on one replica
  double tps = 0;          // whole instance: replicas x per-replica eq. 1 throughput
  double output_tps = 0;
  double job_hours = 0;    // see Pace; with a deadline, each instance's time
  double billed_hours = 0;
  double job_cost_usd = 0; // the whole fleet's
  // Paper eq. 3: min(TPS, TPS_SLO) x 3600 / (billed hours x price): tokens
  // per hour of service per USD of the job (higher is better).
  double cost_efficiency = 0;
  bool can_run = false;             // precision supported and Algorithm 1 found a placement
  bool meets_slo = false;           // throughput >= SLO x (1 + headroom); false when it cannot run
};

// The job's time and cost from the evaluation's throughput, batch time and
// price (method.md section 6): job_hours, billed_hours, job_cost_usd,
// cost_efficiency and meets_slo.
void PriceJob(Evaluation& e, const PlanOptions& options);

// One sentence saying why an evaluation was rejected ("" when it qualifies),
// with the numbers that decided it.
std::string RejectionText(const Evaluation& e, const PlanOptions& options);

// The inputs of a plan, owned by the caller.
struct PlanContext {
  const ModelConfig* model = nullptr;
  const Catalog* catalog = nullptr;  // MakePlan, MakeServingPlan; Evaluator and MakeServingReplica need none
  const EngineProfile* engine = nullptr;
  const Calibration* calibration = nullptr;  // may be null
};

// Whether the engine runs on an instance's GPU and host (issue 11: vendor
// builds, compute capability, ARM hosts); `reason` says why not. `degraded`:
// it runs without FlashAttention, predicted with unfused attention.
struct Compatibility {
  bool runs = true;
  bool degraded = false;
  std::string reason;
};
Compatibility CheckCompatibility(const EngineProfile& engine, const Instance& instance);

// The checks of one instance that come before any prediction, the same for
// batch and online plans (issue 12): its price (spot or on-demand), the price
// cap, the engine's compatibility and the GPU's support of the formats.
struct Screening {
  bool spot = false;             // priced at spot prices
  bool priced = true;            // has a price of the kind asked for
  double usd_per_hour = 0;       // the price the plan charges: spot under `spot`, else on-demand
  bool within_price_cap = true;
  Compatibility compatibility;
  bool precision_supported = true;

  // The first reason, in Algorithm 1's order (price first, then the engine
  // and the formats), that rejects the instance before memory is looked at.
  enum class Rejection { kNone, kNoSpotPrice, kOverPriceCap, kIncompatible, kUnsupportedPrecision };
  Rejection FirstRejection() const;
};
Screening ScreenInstance(const Instance& instance, const EngineProfile& engine, const Workload& workload, bool spot,
                         double max_usd_per_hour);

// Fails with kInvalidInput when `spot` is asked for and no instance of the
// catalog has a spot price.
Status CheckSpotPrices(const Catalog& catalog, bool spot);

// Warnings about a plan's inputs, the same for batch and online plans: what
// was assumed reading the model, suspect catalog prices, instances without a
// spot price (when `spot`), and rows for other regions.
std::vector<std::string> InputWarnings(const PlanContext& context, bool spot);

// Prepared once per plan; Evaluate is then cheap (the hot path: no
// allocation, no formatting).
class Evaluator {
 public:
  Evaluator(const PlanContext& context, const PlanOptions& options);
  Evaluation Evaluate(const Instance& instance) const;
  Evaluation Evaluate(const Instance& instance, OffloadMode mode, double fixed_ratio) const;
  // One placement: the model split over `tp` GPUs, gpu_count / tp copies.
  Evaluation EvaluateLayout(const Instance& instance, int tp, OffloadMode mode, double fixed_ratio) const;
  const ParameterCount& params() const { return params_; }
  // The calibration entries for this instance's GPU and the engine (identity
  // when the calibration has none or was fitted against another model).
  Ctcf LookupCtcf(const Instance& instance) const;
  // The engine profile a prediction on this instance uses: the plan's, or
  // the same without fused attention where the GPU has no FlashAttention.
  const EngineProfile& EngineFor(const Instance& instance) const;

 private:
  Evaluation EvaluateLayoutWith(const Instance& instance, int tp, OffloadMode mode, double fixed_ratio,
                                const Ctcf& ctcf) const;

  PlanContext context_;
  PlanOptions options_;
  ParameterCount params_;
  std::unique_ptr<PerfModel> perf_;
  bool calibration_matches_model_ = false;
  EngineProfile unfused_engine_;  // the engine with fused_attention off (degraded GPUs)
};

struct Plan {
  PlanOptions options;
  ParameterCount params;
  std::string perf_model;
  std::string engine;
  std::string catalog;
  std::string catalog_as_of;
  // Every instance, in rank order: qualifying ones by job cost (ties: lower
  // hourly price, then higher throughput, then name), then those that run but
  // miss the SLO or the cap, then those that cannot run, each by name.
  std::vector<Evaluation> candidates;
  std::optional<Evaluation> recommendation;    // candidates[0] when it qualifies
  std::optional<Evaluation> max_performance;   // highest throughput that runs within the cap
  std::optional<Evaluation> no_offload;        // the pick when offloading is disabled
  std::optional<double> savings_vs_max_performance_pct;
  std::optional<double> savings_vs_no_offload_pct;
  // The smallest uniform prediction error, percent, that changes the pick
  // (confidence.h); unset when none below 50% does.
  std::optional<double> pick_flips_at_error_pct;
  // What a knob search tried (search.h), for the reports; empty when the
  // plan is a single one.
  std::string searched;
  // The candidates no other beats on both job cost and job time (ascending
  // cost): the trade-off between paying less and finishing sooner.
  std::vector<Evaluation> frontier;
  std::vector<std::string> warnings;
};

// The rank order of a batch plan's candidates (method.md section 6): rank
// group, then the job's cost, the hourly price, the higher throughput, the
// name.
bool RanksBefore(const Evaluation& a, const Evaluation& b);
// How much cheaper the pick's job is than the baseline's, percent.
std::optional<double> SavingsPct(const std::optional<Evaluation>& pick, const std::optional<Evaluation>& baseline);

// Evaluates every instance of the catalog and ranks them (method.md sections
// 3-6). Fails only on invalid options.
Result<Plan> MakePlan(const PlanContext& context, const PlanOptions& options);

}  // namespace infersave
