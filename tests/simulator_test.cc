// Tests for the continuous-batching simulator (include/infersave/simulator.h):
// hand-checked timings, chunked prefill, load behaviour, KV preemption, the
// workload generator's determinism and statistics, trace parsing and errors.
#include "infersave/simulator.h"

#include <gtest/gtest.h>

#include <cmath>
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

}  // namespace
}  // namespace infersave
