// Reports: the JSON schema, CSV quoting, and the accuracy note beside each
// prediction.
#include "infersave/report.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "io/csv.h"
#include "test_util.h"

namespace infersave {
namespace {

struct Fixture {
  ModelConfig model = testing::Model("llama-3.1-8b");
  Catalog catalog = testing::ShippedCatalog("aws");
  EngineProfile engine = testing::Engine("vllm");
  Calibration calibration = *LoadCalibration("public");
  PlanOptions options;
  Plan plan;
  Fixture() {
    options.slo_tps = 3000;
    plan = *MakePlan(PlanContext{&model, &catalog, &engine, &calibration}, options);
  }
  ReportContext Context() { return ReportContext{&model, &engine, &catalog, &calibration, 3}; }
};

TEST(ReportTest, AccuracyNoteSaysWhatAPredictionWasCalibratedOn) {
  Fixture f;
  // A100 with vLLM was measured, and no correction beat the model there.
  const Evaluation* a100 = testing::FindCandidate(f.plan, "p4d.24xlarge");
  ASSERT_NE(a100, nullptr);
  EXPECT_EQ(f.calibration.Find("A100", "vllm", Phase::kDecode), nullptr);
  const GroupAccuracy* group = f.calibration.FindGroup("A100", "vllm");
  ASSERT_NE(group, nullptr);
  EXPECT_FALSE(group->shipped);
  EXPECT_EQ(AccuracyNote(*a100, f.plan, f.Context()),
            fmt::format("uncalibrated roofline model, measured on {} runs of A100 with vllm: median error {:.0f}%, "
                        "p90 {:.0f}% (no correction beat it under cross-validation)",
                        group->runs, group->uncalibrated_median_pct, group->uncalibrated_p90_pct));
  const ErrorBand band = f.calibration.ExpectedError("A100", "vllm", false);
  EXPECT_EQ(band.median_pct, group->uncalibrated_median_pct);
  EXPECT_EQ(band.p90_pct, group->uncalibrated_p90_pct);
  const Evaluation* l4 = testing::FindCandidate(f.plan, "g6.12xlarge");
  const UncalibratedError& unc = f.calibration.uncalibrated_by_engine.at("vllm");
  EXPECT_EQ(AccuracyNote(*l4, f.plan, f.Context()),
            fmt::format("uncalibrated roofline model: no measurements for L4 with vllm (on {} measured vllm runs on "
                        "other GPUs its median error was {:.0f}%)",
                        unc.runs, unc.median_ape_pct));
}

TEST(ReportTest, JsonHasTheDocumentedSchema) {
  Fixture f;
  std::ostringstream out;
  WritePlan(out, f.plan, f.Context(), OutputFormat::kJson);
  nlohmann::json doc = nlohmann::json::parse(out.str());
  EXPECT_EQ(doc["schema_version"], 1);
  for (const char* key : {"inputs", "recommendation", "candidates", "baselines", "savings_pct", "warnings"}) {
    EXPECT_TRUE(doc.contains(key)) << key;
  }
  const auto& rec = doc["recommendation"];
  for (const char* key : {"instance", "gpu", "gpu_count", "tensor_parallel", "replicas", "offload_ratio",
                          "predicted_tps", "usd_per_hour", "job_hours", "billed_hours", "job_cost_usd", "accuracy",
                          "expected_error"}) {
    EXPECT_TRUE(rec.contains(key)) << key;
  }
  EXPECT_EQ(doc["candidates"].size(), f.catalog.instances.size());
  EXPECT_EQ(doc["candidates"][0]["instance"], rec["instance"]);
  // An instance that cannot run has nulls, not zeros, and says why.
  bool saw_infeasible = false;
  for (const auto& c : doc["candidates"]) {
    if (c["feasible"] == false) {
      saw_infeasible = true;
      EXPECT_TRUE(c["predicted_tps"].is_null());
      EXPECT_TRUE(c["rejected_because"].is_string());
    }
  }
  EXPECT_TRUE(saw_infeasible);
  EXPECT_TRUE(doc["baselines"]["max_performance"].is_object());
  EXPECT_TRUE(doc["savings_pct"]["vs_max_performance"].is_number());
  EXPECT_EQ(doc["inputs"]["slo"]["tps_counts"], "input+output tokens");
}

TEST(ReportTest, CsvQuotesReasonsWithCommas) {
  Fixture f;
  f.options.slo_tps = 1e9;  // nothing meets it: every row has a reason
  f.options.workload.batch_size = 256;  // some KV caches do not fit: "..., and the engine cannot offload it"
  f.plan = *MakePlan(PlanContext{&f.model, &f.catalog, &f.engine, &f.calibration}, f.options);
  std::ostringstream out;
  WritePlan(out, f.plan, f.Context(), OutputFormat::kCsv);
  // Reasons contain commas ("weights 128.5 GiB, ..."): every row must still
  // parse back into the header's columns.
  auto table = io::ParseCsv(out.str(), "plan.csv");
  ASSERT_TRUE(table.ok()) << table.error().message();
  EXPECT_EQ(table->header[4], "tensor_parallel");
  const size_t reason = *table->Column("rejected_because");
  int rows = 0, with_comma = 0;
  for (const io::CsvRecord& r : table->rows) {
    ++rows;
    EXPECT_FALSE(r.fields[reason].empty()) << r.line;
    with_comma += r.fields[reason].find(',') != std::string::npos ? 1 : 0;
  }
  EXPECT_GT(with_comma, 0);
  EXPECT_EQ(rows, static_cast<int>(f.catalog.instances.size()));
}

}  // namespace
}  // namespace infersave
