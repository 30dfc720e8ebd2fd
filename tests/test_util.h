// Helpers shared by the tests: shipped inputs, loaded once.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "infersave/job.h"
#include "infersave/planner.h"
#include "infersave/shipped.h"

namespace infersave::testing {

// The JSON document of a plan request (format forced to json), planned from
// shipped data only (no file is read) on 2026-12-06; null when it fails.
inline nlohmann::json PlanDocument(JobRequest r) {
  r.format = "json";
  std::ostringstream out;
  auto outcome = RunPlanRequest(r, NoFiles(), "2026-12-06", out);
  EXPECT_TRUE(outcome.ok()) << outcome.error().message();
  return outcome.ok() ? nlohmann::json::parse(out.str()) : nlohmann::json();
}

inline ModelConfig Model(std::string_view name) {
  auto m = LoadModel(name);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message());
  return m.ok() ? *m : ModelConfig{};
}

inline const GpuTable& Gpus() {
  static const GpuTable table = *LoadGpuTable("");
  return table;
}

inline Catalog ShippedCatalog(std::string_view name) {
  auto c = LoadCatalog(name, Gpus());
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
  return c.ok() ? *c : Catalog{};
}

inline EngineProfile Engine(std::string_view name) {
  auto e = LoadEngine(name);
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message());
  return e.ok() ? *e : EngineProfile{};
}

inline const GpuSpec& Gpu(std::string_view name) {
  const GpuSpec* g = Gpus().Find(name);
  EXPECT_NE(g, nullptr) << name;
  return *g;
}

inline const Evaluation* FindCandidate(const Plan& plan, std::string_view instance) {
  for (const Evaluation& e : plan.candidates) {
    if (e.instance->name == instance) return &e;
  }
  return nullptr;
}

// An instance of a hand-made catalog.
inline Instance MakeInstance(std::string name, std::string_view gpu, int count, double price,
                             std::string region = "", double host_gib = 64) {
  Instance i;
  i.name = std::move(name);
  i.gpu = Gpu(gpu);
  i.gpu_count = count;
  i.vcpus = 8;
  i.host_memory_bytes = host_gib * 1024.0 * 1024.0 * 1024.0;
  i.usd_per_hour = price;
  i.region = std::move(region);
  i.price_as_of = "2026-11-26";  // the date the hand-made catalogs carry
  return i;
}

// The paper's online scenario (opt-2.7b, batch 32, 128 + 512 tokens, 3000
// requests, 400 tok/s) with vLLM, on a catalog the test fills.
struct OnlineJob {
  ModelConfig model = Model("opt-2.7b");
  EngineProfile engine = Engine("vllm");
  Catalog catalog;
  PlanOptions options;
  OnlineJob() {
    options.workload.batch_size = 32;
    options.workload.input_len = 128;
    options.workload.output_len = 512;
    options.workload.requests = 3000;
    options.slo_tps = 400;
  }
  Plan Run() const {
    auto plan = MakePlan(PlanContext{&model, &catalog, &engine, nullptr}, options);
    EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message());
    return plan.ok() ? *plan : Plan{};
  }
};

// An engine with ideal efficiencies and no overheads, for hand calculations.
inline EngineProfile IdealEngine() {
  EngineProfile e;
  e.name = "ideal";
  e.prefill_compute_efficiency = 1;
  e.decode_compute_efficiency = 1;
  e.memory_efficiency = 1;
  e.host_link_efficiency = 1;
  e.layer_overhead_s = 0;
  e.step_overhead_s = 0;
  e.fused_attention = true;
  e.offload_step = 0;
  e.runtime_reserve_bytes = 0;
  e.host_reserve_bytes = 0;
  e.gpu_memory_utilization = 1;
  e.kernel_latency_s = 0;
  e.elementwise_kernels = 0;
  e.decode_attention_efficiency = 1;
  e.decode_attention_latency_s = 0;
  return e;
}

}  // namespace infersave::testing
