// Tests for the continuous-batching simulator (include/infersave/simulator.h):
// hand-checked timings, chunked prefill, prefill attention work, load
// behaviour and the completion ratio, KV preemption, closed-loop clients,
// percentiles, the workload generator's determinism and statistics, trace
// parsing and errors.
#include "infersave/simulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace infersave {
namespace {

constexpr double kEps = 1e-9;

EngineLimits Roomy() {
  EngineLimits l;
  l.max_batched_tokens = 512;
  l.max_sequences = 16;
  l.block_size_tokens = 16;
  l.kv_blocks = 100000;
  return l;
}

SimulationResult MustSimulate(const std::vector<Request>& requests, const EngineLimits& limits,
                              const StepTimeFn& step) {
  auto r = Simulate(requests, limits, step);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : SimulationResult{};
}

SimulationResult MustSimulateClosedLoop(const std::vector<Request>& requests, const ClosedLoop& loop,
                                        const EngineLimits& limits, const StepTimeFn& step) {
  auto r = SimulateClosedLoop(requests, loop, limits, step);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : SimulationResult{};
}

std::vector<Request> MustGenerate(const WorkloadSpec& spec) {
  auto r = GenerateRequests(spec);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : std::vector<Request>{};
}

double MeanTtft(const SimulationResult& r, size_t begin, size_t end) {
  double sum = 0;
  for (size_t i = begin; i < end; ++i) sum += r.requests[i].ttft_s;
  return sum / static_cast<double>(end - begin);
}

// ---- Hand-checked timings ---------------------------------------------------

TEST(SimulatorTest, SingleRequestsAtATime) {
  // 0.2 s for an iteration with prefill, 0.05 s for a decode-only one.
  StepTimeFn step = [](const IterationShape& s) { return s.prefill_tokens > 0 ? 0.2 : 0.05; };
  std::vector<Request> reqs = {{0, 200, 10}, {100, 200, 10}, {200, 300, 1}};
  SimulationResult r = MustSimulate(reqs, Roomy(), step);
  ASSERT_EQ(r.requests.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    const RequestMetrics& m = r.requests[i];
    EXPECT_NEAR(m.ttft_s, 0.2, kEps);
    ASSERT_TRUE(m.tpot_s.has_value());
    EXPECT_NEAR(*m.tpot_s, 0.05, kEps);
    EXPECT_NEAR(m.e2e_s, 0.2 + 9 * 0.05, kEps);  // prefill + (out - 1) x step
  }
  // One output token: the prefill iteration produces it; TPOT undefined.
  EXPECT_NEAR(r.requests[2].ttft_s, 0.2, kEps);
  EXPECT_NEAR(r.requests[2].e2e_s, 0.2, kEps);
  EXPECT_FALSE(r.requests[2].tpot_s.has_value());
  EXPECT_EQ(r.tpot.count, 2);
  EXPECT_EQ(r.ttft.count, 3);
  EXPECT_EQ(r.preemptions, 0);
  EXPECT_EQ(r.iterations, 10 + 10 + 1);
  // Makespan 0 .. 200.2 s; 21 output tokens, 21 + 700 tokens in all.
  EXPECT_NEAR(r.makespan_s, 200.2, kEps);
  EXPECT_NEAR(r.output_tokens_per_s, 21 / 200.2, 1e-12);
  EXPECT_NEAR(r.total_tokens_per_s, 721 / 200.2, 1e-12);
}

TEST(SimulatorTest, TwoSimultaneousRequestsByHand) {
  // step = 0.01 + 0.001 x prefill_tokens + 0.002 x decode_sequences.
  StepTimeFn step = [](const IterationShape& s) {
    return 0.01 + 0.001 * static_cast<double>(s.prefill_tokens) + 0.002 * static_cast<double>(s.decode_sequences);
  };
  EngineLimits limits = Roomy();
  limits.max_batched_tokens = 120;
  // A: prompt 100, 3 tokens out. B: prompt 50, 2 tokens out. Both at t = 0.
  std::vector<Request> reqs = {{0, 100, 3}, {0, 50, 2}};
  SimulationResult r = MustSimulate(reqs, limits, step);
  // Iteration 1: A prefills 100, B the first 20 of 50 (budget 120):
  //   0.01 + 0.001 x 120 = 0.13 -> t = 0.13; A's first token.
  // Iteration 2: A decodes (1 token), B prefills its last 30:
  //   0.01 + 0.001 x 30 + 0.002 x 1 = 0.042 -> t = 0.172; B's first token.
  // Iteration 3: A and B decode: 0.01 + 0.002 x 2 = 0.014 -> t = 0.186;
  //   A has 3 tokens, B 2: both finish.
  const RequestMetrics& a = r.requests[0];
  const RequestMetrics& b = r.requests[1];
  EXPECT_NEAR(a.ttft_s, 0.13, kEps);
  EXPECT_NEAR(a.e2e_s, 0.186, kEps);
  EXPECT_NEAR(*a.tpot_s, (0.186 - 0.13) / 2, kEps);  // 0.028
  EXPECT_NEAR(b.ttft_s, 0.172, kEps);
  EXPECT_NEAR(b.e2e_s, 0.186, kEps);
  EXPECT_NEAR(*b.tpot_s, 0.186 - 0.172, kEps);  // 0.014
  EXPECT_EQ(r.iterations, 3);
  // Nearest-rank percentiles of two TTFTs {0.13, 0.172}: p50 = 1st, p90 = 2nd.
  EXPECT_NEAR(r.ttft.mean_s, (0.13 + 0.172) / 2, kEps);
  EXPECT_NEAR(r.ttft.p50_s, 0.13, kEps);
  EXPECT_NEAR(r.ttft.p90_s, 0.172, kEps);
  EXPECT_NEAR(r.ttft.p99_s, 0.172, kEps);
  // TTFT <= 0.15 only for A; then TPOT <= 0.03 holds for A.
  EXPECT_DOUBLE_EQ(FractionMeeting(r, 0.15, 0.03), 0.5);
  EXPECT_DOUBLE_EQ(FractionMeeting(r, 0.2, 0.02), 0.5);  // B meets, A's TPOT 0.028 does not
  EXPECT_DOUBLE_EQ(FractionMeeting(r, 0.2, 0.03), 1.0);
}

TEST(SimulatorTest, ChunkedPrefillTakesCeilPromptOverBudgetIterations) {
  std::vector<IterationShape> shapes;
  StepTimeFn step = [&](const IterationShape& s) {
    shapes.push_back(s);
    return 0.1;
  };
  EngineLimits limits = Roomy();
  limits.max_batched_tokens = 256;
  SimulationResult r = MustSimulate({{0, 1000, 3}}, limits, step);
  // ceil(1000 / 256) = 4 prefill iterations: 256, 256, 256, 232.
  EXPECT_NEAR(r.requests[0].ttft_s, 0.4, kEps);
  EXPECT_NEAR(r.requests[0].e2e_s, 0.6, kEps);
  ASSERT_EQ(shapes.size(), 6u);
  EXPECT_EQ(shapes[0].prefill_tokens, 256);
  EXPECT_EQ(shapes[3].prefill_tokens, 1000 - 3 * 256);
  EXPECT_EQ(shapes[4].prefill_tokens, 0);
  EXPECT_EQ(shapes[4].decode_sequences, 1);
  EXPECT_EQ(shapes[4].decode_context_tokens, 1001);  // prompt + the first token
  EXPECT_EQ(shapes[5].decode_context_tokens, 1002);
}

TEST(SimulatorTest, PrefillAttentionPairsPerChunk) {
  std::vector<IterationShape> shapes;
  StepTimeFn step = [&](const IterationShape& s) {
    shapes.push_back(s);
    return 0.1;
  };
  EngineLimits limits = Roomy();
  limits.max_batched_tokens = 4;
  limits.max_sequences = 1;
  MustSimulate({{0, 10, 2}}, limits, step);
  // Prompt 10 in chunks of 4, 4, 2 (c tokens after k cached: c k + c (c + 1) / 2):
  //   4 x 0 + 4 x 5 / 2 = 10;  4 x 4 + 10 = 26;  2 x 8 + 2 x 3 / 2 = 19.
  // Together 10 + 26 + 19 = 55 = 10 x 11 / 2, the whole prompt's causal pairs.
  // Then one decode: no prefill, no prefill pairs.
  ASSERT_EQ(shapes.size(), 4u);
  EXPECT_EQ(shapes[0].prefill_tokens, 4);
  EXPECT_EQ(shapes[0].prefill_attention_pairs, 10);
  EXPECT_EQ(shapes[1].prefill_tokens, 4);
  EXPECT_EQ(shapes[1].prefill_attention_pairs, 26);
  EXPECT_EQ(shapes[2].prefill_tokens, 2);
  EXPECT_EQ(shapes[2].prefill_attention_pairs, 19);
  EXPECT_EQ(shapes[3].decode_sequences, 1);
  EXPECT_EQ(shapes[3].prefill_attention_pairs, 0);

  // Two whole prompts in one iteration sum: 3 x 4 / 2 + 5 x 6 / 2 = 6 + 15 = 21.
  shapes.clear();
  MustSimulate({{0, 3, 1}, {0, 5, 1}}, Roomy(), step);
  ASSERT_EQ(shapes.size(), 1u);
  EXPECT_EQ(shapes[0].prefill_tokens, 8);
  EXPECT_EQ(shapes[0].prefill_attention_pairs, 21);
}

// ---- Load -------------------------------------------------------------------

// 16 sequences decode in 0.02 s: about 800 tokens/s, 16 requests/s of 50 tokens.
StepTimeFn LoadStep() {
  return [](const IterationShape& s) { return 0.02 + 0.0001 * static_cast<double>(s.prefill_tokens); };
}

WorkloadSpec LoadSpec(double rate_per_s) {
  WorkloadSpec spec;
  spec.rate_per_s = rate_per_s;
  spec.prompt = LengthDistribution::Fixed(100);
  spec.output = LengthDistribution::Fixed(50);
  spec.num_requests = 2000;
  spec.seed = 7;
  return spec;
}

TEST(SimulatorTest, OverloadGrowsQueueingDelay) {
  EngineLimits limits = Roomy();
  limits.max_sequences = 16;
  SimulationResult r = MustSimulate(MustGenerate(LoadSpec(40)), limits, LoadStep());
  const size_t n = r.requests.size();
  const double first = MeanTtft(r, 0, n / 10);
  const double last = MeanTtft(r, n - n / 10, n);
  EXPECT_GT(last, 5 * first) << "first tenth " << first << " s, last tenth " << last << " s";
  EXPECT_LT(FractionMeeting(r, 0.5, 1.0), 0.2);
  EXPECT_EQ(r.preemptions, 0);
}

TEST(SimulatorTest, UnderloadKeepsTtftNearPrefillTime) {
  EngineLimits limits = Roomy();
  limits.max_sequences = 16;
  SimulationResult r = MustSimulate(MustGenerate(LoadSpec(2)), limits, LoadStep());
  // A prefill iteration of 100 tokens takes 0.03 s; an arrival may also wait
  // for the iteration in flight (<= 0.03 s).
  EXPECT_LT(r.ttft.mean_s, 0.06);
  EXPECT_LT(r.ttft.p99_s, 0.1);
  EXPECT_GT(FractionMeeting(r, 0.1, 0.05), 0.98);
  const size_t n = r.requests.size();
  EXPECT_LT(MeanTtft(r, n - n / 10, n), 2 * MeanTtft(r, 0, n / 10));
}

TEST(SimulatorTest, CompletionRatioSeparatesOverloadFromUnderload) {
  // Fixed 0.01 s per iteration; prompt 1, output 1: one iteration per request,
  // and one request at a time (max_sequences 1): capacity 100 requests/s.
  StepTimeFn step = [](const IterationShape&) { return 0.01; };
  EngineLimits limits = Roomy();
  limits.max_sequences = 1;

  // Overload: 100 arrivals at i x 0.001 s (1000/s). The engine is busy from
  // t = 0, so request i finishes at 0.01 (i + 1). The 25th-percentile arrival
  // is rank ceil(0.25 x 100) = 25, i = 24: t25 = 0.024; t_last = 0.099.
  //   arrivals in (0.024, 0.099]: i = 25..99, 75;
  //   finishes in (0.024, 0.099]: 0.03, 0.04, ..., 0.09, 7.
  // Ratio 7 / 75 (capacity / offered = 0.1).
  std::vector<Request> reqs;
  for (int i = 0; i < 100; ++i) reqs.push_back({i * 0.001, 1, 1});
  SimulationResult r = MustSimulate(reqs, limits, step);
  EXPECT_NEAR(r.requests[99].finish_s, 1.0, kEps);
  EXPECT_NEAR(r.completion_ratio, 7.0 / 75.0, kEps);
  EXPECT_LT(r.completion_ratio, 0.6);

  // Underload: arrivals at i x 0.1 s (10/s); each runs at once and finishes
  // at i x 0.1 + 0.01. t25 = 24 x 0.1 = 2.4, t_last = 9.9:
  //   arrivals in (2.4, 9.9]: i = 25..99, 75;
  //   finishes in (2.4, 9.9]: 2.41 .. 9.81, i = 24..98, 75 (9.91 is past).
  // Ratio 75 / 75 = 1.
  reqs.clear();
  for (int i = 0; i < 100; ++i) reqs.push_back({i * 0.1, 1, 1});
  r = MustSimulate(reqs, limits, step);
  EXPECT_DOUBLE_EQ(r.completion_ratio, 1.0);

  // The same with Poisson arrivals at 10x and 0.1x the capacity.
  WorkloadSpec spec;
  spec.prompt = LengthDistribution::Fixed(1);
  spec.output = LengthDistribution::Fixed(1);
  spec.num_requests = 2000;
  spec.rate_per_s = 1000;
  r = MustSimulate(MustGenerate(spec), limits, step);
  EXPECT_LT(r.completion_ratio, 0.6);
  EXPECT_GT(r.completion_ratio, 0.05);
  spec.rate_per_s = 10;
  r = MustSimulate(MustGenerate(spec), limits, step);
  EXPECT_GT(r.completion_ratio, 0.95);
  EXPECT_LE(r.completion_ratio, 1.05);

  // Everything arriving at once leaves the window empty: ratio 1.
  EXPECT_DOUBLE_EQ(MustSimulate(std::vector<Request>(10, Request{0, 1, 1}), limits, step).completion_ratio, 1.0);
}

// ---- KV pressure ------------------------------------------------------------

TEST(SimulatorTest, KvPressurePreemptsAndCompletesEveryRequest) {
  EngineLimits limits = Roomy();
  limits.max_sequences = 8;
  limits.kv_blocks = 40;  // 640 tokens; one request peaks at 299 tokens (19 blocks)
  std::vector<Request> reqs(10, Request{0, 100, 200});
  StepTimeFn step = [](const IterationShape& s) {
    return 0.01 + 1e-5 * static_cast<double>(s.prefill_tokens) + 1e-4 * static_cast<double>(s.decode_sequences);
  };
  for (auto mode : {EngineLimits::Preemption::kRecompute, EngineLimits::Preemption::kSwap}) {
    limits.preemption = mode;
    limits.swap_s_per_block = 0.001;
    SimulationResult r = MustSimulate(reqs, limits, step);
    EXPECT_GT(r.preemptions, 0);
    int64_t per_request = 0;
    for (const RequestMetrics& m : r.requests) {
      EXPECT_GT(m.finish_s, 0);
      EXPECT_GE(m.finish_s, m.first_token_s);
      ASSERT_TRUE(m.tpot_s.has_value());
      EXPECT_GT(*m.tpot_s, 0);
      per_request += m.preemptions;
    }
    EXPECT_EQ(per_request, r.preemptions);
    // Every request decodes 199 times at least; never more than 2 run fully at once.
    EXPECT_GT(r.iterations, 199 * 10 / 3);
  }
  // Swap copies cost time; a free swap beats recomputing the victims' prefill.
  limits.preemption = EngineLimits::Preemption::kSwap;
  limits.swap_s_per_block = 0;
  const double free_swap_s = MustSimulate(reqs, limits, step).makespan_s;
  limits.swap_s_per_block = 0.001;
  EXPECT_GT(MustSimulate(reqs, limits, step).makespan_s, free_swap_s);
  limits.preemption = EngineLimits::Preemption::kRecompute;
  EXPECT_GT(MustSimulate(reqs, limits, step).makespan_s, free_swap_s);
}

TEST(SimulatorTest, ManyRequestsScale) {
  // 100,000 requests: must finish quickly (no per-iteration scans of all requests).
  WorkloadSpec spec = LoadSpec(15);
  spec.num_requests = 100000;
  spec.output = LengthDistribution::Uniform(1, 20);
  EngineLimits limits = Roomy();
  limits.max_sequences = 64;
  SimulationResult r = MustSimulate(MustGenerate(spec), limits, LoadStep());
  EXPECT_EQ(r.requests.size(), 100000u);
  EXPECT_GT(r.output_tokens_per_s, 0);
}

// ---- Closed loop ------------------------------------------------------------

TEST(SimulatorClosedLoopTest, OneUserByHand) {
  // 0.1 s for an iteration with prefill, 0.01 s for a decode-only one.
  StepTimeFn step = [](const IterationShape& s) { return s.prefill_tokens > 0 ? 0.1 : 0.01; };
  // The arrival times are ignored (even a NaN one).
  std::vector<Request> reqs = {{99, 10, 3}, {-5, 20, 1}, {std::nan(""), 30, 2}};
  SimulationResult r = MustSimulateClosedLoop(reqs, ClosedLoop{1, 0}, Roomy(), step);
  // Think 0:
  //   #1 arrives 0: prefill -> 0.1 (token 1), decodes -> 0.11, 0.12: finishes 0.12.
  //   #2 arrives 0.12: prefill -> 0.22, its only token: finishes 0.22.
  //   #3 arrives 0.22: prefill -> 0.32 (token 1), decode -> 0.33: finishes 0.33.
  ASSERT_EQ(r.requests.size(), 3u);
  EXPECT_NEAR(r.requests[0].arrival_s, 0, kEps);
  EXPECT_NEAR(r.requests[0].first_token_s, 0.1, kEps);
  EXPECT_NEAR(r.requests[0].finish_s, 0.12, kEps);
  EXPECT_NEAR(r.requests[1].arrival_s, 0.12, kEps);
  EXPECT_NEAR(r.requests[1].finish_s, 0.22, kEps);
  EXPECT_NEAR(r.requests[1].ttft_s, 0.1, kEps);
  EXPECT_NEAR(r.requests[2].arrival_s, 0.22, kEps);
  EXPECT_NEAR(r.requests[2].first_token_s, 0.32, kEps);
  EXPECT_NEAR(r.requests[2].finish_s, 0.33, kEps);
  EXPECT_NEAR(r.requests[2].e2e_s, 0.11, kEps);
  EXPECT_EQ(r.iterations, 3 + 1 + 2);
  EXPECT_NEAR(r.makespan_s, 0.33, kEps);

  // Think 0.5: #2 arrives 0.12 + 0.5 = 0.62, finishes 0.72; #3 arrives
  // 0.72 + 0.5 = 1.22, first token 1.32, finishes 1.33. Makespan 0 .. 1.33.
  r = MustSimulateClosedLoop(reqs, ClosedLoop{1, 0.5}, Roomy(), step);
  EXPECT_NEAR(r.requests[1].arrival_s, 0.62, kEps);
  EXPECT_NEAR(r.requests[1].finish_s, 0.72, kEps);
  EXPECT_NEAR(r.requests[2].arrival_s, 1.22, kEps);
  EXPECT_NEAR(r.requests[2].first_token_s, 1.32, kEps);
  EXPECT_NEAR(r.requests[2].finish_s, 1.33, kEps);
  EXPECT_NEAR(r.makespan_s, 1.33, kEps);

  // Two users, think 0: #1 and #2 arrive at 0 and prefill together -> 0.1;
  // #2 (1 token) finishes, so #3 arrives at 0.1. Then #1 decodes while #3
  // prefills -> 0.2 (a prefill iteration); both decode -> 0.21: #1 has 3
  // tokens, #3 2: both finish. 3 iterations.
  r = MustSimulateClosedLoop(reqs, ClosedLoop{2, 0}, Roomy(), step);
  EXPECT_NEAR(r.requests[1].arrival_s, 0, kEps);
  EXPECT_NEAR(r.requests[1].finish_s, 0.1, kEps);
  EXPECT_NEAR(r.requests[2].arrival_s, 0.1, kEps);
  EXPECT_NEAR(r.requests[2].first_token_s, 0.2, kEps);
  EXPECT_NEAR(r.requests[0].finish_s, 0.21, kEps);
  EXPECT_NEAR(r.requests[2].finish_s, 0.21, kEps);
  EXPECT_EQ(r.iterations, 3);
}

TEST(SimulatorClosedLoopTest, PacedByHand) {
  // A rate with a concurrency cap of 1: 0.1 s per prefill iteration, 0.01 s
  // per decode-only one; arrivals at 0, 0.05 and 1.0.
  StepTimeFn step = [](const IterationShape& s) { return s.prefill_tokens > 0 ? 0.1 : 0.01; };
  std::vector<Request> reqs = {{0, 10, 3}, {0.05, 20, 1}, {1.0, 30, 2}};
  SimulationResult r = MustSimulateClosedLoop(reqs, ClosedLoop{1, 0, true}, Roomy(), step);
  //   #1 sent 0: prefill -> 0.1, decodes -> 0.11, 0.12: finishes 0.12.
  //   #2 due 0.05, held by the cap until 0.12: prefill -> 0.22, finishes 0.22.
  //   #3 due 1.0, after #2 finished: sent 1.0, prefill -> 1.1, decode -> 1.11.
  ASSERT_EQ(r.requests.size(), 3u);
  EXPECT_NEAR(r.requests[1].arrival_s, 0.12, kEps);
  EXPECT_NEAR(r.requests[1].finish_s, 0.22, kEps);
  EXPECT_NEAR(r.requests[2].arrival_s, 1.0, kEps);
  EXPECT_NEAR(r.requests[2].finish_s, 1.11, kEps);
  EXPECT_NEAR(r.makespan_s, 1.11, kEps);
  // Unpaced, #3 would be sent as soon as #2 finished (0.22).
  SimulationResult unpaced = MustSimulateClosedLoop(reqs, ClosedLoop{1, 0}, Roomy(), step);
  EXPECT_NEAR(unpaced.requests[2].arrival_s, 0.22, kEps);
  // Paced arrivals must be sorted.
  std::vector<Request> unsorted = {{1, 10, 3}, {0, 10, 3}};
  EXPECT_FALSE(SimulateClosedLoop(unsorted, ClosedLoop{1, 0, true}, Roomy(), step).ok());
}

TEST(SimulatorClosedLoopTest, EnoughUsersEqualsAllArrivingAtZero) {
  WorkloadSpec spec;
  spec.prompt = LengthDistribution::Uniform(10, 300);
  spec.output = LengthDistribution::Uniform(1, 40);
  spec.num_requests = 50;
  spec.seed = 3;
  std::vector<Request> reqs = MustGenerate(spec);
  std::vector<Request> at_zero = reqs;
  for (Request& q : at_zero) q.arrival_s = 0;
  EngineLimits limits = Roomy();
  limits.max_sequences = 8;
  limits.kv_blocks = 60;  // some KV pressure, so preemptions are compared too
  SimulationResult open = MustSimulate(at_zero, limits, LoadStep());
  for (int64_t users : {50, 80}) {
    SimulationResult closed = MustSimulateClosedLoop(reqs, ClosedLoop{users, 3.0}, limits, LoadStep());
    ASSERT_EQ(closed.requests.size(), open.requests.size());
    for (size_t i = 0; i < reqs.size(); ++i) {
      EXPECT_EQ(closed.requests[i].arrival_s, 0);
      EXPECT_EQ(closed.requests[i].first_token_s, open.requests[i].first_token_s);
      EXPECT_EQ(closed.requests[i].finish_s, open.requests[i].finish_s);
      EXPECT_EQ(closed.requests[i].preemptions, open.requests[i].preemptions);
    }
    EXPECT_EQ(closed.iterations, open.iterations);
    EXPECT_EQ(closed.preemptions, open.preemptions);
    EXPECT_EQ(closed.makespan_s, open.makespan_s);
    EXPECT_DOUBLE_EQ(closed.completion_ratio, 1.0);  // all arrive at 0: empty window
  }
}

TEST(SimulatorClosedLoopTest, RunningSequencesNeverExceedUsers) {
  // Prompts of 32 tokens with a 512-token budget: every prefill is one whole
  // chunk, so the running sequences of an iteration are
  // decode_sequences + prefill_tokens / 32.
  int64_t max_running = 0;
  StepTimeFn step = [&](const IterationShape& s) {
    EXPECT_EQ(s.prefill_tokens % 32, 0);
    max_running = std::max(max_running, s.decode_sequences + s.prefill_tokens / 32);
    return 0.01 + 0.0001 * static_cast<double>(s.prefill_tokens);
  };
  std::vector<Request> reqs;
  for (int i = 0; i < 30; ++i) reqs.push_back({0, 32, (i * 7) % 13 + 1});
  const ClosedLoop loop{3, 0.05};
  SimulationResult r = MustSimulateClosedLoop(reqs, loop, Roomy(), step);
  EXPECT_EQ(max_running, 3);  // reached, never exceeded (16 slots are free)
  // The k-th finish (in time order) sends request #(3 + k) think_s later.
  std::vector<double> finishes;
  for (const RequestMetrics& m : r.requests) finishes.push_back(m.finish_s);
  std::sort(finishes.begin(), finishes.end());
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(r.requests[i].arrival_s, 0);
  for (size_t k = 0; k + 3 < reqs.size(); ++k) {
    EXPECT_EQ(r.requests[k + 3].arrival_s, finishes[k] + loop.think_s) << "request #" << k + 4;
  }
}

// ---- Percentiles ------------------------------------------------------------

TEST(SimulatorPercentileTest, NearestRank) {
  // 10 values: rank ceil(pct/100 x 10). p50 -> 5 (5th), p90 -> 9 (9th, not
  // rounded up to 10), p95 -> ceil(9.5) = 10, p99 -> ceil(9.9) = 10 (max),
  // p11 -> ceil(1.1) = 2, p100 -> 10, p0.5 -> ceil(0.05) = 1.
  const std::vector<double> ten = {7, 3, 10, 1, 9, 5, 2, 8, 6, 4};
  EXPECT_EQ(Percentile(ten, 50), 5);
  EXPECT_EQ(Percentile(ten, 90), 9);
  EXPECT_EQ(Percentile(ten, 95), 10);
  EXPECT_EQ(Percentile(ten, 99), 10);
  EXPECT_EQ(Percentile(ten, 11), 2);
  EXPECT_EQ(Percentile(ten, 100), 10);
  EXPECT_EQ(Percentile(ten, 0.5), 1);
  // 200 values 1..200: p99 -> 198, p99.5 -> 199, p99.9 -> ceil(199.8) = 200,
  // p50 -> 100, p0.5 -> ceil(1.0) = 1.
  std::vector<double> many;
  for (int i = 200; i >= 1; --i) many.push_back(i);
  EXPECT_EQ(Percentile(many, 99), 198);
  EXPECT_EQ(Percentile(many, 99.5), 199);
  EXPECT_EQ(Percentile(many, 99.9), 200);
  EXPECT_EQ(Percentile(many, 50), 100);
  EXPECT_EQ(Percentile(many, 0.5), 1);
  // Fractional pct, 1000 values: p99.9 -> 999, p0.1 -> 1, p99.95 -> ceil(999.5)
  // = 1000. p16.1 and p64.4 give whole products 161 and 644 in exact
  // arithmetic, but 16.1 x 1000 / 100 = 161.00000000000003 and 64.4 x 1000 /
  // 100 = 644.0000000000001 in binary: still ranks 161 and 644, not 162, 645.
  std::vector<double> thousand;
  for (int i = 1; i <= 1000; ++i) thousand.push_back(i);
  EXPECT_EQ(Percentile(thousand, 99.9), 999);
  EXPECT_EQ(Percentile(thousand, 0.1), 1);
  EXPECT_EQ(Percentile(thousand, 99.95), 1000);
  EXPECT_EQ(Percentile(thousand, 16.1), 161);
  EXPECT_EQ(Percentile(thousand, 64.4), 644);
  EXPECT_EQ(Percentile({}, 50), 0);
  EXPECT_EQ(Percentile({4.5}, 1), 4.5);
}

TEST(SimulatorPercentileTest, TtftAndTpotPercentilesOfAResult) {
  SimulationResult r;
  // TTFT 0.1 .. 1.0; TPOT only on the even-numbered ones: 0.02, 0.04, ..., 0.1.
  for (int i = 1; i <= 10; ++i) {
    RequestMetrics m;
    m.ttft_s = 0.1 * i;
    if (i % 2 == 0) m.tpot_s = 0.01 * i;
    r.requests.push_back(m);
  }
  EXPECT_DOUBLE_EQ(TtftPercentile(r, 90), 0.1 * 9);   // 9th of 10
  EXPECT_DOUBLE_EQ(TtftPercentile(r, 99), 0.1 * 10);  // max
  EXPECT_DOUBLE_EQ(TpotPercentile(r, 50), 0.01 * 6);  // ceil(2.5) = 3rd of 5
  EXPECT_DOUBLE_EQ(TpotPercentile(r, 80), 0.01 * 8);  // 4th of 5
  for (RequestMetrics& m : r.requests) m.tpot_s.reset();
  EXPECT_EQ(TpotPercentile(r, 50), 0);  // no request with 2+ output tokens
  EXPECT_EQ(TtftPercentile(SimulationResult{}, 50), 0);

  // On a simulation they agree with the summary's p50/p90/p99.
  SimulationResult sim = MustSimulate(MustGenerate(LoadSpec(10)), Roomy(), LoadStep());
  EXPECT_EQ(TtftPercentile(sim, 50), sim.ttft.p50_s);
  EXPECT_EQ(TtftPercentile(sim, 90), sim.ttft.p90_s);
  EXPECT_EQ(TtftPercentile(sim, 99), sim.ttft.p99_s);
  EXPECT_EQ(TpotPercentile(sim, 99), sim.tpot.p99_s);
}

// ---- Workload generator -----------------------------------------------------

TEST(ArrivalsTest, SameSeedSameRequestsDifferentSeedDifferent) {
  WorkloadSpec spec = LoadSpec(10);
  spec.prompt = LengthDistribution::Normal(500, 200);
  spec.output = LengthDistribution::Empirical({10, 20, 300});
  spec.arrival = ArrivalProcess::kGamma;
  spec.gamma_cv = 2;
  std::vector<Request> a = MustGenerate(spec);
  std::vector<Request> b = MustGenerate(spec);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].arrival_s, b[i].arrival_s);
    EXPECT_EQ(a[i].prompt_tokens, b[i].prompt_tokens);
    EXPECT_EQ(a[i].output_tokens, b[i].output_tokens);
    EXPECT_GE(a[i].prompt_tokens, 1);
    if (i > 0) EXPECT_GE(a[i].arrival_s, a[i - 1].arrival_s);
  }
  SimulationResult ra = MustSimulate(a, Roomy(), LoadStep());
  SimulationResult rb = MustSimulate(b, Roomy(), LoadStep());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(ra.requests[i].finish_s, rb.requests[i].finish_s);
  EXPECT_EQ(ra.iterations, rb.iterations);

  spec.seed = 8;
  std::vector<Request> c = MustGenerate(spec);
  size_t differing = 0;
  for (size_t i = 0; i < a.size(); ++i) differing += (a[i].arrival_s != c[i].arrival_s) ? 1 : 0;
  EXPECT_GT(differing, a.size() / 2);
}

double InterArrivalMean(const std::vector<Request>& r, double* cv) {
  std::vector<double> gaps;
  double prev = 0;
  for (const Request& q : r) {
    gaps.push_back(q.arrival_s - prev);
    prev = q.arrival_s;
  }
  double mean = 0;
  for (double g : gaps) mean += g;
  mean /= static_cast<double>(gaps.size());
  double var = 0;
  for (double g : gaps) var += (g - mean) * (g - mean);
  var /= static_cast<double>(gaps.size() - 1);
  *cv = std::sqrt(var) / mean;
  return mean;
}

TEST(ArrivalsTest, PoissonAndGammaStatistics) {
  WorkloadSpec spec;
  spec.rate_per_s = 4;
  spec.num_requests = 100000;
  spec.seed = 42;
  double cv = 0;
  const double mean = InterArrivalMean(MustGenerate(spec), &cv);
  EXPECT_NEAR(mean, 0.25, 0.02 * 0.25);
  EXPECT_NEAR(cv, 1.0, 0.05);

  spec.arrival = ArrivalProcess::kGamma;
  spec.gamma_cv = 2;
  const double gamma_mean = InterArrivalMean(MustGenerate(spec), &cv);
  EXPECT_NEAR(gamma_mean, 0.25, 0.05 * 0.25);
  EXPECT_NEAR(cv, 2.0, 0.2);

  spec.gamma_cv = 0.5;
  InterArrivalMean(MustGenerate(spec), &cv);
  EXPECT_NEAR(cv, 0.5, 0.05);
}

TEST(ArrivalsTest, LengthDistributions) {
  WorkloadSpec spec;
  spec.num_requests = 20000;
  spec.prompt = LengthDistribution::Uniform(10, 20);
  spec.output = LengthDistribution::Normal(3, 10);  // heavily truncated at 1
  std::vector<Request> r = MustGenerate(spec);
  double prompt_sum = 0;
  bool saw_lo = false, saw_hi = false;
  for (const Request& q : r) {
    EXPECT_GE(q.prompt_tokens, 10);
    EXPECT_LE(q.prompt_tokens, 20);
    saw_lo |= q.prompt_tokens == 10;
    saw_hi |= q.prompt_tokens == 20;
    EXPECT_GE(q.output_tokens, 1);
    prompt_sum += static_cast<double>(q.prompt_tokens);
  }
  EXPECT_TRUE(saw_lo && saw_hi);
  EXPECT_NEAR(prompt_sum / static_cast<double>(r.size()), 15, 0.1);

  spec.prompt = LengthDistribution::Normal(1000, 100);
  spec.output = LengthDistribution::Empirical({7});
  r = MustGenerate(spec);
  double sum = 0, sq = 0;
  for (const Request& q : r) {
    EXPECT_EQ(q.output_tokens, 7);
    sum += static_cast<double>(q.prompt_tokens);
    sq += static_cast<double>(q.prompt_tokens) * static_cast<double>(q.prompt_tokens);
  }
  const double m = sum / static_cast<double>(r.size());
  EXPECT_NEAR(m, 1000, 3);
  EXPECT_NEAR(std::sqrt(sq / static_cast<double>(r.size()) - m * m), 100, 3);
}

// ---- Trace ------------------------------------------------------------------

TEST(SimulatorTraceTest, ParsesSortedTrace) {
  auto r = ParseTrace("arrival_s,prompt_tokens,output_tokens,note\n0,10,2,x\n0.5,20,1,y\n0.5,30,4,z\n", "t.csv");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1].arrival_s, 0.5);
  EXPECT_EQ((*r)[1].prompt_tokens, 20);
  EXPECT_EQ((*r)[2].output_tokens, 4);
}

// ---- Errors -----------------------------------------------------------------

std::string ErrorOf(const Result<std::vector<Request>>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message();
}

TEST(SimulatorErrorTest, BadWorkloadSpecs) {
  WorkloadSpec spec;
  spec.rate_per_s = 0;
  EXPECT_NE(ErrorOf(GenerateRequests(spec)).find("rate must be > 0"), std::string::npos);
  spec = WorkloadSpec{};
  spec.prompt = LengthDistribution::Fixed(-5);
  EXPECT_NE(ErrorOf(GenerateRequests(spec)).find("prompt length: fixed length must be >= 1"), std::string::npos);
  spec = WorkloadSpec{};
  spec.output = LengthDistribution::Uniform(5, 2);
  EXPECT_NE(ErrorOf(GenerateRequests(spec)).find("output length: uniform upper bound"), std::string::npos);
  spec = WorkloadSpec{};
  spec.output = LengthDistribution::Normal(100, -1);
  EXPECT_NE(ErrorOf(GenerateRequests(spec)).find("standard deviation must be >= 0"), std::string::npos);
  spec = WorkloadSpec{};
  spec.output = LengthDistribution::Empirical({});
  EXPECT_NE(ErrorOf(GenerateRequests(spec)).find("no values"), std::string::npos);
  spec = WorkloadSpec{};
  spec.num_requests = 0;
  EXPECT_NE(ErrorOf(GenerateRequests(spec)).find("number of requests"), std::string::npos);
  spec = WorkloadSpec{};
  spec.arrival = ArrivalProcess::kGamma;
  spec.gamma_cv = 0;
  EXPECT_NE(ErrorOf(GenerateRequests(spec)).find("coefficient of variation must be > 0"), std::string::npos);
  EXPECT_EQ(GenerateRequests(spec).error().code(), ErrorCode::kInvalidArgument);
}

TEST(SimulatorErrorTest, BadSimulations) {
  StepTimeFn step = [](const IterationShape&) { return 0.01; };
  EngineLimits limits = Roomy();
  limits.kv_blocks = 10;  // 160 tokens
  auto r = Simulate({{0, 100, 62}}, limits, step);  // peak 161 tokens: 11 blocks
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("request #1: prompt 100 + output 62 tokens need 11 KV blocks"),
            std::string::npos)
      << r.error().message();
  EXPECT_TRUE(Simulate({{0, 100, 61}}, limits, step).ok());  // peak 160 tokens: fits exactly

  r = Simulate({{0, -1, 5}}, Roomy(), step);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("must be >= 1 token"), std::string::npos);

  EngineLimits bad = Roomy();
  bad.max_batched_tokens = 8;  // below max_sequences 16
  EXPECT_FALSE(Simulate({{0, 10, 5}}, bad, step).ok());
  EXPECT_FALSE(Simulate({}, Roomy(), step).ok());
  EXPECT_FALSE(Simulate({{0, 10, 5}}, Roomy(), StepTimeFn{}).ok());
  auto negative = Simulate({{0, 10, 5}}, Roomy(), [](const IterationShape&) { return -1.0; });
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.error().message().find("step time must be finite"), std::string::npos);
}

TEST(SimulatorErrorTest, BadClosedLoops) {
  StepTimeFn step = [](const IterationShape&) { return 0.01; };
  auto r = SimulateClosedLoop({{0, 10, 5}}, ClosedLoop{0, 0}, Roomy(), step);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("closed-loop users must be >= 1, got 0"), std::string::npos)
      << r.error().message();
  for (double think_s : {-1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    r = SimulateClosedLoop({{0, 10, 5}}, ClosedLoop{1, think_s}, Roomy(), step);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("closed-loop think time must be finite and >= 0 s"), std::string::npos)
        << r.error().message();
  }
  // The engine checks still apply.
  EXPECT_FALSE(SimulateClosedLoop({}, ClosedLoop{}, Roomy(), step).ok());
  EXPECT_FALSE(SimulateClosedLoop({{0, -1, 5}}, ClosedLoop{}, Roomy(), step).ok());
}

TEST(SimulatorErrorTest, BadTraces) {
  std::string msg = ErrorOf(ParseTrace("arrival_s,prompt_tokens,output_tokens\n1,10,2\n0.5,10,2\n", "trace.csv"));
  EXPECT_NE(msg.find("trace.csv:3: column 'arrival_s'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("sorted by arrival time"), std::string::npos) << msg;
  msg = ErrorOf(ParseTrace("arrival_s,prompt_tokens,output_tokens\n1,-10,2\n", "trace.csv"));
  EXPECT_NE(msg.find("trace.csv:2: column 'prompt_tokens'"), std::string::npos) << msg;
  msg = ErrorOf(ParseTrace("arrival_s,prompt_tokens\n1,10\n", "trace.csv"));
  EXPECT_NE(msg.find("output_tokens"), std::string::npos) << msg;
  msg = ErrorOf(ParseTrace("arrival_s,prompt_tokens,output_tokens\n", "trace.csv"));
  EXPECT_NE(msg.find("no requests"), std::string::npos) << msg;
}

// An engine that reserves a request's max_tokens at admission runs fewer
// requests at once: with 100 blocks of 16 tokens (1600 tokens), requests of
// 100 + 50 tokens that reserve 100 + 300 run 4 at a time (400 tokens, 25
// blocks each), not 10 (150 tokens, 10 blocks each).
TEST(SimulatorTest, ReservedMaxTokensLimitConcurrency) {
  EngineLimits l = Roomy();
  l.kv_blocks = 100;
  l.reserve_full_request = true;
  std::vector<Request> burst(12, Request{0, 100, 50});
  size_t peak = 0;
  auto count = [&peak](const IterationShape& shape) {
    peak = std::max(peak, static_cast<size_t>(shape.decode_sequences));
    return 0.01;
  };
  MustSimulate(burst, l, count);
  EXPECT_EQ(peak, 10u);  // ceil(149 / 16) = 10 blocks each
  peak = 0;
  l.reserved_output_tokens = 300;
  MustSimulate(burst, l, count);
  EXPECT_EQ(peak, 4u);  // ceil(399 / 16) = 25 blocks each
  // A reservation the cache can never hold is refused up front.
  l.reserved_output_tokens = 2000;
  auto r = Simulate(burst, l, count);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "request #1: prompt 100 + output 50 tokens need 132 KV blocks of 16 tokens, but the cache holds only 100; "
            "it can never run");
}

}  // namespace
}  // namespace infersave
