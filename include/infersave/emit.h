// Deployment text for a plan's recommendation: a SkyPilot task YAML, a
// `vllm serve` command line, or a FlexGen `flex_opt` command line
// (docs/deploy.md maps each plan field to the tool's flag, with sources).
#pragma once

#include <ostream>
#include <string_view>

#include "infersave/planner.h"
#include "infersave/serving.h"
#include "infersave/report.h"
#include "infersave/status.h"

namespace infersave {

// kBench: what verifies the plan on the instance before committing to it
// (the server, a `vllm bench serve` sweep or `vllm bench throughput`, and
// the `infersave calibrate` command that reads the results back), for the
// recommendation and up to two runners-up.
enum class DeployTarget { kSkyPilot, kVllm, kFlexGen, kBench };

// Parses "skypilot", "vllm", "flexgen" or "bench" (case-insensitive); anything else
// fails with kInvalidArgument naming the choices.
Result<DeployTarget> ParseDeployTarget(std::string_view text);

// Writes ready-to-run text deploying plan.recommendation with `target`.
// Nothing is written when it fails:
//  - kInvalidArgument "nothing to deploy: no instance meets the constraints"
//    when the plan has no recommendation;
//  - kInvalidArgument for an unknown target;
//  - kInvalidArgument with the reason when the target cannot express the plan
//    (FlexGen: tensor parallelism or a model other than OPT; vLLM: KV cache
//    kept in CPU memory; a precision the tool has no flag for).
// `ctx.model` and `ctx.engine` must be set.
Status WriteDeployment(std::ostream& out, const Plan& plan, const ReportContext& ctx, std::string_view target);

// The same for an online plan's recommendation: `vllm` (the server command
// of each model copy, with the layout, --max-num-seqs and
// --max-num-batched-tokens the simulation used, and the formats' flags) or
// `skypilot` (a SkyServe service spec: the fleet's instances as replicas, a
// readiness probe, HF_TOKEN passed for gated repositories). FlexGen serves
// no stream of requests and is refused.
Status WriteServingDeployment(std::ostream& out, const ServingPlan& plan, const ServingOptions& options,
                              const ReportContext& ctx, std::string_view target);

}  // namespace infersave
