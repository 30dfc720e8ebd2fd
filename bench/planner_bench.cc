// Speed of the planner (issue: >= 1,000,000 candidate evaluations per second
// on one core; a full `plan` over the aws catalog well under 50 ms).
//   ./build/infersave_bench                 # all
//   ./build/infersave_bench --benchmark_format=json
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "infersave/planner.h"
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

}  // namespace
}  // namespace infersave

BENCHMARK_MAIN();
