// CTCF fitting: recovers a known alpha and beta, cross-validates, refuses
// what it cannot fit (method.md section 5).
#include "infersave/calibrate.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace infersave {
namespace {

TEST(ErrorStatsTest, ByHand) {
  ErrorStats s = ComputeErrorStats({10, -20, 5, 0, -5});
  EXPECT_EQ(s.n, 5);
  EXPECT_DOUBLE_EQ(s.mape_pct, 8);      // (10 + 20 + 5 + 0 + 5) / 5
  EXPECT_DOUBLE_EQ(s.median_ape_pct, 5);
  EXPECT_DOUBLE_EQ(s.bias_pct, -2);     // -10 / 5
  // |errors| sorted 0 5 5 10 20: p90 at rank 3.6 -> 10 + 0.6 x 10.
  EXPECT_DOUBLE_EQ(s.p90_ape_pct, 16);
}

// Runs of llama-2-7b with vLLM on one A100 80GB at several shapes.
std::vector<Measurement> Shapes() {
  std::vector<Measurement> rows;
  for (int64_t bs : {1, 8, 32}) {
    for (int64_t len : {128, 512, 1024}) {
      Measurement m;
      m.gpu = "A100-80GB";
      m.engine = "vllm";
      m.model = "llama-2-7b";
      m.batch_size = bs;
      m.input_len = len;
      m.output_len = len / 2;
      m.total_s = 1;  // placeholder, replaced below
      rows.push_back(m);
    }
  }
  return rows;
}

TEST(CalibrateTest, TotalsFitTheDecodeWithThePrefillAsPredicted) {
  std::vector<Measurement> rows = Shapes();
  // The uncalibrated regressors of each run.
  auto probe = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  ASSERT_TRUE(probe.ok());
  // Synthetic truth: the prefill as predicted, decode 0.8 x + 3 ms per step.
  // End-to-end times do not calibrate the prefill (issue 9: the prefill is
  // fitted from measured prefill times only).
  for (size_t i = 0; i < rows.size(); ++i) {
    const RowEvaluation& r = probe->rows[i];
    ASSERT_TRUE(r.usable) << r.skip_reason;
    rows[i].total_s = r.prefill_compute_s + 0.8 * r.decode_compute_s + 0.003 * r.decode_steps;
  }
  auto fit = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  ASSERT_TRUE(fit.ok());
  ASSERT_EQ(fit->groups.size(), 1u);
  const GroupFit& g = fit->groups[0];
  EXPECT_EQ(g.gpu, "A100-80GB");
  EXPECT_EQ(g.engine, "vllm");
  ASSERT_TRUE(g.fitted) << g.refusal;
  EXPECT_FALSE(g.params.prefill.calibrated);
  EXPECT_NEAR(g.params.decode.alpha, 0.8, 1e-6);
  EXPECT_NEAR(g.params.decode.beta_s, 0.003, 1e-9);
  EXPECT_LT(g.after.mape_pct, 1e-6);
  ASSERT_TRUE(g.cross_validated);
  EXPECT_LT(g.cross_validated->mape_pct, 1e-5);
  EXPECT_GT(g.before.mape_pct, 3);  // the synthetic truth differs from the uncalibrated model
  EXPECT_TRUE(g.shipped);
  // The calibration as `plan` reads it: the decode entry only.
  ASSERT_EQ(fit->calibration.entries.size(), 1u);
  auto parsed = ParseCalibration(CalibrationToJson(*fit, "test"), "fit.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  const CtcfEntry* decode = parsed->Find("A100-80GB", "vllm", Phase::kDecode);
  ASSERT_NE(decode, nullptr);
  EXPECT_NEAR(decode->alpha, 0.8, 1e-6);
  EXPECT_EQ(decode->points, 9);
  EXPECT_EQ(parsed->Find("A100-80GB", "vllm", Phase::kPrefill), nullptr);
}

TEST(CalibrateTest, AFitCarriesToSameSiliconOnlyWhenItHelpsAMeasuredSibling) {
  // The same runs on an A100 80GB and an A100 40GB (both GA100), with the
  // decode 0.8 x the model on both: each group's fit improves the other's
  // runs, so each may be carried to unmeasured GA100 parts.
  std::vector<Measurement> rows = Shapes();
  for (Measurement m : Shapes()) {
    m.gpu = "A100";
    rows.push_back(m);
  }
  auto probe = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  ASSERT_TRUE(probe.ok());
  for (size_t i = 0; i < rows.size(); ++i) {
    const RowEvaluation& r = probe->rows[i];
    // Batch 32 x 1536 tokens does not fit a 40 GB A100: that run is skipped.
    rows[i].total_s = r.usable ? r.prefill_compute_s + 0.8 * r.decode_compute_s : 1;
  }
  auto fit = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  ASSERT_TRUE(fit.ok());
  ASSERT_EQ(fit->calibration.entries.size(), 2u);
  for (const CtcfEntry& e : fit->calibration.entries) {
    EXPECT_EQ(e.silicon, "GA100");
    EXPECT_TRUE(e.carries) << e.gpu;
  }
  // The A100 80GB PCIe (1935 GB/s) has no runs: it takes the fit of the
  // GA100 part whose bandwidth is within 35% (the A100 80GB's 2039 GB/s
  // comes first in the file).
  bool carried = false;
  const CtcfEntry* e =
      fit->calibration.FindOrCarry("A100-80GB-PCIe", "GA100", 1935, "vllm", Phase::kDecode, &carried);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(carried);
  EXPECT_NEAR(e->alpha, 0.8, 1e-6);
  // A part of other silicon, or far from its bandwidth, gets nothing.
  EXPECT_EQ(fit->calibration.FindOrCarry("H100", "GH100", 3350, "vllm", Phase::kDecode, &carried), nullptr);
  EXPECT_EQ(fit->calibration.FindOrCarry("A100-X", "GA100", 4000, "vllm", Phase::kDecode, &carried), nullptr);
  // Through the file and back.
  auto parsed = ParseCalibration(CalibrationToJson(*fit, "test"), "fit.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_TRUE(parsed->entries[0].carries);
  EXPECT_EQ(parsed->entries[0].silicon, "GA100");
}

TEST(CalibrateTest, AFitThatDoesNotBeatTheModelIsNotShipped) {
  std::vector<Measurement> rows = Shapes();
  auto probe = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  ASSERT_TRUE(probe.ok());
  // Measured exactly as predicted: there is nothing to correct, and a fit
  // cannot beat an error of zero.
  for (size_t i = 0; i < rows.size(); ++i) {
    const RowEvaluation& r = probe->rows[i];
    rows[i].total_s = r.prefill_compute_s + r.decode_compute_s;
  }
  auto fit = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  ASSERT_TRUE(fit.ok());
  const GroupFit& g = fit->groups[0];
  ASSERT_TRUE(g.fitted);
  EXPECT_FALSE(g.shipped);
  EXPECT_TRUE(fit->calibration.entries.empty());
  ASSERT_FALSE(g.warnings.empty());
  EXPECT_EQ(g.warnings.back().rfind("not shipped: the cross-validated median error", 0), 0u) << g.warnings.back();
}

TEST(CalibrateTest, RecoversPerPhaseFitsFromPhaseMeasurements) {
  std::vector<Measurement> rows = Shapes();
  auto probe = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  ASSERT_TRUE(probe.ok());
  for (size_t i = 0; i < rows.size(); ++i) {
    const RowEvaluation& r = probe->rows[i];
    rows[i].total_s.reset();
    rows[i].prefill_s = 2.0 * r.prefill_compute_s + 0.01;
    rows[i].decode_s_per_token = 1.5 * r.decode_compute_s / r.decode_steps + 0.004;
  }
  auto fit = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  ASSERT_TRUE(fit.ok());
  const GroupFit& g = fit->groups[0];
  ASSERT_TRUE(g.fitted);
  EXPECT_NEAR(g.params.prefill.alpha, 2.0, 1e-6);
  EXPECT_NEAR(g.params.prefill.beta_s, 0.01, 1e-8);
  EXPECT_NEAR(g.params.decode.alpha, 1.5, 1e-6);
  EXPECT_NEAR(g.params.decode.beta_s, 0.004, 1e-9);
}

TEST(CalibrateTest, ASingleRunFitsButIsNotShipped) {
  std::vector<Measurement> rows = Shapes();
  rows.resize(1);
  auto probe = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  const RowEvaluation& r = probe->rows[0];
  rows[0].total_s = r.prefill_compute_s + 1.25 * r.decode_compute_s;
  auto fit = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  ASSERT_TRUE(fit.ok());
  ASSERT_EQ(fit->groups.size(), 1u);
  const GroupFit& g = fit->groups[0];
  ASSERT_TRUE(g.fitted) << g.refusal;
  EXPECT_NEAR(g.params.decode.alpha, 1.25, 1e-9);  // alpha alone: one value cannot also give beta
  EXPECT_EQ(g.params.decode.beta_s, 0);
  EXPECT_FALSE(g.cross_validated);
  EXPECT_FALSE(g.shipped);
  EXPECT_TRUE(fit->calibration.entries.empty());
}

TEST(CalibrateTest, OneConfigurationRepeatedFitsAnAlphaWithAWarning) {
  std::vector<Measurement> rows(5, Shapes()[4]);
  auto probe = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  const RowEvaluation& r = probe->rows[0];
  const double truth = 1.25 * (r.prefill_compute_s + r.decode_compute_s);
  for (Measurement& m : rows) m.total_s = truth;
  auto fit = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  const GroupFit& g = fit->groups[0];
  ASSERT_TRUE(g.fitted);
  // The prefill stays as predicted; the decode absorbs the rest.
  EXPECT_FALSE(g.params.prefill.calibrated);
  EXPECT_NEAR(g.params.decode.alpha, (truth - r.prefill_compute_s) / r.decode_compute_s, 1e-9);
  EXPECT_EQ(g.params.decode.beta_s, 0);
  ASSERT_FALSE(g.warnings.empty());
  EXPECT_NE(g.warnings[0].find("cannot separate a scale from a fixed cost"), std::string::npos) << g.warnings[0];
}

TEST(CalibrateTest, UnusableRowsAreSkippedWithTheirReason) {
  std::vector<Measurement> rows = Shapes();
  rows[0].gpu = "RTX 9090";
  rows[1].model = "no-such-model";
  rows[2].engine = "tgi-3";
  rows[3].input_len = 5000;  // beyond Llama-2's 4096 tokens
  rows[4].tp = 3;            // 32 heads do not split 3 ways
  auto fit = Calibrate(rows, testing::Gpus(), CalibrationOptions{});
  ASSERT_TRUE(fit.ok());
  EXPECT_EQ(fit->skipped.at("GPU 'RTX 9090' is not in the GPU table"), 1);
  EXPECT_EQ(fit->skipped.at("longer than llama-2-7b's context window"), 1);
  EXPECT_EQ(fit->skipped.at("llama-2-7b cannot be split 3 ways (attention heads)"), 1);
  EXPECT_FALSE(fit->rows[1].usable);
  EXPECT_NE(fit->rows[1].skip_reason.find("unknown model 'no-such-model'"), std::string::npos);
  EXPECT_NE(fit->rows[2].skip_reason.find("unknown engine 'tgi-3'"), std::string::npos);
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

// Issue 15 item 4: a run that names a catalog instance is predicted on that
// instance (its GPU overrides, its host memory and PCIe link), as `predict`
// does; a run that states its KV offload is scored at that offload.
TEST(CalibrateTest, RunsOnACatalogInstanceArePredictedAsPlanDoes) {
  const Catalog paper = testing::ShippedCatalog("paper");
  auto rows = ParseMeasurements(
      "instance,gpu,engine,model,batch_size,input_len,output_len,kv_offload,throughput_tps,tokens_counted\n"
      "g4dn.xlarge,,flexgen,opt-2.7b,32,1024,128,,140,input+output\n"
      ",T4,flexgen,opt-2.7b,32,1024,128,,140,input+output\n"
      "g4dn.xlarge,,flexgen,opt-2.7b,32,1024,128,1,140,input+output\n",
      "paper-runs.csv", &paper);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  auto report = Calibrate(*rows, testing::Gpus(), CalibrationOptions{});
  ASSERT_TRUE(report.ok());
  // What `predict --catalog paper --instance g4dn.xlarge --engine flexgen
  // --model opt-2.7b --batch-size 32 --input-len 1024 --output-len 128
  // --calibration none` prints: 154.2 tok/s (77% of the KV cache offloaded).
  JobRequest r;
  r.catalog = "paper";
  r.instance = "g4dn.xlarge";
  r.engine = "flexgen";
  r.model = "opt-2.7b";
  r.batch_size = 32;
  r.input_len = 1024;
  r.output_len = 128;
  r.calibration = "none";
  r.format = "json";
  std::ostringstream out;
  auto outcome = RunPredictRequest(r, NoFiles(), "2026-12-06", out);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message();
  const nlohmann::json doc = nlohmann::json::parse(out.str());
  const double predicted = doc["prediction"]["predicted_tps"].get<double>();
  EXPECT_NEAR(predicted, 154.2, 0.05);
  EXPECT_NEAR(report->rows[0].predicted_uncalibrated, predicted, 0.01);
  // On the bare GPU with unlimited host memory and the table's link the same
  // run is predicted much faster: what calibrate used to score it at.
  EXPECT_GT(report->rows[1].predicted_uncalibrated, 300);
  // All of the KV cache on the host is slower than the planner's 77%.
  EXPECT_TRUE(report->rows[2].offloaded);
  EXPECT_LT(report->rows[2].predicted_uncalibrated, report->rows[0].predicted_uncalibrated);
}

}  // namespace
}  // namespace infersave
