// Serving calibration through the simulator (issue 15 item 3): a known
// distortion is recovered, cross-validated across rates, and shipped.
#include "infersave/serving_calibrate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "infersave/calibrate_job.h"
#include "infersave/file_source.h"
#include "test_util.h"

namespace infersave {
namespace {

// Llama-3.1-8B with vLLM on one H100 at four loads, "measured" by the
// simulator itself with every engine step 1.3x slower (alpha 1.3 in both
// phases): what a real engine that the uncalibrated model finds 1.3x too
// fast would report.
std::vector<Measurement> DistortedRuns(double alpha) {
  Ctcf slower;
  slower.prefill = PhaseCtcf{alpha, 0, true, 0, -1, {}};
  slower.decode = PhaseCtcf{alpha, 0, true, 0, -1, {}};
  std::vector<Measurement> rows;
  for (double rate : {4.0, 12.0, 24.0, std::numeric_limits<double>::infinity()}) {
    Measurement m;
    m.gpu = "H100";
    m.engine = "vllm";
    m.model = "llama-3.1-8b";
    m.input_len = 1024;
    m.output_len = 256;
    m.request_rate = rate;
    m.num_requests = 300;
    m.input_dist = LengthDistribution::Uniform(512, 1536);
    m.source = "rate " + std::to_string(rate);
    auto sim = SimulateServingRun(m, testing::Gpus(), slower);
    EXPECT_TRUE(sim.ok()) << (sim.ok() ? "" : sim.error().message());
    if (!sim.ok()) return {};
    m.prefill_s = sim->ttft_mean_s;
    m.decode_s_per_token = sim->tpot_mean_s;
    m.throughput_tps = sim->output_tps;
    m.counts = TokensCounted::kOutput;
    rows.push_back(m);
  }
  return rows;
}

TEST(ServingCalibrateTest, RecoversAOneThirtySlowdownWithinTenPercent) {
  const std::vector<Measurement> rows = DistortedRuns(1.3);
  ASSERT_EQ(rows.size(), 4u);
  auto report = CalibrateServing(rows, testing::Gpus());
  ASSERT_TRUE(report.ok()) << report.error().message();
  ASSERT_EQ(report->groups.size(), 1u);
  const ServingGroupFit& g = report->groups[0];
  EXPECT_EQ(g.gpu, "H100");
  EXPECT_EQ(g.engine, "vllm");
  EXPECT_EQ(g.loads, 4);
  ASSERT_TRUE(g.fitted) << g.refusal;
  // Uncalibrated, the simulation is too fast by about the distortion; the
  // fit gives back alpha near 1.3 and reproduces every value within 10%,
  // also where the fit did not see the load.
  EXPECT_GT(g.before.median_ape_pct, 15);
  EXPECT_NEAR(g.params.decode.alpha, 1.3, 0.13);
  ASSERT_TRUE(g.cross_validated.has_value());
  EXPECT_TRUE(g.shipped);
  for (const ServingRunFit& run : report->runs) {
    for (const ServingFitValue& v : run.values) {
      EXPECT_NEAR(v.calibrated / v.measured, 1, 0.10) << run.load << " metric " << MetricName(v.metric);
      ASSERT_TRUE(v.has_cross_validated);
      EXPECT_NEAR(v.cross_validated / v.measured, 1, 0.10) << run.load << " held out";
    }
  }
  Calibration cal;
  AddServingFits(*report, cal);
  ASSERT_EQ(cal.entries.size(), 2u);
  EXPECT_EQ(cal.entries[0].gpu, "H100");
}

TEST(ServingCalibrateTest, OneLoadIsFittedButNotShipped) {
  std::vector<Measurement> rows = DistortedRuns(1.3);
  ASSERT_FALSE(rows.empty());
  rows.resize(1);
  auto report = CalibrateServing(rows, testing::Gpus());
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->groups.size(), 1u);
  EXPECT_TRUE(report->groups[0].fitted);
  EXPECT_FALSE(report->groups[0].shipped);
  Calibration cal;
  AddServingFits(*report, cal);
  EXPECT_TRUE(cal.entries.empty());
}

TEST(ServingCalibrateTest, SkipsWhatItCannotSimulate) {
  Measurement m;
  m.gpu = "H100";
  m.engine = "flexgen";  // static batches only
  m.model = "opt-6.7b";
  m.input_len = 128;
  m.output_len = 32;
  m.request_rate = 1;
  m.num_requests = 10;
  m.throughput_tps = 100;
  Measurement unknown = m;
  unknown.engine = "vllm";
  unknown.gpu = "B9000";
  auto report = CalibrateServing({m, unknown}, testing::Gpus());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->groups.empty());
  EXPECT_EQ(report->skipped["engine flexgen does not batch continuously"], 1);
  EXPECT_EQ(report->skipped["GPU 'B9000' is not in the GPU table"], 1);
}

// The whole loop through the request layer: the distorted runs as a
// measurements CSV, `calibrate` writes a calibration whose entries carry the
// serving fit and whose groups give the held-out error as the expected
// error of predictions on that GPU.
class OneFile final : public FileSource {
 public:
  explicit OneFile(std::string text) : text_(std::move(text)) {}
  Result<std::string> Read(std::string_view) const override { return text_; }

 private:
  std::string text_;
};

TEST(ServingCalibrateTest, CalibrateRequestWritesTheServingFitAndItsError) {
  const std::vector<Measurement> rows = DistortedRuns(1.3);
  ASSERT_EQ(rows.size(), 4u);
  OneFile files(MeasurementsToCsv(rows));
  CalibrateRequest r;
  r.measurements = {"./runs.csv"};
  std::ostringstream report;
  auto outcome = RunCalibrateRequest(r, files, report);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message();
  ASSERT_TRUE(outcome->fitted) << report.str();
  EXPECT_NE(report.str().find("Serving fit through the simulator: 4 runs in 1 GPU/engine groups"), std::string::npos);
  auto cal = ParseCalibration(outcome->calibration_json, "fitted.json");
  ASSERT_TRUE(cal.ok()) << cal.error().message();
  ASSERT_EQ(cal->entries.size(), 2u);
  EXPECT_NEAR(cal->entries[1].alpha, 1.3, 0.13);  // decode
  const ErrorBand band = cal->ExpectedError("H100", "vllm", true);
  EXPECT_LT(band.median_pct, 10);
  EXPECT_NE(band.basis.find("cross-validated on 4 runs of H100 with vllm"), std::string::npos) << band.basis;
}

// `validate` through the request layer on the same runs: the report scores
// the serving runs through the simulator, the dump has one row per run, and
// bad request fields are named.
TEST(ServingCalibrateTest, ValidateRequestScoresTheServingRuns) {
  OneFile files(MeasurementsToCsv(DistortedRuns(1.3)));
  ValidateRequest r;
  r.dataset = "./runs.csv";
  r.dump = true;
  std::ostringstream report;
  auto outcome = RunValidateRequest(r, files, report);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message();
  EXPECT_NE(report.str().find("Serving fit through the simulator: 4 runs in 1 GPU/engine groups"), std::string::npos)
      << report.str();
  // A header and the four runs.
  EXPECT_EQ(std::count(outcome->dump_csv.begin(), outcome->dump_csv.end(), '\n'), 5) << outcome->dump_csv;
  r.format = "yaml";
  EXPECT_EQ(RunValidateRequest(r, files, report).error().field(), "format");
  r.format = "table";
  r.folds = 1;
  EXPECT_EQ(RunValidateRequest(r, files, report).error().field(), "calibration.folds");
}

}  // namespace
}  // namespace infersave
