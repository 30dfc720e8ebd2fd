// Speed of the planner (issue: >= 1,000,000 candidate evaluations per second
// on one core; a full `plan` over the aws catalog well under 50 ms).
//   ./build/infersave_bench                 # all
//   ./build/infersave_bench --benchmark_format=json
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "infersave/planner.h"
#include "infersave/serving.h"
#include "infersave/shipped.h"

namespace infersave {
namespace {

struct Inputs {
  ModelConfig model = *LoadModel("opt-2.7b");
  GpuTable gpus = *LoadGpuTable("");
  Catalog catalog = *LoadCatalog("aws", gpus);
  EngineProfile engine = *LoadEngine("flexgen");
  Calibration calibration = *LoadCalibration("paper-flexgen");
  PlanOptions options;
  Inputs() { options.slo_tps = 400; }
  PlanContext context() const { return PlanContext{&model, &catalog, &engine, &calibration}; }
};

// One evaluation = memory, offload decision, performance and cost for one
// instance and one workload (the planner's inner loop).
void BM_EvaluateCandidate(benchmark::State& state) {
  Inputs in;
  if (state.range(0) == 1) {  // the offline workload: most instances offload
    in.options.workload.input_len = 1024;
    in.options.workload.output_len = 128;
  }
  Evaluator evaluator(in.context(), in.options);
  size_t i = 0;
  const size_t n = in.catalog.instances.size();
  for (auto _ : state) {
    Evaluation e = evaluator.Evaluate(in.catalog.instances[i]);
    benchmark::DoNotOptimize(e);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["evaluations_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                           benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EvaluateCandidate)->Arg(0)->Arg(1)->ArgName("offline");

// MakePlan over the whole aws catalog, inputs already loaded: evaluation,
// the no-offload baseline, ranking.
void BM_PlanAwsCatalog(benchmark::State& state) {
  Inputs in;
  for (auto _ : state) {
    auto plan = MakePlan(in.context(), in.options);
    benchmark::DoNotOptimize(plan);
  }
  state.counters["instances"] = static_cast<double>(in.catalog.instances.size());
}
BENCHMARK(BM_PlanAwsCatalog)->Unit(benchmark::kMicrosecond);

// Parsing the shipped GPU table, the aws catalog and a model config.
void BM_LoadShippedInputs(benchmark::State& state) {
  for (auto _ : state) {
    Inputs in;
    benchmark::DoNotOptimize(in);
  }
}
BENCHMARK(BM_LoadShippedInputs)->Unit(benchmark::kMicrosecond);

// `infersave plan` end to end, as a user runs it: process start, loading,
// planning, the table written to /dev/null.
void BM_PlanCommandEndToEnd(benchmark::State& state) {
  const std::string command = std::string(INFERSAVE_BINARY) + " plan > /dev/null 2>&1";
  for (auto _ : state) {
    int rc = std::system(command.c_str());
    if (rc != 0) state.SkipWithError("infersave plan failed");
  }
}
BENCHMARK(BM_PlanCommandEndToEnd)->Unit(benchmark::kMillisecond)->UseRealTime();

// Online serving (issue 5): one replica simulated over 100,000 requests
// (Poisson arrivals at 12 requests/s, about 90% of its capacity at these lengths; prompts uniform 64-1024, outputs
// uniform 16-256), step times from the roofline: Llama-3.1-8B on vLLM on one
// L40S (g6e.xlarge). Target: well under a second on one core.
struct ServingInputs {
  ModelConfig model = *LoadModel("llama-3.1-8b");
  GpuTable gpus = *LoadGpuTable("");
  Catalog catalog = *LoadCatalog("aws", gpus);
  EngineProfile engine = *LoadEngine("vllm");
  Calibration calibration = *LoadCalibration("public");
  PlanContext context() const { return PlanContext{&model, &catalog, &engine, &calibration}; }
  std::vector<Request> Requests(double rate, int64_t n) const {
    WorkloadSpec spec;
    spec.rate_per_s = rate;
    spec.num_requests = n;
    spec.prompt = LengthDistribution::Uniform(64, 1024);
    spec.output = LengthDistribution::Uniform(16, 256);
    return *GenerateRequests(spec);
  }
};

void BM_Simulate100kRequests(benchmark::State& state) {
  ServingInputs in;
  auto replica = *MakeServingReplica(in.context(), PlanOptions{}, *in.catalog.Find("g6e.xlarge"), 1);
  const std::vector<Request> requests = in.Requests(12, 100000);
  const StepTimeFn step = replica.timer->AsStepTime();
  int64_t iterations = 0;
  for (auto _ : state) {
    auto result = Simulate(requests, replica.limits, step);
    iterations = result->iterations;
    benchmark::DoNotOptimize(result);
  }
  state.counters["requests"] = static_cast<double>(requests.size());
  state.counters["engine_iterations"] = static_cast<double>(iterations);
}
BENCHMARK(BM_Simulate100kRequests)->Unit(benchmark::kMillisecond)->UseRealTime();

// A full online plan over the aws catalog: every instance and TP layout,
// each with a rate bisection of 2000-request simulations (the CLI default),
// TTFT p99 <= 1 s, TPOT p99 <= 60 ms, 20 requests/s.
// Arg 0: pruned by cost bounds (the default); arg 1: exhaustive. The
// counters say how many simulations ran and how many layouts were pruned;
// both pick the same instance (tests/serving_test.cc checks it).
void BM_ServingPlanAwsCatalog(benchmark::State& state) {
  ServingInputs in;
  ServingOptions o;
  o.requests = in.Requests(1, 2000);
  o.requests_rate_per_s = 1;
  o.target_rate_per_s = 20;
  o.slo.ttft_s = 1.0;
  o.slo.tpot_s = 0.06;
  o.exhaustive = state.range(0) == 1;
  int64_t simulations = 0, pruned = 0;
  for (auto _ : state) {
    auto plan = MakeServingPlan(in.context(), o);
    simulations = plan->simulations;
    pruned = plan->pruned;
    benchmark::DoNotOptimize(plan);
  }
  state.counters["simulations"] = static_cast<double>(simulations);
  state.counters["pruned_layouts"] = static_cast<double>(pruned);
  state.counters["instances"] = static_cast<double>(in.catalog.instances.size());
}
BENCHMARK(BM_ServingPlanAwsCatalog)->Arg(0)->Arg(1)->ArgName("exhaustive")->Unit(benchmark::kMillisecond)->UseRealTime()
    ->Iterations(3);

// The batch plan over the aws, gcp and azure catalogs together (llama-3.1-8b
// at 2000 tok/s, vllm with the public calibration).
void BM_BatchPlanThreeClouds(benchmark::State& state) {
  const ModelConfig model = *LoadModel("llama-3.1-8b");
  const GpuTable gpus = *LoadGpuTable("");
  Catalog all = *LoadCatalog("aws", gpus);
  for (const char* cloud : {"gcp", "azure"}) {
    const Catalog c = *LoadCatalog(cloud, gpus);
    all.instances.insert(all.instances.end(), c.instances.begin(), c.instances.end());
  }
  const EngineProfile engine = *LoadEngine("vllm");
  const Calibration calibration = *LoadCalibration("public");
  PlanOptions o;
  o.slo_tps = 2000;
  for (auto _ : state) {
    auto plan = MakePlan(PlanContext{&model, &all, &engine, &calibration}, o);
    benchmark::DoNotOptimize(plan);
  }
  state.counters["instances"] = static_cast<double>(all.instances.size());
}
BENCHMARK(BM_BatchPlanThreeClouds)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace infersave

BENCHMARK_MAIN();
