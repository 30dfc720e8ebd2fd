// Online serving: iteration times from the roofline, KV limits, the rate
// search and the serving plan (include/infersave/serving.h).
#include "infersave/serving.h"

#include <gtest/gtest.h>

#include <cmath>

#include "infersave/serving_workload.h"
#include "test_util.h"

namespace infersave {
namespace {

using testing::Engine;
using testing::MakeInstance;
using testing::Model;

// Llama-3.1-8B on vLLM, uncalibrated, with a catalog the test fills.
struct ServingJob {
  ModelConfig model = Model("llama-3.1-8b");
  EngineProfile engine = Engine("vllm");
  Catalog catalog;
  PlanOptions plan;
  PlanContext context() const { return PlanContext{&model, &catalog, &engine, nullptr}; }
  ServingOptions Options(double rate, int64_t n, int64_t prompt, int64_t output, uint64_t seed = 1) const {
    WorkloadSpec spec;
    spec.rate_per_s = rate;
    spec.num_requests = n;
    spec.prompt = LengthDistribution::Fixed(prompt);
    spec.output = LengthDistribution::Fixed(output);
    spec.seed = seed;
    auto requests = GenerateRequests(spec);
    EXPECT_TRUE(requests.ok());
    ServingOptions o;
    o.plan = plan;
    o.requests = *requests;
    o.requests_rate_per_s = rate;
    return o;
  }
};

PredictInput InputFor(const ServingJob& job, const ParameterCount& params, const Workload& w, const GpuSpec& gpu) {
  PredictInput in;
  in.model = &job.model;
  in.params = &params;
  in.workload = &w;
  in.gpu = &gpu;
  in.engine = &job.engine;
  return in;
}

// The iteration time and the static-batch model price the same work the
// same: a prefill-only iteration equals the batch prefill, a decode-only
// iteration equals the batch decode step at the same context.
TEST(IterationTimerTest, MatchesTheStaticBatchModelOnPureIterations) {
  ServingJob job;
  job.engine.prefill_chunk_tokens = 0;  // one prefill pass, as one iteration
  const ParameterCount params = CountParameters(job.model);
  const GpuSpec& gpu = testing::Gpu("A10G");
  Workload w;
  w.batch_size = 4;
  w.input_len = 300;
  w.output_len = 20;
  const PredictInput in = InputFor(job, params, w, gpu);
  const Timing t = MakePerfModel(PerfModelKind::kRoofline)->Predict(in);
  const IterationTimer timer(in);

  IterationShape prefill;
  prefill.prefill_tokens = 4 * 300;
  prefill.prefill_attention_pairs = 4 * 300.0 * 300.0 / 2;  // the batch model's L^2 / 2 per sequence
  // The batch model's LM head covers all 4 sequences, the iteration's one
  // row: the difference is 3 rows of a 128256 x 4096 GEMV's output, far
  // below 0.1%.
  EXPECT_NEAR(timer.Seconds(prefill), t.prefill_s, 1e-3 * t.prefill_s);

  IterationShape decode;
  decode.decode_sequences = 4;
  decode.decode_context_tokens = 4 * (300 + 1);  // the first decode step's context
  EXPECT_NEAR(timer.Seconds(decode), t.decode_first_step_s, 1e-12);
  decode.decode_context_tokens = 4 * (300 + 19);  // the last one's
  EXPECT_NEAR(timer.Seconds(decode), t.decode_last_step_s, 1e-12);
}

// One request at a time: TTFT is the prefill iteration, TPOT the mean decode
// step of the static-batch model at batch 1, and the decode step is about
// the weights read once at the engine's share of A10G bandwidth.
TEST(IterationTimerTest, OneRequestAtATimeGivesPrefillAndDecodeStep) {
  ServingJob job;
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006)};
  auto replica = MakeServingReplica(job.context(), job.plan, job.catalog.instances[0], 1);
  ASSERT_TRUE(replica.ok());
  ASSERT_TRUE(replica->fits);
  std::vector<Request> requests;
  for (int i = 0; i < 3; ++i) requests.push_back(Request{100.0 * i, 256, 64});
  auto sim = Simulate(requests, replica->limits, replica->timer->AsStepTime());
  ASSERT_TRUE(sim.ok()) << sim.error().message();

  IterationShape prefill;
  prefill.prefill_tokens = 256;
  prefill.prefill_attention_pairs = 256.0 * 257 / 2;
  prefill.prefill_completions = 1;
  const double prefill_s = replica->timer->Seconds(prefill);

  const ParameterCount params = CountParameters(job.model);
  Workload w;
  w.batch_size = 1;
  w.input_len = 256;
  w.output_len = 64;
  const Timing t = MakePerfModel(PerfModelKind::kRoofline)->Predict(InputFor(job, params, w, testing::Gpu("A10G")));
  for (const RequestMetrics& m : sim->requests) {
    EXPECT_NEAR(m.ttft_s, prefill_s, 1e-12);
    ASSERT_TRUE(m.tpot_s.has_value());
    EXPECT_NEAR(*m.tpot_s, t.decode_s_per_token(), 1e-9);
  }
  // By hand: 16.06 GB of FP16 weights over 600 GB/s x 0.8 = 33.5 ms, plus
  // the KV and per-layer overheads: within 15%.
  const double weights_s = static_cast<double>(params.total) * 2 / (600e9 * 0.8);
  EXPECT_NEAR(*sim->requests[0].tpot_s, weights_s, 0.15 * weights_s);
  EXPECT_EQ(sim->preemptions, 0);
}

// A mixed iteration costs less than the prefill and the decode run apart
// (the weights are read once) and more than either alone.
TEST(IterationTimerTest, MixedIterationSharesTheWeightRead) {
  ServingJob job;
  const ParameterCount params = CountParameters(job.model);
  Workload w;
  const IterationTimer timer(InputFor(job, params, w, testing::Gpu("A100-80GB")));
  IterationShape p{512, 0, 0, 512.0 * 513 / 2};
  IterationShape d{0, 32, 32 * 1000, 0};
  IterationShape both{512, 32, 32 * 1000, 512.0 * 513 / 2};
  EXPECT_LT(timer.Seconds(both), timer.Seconds(p) + timer.Seconds(d));
  EXPECT_GT(timer.Seconds(both), std::max(timer.Seconds(p), timer.Seconds(d)));
}

TEST(ServingLimitsTest, BlocksFromTheMemoryLeft) {
  EngineProfile e = Engine("vllm");
  // Llama-3.1-8B: 2 (K, V) x 8 KV heads x 128 x 32 layers x 2 bytes = 131072
  // bytes per token; a 16-token block is 2 MiB; 1 GiB holds 512 of them.
  const EngineLimits l = ServingLimits(e, 1024.0 * 1024 * 1024, 131072, 20e9);
  EXPECT_EQ(l.block_size_tokens, 16);
  EXPECT_EQ(l.kv_blocks, 512);
  EXPECT_EQ(l.max_sequences, 256);
  EXPECT_EQ(l.max_batched_tokens, 8192);
  EXPECT_EQ(l.preemption, EngineLimits::Preemption::kRecompute);
  EXPECT_FALSE(l.reserve_full_request);
  // Swapping engines copy a 2 MiB block over the link: 2 MiB / 20 GB/s.
  e.swap_preemption = true;
  const EngineLimits s = ServingLimits(e, 1024.0 * 1024 * 1024, 131072, 20e9);
  EXPECT_EQ(s.preemption, EngineLimits::Preemption::kSwap);
  EXPECT_DOUBLE_EQ(s.swap_s_per_block, 2.0 * 1024 * 1024 / 20e9);
  // TGI reserves whole requests.
  EXPECT_TRUE(ServingLimits(Engine("tgi"), 1e9, 131072, 20e9).reserve_full_request);
}

TEST(ServingLimitsTest, ReplicaMemoryMatchesTheWeightsAndBudget) {
  ServingJob job;
  job.catalog.instances = {MakeInstance("g6e.xlarge", "L40S", 1, 1.861)};
  auto replica = MakeServingReplica(job.context(), job.plan, job.catalog.instances[0], 1);
  ASSERT_TRUE(replica.ok());
  // 48 GB (44.99 GiB, gpus.csv) x 0.9 minus 14.96 GiB of weights, the 8192-
  // token workspace and the reserve; the KV cache gets the rest, in 2 MiB blocks.
  const double left = replica->memory.available_bytes();
  EXPECT_EQ(replica->limits.kv_blocks, static_cast<int64_t>(std::floor(left / (16.0 * 131072))));
  EXPECT_GT(replica->limits.kv_blocks * 16, 100000);  // > 100k tokens of KV on an L40S
}

// Above capacity the queue grows: later requests wait longer, the completion
// ratio falls below the threshold, and the TTFT objective fails.
TEST(ServingSimulationTest, OverloadGrowsTheQueue) {
  ServingJob job;
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006)};
  auto replica = MakeServingReplica(job.context(), job.plan, job.catalog.instances[0], 1);
  ASSERT_TRUE(replica.ok());
  // Capacity first: every request at once.
  ServingOptions burst = job.Options(1, 400, 512, 128);
  for (Request& r : burst.requests) r.arrival_s = 0;
  auto drained = Simulate(burst.requests, replica->limits, replica->timer->AsStepTime());
  ASSERT_TRUE(drained.ok());
  const double capacity = 400 / drained->makespan_s;

  for (double load : {0.5, 3.0}) {
    ServingOptions o = job.Options(load * capacity, 400, 512, 128);
    auto sim = Simulate(o.requests, replica->limits, replica->timer->AsStepTime());
    ASSERT_TRUE(sim.ok());
    double first = 0, last = 0;
    for (size_t i = 0; i < 20; ++i) first += sim->requests[i].ttft_s / 20;
    for (size_t i = 380; i < 400; ++i) last += sim->requests[i].ttft_s / 20;
    if (load < 1) {
      EXPECT_GT(sim->completion_ratio, kMinCompletionRatio);
      EXPECT_LT(last, 3 * first + 0.5);
      EXPECT_GT(FractionMeeting(*sim, 2.0, 1.0), 0.99);
    } else {
      EXPECT_LT(sim->completion_ratio, 0.5);  // about 1/3 of what arrives completes
      EXPECT_GT(last, 10 * first);            // the queue grew
      EXPECT_LT(FractionMeeting(*sim, 2.0, 1.0), 0.5);
    }
  }
}

// The plan: the rate found is sustainable and a rate a few tolerances above
// it is not; instances and costs follow from it by hand.
TEST(ServingPlanTest, RateSearchAndFleetCost) {
  ServingJob job;
  job.catalog.name = "test";
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006), MakeInstance("g4dn.xlarge", "T4", 1, 0.526),
                           MakeInstance("g6e.xlarge", "L40S", 1, 1.861)};
  ServingOptions o = job.Options(1, 1000, 512, 128);
  o.slo.ttft_s = 1.0;
  o.slo.tpot_s = 0.06;
  o.target_rate_per_s = 20;
  o.exhaustive = true;  // every qualifying layout's rate search is checked below
  auto plan = MakeServingPlan(job.context(), o);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  ASSERT_EQ(plan->candidates.size(), 3u);
  ASSERT_TRUE(plan->recommendation.has_value());

  for (const ServingEvaluation& e : plan->candidates) {
    if (e.instance->name == "g4dn.xlarge") {
      EXPECT_EQ(e.verdict, Verdict::kCannotRun);  // 15 GiB of weights on a 16 GB T4
      EXPECT_NE(ServingRejectionText(e, o).find("does not fit"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(e.qualifies()) << e.instance->name << ": " << ServingRejectionText(e, o);
    EXPECT_TRUE(e.best.meets);
    EXPECT_EQ(e.instances, static_cast<int64_t>(std::ceil(20 / e.max_rate_per_instance)));
    EXPECT_DOUBLE_EQ(e.fleet_usd_per_hour, static_cast<double>(e.instances) * e.usd_per_hour);
    EXPECT_NEAR(e.usd_per_million_tokens, e.fleet_usd_per_hour / (20.0 * 640 * 3600) * 1e6, 1e-12);
    EXPECT_TRUE(e.at_target.meets);
    // Bracketed: 3 tolerances above the rate found, the objectives fail.
    auto replica = MakeServingReplica(job.context(), job.plan, *e.instance, e.tp);
    ASSERT_TRUE(replica.ok());
    const double above = e.max_rate_per_replica * (1 + 3 * o.rate_tolerance);
    auto sim = Simulate(ScaleArrivals(o.requests, 1 / above), replica->limits, replica->timer->AsStepTime());
    ASSERT_TRUE(sim.ok());
    const bool meets = TtftPercentile(*sim, 99) <= 1.0 && TpotPercentile(*sim, 99) <= 0.06 &&
                       sim->completion_ratio >= kMinCompletionRatio;
    EXPECT_FALSE(meets) << e.instance->name << " at " << above << " req/s";
  }
  // Ranked by fleet cost.
  EXPECT_LE(plan->candidates[0].fleet_usd_per_hour, plan->candidates[1].fleet_usd_per_hour);
}

TEST(ServingPlanTest, SameSeedSamePlanOtherSeedOtherSample) {
  ServingJob job;
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006)};
  ServingOptions a = job.Options(1, 500, 300, 100, 7);
  a.slo.tpot_s = 0.06;
  auto p1 = MakeServingPlan(job.context(), a);
  auto p2 = MakeServingPlan(job.context(), a);
  ASSERT_TRUE(p1.ok() && p2.ok());
  EXPECT_EQ(p1->candidates[0].max_rate_per_replica, p2->candidates[0].max_rate_per_replica);
  EXPECT_EQ(p1->candidates[0].best.ttft.p99_s, p2->candidates[0].best.ttft.p99_s);
  ServingOptions b = job.Options(1, 500, 300, 100, 8);
  b.slo.tpot_s = 0.06;
  auto p3 = MakeServingPlan(job.context(), b);
  ASSERT_TRUE(p3.ok());
  EXPECT_NE(p1->candidates[0].best.ttft.p99_s, p3->candidates[0].best.ttft.p99_s);
}

TEST(ServingPlanTest, RejectionsSayWhy) {
  ServingJob job;
  job.catalog.instances = {MakeInstance("g6.xlarge", "L4", 1, 0.805), MakeInstance("p5.48xlarge", "H100", 8, 98.32)};
  ServingOptions o = job.Options(1, 200, 512, 64);
  o.slo.tpot_s = 0.03;  // an L4 (300 GB/s) needs about 67 ms per 16 GB weight read
  o.plan.max_usd_per_hour = 50;
  auto plan = MakeServingPlan(job.context(), o);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->recommendation.has_value());
  for (const ServingEvaluation& e : plan->candidates) {
    const std::string why = ServingRejectionText(e, o);
    if (e.instance->name == "g6.xlarge") {
      EXPECT_EQ(e.verdict, Verdict::kMissesSlo);
      EXPECT_NE(why.find("misses TPOT even one request at a time: p99"), std::string::npos) << why;
    } else {
      EXPECT_EQ(e.verdict, Verdict::kOverPriceCap);
      EXPECT_EQ(why, "over the price cap: $98.320/h > $50.00/h");
    }
  }
  // A request longer than the KV cache of a small GPU.
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006)};
  ServingOptions longer = job.Options(1, 10, 100000, 20000);
  longer.slo.tpot_s = 1;
  auto too_long = MakeServingPlan(job.context(), longer);
  ASSERT_TRUE(too_long.ok());
  EXPECT_EQ(too_long->candidates[0].verdict, Verdict::kRequestTooLong);
  EXPECT_NE(ServingRejectionText(too_long->candidates[0], longer).find("the longest request needs 119999"),
            std::string::npos);
}

TEST(ServingPlanTest, StaticBatchEnginesAndBadObjectivesAreRefused) {
  ServingJob job;
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006)};
  ServingOptions o = job.Options(1, 10, 100, 10);
  o.slo.tpot_s = 0.05;
  job.engine = Engine("flexgen");
  auto plan = MakeServingPlan(job.context(), o);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message().find("engine 'flexgen' runs static batches"), std::string::npos);
  job.engine = Engine("vllm");
  o.slo.percentile = 0;
  EXPECT_EQ(MakeServingPlan(job.context(), o).error().message(), "objective.percentile must be in (0, 100], got 0");
  o.slo.percentile = 99;
  o.slo.ttft_s = -0.001;
  EXPECT_EQ(MakeServingPlan(job.context(), o).error().message(),
            "objective.ttft_ms must be a positive number of milliseconds, got -1");
}

// ---- Workload files and length specs ----------------------------------------------

TEST(ServingWorkloadTest, LengthSpecs) {
  auto fixed = ParseLengthSpec("512", "--prompt-tokens");
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->kind, LengthDistribution::Kind::kFixed);
  EXPECT_EQ(fixed->fixed_tokens, 512);
  auto uniform = ParseLengthSpec("uniform:128:1024", "--prompt-tokens");
  ASSERT_TRUE(uniform.ok());
  EXPECT_EQ(uniform->lo_tokens, 128);
  EXPECT_EQ(uniform->hi_tokens, 1024);
  auto normal = ParseLengthSpec("normal:512:128", "--prompt-tokens");
  ASSERT_TRUE(normal.ok());
  EXPECT_EQ(normal->mean_tokens, 512);
  EXPECT_EQ(normal->sd_tokens, 128);
  EXPECT_EQ(ParseLengthSpec("uniform:10:5", "--output-tokens").error().message(),
            "--output-tokens: highest 5 is below lowest 10");
  EXPECT_EQ(ParseLengthSpec("-3", "--output-tokens").error().message(),
            "--output-tokens: expected a whole number of tokens from 1 to 16777216, got \"-3\" (expected N, "
            "uniform:LO:HI, normal:MEAN:SD, lognormal:MEAN:SD[:MAX] or file:PATH)");
  EXPECT_EQ(ParseLengthSpec("zipf:1:2", "--prompt-tokens").error().message(),
            "--prompt-tokens: expected N, uniform:LO:HI, normal:MEAN:SD, lognormal:MEAN:SD[:MAX] or file:PATH, got "
            "\"zipf:1:2\"");
  EXPECT_EQ(ParseLengthSpec("normal:512:-1", "--prompt-tokens").error().message(),
            "--prompt-tokens: normal standard deviation must be a number >= 0, got \"-1\"");
  auto lognormal = ParseLengthSpec("lognormal:427.4:483.7:1948", "--prompt-tokens");
  ASSERT_TRUE(lognormal.ok()) << lognormal.error().message();
  EXPECT_EQ(lognormal->kind, LengthDistribution::Kind::kLogNormal);
  EXPECT_EQ(lognormal->mean_tokens, 427.4);
  EXPECT_EQ(lognormal->sd_tokens, 483.7);
  EXPECT_EQ(lognormal->max_tokens, 1948);
  EXPECT_EQ(ParseLengthSpec("LogNormal:300:100", "--prompt-tokens")->max_tokens, 0);
  // The median of log-normal(mean 427.4, sd 483.7) is 427.4 / sqrt(1 + (483.7 / 427.4)^2) = 283 tokens.
  EXPECT_EQ(ParseLengthSpec("lognormal:427.4:483.7:200", "--prompt-tokens").error().message(),
            "--prompt-tokens length: log-normal cap 200 is below the median, 283 tokens");
  EXPECT_EQ(ParseLengthSpec("lognormal:0.5:1", "--prompt-tokens").error().message(),
            "--prompt-tokens: log-normal mean must be a number >= 1 token, got \"0.5\"");
  EXPECT_EQ(ParseLengthSpec("lognormal:300:x", "--prompt-tokens").error().message(),
            "--prompt-tokens: log-normal standard deviation must be a number >= 0, got \"x\"");
  // A spread so wide that the median is below one token would make nearly
  // every draw round to 0 (and be drawn again): refused. Median = 2 / sqrt(1 + 100^2) = 0.02.
  EXPECT_EQ(ParseLengthSpec("lognormal:2:200", "--prompt-tokens").error().message(),
            "--prompt-tokens length: log-normal median must be >= 1 token, got 0.02 (mean 2, sd 200: lower the "
            "standard deviation)");
  EXPECT_FALSE(ParseLengthSpec("lognormal:1:1e300", "--prompt-tokens").ok());
}

TEST(ServingWorkloadTest, LogNormalLengths) {
  // From a dataset's mean and median as docs/serving.md derives it (Mixtral's
  // MLPerf prompts, 427.4 and 283): sigma^2 = 2 ln(427.4 / 283) = 0.824547,
  // sd = 427.4 sqrt(e^0.824547 - 1) = 483.708.
  const LengthDistribution d = LengthDistribution::LogNormal(427.4, 483.708);
  EXPECT_EQ(d.kind, LengthDistribution::Kind::kLogNormal);
  // 40,000 draws have that mean and median within sampling error.
  WorkloadSpec spec;
  spec.rate_per_s = 1;
  spec.num_requests = 40000;
  spec.prompt = d;
  spec.output = LengthDistribution::LogNormal(144.84, 116.1, 1024);
  auto requests = GenerateRequests(spec);
  ASSERT_TRUE(requests.ok()) << requests.error().message();
  std::vector<int64_t> prompts, outputs;
  for (const Request& r : *requests) {
    prompts.push_back(r.prompt_tokens);
    outputs.push_back(r.output_tokens);
  }
  const auto mean = [](const std::vector<int64_t>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  };
  const auto median = [](std::vector<int64_t> v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return static_cast<double>(v[v.size() / 2]);
  };
  EXPECT_NEAR(mean(prompts), 427.4, 427.4 * 0.03);
  EXPECT_NEAR(median(prompts), 283, 283 * 0.03);
  // The capped one draws again above the cap: nothing above 1,024.
  EXPECT_LE(*std::max_element(outputs.begin(), outputs.end()), 1024);
  EXPECT_GE(*std::min_element(outputs.begin(), outputs.end()), 1);
}

TEST(ServingWorkloadTest, LengthsFile) {
  auto v = ParseLengthsFile("# prompt lengths\n100\n 250 # long\n\n7\n", "l.txt");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (std::vector<int64_t>{100, 250, 7}));
  EXPECT_EQ(ParseLengthsFile("100\n2.5\n", "l.txt").error().message(),
            "l.txt:2: expected a whole number of tokens from 1 to 16777216, got \"2.5\"");
  EXPECT_EQ(ParseLengthsFile("# nothing\n", "l.txt").error().message(),
            "l.txt: no lengths (expected one whole number per line)");
}

TEST(ServingWorkloadTest, LogNormalInAWorkloadFile) {
  auto w = ParseWorkloadFile(R"({"rate_per_s": 2, "prompt_tokens": {"lognormal": {"mean": 222.3, "sd": 237.3, "max": 1021}},
      "output_tokens": {"lognormal": {"mean": 294, "sd": 100}}})",
                             "w.json", "");
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_EQ(w->spec.prompt.kind, LengthDistribution::Kind::kLogNormal);
  EXPECT_EQ(w->spec.prompt.max_tokens, 1021);
  EXPECT_EQ(w->spec.output.max_tokens, 0);
  EXPECT_EQ(ParseWorkloadFile(R"({"rate_per_s": 2, "prompt_tokens": {"lognormal": {"mean": 222.3}}})", "w.json", "")
                .error()
                .message(),
            "w.json: prompt_tokens.lognormal: expected {\"mean\": tokens, \"sd\": tokens} and optionally \"max\": tokens, "
            "got {\"mean\":222.3}");
  EXPECT_EQ(ParseWorkloadFile(R"({"rate_per_s": 2, "prompt_tokens": {"lognormal": {"mean": 500, "sd": 100, "max": 300}}})",
                              "w.json", "")
                .error()
                .message(),
            "w.json: prompt_tokens.lognormal length: log-normal cap 300 is below the median, 490 tokens");
}

TEST(ServingWorkloadTest, WorkloadFile) {
  auto w = ParseWorkloadFile(R"({"rate_per_s": 20, "arrival": {"gamma_cv": 2},
      "prompt_tokens": {"normal": {"mean": 512, "sd": 128}}, "output_tokens": {"uniform": [16, 256]},
      "requests": 3000, "seed": 9})",
                             "w.json", "");
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_TRUE(w->rate_given);
  EXPECT_EQ(w->spec.rate_per_s, 20);
  EXPECT_EQ(w->spec.arrival, ArrivalProcess::kGamma);
  EXPECT_EQ(w->spec.gamma_cv, 2);
  EXPECT_EQ(w->spec.prompt.kind, LengthDistribution::Kind::kNormal);
  EXPECT_EQ(w->spec.output.hi_tokens, 256);
  EXPECT_EQ(w->spec.num_requests, 3000);
  EXPECT_EQ(w->spec.seed, 9u);
  auto set = MaterializeWorkload(*w);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->requests.size(), 3000u);
  EXPECT_EQ(set->rate_per_s, 20);
}

TEST(ServingWorkloadTest, WorkloadFileErrorsSayWhere) {
  auto err = [](std::string_view text) {
    auto w = ParseWorkloadFile(text, "w.json", "");
    return w.ok() ? std::string("ok") : w.error().message();
  };
  EXPECT_EQ(err("{\"rate_per_s\": 20,"), "w.json: invalid JSON (expected a workload object, see docs/serving.md)");
  EXPECT_EQ(err(R"({"rate_per_sec": 20})"), "w.json: unknown field 'rate_per_sec' (did you mean 'rate_per_s'?)");
  EXPECT_EQ(err(R"({"rate_per_s": -1})"), "w.json: rate_per_s: expected a number > 0, got -1");
  EXPECT_EQ(err(R"({"prompt_tokens": {"uniform": [10]}})"),
            "w.json: prompt_tokens.uniform: expected [lowest, highest] tokens, got [10]");
  EXPECT_EQ(err(R"({"output_tokens": {"normal": {"mean": 100}}})"),
            "w.json: output_tokens.normal: expected {\"mean\": tokens, \"sd\": tokens}, got {\"mean\":100}");
  EXPECT_EQ(err(R"({"output_tokens": {"zipf": 1}})"),
            "w.json: output_tokens: unknown length distribution 'zipf'");
  EXPECT_EQ(err(R"({"arrival": "uniform"})"),
            "w.json: arrival: expected \"poisson\" or {\"gamma_cv\": CV}, got \"uniform\"");
  EXPECT_EQ(err(R"({"requests": 0})"), "w.json: requests: expected a whole number from 1 to 10000000, got 0");
  EXPECT_EQ(err(R"({"prompt_tokens": {"empirical_file": "/nonexistent/l.txt"}})").rfind(
                "w.json: prompt_tokens.empirical_file: ", 0),
            0u);
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

// Issue 13 item 8: pruning by cost bounds keeps the exhaustive pick, and a
// pruned layout's bound is below what it really costs.
TEST(ServingPlanTest, PruningKeepsThePickAndItsBoundsHold) {
  ServingJob job;
  job.catalog.name = "test";
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006), MakeInstance("g6e.xlarge", "L40S", 1, 1.861),
                           MakeInstance("g6.xlarge", "L4", 1, 0.805), MakeInstance("p4d.24xlarge", "A100", 8, 21.96),
                           MakeInstance("g5.12xlarge", "A10G", 4, 5.672)};
  ServingOptions o = job.Options(1, 600, 512, 128);
  o.slo.ttft_s = 1.0;
  o.target_rate_per_s = 20;
  auto pruned = MakeServingPlan(job.context(), o);
  o.exhaustive = true;
  auto full = MakeServingPlan(job.context(), o);
  ASSERT_TRUE(pruned.ok() && full.ok());
  ASSERT_TRUE(pruned->recommendation && full->recommendation);
  EXPECT_EQ(pruned->recommendation->instance->name, full->recommendation->instance->name);
  EXPECT_EQ(pruned->recommendation->fleet_usd_per_hour, full->recommendation->fleet_usd_per_hour);
  EXPECT_GT(pruned->pruned, 0);
  EXPECT_LT(pruned->simulations, full->simulations);
  for (const ServingEvaluation& p : pruned->candidates) {
    if (p.verdict != Verdict::kPruned) continue;
    EXPECT_GT(p.cost_bound, pruned->recommendation->fleet_usd_per_hour);
    for (const ServingEvaluation& f : full->candidates) {
      if (f.instance->name == p.instance->name && f.qualifies()) {
        EXPECT_GE(f.fleet_usd_per_hour, p.cost_bound - 1e-9) << p.instance->name;
      }
    }
  }
}

}  // namespace
}  // namespace infersave
