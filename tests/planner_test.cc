// Cost and selection (method.md section 6) on small hand-made catalogs.
#include "infersave/planner.h"
#include "infersave/replica.h"
#include "infersave/shipped.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace infersave {
namespace {

using testing::Engine;
using testing::FindCandidate;
using testing::Gpu;
using testing::Model;


using testing::MakeInstance;

using Job = testing::OnlineJob;

TEST(PlannerTest, PicksTheCheapestThatMeetsTheSloAndExplainsTheRest) {
  Job s;
  s.catalog.instances = {MakeInstance("small", "T4", 1, 0.5), MakeInstance("big", "L40S", 1, 2.0),
                         MakeInstance("pricey", "H100", 8, 90.0), MakeInstance("tiny-host", "T4", 1, 0.1, "", 1)};
  s.options.max_usd_per_hour = 50;
  s.options.offload_mode = OffloadMode::kAuto;
  Plan plan = s.Run();
  ASSERT_TRUE(plan.recommendation);
  EXPECT_EQ(plan.recommendation->instance->name, "small");
  EXPECT_EQ(plan.candidates[0].instance->name, "small");
  EXPECT_EQ(plan.candidates[1].instance->name, "big");
  const Evaluation* pricey = FindCandidate(plan, "pricey");
  ASSERT_NE(pricey, nullptr);
  EXPECT_EQ(pricey->verdict, Verdict::kOverPriceCap);
  EXPECT_EQ(RejectionText(*pricey, plan.options), "over the price cap: $90.000/h > $50.00/h");
  // 1 GiB of host memory cannot hold the engine process (vllm keeps 2 GiB).
  const Evaluation* tiny = FindCandidate(plan, "tiny-host");
  EXPECT_EQ(tiny->offload.blocker, OffloadBlocker::kHostMemoryTooSmall);
  EXPECT_EQ(RejectionText(*tiny, plan.options), "host memory per GPU (1.0 GiB) is less than the engine's own need (2.0 GiB)");
  // Max-Performance stays within the cap: the L40S.
  ASSERT_TRUE(plan.max_performance);
  EXPECT_EQ(plan.max_performance->instance->name, "big");
  // Paced at the SLO, both run 3000 x 640 / 400 s = 1.333 h; savings = 1 - 0.5 / 2.0.
  EXPECT_NEAR(plan.recommendation->job_hours, 3000.0 * 640 / 400 / 3600, 1e-12);
  EXPECT_NEAR(*plan.savings_vs_max_performance_pct, 75.0, 1e-9);
}

TEST(PlannerTest, HeadroomRaisesTheBar) {
  Job s;
  s.catalog.instances = {MakeInstance("a", "T4", 1, 0.5)};
  Plan plain = s.Run();
  ASSERT_TRUE(plain.recommendation);
  const double tps = plain.recommendation->tps;
  s.options.slo_tps = tps / 1.05;  // met with 0% headroom, missed with 10%
  s.options.slo_headroom_pct = 10;
  Plan strict = s.Run();
  EXPECT_FALSE(strict.recommendation);
  EXPECT_EQ(strict.candidates[0].verdict, Verdict::kMissesSlo);
  EXPECT_NE(RejectionText(strict.candidates[0], strict.options).find("+ 10% headroom)"), std::string::npos);
}

TEST(PlannerTest, BillingRules) {
  Job s;
  s.catalog.instances = {MakeInstance("a", "L40S", 1, 2.0)};
  s.options.slo_tps = 0;  // no objective: the job runs flat out
  s.options.workload.requests = 64;
  s.options.billing = Billing::kPerSecond;
  Plan per_second = s.Run();
  const Evaluation& e = per_second.candidates[0];
  // Two batches of 32, each T_E2E long; per second with a 60 s minimum.
  EXPECT_NEAR(e.job_hours, 2 * e.timing.total_s / 3600, 1e-12);
  EXPECT_NEAR(e.billed_hours, std::max(60.0, std::ceil(2 * e.timing.total_s)) / 3600, 1e-12);
  EXPECT_NEAR(e.job_cost_usd, e.billed_hours * 2.0, 1e-12);
  s.options.billing = Billing::kHourly;
  Plan hourly = s.Run();
  EXPECT_EQ(hourly.candidates[0].billed_hours, 1.0);
  EXPECT_EQ(hourly.candidates[0].job_cost_usd, 2.0);
}

TEST(PlannerTest, ReplicasShareTheRequests) {
  Job s;
  s.options.slo_tps = 0;
  s.catalog.instances = {MakeInstance("one", "A10G", 1, 1.0), MakeInstance("four", "A10G", 4, 4.0)};
  Plan plan = s.Run();
  const Evaluation* one = FindCandidate(plan, "one");
  const Evaluation* four = FindCandidate(plan, "four");
  EXPECT_EQ(four->replicas, 4);
  EXPECT_NEAR(four->tps, 4 * one->tps, 1e-9);
  // 3000 requests: 94 batches on one GPU, ceil(750 / 32) = 24 per replica on four.
  EXPECT_NEAR(one->job_hours, 94 * one->timing.total_s / 3600, 1e-12);
  EXPECT_NEAR(four->job_hours, 24 * four->timing.total_s / 3600, 1e-12);
}

TEST(PlannerTest, TiesBreakDeterministically) {
  Job s;
  s.catalog.instances = {MakeInstance("b-twin", "L4", 1, 1.0), MakeInstance("a-twin", "L4", 1, 1.0)};
  Plan plan = s.Run();
  EXPECT_EQ(plan.candidates[0].instance->name, "a-twin");
  EXPECT_EQ(plan.candidates[1].instance->name, "b-twin");
}

TEST(PlannerTest, CostNeverFallsWhenThePriceRises) {
  Job s;
  double last = 0;
  for (double price : {0.5, 0.75, 1.0, 2.0, 4.0}) {
    s.catalog.instances = {MakeInstance("x", "L4", 1, price)};
    Plan plan = s.Run();
    ASSERT_TRUE(plan.recommendation);
    EXPECT_GE(plan.recommendation->job_cost_usd, last);
    last = plan.recommendation->job_cost_usd;
  }
}

TEST(PlannerTest, NoOffloadBaselineAndCannotRunReasons) {
  Job s;
  s.engine = Engine("flexgen");
  s.options.workload.input_len = 1024;
  s.options.workload.output_len = 128;
  s.options.slo_tps = 50;
  // A T4 must offload; an L40S need not. The host of "cramped" is too small
  // for the offloaded KV.
  s.catalog.instances = {MakeInstance("t4", "T4", 1, 0.5), MakeInstance("l40s", "L40S", 1, 2.0),
                         MakeInstance("cramped", "T4", 1, 0.4, "", 4)};
  Plan plan = s.Run();
  ASSERT_TRUE(plan.recommendation);
  EXPECT_EQ(plan.recommendation->instance->name, "t4");
  EXPECT_GT(plan.recommendation->offload.ratio, 0);
  ASSERT_TRUE(plan.no_offload);
  EXPECT_EQ(plan.no_offload->instance->name, "l40s");
  EXPECT_NEAR(*plan.savings_vs_no_offload_pct, 75.0, 1e-9);
  const Evaluation* cramped = FindCandidate(plan, "cramped");
  EXPECT_EQ(cramped->verdict, Verdict::kCannotRun);
  EXPECT_EQ(cramped->offload.blocker, OffloadBlocker::kHostMemoryTooSmall);
  EXPECT_NE(RejectionText(*cramped, plan.options).find("does not fit in host memory (2.0 GiB usable per GPU of 4.0 GiB)"),
            std::string::npos)
      << RejectionText(*cramped, plan.options);
}

TEST(PlannerTest, AModelTooBigForOneGpuIsRejectedWithTheNumbers) {
  Job s;
  s.model = Model("llama-2-70b");
  s.options.workload.batch_size = 1;
  s.catalog.instances = {MakeInstance("a10g", "A10G", 1, 1.0)};
  Plan plan = s.Run();
  EXPECT_FALSE(plan.recommendation);
  EXPECT_EQ(plan.candidates[0].offload.blocker, OffloadBlocker::kWeightsDoNotFit);
  // 68,976,648,192 x 2 bytes = 128.5 GiB; A10G 24 GiB x 0.9 = 21.6 GiB.
  EXPECT_EQ(RejectionText(plan.candidates[0], plan.options).substr(0, 40), "does not fit: weights 128.5 GiB + activa");
}

TEST(PlannerTest, CalibrationForAnotherModelIsIgnoredWithAWarning) {
  Job s;
  s.catalog.instances = {MakeInstance("a", "L4", 1, 1.0)};
  Calibration cal;
  cal.source = "cal.json";
  cal.perf_model = "paper";
  cal.entries.push_back(CtcfEntry{"L4", "vllm", Phase::kDecode, 2.0, 0, 5, 10});
  auto plan = MakePlan(PlanContext{&s.model, &s.catalog, &s.engine, &cal}, s.options);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->candidates[0].ctcf.decode.calibrated);
  ASSERT_EQ(plan->warnings.size(), 1u);
  EXPECT_EQ(plan->warnings[0],
            "calibration cal.json was fitted against the 'paper' model, not 'roofline'; predictions are uncalibrated");
  cal.perf_model = "roofline";
  auto calibrated = MakePlan(PlanContext{&s.model, &s.catalog, &s.engine, &cal}, s.options);
  EXPECT_TRUE(calibrated->candidates[0].ctcf.decode.calibrated);
  EXPECT_EQ(calibrated->candidates[0].ctcf.decode.alpha, 2.0);
  EXPECT_FALSE(calibrated->candidates[0].ctcf.prefill.calibrated);
}

TEST(PlannerTest, InvalidOptionsAreRefused) {
  Job s;
  s.catalog.instances = {MakeInstance("a", "L4", 1, 1.0)};
  s.options.slo_headroom_pct = -5;
  auto plan = MakePlan(PlanContext{&s.model, &s.catalog, &s.engine, nullptr}, s.options);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().message(), "objective.slo_headroom_pct must be between 0 and 1000 percent, got -5");
  EXPECT_EQ(plan.error().field(), "objective.slo_headroom_pct");
  s.options.slo_headroom_pct = 0;
  s.options.offload_mode = OffloadMode::kFixed;
  s.options.offload_ratio = 1.5;
  EXPECT_EQ(MakePlan(PlanContext{&s.model, &s.catalog, &s.engine, nullptr}, s.options).error().message(),
            "offload.ratio must be between 0 and 1, got 1.5");
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

using testing::Gpu;
using testing::Model;

TEST(TensorParallelTest, DegreesMustDivideTheHeads) {
  ModelConfig llama70 = Model("llama-2-70b");  // 64 heads, 8 KV heads
  EXPECT_TRUE(ValidTensorParallel(llama70, 8));
  EXPECT_TRUE(ValidTensorParallel(llama70, 16));  // KV heads replicated
  EXPECT_EQ(KvHeadsPerGpu(llama70, 16), 1);
  EXPECT_EQ(KvHeadsPerGpu(llama70, 4), 2);
  ModelConfig qwen7 = Model("qwen2.5-7b");  // 28 heads, 4 KV heads
  EXPECT_TRUE(ValidTensorParallel(qwen7, 4));
  EXPECT_FALSE(ValidTensorParallel(qwen7, 8));  // 28 heads do not split 8 ways
  ModelConfig opt13 = Model("opt-13b");  // 40 heads
  EXPECT_TRUE(ValidTensorParallel(opt13, 8));
  EXPECT_FALSE(ValidTensorParallel(opt13, 16));
}

TEST(TensorParallelTest, PcieAllReduceIsSlowerThanNvlink) {
  EngineProfile vllm = testing::Engine("vllm");
  // 32 tokens x 8192 hidden x 2 bytes, the decode all-reduce of a 70B model.
  const double bytes = 32.0 * 8192 * 2;
  const double nvlink = AllReduceSeconds(bytes, 4, GpuLinkBytesPerSecond(Gpu("A100")), vllm);
  const double pcie = AllReduceSeconds(bytes, 4, GpuLinkBytesPerSecond(Gpu("A10G")), vllm);
  // A100: 600 GB/s NVLink both ways = 300 per direction; A10G: PCIe 4.0 x16, 31.5.
  EXPECT_DOUBLE_EQ(GpuLinkBytesPerSecond(Gpu("A100")), 300e9);
  EXPECT_DOUBLE_EQ(GpuLinkBytesPerSecond(Gpu("A10G")), 31.5e9);
  // 24 us + 1.8 us x (4 - 2) GPUs + 2 (4 - 1) / 4 x 524,288 B / (link x 0.7).
  EXPECT_NEAR(nvlink, 24e-6 + 3.6e-6 + 1.5 * bytes / (300e9 * 0.7), 1e-12);
  EXPECT_NEAR(pcie, 24e-6 + 3.6e-6 + 1.5 * bytes / (31.5e9 * 0.7), 1e-12);
  // The fixed cost grows with the GPUs: at 8, 24 + 1.8 x 6 = 34.8 us (Vidur's DGX H100: 35 us).
  EXPECT_NEAR(AllReduceSeconds(0, 8, 300e9, vllm), 34.8e-6, 1e-12);
  EXPECT_GT(pcie, nvlink);
  EXPECT_EQ(AllReduceSeconds(bytes, 1, 300e9, vllm), 0);
  // Without peer-to-peer (AWS g5): staged through host memory, 1.2 x the
  // fixed cost and 0.5 of the PCIe peak: 1.2 x 27.6 us + 1.5 x 524,288 B / 15.75 GB/s = 83.0522 us.
  EXPECT_NEAR(AllReduceSeconds(bytes, 4, 31.5e9, vllm, false), 83.05219e-6, 1e-11);
}

TEST(TensorParallelTest, NoPeerToPeerSlowsTheTensorParallelPrefill) {
  // Llama-2-13B over the 4 A10G of g5.12xlarge, as shipped (no GPU
  // peer-to-peer) and with it: the same GPUs, only the all-reduces differ.
  ModelConfig model = Model("llama-2-13b");
  const ParameterCount params = CountParameters(model);
  EngineProfile vllm = testing::Engine("vllm");
  GpuTable gpus = *LoadGpuTable("");
  Catalog aws = *LoadCatalog("aws", gpus);
  GpuSpec shipped = aws.Find("g5.12xlarge")->gpu;
  ASSERT_FALSE(shipped.peer_to_peer);
  GpuSpec with_p2p = shipped;
  with_p2p.peer_to_peer = true;
  Workload w;
  w.batch_size = 8;
  w.input_len = 1024;
  w.output_len = 64;
  auto perf = MakePerfModel(PerfModelKind::kRoofline);
  const Timing a = Replica{&model, &params, &shipped, &vllm, 4, Ctcf{}}.Predict(*perf, w);
  const Timing b = Replica{&model, &params, &with_p2p, &vllm, 4, Ctcf{}}.Predict(*perf, w);
  // The prefill's 8,192 tokens x 5,120 x 2 B = 80 MiB per all-reduce, 80 of
  // them: 1.5 x 83,886,080 B x (1 / 15.75 - 1 / 22.05) GB/s = 1.522 ms more
  // each, plus 1.2 x 27.6 - 27.6 = 5.52 us of fixed cost, 122.2 ms in all.
  EXPECT_NEAR(a.prefill_s - b.prefill_s, 80 * (1.5 * 83886080.0 * (1 / 15.75e9 - 1 / 22.05e9) + 5.52e-6), 1e-6);
  EXPECT_GT(a.decode_total_s, b.decode_total_s);
}

TEST(TensorParallelTest, A70bModelGetsAMultiGpuPlanOnAws) {
  ModelConfig model = Model("llama-2-70b");
  Catalog catalog = testing::ShippedCatalog("aws");
  EngineProfile engine = testing::Engine("vllm");
  PlanOptions o;
  o.workload.batch_size = 8;
  o.slo_tps = 100;
  auto plan = MakePlan(PlanContext{&model, &catalog, &engine, nullptr}, o);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->recommendation);
  EXPECT_GT(plan->recommendation->tp, 1);
  // 128.5 GiB of weights: no single GPU of 24 GiB (or 48) holds them.
  for (const Evaluation& e : plan->candidates) {
    if (e.instance->gpu_count == 1) EXPECT_FALSE(e.can_run) << e.instance->name;
    if (e.can_run) EXPECT_LE(e.memory.weights_bytes, e.memory.budget_bytes);
  }
  // g5.12xlarge: 4 x A10G split 4 ways is 32.1 GiB per GPU, over the 20.1 usable.
  const Evaluation* g5 = testing::FindCandidate(*plan, "g5.12xlarge");
  EXPECT_EQ(g5->tp, 4);
  EXPECT_EQ(g5->offload.blocker, OffloadBlocker::kWeightsDoNotFit);
}

TEST(TensorParallelTest, SplittingHalvesWeightsPerGpuAndAddsAllReduce) {
  ModelConfig model = Model("llama-3.1-8b");
  Catalog catalog;
  Instance inst;
  inst.name = "four";
  inst.gpu = Gpu("A100");
  inst.gpu_count = 4;
  inst.host_memory_bytes = 1024.0 * (1 << 30);
  inst.usd_per_hour = 10;
  catalog.instances = {inst};
  EngineProfile engine = testing::Engine("vllm");
  PlanOptions o;
  o.slo_tps = 0;
  Evaluator evaluator(PlanContext{&model, &catalog, &engine, nullptr}, o);
  Evaluation tp1 = evaluator.EvaluateLayout(catalog.instances[0], 1, OffloadMode::kAuto, 0);
  Evaluation tp2 = evaluator.EvaluateLayout(catalog.instances[0], 2, OffloadMode::kAuto, 0);
  EXPECT_EQ(tp1.replicas, 4);
  EXPECT_EQ(tp2.replicas, 2);
  EXPECT_DOUBLE_EQ(tp2.memory.weights_bytes, tp1.memory.weights_bytes / 2);
  EXPECT_DOUBLE_EQ(tp2.memory.kv_bytes, tp1.memory.kv_bytes / 2);
  // Each copy is faster split two ways, but not twice as fast (all-reduce).
  EXPECT_LT(tp2.timing.total_s, tp1.timing.total_s);
  EXPECT_GT(tp2.timing.total_s, tp1.timing.total_s / 2);
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

TEST(CatalogOptionsTest, SpotPricesAndMissingOnes) {
  ModelConfig model = testing::Model("opt-2.7b");
  EngineProfile engine = testing::Engine("vllm");
  Catalog catalog;
  Instance with_spot;
  with_spot.name = "a";
  with_spot.gpu = testing::Gpu("L4");
  with_spot.gpu_count = 1;
  with_spot.host_memory_bytes = 64.0 * (1 << 30);
  with_spot.usd_per_hour = 1.0;
  with_spot.spot_usd_per_hour = 0.3;
  Instance without = with_spot;
  without.name = "b";
  without.usd_per_hour = 0.5;
  without.spot_usd_per_hour.reset();
  catalog.instances = {with_spot, without};
  PlanOptions o;
  o.slo_tps = 100;
  o.spot = true;
  auto plan = MakePlan(PlanContext{&model, &catalog, &engine, nullptr}, o);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->recommendation);
  EXPECT_EQ(plan->recommendation->instance->name, "a");
  EXPECT_DOUBLE_EQ(plan->recommendation->usd_per_hour, 0.3);
  const Evaluation* b = testing::FindCandidate(*plan, "b");
  EXPECT_EQ(b->verdict, Verdict::kNoSpotPrice);
  EXPECT_EQ(RejectionText(*b, plan->options), "no spot price in the catalog");
  EXPECT_EQ(plan->warnings[0], "1 of 2 instances have no spot price in catalog  and were left out");
  // On demand, the cheaper on-demand price wins.
  o.spot = false;
  plan = MakePlan(PlanContext{&model, &catalog, &engine, nullptr}, o);
  EXPECT_EQ(plan->recommendation->instance->name, "b");
}

TEST(CatalogOptionsTest, PriceCheckFlagsImplausiblePrices) {
  Catalog catalog;
  auto add = [&](std::string name, double price, std::optional<double> spot = std::nullopt) {
    Instance i;
    i.name = std::move(name);
    i.gpu = testing::Gpu("A10G");
    i.gpu_count = 1;
    i.usd_per_hour = price;
    i.spot_usd_per_hour = spot;
    i.line = static_cast<int>(catalog.instances.size()) + 2;
    catalog.instances.push_back(i);
  };
  add("ok-1", 1.0);
  add("ok-2", 1.2, 0.4);
  add("typo", 0.1);       // a tenth of the others: a misplaced decimal point
  add("free", 0.01);      // under $0.05 per GPU-hour
  add("spot-high", 1.1, 1.5);
  std::vector<std::string> flags = CheckCatalogPrices(catalog);
  ASSERT_EQ(flags.size(), 3u);
  EXPECT_EQ(flags[0], "typo (line 4): $0.100 per GPU-hour is under a quarter of the $1.000 a A10G costs elsewhere in "
                      "this catalog; check its Price");
  EXPECT_EQ(flags[1], "free (line 5): $0.0100 per GPU-hour is implausibly low for a A10G; check its Price");
  EXPECT_EQ(flags[2], "spot-high (line 6): spot price $1.500/h is above the on-demand $1.100/h");
}

TEST(CatalogOptionsTest, RegionFilter) {
  const std::string csv =
      "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,AvailabilityZone\n"
      "g5.xlarge,A10G,1,4,16,,1.006,,us-east-1,\n"
      "g5.xlarge,A10G,1,4,16,,1.2,,eu-west-1,\n";
  auto first = ParseCatalog(csv, "c.csv", testing::Gpus());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->instances[0].usd_per_hour, 1.006);
  EXPECT_EQ(first->other_region_rows, 1);
  // Batch and online plans share this warning (InputWarnings); it names no CLI flag.
  const ModelConfig model = testing::Model("opt-2.7b");
  const EngineProfile engine = testing::Engine("vllm");
  const std::vector<std::string> warnings = InputWarnings(PlanContext{&model, &*first, &engine, nullptr}, false);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "catalog c.csv lists 1 more row for instance types in other regions or zones; the first row "
                         "of each type was used (plan for one region to pick its rows)");
  auto eu = ParseCatalog(csv, "c.csv", testing::Gpus(), "EU-WEST-1");
  ASSERT_TRUE(eu.ok());
  ASSERT_EQ(eu->instances.size(), 1u);
  EXPECT_EQ(eu->instances[0].usd_per_hour, 1.2);
  EXPECT_EQ(ParseCatalog(csv, "c.csv", testing::Gpus(), "us-east-2").error().message(),
            "c.csv: no GPU instances in region 'us-east-2' (did you mean 'us-east-1'?) (regions in this catalog: "
            "eu-west-1, us-east-1)");
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

TEST(QuantizationTest, BytesFollowTheFormat) {
  ModelConfig m = testing::Model("llama-3.1-70b");
  ParameterCount p = CountParameters(m);
  EngineProfile vllm = testing::Engine("vllm");
  Workload w;
  w.weight_precision = Precision::kInt4;
  w.kv_precision = Precision::kFp8;
  MemoryBreakdown mem = ComputeMemory(m, p, w, vllm, 80.0 * (1 << 30), 0.9, MemoryStyle::kWorkspace);
  // The decoder's linear layers (70,553,706,496 parameters less 2 x 128256 x
  // 8192 of embeddings and LM head and 161 x 8192 of norms) x (0.5 + 4/128)
  // bytes (group-wise scales); embeddings, LM head and norms stay 16-bit.
  const double unquantised = 2.0 * 128256 * 8192 + 161.0 * 8192;
  EXPECT_DOUBLE_EQ(mem.weights_bytes, (70'553'706'496.0 - unquantised) * 0.53125 + unquantised * 2);
  // 2 x 32 x 640 x 80 layers x (8 x 128) x 1 byte.
  EXPECT_DOUBLE_EQ(mem.kv_bytes, 2.0 * 32 * 640 * 80 * 1024 * 1);
  EXPECT_EQ(ComputePrecision(Precision::kInt4), Precision::kFp16);
  EXPECT_EQ(ComputePrecision(Precision::kFp8), Precision::kFp8);
}

TEST(QuantizationTest, Fp8NeedsAdaOrHopperAndTheEngineMustSupportTheFormat) {
  Workload w;
  w.weight_precision = Precision::kFp8;
  EXPECT_FALSE(PrecisionSupported(testing::Gpu("T4"), w));
  EXPECT_FALSE(PrecisionSupported(testing::Gpu("A100"), w));
  EXPECT_TRUE(PrecisionSupported(testing::Gpu("L4"), w));
  EXPECT_TRUE(PrecisionSupported(testing::Gpu("H100"), w));
  w.weight_precision = Precision::kInt4;
  w.kv_precision = Precision::kFp8;
  EXPECT_FALSE(PrecisionSupported(testing::Gpu("A10G"), w));
  w.kv_precision = Precision::kBf16;
  EXPECT_FALSE(PrecisionSupported(testing::Gpu("T4"), w));  // Turing has no BF16

  w.weight_precision = Precision::kInt8;
  w.kv_precision = Precision::kFp16;
  EXPECT_EQ(CheckEngineFormats(testing::Engine("flexgen"), w).error().message(),
            "engine 'flexgen' does not run int8 weights (it runs fp16, int4)");
  w.weight_precision = Precision::kFp16;
  w.kv_precision = Precision::kInt8;
  EXPECT_EQ(CheckEngineFormats(testing::Engine("vllm"), w).error().message(),
            "engine 'vllm' does not keep a int8 KV cache (it keeps fp16, bf16, fp8)");
}

TEST(QuantizationTest, Int4LetsA70bModelOnFourT4s) {
  ModelConfig model = testing::Model("llama-3.1-70b");
  Catalog catalog = testing::ShippedCatalog("aws");
  EngineProfile engine = testing::Engine("vllm");
  PlanOptions o;
  o.slo_tps = 100;
  o.workload.weight_precision = Precision::kInt4;
  auto plan = MakePlan(PlanContext{&model, &catalog, &engine, nullptr}, o);
  ASSERT_TRUE(plan.ok());
  const Evaluation* t4x4 = testing::FindCandidate(*plan, "g4dn.12xlarge");
  // 35.0 GiB of INT4 weights over 4 GPUs: 8.7 GiB each, within a T4's 14.4 usable.
  EXPECT_TRUE(t4x4->can_run) << RejectionText(*t4x4, plan->options);
  EXPECT_EQ(t4x4->tp, 4);
  o.workload.weight_precision = Precision::kFp8;
  plan = MakePlan(PlanContext{&model, &catalog, &engine, nullptr}, o);
  t4x4 = testing::FindCandidate(*plan, "g4dn.12xlarge");
  EXPECT_EQ(t4x4->verdict, Verdict::kUnsupportedPrecision);
  EXPECT_EQ(RejectionText(*t4x4, plan->options),
            "T4 cannot run fp8 weights: no fp8 tensor cores (FP8 needs an Ada or Hopper GPU)");
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

Instance T4Host(std::string name, double host_gib) {
  Instance i;
  i.name = std::move(name);
  i.gpu = testing::Gpu("T4");
  i.gpu_count = 1;
  i.vcpus = 32;
  i.host_memory_bytes = host_gib * (1 << 30);
  i.usd_per_hour = 1;
  return i;
}

TEST(WeightOffloadTest, StreamsWhatDoesNotFitAndNeedsTheHostMemory) {
  // OPT-30B in FP16 is 55.8 GiB of weights: no T4 holds them.
  ModelConfig model = testing::Model("opt-30b");
  EngineProfile flexgen = testing::Engine("flexgen");
  Catalog catalog;
  catalog.instances = {T4Host("g4dn.xlarge-like", 16), T4Host("g4dn.8xlarge-like", 128)};
  PlanOptions o;
  o.slo_tps = 0;
  o.workload.batch_size = 16;
  o.workload.input_len = 512;
  o.workload.output_len = 32;
  auto plan = MakePlan(PlanContext{&model, &catalog, &flexgen, nullptr}, o);
  ASSERT_TRUE(plan.ok());
  const Evaluation* big = testing::FindCandidate(*plan, "g4dn.8xlarge-like");
  ASSERT_TRUE(big->can_run) << RejectionText(*big, plan->options);
  // Usable 0.9 x 14.74 GiB - activations - reserve - two layers' weights - one layer's KV,
  // floored to whole percents of the weights.
  const MemoryBreakdown& m = big->memory;
  const double space = m.budget_bytes - m.activation_bytes - m.reserve_bytes - 2 * m.layer_weight_bytes -
                       m.kv_per_layer_bytes;
  EXPECT_DOUBLE_EQ(big->offload.weight_gpu_fraction, std::floor(space / m.weights_bytes * 100 + 1e-9) / 100);
  EXPECT_LT(big->offload.weight_gpu_fraction, 0.2);
  EXPECT_NEAR(big->offload.host_weight_bytes, (1 - big->offload.weight_gpu_fraction) * m.weights_bytes, 1);
  // Every decode step streams those weights over PCIe 3.0 x16 at 80%: seconds per step.
  EXPECT_GT(big->timing.decode_first_step_s, big->offload.host_weight_bytes / (15.75e9 * 0.8));
  // 16 GiB of host memory cannot hold 47 GiB of weights.
  const Evaluation* small = testing::FindCandidate(*plan, "g4dn.xlarge-like");
  EXPECT_EQ(small->offload.blocker, OffloadBlocker::kHostMemoryTooSmall);
  EXPECT_EQ(RejectionText(*small, plan->options).substr(0, 35), "offloaded weights 48.6 GiB + KV cac");
  // Without offloading it cannot run at all.
  o.offload_mode = OffloadMode::kNone;
  plan = MakePlan(PlanContext{&model, &catalog, &flexgen, nullptr}, o);
  EXPECT_EQ(testing::FindCandidate(*plan, "g4dn.8xlarge-like")->offload.blocker, OffloadBlocker::kWeightsDoNotFit);
}

TEST(WeightOffloadTest, FlexGenOpt30bOnT4AgainstItsPublishedThroughput) {
  // FlexGen's README: OPT-30B on one T4 (208 GB host memory), input 512,
  // output 32, effective batch 144 (GPU micro-batches of 48): 7.32 generated
  // tokens/s. Uncalibrated roofline with that micro-batching: 8.6 (+17%).
  auto text = ReadTextFile(std::string(INFERSAVE_SOURCE_DIR) + "/tests/fixtures/good/flexgen-mb48.json");
  ASSERT_TRUE(text.ok());
  auto engines = ParseEngineProfiles(*text, "flexgen-mb48.json");
  ASSERT_TRUE(engines.ok()) << engines.error().message();
  ModelConfig model = testing::Model("opt-30b");
  Catalog catalog;
  catalog.instances = {T4Host("gcp-t4", 208)};
  PlanOptions o;
  o.slo_tps = 0;
  o.workload.batch_size = 144;
  o.workload.input_len = 512;
  o.workload.output_len = 32;
  o.workload.requests = 144;
  auto plan = MakePlan(PlanContext{&model, &catalog, &engines->front(), nullptr}, o);
  ASSERT_TRUE(plan.ok());
  const Evaluation& e = plan->candidates[0];
  ASSERT_TRUE(e.can_run) << RejectionText(e, plan->options);
  EXPECT_NEAR(e.output_tps / 7.32, 1.0, 0.25);
}

}  // namespace
}  // namespace infersave
