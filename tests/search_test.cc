// Tests of the knob search (issue 13 item 1; include/infersave/search.h):
// formats and engines listed in a request are each planned, and the merged
// plan picks what the cheapest single plan picks.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "infersave/job.h"
#include "test_util.h"

namespace infersave {
namespace {

using nlohmann::json;


// The merged pick costs what the cheapest single-knob plan's pick costs, and
// says which knobs it chose.
void ExpectMergedIsCheapest(JobRequest base, const std::string& field, const std::vector<std::string>& values,
                            const char* cost_key) {
  double cheapest = 1e300;
  std::string cheapest_value, cheapest_instance;
  for (const std::string& v : values) {
    JobRequest r = base;
    (field == "weights" ? r.weights : r.engine) = v;
    const json doc = testing::PlanDocument(r);
    ASSERT_FALSE(doc["recommendation"].is_null()) << v;
    const double cost = doc["recommendation"][cost_key].get<double>();
    if (cost < cheapest) {
      cheapest = cost;
      cheapest_value = v;
      cheapest_instance = doc["recommendation"]["instance"].get<std::string>();
    }
  }
  JobRequest r = base;
  std::string list;
  for (const std::string& v : values) list += (list.empty() ? "" : ",") + v;
  (field == "weights" ? r.weights : r.engine) = list;
  const json merged = testing::PlanDocument(r);
  ASSERT_FALSE(merged["recommendation"].is_null());
  EXPECT_DOUBLE_EQ(merged["recommendation"][cost_key].get<double>(), cheapest) << list;
  EXPECT_EQ(merged["recommendation"]["instance"], cheapest_instance);
  EXPECT_EQ(merged["recommendation"][field == "weights" ? "weights" : "engine"], cheapest_value);
  // One candidate per instance, as in a single plan.
  std::set<std::string> names;
  for (const json& c : merged["candidates"]) names.insert(c["instance"].get<std::string>());
  EXPECT_EQ(names.size(), merged["candidates"].size());
}

TEST(SearchTest, BatchFormatsAndEngines) {
  JobRequest r;
  r.model = "llama-3.1-70b";
  r.slo_tps = 2000;
  ExpectMergedIsCheapest(r, "weights", {"fp16", "fp8"}, "job_cost_usd");
  ExpectMergedIsCheapest(r, "engine", {"vllm", "tensorrt-llm"}, "job_cost_usd");
}

TEST(SearchTest, OnlineFormats) {
  JobRequest r;
  r.catalog = "paper";
  r.model = "llama-3.1-8b";
  r.rate = 4;
  r.slo_ttft_ms = 300;
  r.sim_requests = 400;
  r.given = {"rate", "slo_ttft_ms", "sim_requests"};
  ExpectMergedIsCheapest(r, "weights", {"fp16", "fp8"}, "fleet_usd_per_hour");
}

TEST(SearchTest, ACombinationTheEngineLacksIsLeftOutWithAWarning) {
  JobRequest r;
  r.catalog = "paper";
  r.engine = "flexgen";
  r.weights = "fp16,fp8";
  const json doc = testing::PlanDocument(r);
  ASSERT_FALSE(doc["recommendation"].is_null());
  EXPECT_EQ(doc["recommendation"]["weights"], "fp16");
  bool warned = false;
  for (const json& w : doc["warnings"]) {
    warned |= w.get<std::string>().rfind("not searched: fp8 weights, fp16 KV cache on flexgen: ", 0) == 0;
  }
  EXPECT_TRUE(warned) << doc["warnings"].dump();
}

TEST(SearchTest, BadListsAreRefusedNamingTheField) {
  JobRequest r;
  r.weights = "fp16,fp3";
  auto job = ResolveJob(r, NoFiles(), "2026-12-06");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().field(), "weights");
  r = JobRequest{};
  r.kv_cache = "fp16,int4";
  job = ResolveJob(r, NoFiles(), "2026-12-06");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().message(), "kv_cache int4: give fp16, bf16, fp8 or int8");
  r = JobRequest{};
  r.engine = "vllm,no-such-engine";
  job = ResolveJob(r, NoFiles(), "2026-12-06");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().field(), "engine");
  // A single value searches nothing.
  r = JobRequest{};
  r.weights = "fp8";
  job = ResolveJob(r, NoFiles(), "2026-12-06");
  ASSERT_TRUE(job.ok());
  EXPECT_TRUE(job->variants.empty());
  r.weights = "fp16, fp8";
  r.engine = "vllm,tensorrt-llm";
  job = ResolveJob(r, NoFiles(), "2026-12-06");
  ASSERT_TRUE(job.ok()) << job.error().message();
  EXPECT_EQ(job->variants.size(), 4u);  // 2 weight formats x 1 KV format x 2 engines
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

// --search-batch: every power of two up to the requests, the best that fits
// per instance; the pick costs what the cheapest fixed-batch plan's does.
TEST(SearchTest, BatchSizeSearch) {
  JobRequest base;
  base.catalog = "paper";
  base.model = "llama-3.1-8b";
  base.pace = "max";
  base.slo_tps = 0;
  base.requests = 1000;
  double cheapest = 1e300;
  int64_t cheapest_batch = 0;
  for (int64_t b = 1; b <= 1000; b *= 2) {
    JobRequest r = base;
    r.batch_size = b;
    const json doc = testing::PlanDocument(r);
    if (doc["recommendation"].is_null()) continue;
    const double cost = doc["recommendation"]["job_cost_usd"].get<double>();
    if (cost < cheapest) {
      cheapest = cost;
      cheapest_batch = b;
    }
  }
  JobRequest r = base;
  r.search_batch = true;
  const json merged = testing::PlanDocument(r);
  ASSERT_FALSE(merged["recommendation"].is_null());
  EXPECT_DOUBLE_EQ(merged["recommendation"]["job_cost_usd"].get<double>(), cheapest);
  EXPECT_EQ(merged["recommendation"]["batch_size"], cheapest_batch);
  EXPECT_EQ(merged["inputs"]["workload"]["batch_size"], cheapest_batch);
  EXPECT_EQ(merged["inputs"]["searched"], "batch sizes 1-512");

  JobRequest online = base;
  online.rate = 1;
  online.given = {"rate", "search_batch"};
  auto job = ResolveJob(online, NoFiles(), "2026-12-06");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().field(), "search_batch");
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

// Issue 13 item 2: --deadline gives each instance type the fewest instances
// that finish in time (the requests split evenly), billed each.
TEST(DeadlineTest, TheFewestInstancesThatFinishInTime) {
  JobRequest r;
  r.model = "llama-3.1-70b";
  r.requests = 100000;
  r.input_len = 1024;
  r.output_len = 256;
  r.deadline = "30m";
  const json fleet = testing::PlanDocument(r);
  const json& pick = fleet["recommendation"];
  ASSERT_FALSE(pick.is_null());
  const int64_t n = pick["instances"].get<int64_t>();
  ASSERT_GT(n, 1);
  EXPECT_LE(pick["job_hours"].get<double>(), 0.5);
  EXPECT_NEAR(pick["job_cost_usd"].get<double>(),
              static_cast<double>(n) * pick["billed_hours"].get<double>() * pick["usd_per_hour"].get<double>(), 1e-3);
  EXPECT_EQ(fleet["inputs"]["deadline_s"], 1800.0);

  // The same instance alone, flat out: n - 1 of them would not finish in 30 minutes.
  JobRequest alone = r;
  alone.deadline.clear();
  alone.pace = "max";
  alone.slo_tps = 0;
  alone.instance = pick["instance"].get<std::string>();
  alone.format = "json";
  std::ostringstream out;
  ASSERT_TRUE(RunPredictRequest(alone, NoFiles(), "2026-12-06", out).ok());
  const double one_h = json::parse(out.str())["prediction"]["job_hours"].get<double>();
  EXPECT_GT(one_h / static_cast<double>(n - 1), 0.5);

  JobRequest both = r;
  both.given = {"deadline", "slo_tps"};
  auto job = ResolveJob(both, NoFiles(), "2026-12-06");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(RequestField(job.error().field()), "deadline");
  JobRequest bad = r;
  bad.deadline = "8 hours";
  job = ResolveJob(bad, NoFiles(), "2026-12-06");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().message(), "deadline: expected a duration such as 8h, 30m, 90s or 2d, got \"8 hours\"");
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

bool Dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool all_le = true, one_lt = false;
  for (size_t i = 0; i < a.size(); ++i) {
    all_le = all_le && a[i] <= b[i];
    one_lt = one_lt || a[i] < b[i];
  }
  return all_le && one_lt;
}

// Issue 13 item 3: the frontier holds exactly the qualifying candidates no
// other qualifying one beats on every coordinate, by ascending cost.
void ExpectFrontier(const json& doc, const std::vector<std::string>& keys) {
  const auto point = [&](const json& c) {
    std::vector<double> p;
    for (const std::string& k : keys) {
      const size_t dot = k.find('.');
      p.push_back(dot == std::string::npos ? c[k].get<double>() : c[k.substr(0, dot)][k.substr(dot + 1)].get<double>());
    }
    return p;
  };
  std::vector<std::pair<std::string, std::vector<double>>> qualifying;
  for (const json& c : doc["candidates"]) {
    if (c["rejected_because"].is_null()) qualifying.emplace_back(c["instance"].get<std::string>(), point(c));
  }
  std::set<std::string> expected;
  for (const auto& [name, p] : qualifying) {
    bool dominated = false;
    for (const auto& [other, q] : qualifying) dominated = dominated || (other != name && Dominates(q, p));
    if (!dominated) expected.insert(name);
  }
  std::set<std::string> got;
  double last_cost = -1;
  for (const json& f : doc["frontier"]) {
    got.insert(f["instance"].get<std::string>());
    const double cost = f[keys[0] == "fleet_usd_per_hour" ? "fleet_usd_per_hour" : "job_cost_usd"].get<double>();
    EXPECT_GE(cost, last_cost);
    last_cost = cost;
  }
  EXPECT_EQ(got, expected);
  EXPECT_GE(got.size(), 1u);
}

TEST(FrontierTest, BatchCostAgainstJobTime) {
  JobRequest r;
  r.pace = "max";
  r.slo_tps = 0;
  const json doc = testing::PlanDocument(r);
  ExpectFrontier(doc, {"job_cost_usd", "job_hours"});
  EXPECT_GT(doc["frontier"].size(), 1u);  // flat out, faster instances cost more
}

TEST(FrontierTest, OnlineCostAgainstLatency) {
  JobRequest r;
  r.model = "llama-3.1-8b";
  r.catalog = "paper";
  r.rate = 4;
  r.slo_ttft_ms = 2000;
  r.sim_requests = 400;
  r.given = {"rate", "slo_ttft_ms", "sim_requests"};
  ExpectFrontier(testing::PlanDocument(r), {"fleet_usd_per_hour", "at_target.ttft_at_percentile_ms", "at_target.tpot_at_percentile_ms"});
}

// Asked for, the frontier is complete: nothing is pruned unsimulated (a
// layout costlier by its bound may still have the lower latency).
TEST(FrontierTest, AskingForTheFrontierSimulatesEveryLayout) {
  JobRequest r;
  r.model = "llama-3.1-8b";
  r.catalog = "aws";
  r.rate = 20;
  r.slo_ttft_ms = 2000;
  r.sim_requests = 100;
  r.given = {"rate", "slo_ttft_ms", "sim_requests"};
  auto pruned = [](const json& doc) {
    int n = 0;
    for (const json& c : doc["candidates"]) {
      n += c["rejected_because"].is_string() &&
           c["rejected_because"].get<std::string>().find("not simulated") != std::string::npos;
    }
    return n;
  };
  EXPECT_GT(pruned(testing::PlanDocument(r)), 0);
  r.frontier = true;
  const json complete = testing::PlanDocument(r);
  EXPECT_EQ(pruned(complete), 0);
  ExpectFrontier(complete, {"fleet_usd_per_hour", "at_target.ttft_at_percentile_ms", "at_target.tpot_at_percentile_ms"});
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

// Spot against on-demand, where both are allowed: each instance at the
// cheaper price that qualifies; the merged pick costs what the cheaper of
// the two single plans' picks does; a service picked on spot gets a note.
TEST(SearchTest, SpotOrOnDemand) {
  JobRequest r;
  r.cloud = "gcp";
  r.model = "llama-3.1-8b";
  r.slo_tps = 1000;
  JobRequest on_demand = r;
  JobRequest spot = r;
  spot.spot = true;
  const double cheapest = std::min(testing::PlanDocument(on_demand)["recommendation"]["job_cost_usd"].get<double>(),
                                   testing::PlanDocument(spot)["recommendation"]["job_cost_usd"].get<double>());
  r.pricing = "on-demand,spot";
  const json both = testing::PlanDocument(r);
  EXPECT_DOUBLE_EQ(both["recommendation"]["job_cost_usd"].get<double>(), cheapest);
  EXPECT_EQ(both["recommendation"]["price_basis"], "spot");  // GCP's spot prices are far below on-demand
  EXPECT_EQ(both["inputs"]["searched"], "prices on-demand, spot");

  JobRequest service = r;
  service.rate = 2;
  service.sim_requests = 300;
  service.given = {"rate", "sim_requests"};
  const json online = testing::PlanDocument(service);
  ASSERT_FALSE(online["recommendation"].is_null());
  EXPECT_EQ(online["recommendation"]["price_basis"], "spot");  // g2-standard-4's spot price
  bool noted = false;
  for (const json& w : online["warnings"]) noted |= w.get<std::string>().rfind("the pick runs on spot instances", 0) == 0;
  EXPECT_TRUE(noted) << online["warnings"].dump();

  JobRequest bad = r;
  bad.pricing = "cheap";
  auto job = ResolveJob(bad, NoFiles(), "2026-12-06");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().message(), "pricing cheap: give on-demand, spot, or both as on-demand,spot");
  bad.pricing = "spot";
  bad.spot = true;
  job = ResolveJob(bad, NoFiles(), "2026-12-06");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().field(), "pricing");
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

// Issue 13 item 1, online: the scheduler's max_num_seqs and token budget.
// The engine's own settings are among those tried, so the search can only
// match or beat the plan without it; the pick reports what it runs with.
TEST(SearchTest, SchedulerSearch) {
  JobRequest r;
  r.catalog = "paper";
  r.model = "llama-3.1-8b";
  r.rate = 6;
  r.slo_ttft_ms = 500;
  r.slo_tpot_ms = 60;
  r.sim_requests = 400;
  r.given = {"rate", "slo_ttft_ms", "slo_tpot_ms", "sim_requests"};
  const json plain = testing::PlanDocument(r);
  r.search_scheduler = true;
  const json searched = testing::PlanDocument(r);
  ASSERT_FALSE(plain["recommendation"].is_null());
  ASSERT_FALSE(searched["recommendation"].is_null());
  EXPECT_LE(searched["recommendation"]["fleet_usd_per_hour"].get<double>(),
            plain["recommendation"]["fleet_usd_per_hour"].get<double>());
  EXPECT_EQ(searched["inputs"]["searched"], "max_num_seqs 64, 128, 256, 512; token budgets 2048, 8192");
  const int64_t seqs = searched["recommendation"]["max_sequences"].get<int64_t>();
  EXPECT_TRUE(seqs == 64 || seqs == 128 || seqs == 256 || seqs == 512) << seqs;

  JobRequest batch;
  batch.search_scheduler = true;
  auto job = ResolveJob(batch, NoFiles(), "2026-12-06");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().field(), "search_scheduler");
}

}  // namespace
}  // namespace infersave
