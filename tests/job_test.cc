// Tests for the job request layer (include/infersave/job.h): defaults defined
// once, one validation, requests as JSON, and running a request without any
// front end.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "infersave/job.h"
#include "infersave/shipped.h"
#include "test_util.h"

namespace infersave {
namespace {

using nlohmann::json;

Job Resolve(const JobRequest& r) {
  auto job = ResolveJob(r, NoFiles(), "2026-12-06");
  EXPECT_TRUE(job.ok()) << job.error().message();
  return job.ok() ? std::move(job).value() : Job{};
}

Error ResolveError(const JobRequest& r) {
  auto job = ResolveJob(r, NoFiles(), "2026-12-06");
  EXPECT_FALSE(job.ok());
  return job.ok() ? InternalError("resolved") : job.error();
}

JobRequest Parse(std::string_view text) {
  auto r = ParseJobRequest(text);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? std::move(r).value() : JobRequest{};
}

TEST(JobRequestTest, DefaultsAreTheDocumentedOnes) {
  const Job job = Resolve(JobRequest{});
  EXPECT_EQ(job.model.name, "opt-2.7b");
  EXPECT_EQ(job.catalog.name, "aws");
  EXPECT_EQ(job.engine.name, "vllm");
  ASSERT_TRUE(job.calibration.has_value());  // the engine's default calibration
  EXPECT_EQ(job.options.workload.batch_size, 32);
  EXPECT_EQ(job.options.workload.input_len, 128);
  EXPECT_EQ(job.options.workload.output_len, 512);
  EXPECT_EQ(job.options.workload.requests, 3000);
  EXPECT_EQ(job.options.slo_tps, 400);
  EXPECT_EQ(job.options.offload_mode, OffloadMode::kAuto);
  EXPECT_EQ(job.today, "2026-12-06");
  EXPECT_EQ(job.top, 3);
}

TEST(JobRequestTest, OnlineSloTpsCountsOnlyWhenGiven) {
  JobRequest r;
  r.rate = 2;
  r.catalog = "paper";
  const Job job = Resolve(r);
  auto sj = ResolveServingJob(r, job, NoFiles());
  ASSERT_TRUE(sj.ok()) << sj.error().message();
  EXPECT_EQ(sj->options.slo_tps, 0);  // the batch default (400) is not an objective of a service
  ASSERT_TRUE(sj->options.target_rate_per_s.has_value());
  EXPECT_EQ(*sj->options.target_rate_per_s, 2);
  EXPECT_EQ(sj->options.requests.size(), 2000u);  // sim_requests default

  r.slo_tps = 5000;
  r.given = {"rate", "slo_tps"};
  auto given = ResolveServingJob(r, job, NoFiles());
  ASSERT_TRUE(given.ok()) << given.error().message();
  EXPECT_EQ(given->options.slo_tps, 5000);
}

TEST(JobRequestTest, ErrorsNameTheRequestField) {
  JobRequest r;
  r.batch_size = -5;
  Error e = ResolveError(r);
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(RequestField(e.field()), "batch_size");
  EXPECT_EQ(e.message(RequestField), "batch_size must be between 1 and 1048576, got -5");

  r = JobRequest{};
  r.max_price = -1;
  e = ResolveError(r);
  EXPECT_EQ(RequestField(e.field()), "max_price");

  r = JobRequest{};
  r.today = "06/12/2026";
  e = ResolveError(r);
  EXPECT_EQ(e.field(), "today");
  EXPECT_EQ(e.message(), "today: expected a date YYYY-MM-DD, got \"06/12/2026\"");

  r = JobRequest{};
  r.model = "lama-3.1-8b";
  e = ResolveError(r);
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.field(), "model");
  EXPECT_NE(e.message().find("llama-3.1-8b"), std::string::npos) << e.message();  // did you mean

  r = JobRequest{};
  r.cloud = "gcp";
  r.catalog = "azure";
  r.given = {"cloud", "catalog"};
  e = ResolveError(r);
  EXPECT_EQ(e.message(), "give cloud or catalog, not both (cloud gcp catalog azure)");
}

TEST(JobRequestTest, BatchFieldsAreRefusedInOnlinePlans) {
  JobRequest r;
  r.rate = 1;
  r.given = {"rate", "batch_size"};
  const Error e = ResolveError(r);
  EXPECT_EQ(e.field(), "batch_size");
  EXPECT_EQ(e.message().rfind("batch_size does not apply to online serving", 0), 0u) << e.message();
}

TEST(JobRequestTest, PathsGoThroughTheFileSource) {
  JobRequest r;
  r.model = "/etc/passwd.json";
  Error e = ResolveError(r);
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.field(), "model");

  r = JobRequest{};
  r.rate = 1;
  r.trace = "/etc/trace.csv";
  const Job job = Resolve(JobRequest{});
  auto sj = ResolveServingJob(r, job, NoFiles());
  ASSERT_FALSE(sj.ok());
  EXPECT_EQ(sj.error().field(), "trace");
}

TEST(JobRequestTest, InlineModelAndCatalog) {
  const std::string config = std::string(*ShippedText("models/llama-3.1-8b.json"));
  const std::string catalog = std::string(*ShippedText("catalogs/paper.csv"));
  json body = {{"model_config", json::parse(config)}, {"catalog_csv", catalog}, {"slo_tps", 100}};
  const JobRequest r = Parse(body.dump());
  const Job job = Resolve(r);
  EXPECT_EQ(job.model.num_layers, 32);
  EXPECT_EQ(job.model.hidden_size, 4096);
  EXPECT_EQ(job.catalog.instances.size(), 4u);  // the paper's four instances (Table IV)
  EXPECT_EQ(job.options.slo_tps, 100);

  JobRequest both = r;
  both.given.push_back("catalog");
  EXPECT_EQ(ResolveError(both).field(), "catalog_csv");

  JobRequest bad;
  bad.model_config = "{\"model_type\": \"llama\"";
  EXPECT_EQ(ResolveError(bad).field(), "model_config");
}

TEST(ParseJobRequestTest, TypesAndUnknownKeys) {
  const JobRequest r = Parse(R"({"model": "llama-3.1-8b", "batch_size": 64, "spot": true, "rate": null,
                                  "max_price": 5.5, "seed": 7})");
  EXPECT_EQ(r.model, "llama-3.1-8b");
  EXPECT_EQ(r.batch_size, 64);
  EXPECT_TRUE(r.spot);
  EXPECT_FALSE(r.rate.has_value());
  EXPECT_FALSE(r.online());
  ASSERT_TRUE(r.max_price.has_value());
  EXPECT_EQ(*r.max_price, 5.5);
  EXPECT_EQ(r.seed, 7u);
  EXPECT_TRUE(r.Given("batch_size"));
  EXPECT_FALSE(r.Given("input_len"));

  struct Case {
    std::string body;
    std::string field;
    std::string message;
  };
  const Case cases[] = {
      {R"({"batch_sise": 4})", "batch_sise", "unknown request field \"batch_sise\" (did you mean 'batch_size'?)"},
      {R"({"batch_size": "64"})", "batch_size", "batch_size: expected a whole number, got \"\\\"64\\\"\""},
      {R"({"batch_size": 6.5})", "batch_size", "batch_size: expected a whole number, got \"6.5\""},
      {R"({"batch_size": 99999999999999999999})", "batch_size",
       "batch_size: expected a whole number, got \"1e+20\""},
      {R"({"seed": -1})", "seed", "seed: expected a whole number >= 0, got \"-1\""},
      {R"({"tp": 4294967296})", "tp", "tp: expected a smaller number, got \"4294967296\""},
      {R"({"spot": "yes"})", "spot", "spot: expected true or false, got \"\\\"yes\\\"\""},
      {R"({"model": 7})", "model", "model: expected a string, got \"7\""},
      {R"({"model_config": [1]})", "model_config", "model_config: expected a config.json object, got \"[1]\""},
  };
  for (const Case& c : cases) {
    auto parsed = ParseJobRequest(c.body);
    ASSERT_FALSE(parsed.ok()) << c.body;
    EXPECT_EQ(parsed.error().field(), c.field) << c.body;
    EXPECT_EQ(parsed.error().message(), c.message) << c.body;
  }
  auto not_json = ParseJobRequest("{\"model\": ");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(not_json.error().message().rfind("request body: not valid JSON", 0), 0u);
  auto array = ParseJobRequest("[1, 2]");
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.error().message(), "request body: expected a JSON object of request fields");
}

TEST(RunRequestTest, PlanPredictAndSimulateWriteTheirDocuments) {
  JobRequest r;
  r.format = "json";
  std::ostringstream plan;
  auto outcome = RunPlanRequest(r, NoFiles(), "2026-12-06", plan);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message();
  EXPECT_TRUE(outcome->found);
  const json doc = json::parse(plan.str());
  EXPECT_EQ(doc["recommendation"]["instance"], "g4dn.xlarge");  // the README's default plan
  EXPECT_EQ(doc["context"]["generated_on"], "2026-12-06");

  r.instance = "g5.xlarge";
  std::ostringstream predict;
  outcome = RunPredictRequest(r, NoFiles(), "2026-12-06", predict);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message();
  EXPECT_EQ(json::parse(predict.str())["prediction"]["instance"], "g5.xlarge");

  r.instance = "g5.xlarg";
  std::ostringstream none;
  outcome = RunPredictRequest(r, NoFiles(), "2026-12-06", none);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(outcome.error().field(), "instance");
  EXPECT_TRUE(none.str().empty());

  JobRequest sim;
  sim.format = "json";
  sim.instance = "g5.xlarge";
  sim.users = 1;
  sim.sim_requests = 20;
  sim.given = {"users", "sim_requests"};
  std::ostringstream simulated;
  outcome = RunSimulateRequest(sim, NoFiles(), "2026-12-06", simulated);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message();
  const json s = json::parse(simulated.str());
  // One user at a time: every request sees the same TTFT.
  EXPECT_EQ(s["ttft"]["p50_ms"], s["ttft"]["p99_ms"]);
  EXPECT_EQ(s["instance"], "g5.xlarge");
}

TEST(RunRequestTest, EmitWithoutAPickSaysWhy) {
  JobRequest r;
  r.emit = "skypilot";
  r.slo_tps = 1e9;
  std::ostringstream out;
  auto outcome = RunPlanRequest(r, NoFiles(), "2026-12-06", out);
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome->found);
  EXPECT_TRUE(out.str().empty());
  EXPECT_EQ(RenderFieldRefs(outcome->note, [](std::string_view f) { return std::string(f); }),
            "nothing to deploy: no instance meets the constraints (run without emit to see why each instance was "
            "rejected)");
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

// Issue 12: one candidate type, one set of rejection texts. A T4 rejected
// for its formats reads the same in a batch and an online plan.
TEST(RunRequestTest, BatchAndOnlinePlansRejectAlike) {
  const auto reason = [](JobRequest r) {
    r.catalog = "paper";
    r.model = "llama-3.1-8b";
    r.weights = "fp8";
    r.format = "json";
    r.top = 10;
    std::ostringstream out;
    auto outcome = RunPlanRequest(r, NoFiles(), "2026-12-06", out);
    EXPECT_TRUE(outcome.ok()) << outcome.error().message();
    const json doc = json::parse(out.str());
    for (const json& c : doc["candidates"]) {
      if (c["instance"] == "g4dn.xlarge") return c["rejected_because"].get<std::string>();
    }
    return std::string("g4dn.xlarge not listed");
  };
  JobRequest online;
  online.rate = 1;
  online.sim_requests = 200;
  online.given = {"rate", "sim_requests"};
  const std::string expected = "T4 cannot run fp8 weights: no fp8 tensor cores (FP8 needs an Ada or Hopper GPU)";
  EXPECT_EQ(reason(JobRequest{}), expected);
  EXPECT_EQ(reason(online), expected);
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      cells.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

// Issue 12: one row model per document. Every field of every candidate's
// JSON is a CSV column with the same value, for batch and online plans.
TEST(RunRequestTest, CsvSaysWhatTheJsonSays) {
  for (bool online : {false, true}) {
    JobRequest r;
    r.catalog = "paper";
    r.model = "llama-3.1-8b";
    r.top = 10;
    if (online) {
      r.rate = 2;
      r.sim_requests = 200;
      r.given = {"rate", "sim_requests"};
    }
    std::ostringstream json_out, csv_out;
    r.format = "json";
    ASSERT_TRUE(RunPlanRequest(r, NoFiles(), "2026-12-06", json_out).ok());
    r.format = "csv";
    ASSERT_TRUE(RunPlanRequest(r, NoFiles(), "2026-12-06", csv_out).ok());
    const json doc = json::parse(json_out.str());
    std::istringstream lines(csv_out.str());
    std::string line;
    std::getline(lines, line);
    const std::vector<std::string> header = SplitCsv(line);
    size_t row = 0;
    while (std::getline(lines, line)) {
      const std::vector<std::string> cells = SplitCsv(line);
      ASSERT_EQ(cells.size(), header.size()) << line;
      const json& c = doc["candidates"][row++];
      for (size_t k = 0; k < header.size(); ++k) {
        if (header[k] == "rank" || header[k].find('.') != std::string::npos) continue;
        const std::string key = online && header[k] == "replicas" ? "replicas_per_instance" : header[k];
        if (!c.contains(key)) continue;  // the column of another candidate
        const json& v = c[key];
        const std::string expected = v.is_null() ? "" : v.is_string() ? v.get<std::string>() : v.dump();
        EXPECT_EQ(cells[k], expected) << header[k] << " of " << c["instance"];
      }
      EXPECT_EQ(cells[0], std::to_string(row));
    }
    EXPECT_EQ(row, doc["candidates"].size());
  }
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

std::vector<std::string> OnlineWarnings(double rate, double percentile, int64_t sim_requests, json* doc_out = nullptr) {
  JobRequest r;
  r.catalog = "paper";
  r.model = "llama-3.1-8b";
  r.rate = rate;
  r.slo_percentile = percentile;
  r.sim_requests = sim_requests;
  r.given = {"rate", "slo_percentile", "sim_requests"};
  const json doc = testing::PlanDocument(r);
  if (doc_out) *doc_out = doc;
  std::vector<std::string> warnings;
  for (const json& w : doc["warnings"]) warnings.push_back(w.get<std::string>());
  return warnings;
}

bool HasWarning(const std::vector<std::string>& warnings, std::string_view text) {
  return std::any_of(warnings.begin(), warnings.end(),
                     [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

// Issue 13, sanity warnings: the simulated requests a percentile needs (10
// in its tail: 1000 for p99, 10000 for p99.9, 100 for p90), fleets past the
// clouds' quotas, rates below one request a minute.
TEST(ServingSanityTest, WarnsWhereAPlanMayMislead) {
  EXPECT_TRUE(HasWarning(OnlineWarnings(1, 99, 500), "simulate 1000 requests or more"));
  EXPECT_FALSE(HasWarning(OnlineWarnings(1, 99, 1000), "requests are simulated per rate"));
  EXPECT_TRUE(HasWarning(OnlineWarnings(1, 99.9, 2000), "simulate 10000 requests or more"));
  EXPECT_FALSE(HasWarning(OnlineWarnings(1, 90, 500), "requests are simulated per rate"));

  EXPECT_TRUE(HasWarning(OnlineWarnings(0.01, 90, 200), "less than one request a minute"));
  EXPECT_FALSE(HasWarning(OnlineWarnings(0.02, 90, 200), "less than one request a minute"));

  json doc;
  const auto big = OnlineWarnings(2000, 90, 200, &doc);
  ASSERT_FALSE(doc["recommendation"].is_null());
  EXPECT_GT(doc["recommendation"]["instances"].get<int64_t>(), 100);
  EXPECT_TRUE(HasWarning(big, "clouds cap GPU instances per account and region")) << doc["warnings"].dump();
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

json Simulated(JobRequest r) {
  r.format = "json";
  r.model = "llama-3.1-8b";
  std::ostringstream out;
  auto outcome = RunSimulateRequest(r, NoFiles(), "2026-12-06", out);
  EXPECT_TRUE(outcome.ok()) << outcome.error().message();
  return outcome.ok() ? json::parse(out.str()) : json();
}

// Issue 13 item 5: a multi-GPU instance serves the rate with its replicas.
// g5.12xlarge at TP 1 is four A10G replicas; at 8 requests/s each sees the
// rate-2 stream, stretched, so each replica's latencies are those of one
// g5.xlarge (one A10G) at 2 requests/s, and the instance serves four times
// one replica's throughput.
TEST(RunRequestTest, SimulateSpreadsTheLoadOverTheReplicas) {
  JobRequest four;
  four.instance = "g5.12xlarge";
  four.rate = 8;
  four.tp = 1;
  four.sim_requests = 500;
  four.given = {"rate", "tp", "sim_requests"};
  const json multi = Simulated(four);
  JobRequest one;
  one.instance = "g5.xlarge";
  one.rate = 2;
  one.sim_requests = 500;
  one.given = {"rate", "sim_requests"};
  const json single = Simulated(one);
  EXPECT_EQ(multi["replicas"], 4);
  EXPECT_EQ(multi["tensor_parallel"], 1);
  EXPECT_EQ(multi["ttft"], single["ttft"]);
  EXPECT_EQ(multi["tpot"], single["tpot"]);
  EXPECT_NEAR(multi["instance_throughput"]["output_tokens_per_s"].get<double>(),
              4 * multi["output_tokens_per_s"].get<double>(), 0.01);

  // Without --tp: the layout an online plan chooses for the instance.
  JobRequest planned = four;
  planned.tp = 0;
  planned.given = {"rate", "sim_requests"};
  const json sim = Simulated(planned);
  JobRequest plan_request;
  plan_request.model = "llama-3.1-8b";
  plan_request.rate = 8;
  plan_request.sim_requests = 500;
  plan_request.max_price = 6;  // g5.12xlarge costs $5.672/h
  plan_request.exhaustive = true;  // every layout simulated, as simulate does on one instance
  plan_request.format = "json";
  plan_request.top = 100;
  plan_request.given = {"rate", "sim_requests", "max_price", "exhaustive"};
  std::ostringstream out;
  ASSERT_TRUE(RunPlanRequest(plan_request, NoFiles(), "2026-12-06", out).ok());
  const json plan = json::parse(out.str());
  bool found = false;
  for (const json& c : plan["candidates"]) {
    if (c["instance"] != "g5.12xlarge") continue;
    found = true;
    EXPECT_EQ(sim["tensor_parallel"], c["tensor_parallel"]);
    EXPECT_EQ(sim["replicas"], c["replicas_per_instance"]);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace infersave
