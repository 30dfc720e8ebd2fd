// Tests of the error model and the plan's confidence (include/infersave/
// confidence.h, docs/confidence.md), with values computed by hand.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "infersave/confidence.h"
#include "infersave/job.h"
#include "test_util.h"

namespace infersave {
namespace {

using nlohmann::json;

TEST(ConfidenceTest, NormalModel) {
  EXPECT_NEAR(NormalCdf(0), 0.5, 1e-12);
  EXPECT_NEAR(NormalCdf(1), 0.841344746, 1e-9);
  EXPECT_NEAR(NormalCdf(-1.6448536), 0.05, 1e-7);
  // A throughput predicted 10% above the need, with a 10% spread: one sigma.
  EXPECT_NEAR(ProbabilityAtLeast(440, 400, 10), 0.841344746, 1e-9);
  EXPECT_NEAR(ProbabilityAtLeast(400, 400, 10), 0.5, 1e-12);
  // A time predicted 10% under the objective: (1 - 90/100) / 0.10 = 1 sigma.
  EXPECT_NEAR(ProbabilityAtMost(90, 100, 10), 0.841344746, 1e-9);
  // No spread known: the prediction as it is.
  EXPECT_EQ(ProbabilityAtLeast(401, 400, -1), 1);
  EXPECT_EQ(ProbabilityAtLeast(399, 400, -1), 0);
}

TEST(ConfidenceTest, SpreadFromTheMeasuredErrors) {
  Calibration cal;
  cal.groups.push_back(GroupAccuracy{"A10G", "vllm", 40, 5.5, 14.9, -1, -1, false});
  // max(5.5 / 0.67449, 14.9 / 1.64485) = max(8.154, 9.058)
  EXPECT_NEAR(ErrorSigmaPct(&cal, "A10G", "vllm", false), 14.9 / 1.6448536269514722, 1e-9);
  cal.groups[0].uncalibrated_p90_pct = 6;
  EXPECT_NEAR(ErrorSigmaPct(&cal, "A10G", "vllm", false), 5.5 / 0.6744897501960817, 1e-9);
  EXPECT_LT(ErrorSigmaPct(nullptr, "A10G", "vllm", false), 0);
}


// opt-2.7b on the paper's catalog at 820 tok/s: g4dn.xlarge is predicted at
// 836 tok/s, 1.9% over the objective, so the pick fails at a uniform error
// of 2.0% (the first 0.5% step past 1.9%); its probability of meeting the
// objective is Phi((836/820 - 1) / sigma).
TEST(ConfidenceTest, BatchPlanConfidenceAndFlip) {
  JobRequest r;
  r.catalog = "paper";
  r.slo_tps = 820;
  const json doc = testing::PlanDocument(r);
  const json& pick = doc["recommendation"];
  ASSERT_EQ(pick["instance"], "g4dn.xlarge");
  const double tps = pick["predicted_tps"].get<double>();
  const double sigma = pick["error_sigma_pct"].get<double>();
  EXPECT_NEAR(pick["slo_confidence"].get<double>(), NormalCdf((tps / 820 - 1) / (sigma / 100)), 1e-3);
  EXPECT_DOUBLE_EQ(pick["pick_flips_at_error_pct"].get<double>(), 2.0);

  // --confidence 0.9 leaves it out; g6.xlarge (791 tok/s) misses; g5.xlarge
  // is picked. g6.xlarge is cheaper than g5.xlarge and would qualify were
  // every prediction 4.0% pessimistic (791 x 1.035 = 818.7 < 820 <= 791 x 1.040).
  r.confidence = 0.9;
  const json sure = testing::PlanDocument(r);
  EXPECT_EQ(sure["recommendation"]["instance"], "g5.xlarge");
  EXPECT_DOUBLE_EQ(sure["recommendation"]["pick_flips_at_error_pct"].get<double>(), 4.0);
  bool found = false;
  for (const json& c : sure["candidates"]) {
    if (c["instance"] != "g4dn.xlarge") continue;
    found = true;
    EXPECT_EQ(c["rejected_because"].get<std::string>().rfind("meets the objective as predicted, but only with "
                                                            "probability 58% < 90% asked",
                                                            0),
              0u)
        << c["rejected_because"];
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(sure["inputs"]["confidence"], 0.9);
}

TEST(ConfidenceTest, OnlinePlanConfidenceIsTheCapacityMargin) {
  JobRequest r;
  r.catalog = "paper";
  r.model = "llama-3.1-8b";
  r.rate = 2;
  r.slo_ttft_ms = 500;
  r.sim_requests = 1000;
  r.given = {"rate", "slo_ttft_ms", "sim_requests"};
  const json doc = testing::PlanDocument(r);
  const json& pick = doc["recommendation"];
  ASSERT_FALSE(pick.is_null());
  const double capacity = pick["max_rate_per_instance"].get<double>() * pick["instances"].get<double>();
  const double sigma = pick["error_sigma_pct"].get<double>() / 100;
  const double by_capacity = NormalCdf((capacity / 2 - 1) / sigma);
  const double by_latency = NormalCdf((1 - pick["light_load"]["ttft_at_percentile_ms"].get<double>() / 500) / sigma);
  EXPECT_NEAR(pick["slo_confidence"].get<double>(), std::min(by_capacity, by_latency), 1e-3);
  ASSERT_TRUE(pick["pick_flips_at_error_pct"].is_number());
  // The pick's one instance stops sufficing once its capacity, scaled by
  // (1 - u), falls below the target: the flip is at most that margin (the
  // first 0.5% step past it).
  const double margin_pct = (1 - 2 / pick["max_rate_per_instance"].get<double>()) * 100;
  EXPECT_LE(pick["pick_flips_at_error_pct"].get<double>(), margin_pct + 0.5 + 1e-9);
}

TEST(ConfidenceTest, ConfidenceIsAProbability) {
  auto r = ParseJobRequest(R"({"confidence": 90})");
  ASSERT_TRUE(r.ok());
  auto job = ResolveJob(*r, NoFiles(), "2026-12-06");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(RequestField(job.error().field()), "confidence");
  EXPECT_EQ(job.error().message(RequestField), "confidence must be a probability in [0, 1), e.g. 0.9, got 90");
}

}  // namespace
}  // namespace infersave
