// Plans a Llama-3.1-8B service of 2000 tokens/s on the shipped AWS catalog
// through the library alone, and prints the pick, its price and its
// throughput. Exit 0 with a recommendation, 1 without, 2 on an error.
#include <iostream>

#include "infersave/planner.h"
#include "infersave/shipped.h"

int main() {
  using namespace infersave;
  auto model = LoadModel("llama-3.1-8b");
  auto gpus = LoadGpuTable("");
  if (!model.ok() || !gpus.ok()) return 2;
  auto catalog = LoadCatalog("aws", *gpus);
  auto engine = LoadEngine("vllm");
  auto calibration = LoadCalibration("public");
  if (!catalog.ok() || !engine.ok() || !calibration.ok()) return 2;

  PlanOptions options;
  options.slo_tps = 2000;
  auto plan = MakePlan(PlanContext{&*model, &*catalog, &*engine, &*calibration}, options);
  if (!plan.ok()) {
    std::cerr << plan.error().message() << '\n';
    return 2;
  }
  if (!plan->recommendation) {
    std::cout << "no instance meets the objective\n";
    return 1;
  }
  const Evaluation& pick = *plan->recommendation;
  std::cout << pick.instance->name << " at $" << pick.usd_per_hour << "/h: " << pick.tps << " tok/s\n";
  return 0;
}
