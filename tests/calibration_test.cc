// Tests for CTCF calibration files (include/infersave/calibration.h) and the
// shipped data/calibrations/paper-flexgen.json.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "infersave/calibration.h"
#include "infersave/shipped.h"

namespace infersave {
namespace {

Calibration MustParse(std::string_view json, std::string_view source = "cal.json") {
  auto cal = ParseCalibration(json, source);
  EXPECT_TRUE(cal.ok()) << cal.error().message();
  return cal.ok() ? *cal : Calibration{};
}

std::string ParseError(std::string_view json, std::string_view source = "cal.json") {
  auto cal = ParseCalibration(json, source);
  if (cal.ok()) {
    ADD_FAILURE() << "expected an error for: " << json;
    return "";
  }
  EXPECT_EQ(cal.error().code(), ErrorCode::kInvalidInput);
  return cal.error().message();
}

// A file whose entries list is `entries`.
std::string File(const std::string& entries) {
  return R"({"perf_model": "roofline", "entries": [)" + entries + "]}";
}

constexpr const char* kValid = R"({
  "schema_version": 1,
  "perf_model": "roofline",
  "_about": "test",
  "entries": [
    {"gpu": "T4", "engine": "flexgen", "phase": "prefill", "alpha": 1.5, "beta_s": 0.01, "points": 12,
     "median_ape_pct": 4.2},
    {"gpu": "T4", "engine": "flexgen", "phase": "decode", "alpha": 0.8, "beta_s": 0.002},
    {"gpu": "L4", "engine": "vllm", "phase": "decode", "alpha": 1, "beta_s": 0, "points": 3}
  ]
})";

TEST(CalibrationParseTest, ValidFile) {
  Calibration c = MustParse(kValid, "fits/mine.json");
  EXPECT_EQ(c.source, "fits/mine.json");
  EXPECT_EQ(c.perf_model, "roofline");
  ASSERT_EQ(c.entries.size(), 3u);
  const CtcfEntry& p = c.entries[0];
  EXPECT_EQ(p.gpu, "T4");
  EXPECT_EQ(p.engine, "flexgen");
  EXPECT_EQ(p.phase, Phase::kPrefill);
  EXPECT_EQ(p.alpha, 1.5);
  EXPECT_EQ(p.beta_s, 0.01);
  EXPECT_EQ(p.points, 12);
  EXPECT_EQ(p.median_ape_pct, 4.2);
  const CtcfEntry& d = c.entries[1];
  EXPECT_EQ(d.phase, Phase::kDecode);
  EXPECT_EQ(d.alpha, 0.8);
  EXPECT_EQ(d.beta_s, 0.002);
  EXPECT_EQ(d.points, 0);            // absent
  EXPECT_EQ(d.median_ape_pct, -1);  // absent: unknown
}

TEST(CalibrationParseTest, FindIsCaseInsensitiveAndPhaseSpecific) {
  Calibration c = MustParse(kValid);
  EXPECT_EQ(c.Find("T4", "flexgen", Phase::kPrefill), &c.entries[0]);
  EXPECT_EQ(c.Find("t4", "FLEXGEN", Phase::kPrefill), &c.entries[0]);
  EXPECT_EQ(c.Find("t4", "FlexGen", Phase::kDecode), &c.entries[1]);
  EXPECT_EQ(c.Find("l4", "vllm", Phase::kDecode), &c.entries[2]);
  EXPECT_EQ(c.Find("L4", "vllm", Phase::kPrefill), nullptr);
  EXPECT_EQ(c.Find("T4", "vllm", Phase::kPrefill), nullptr);
  EXPECT_EQ(c.Find("A10G", "flexgen", Phase::kPrefill), nullptr);
  EXPECT_EQ(c.Find("T", "flexgen", Phase::kPrefill), nullptr);
}

TEST(CalibrationParseTest, GroupsGiveEachPredictionItsErrorBand) {
  const Calibration cal = MustParse(R"({"perf_model": "roofline", "entries": [],
    "uncalibrated_error": {"vllm": {"runs": 500, "median_ape_pct": 10.0}},
    "groups": [
      {"gpu": "A100", "engine": "vllm", "runs": 200, "uncalibrated_median_pct": 10.0, "uncalibrated_p90_pct": 28.0,
       "calibrated_median_pct": 12.0, "calibrated_p90_pct": 30.0, "shipped": false},
      {"gpu": "GH200", "engine": "vllm", "runs": 60, "uncalibrated_median_pct": 11.0, "uncalibrated_p90_pct": 19.0,
       "calibrated_median_pct": 7.0, "calibrated_p90_pct": 12.0, "shipped": true}]})");
  // A measured GPU: its own error, calibrated when the prediction was.
  ErrorBand b = cal.ExpectedError("gh200", "vllm", true);
  EXPECT_EQ(b.median_pct, 7.0);
  EXPECT_EQ(b.p90_pct, 12.0);
  EXPECT_EQ(b.basis, "cross-validated on 60 runs of GH200 with vllm");
  b = cal.ExpectedError("A100", "vllm", false);
  EXPECT_EQ(b.median_pct, 10.0);
  EXPECT_EQ(b.p90_pct, 28.0);
  EXPECT_EQ(b.basis, "uncalibrated model on 200 runs of A100 with vllm");
  // An unmeasured GPU: the engine's error elsewhere, the widest p90 of its groups.
  b = cal.ExpectedError("L4", "vllm", false);
  EXPECT_EQ(b.median_pct, 10.0);
  EXPECT_EQ(b.p90_pct, 28.0);
  EXPECT_EQ(b.basis, "uncalibrated model on 500 runs of vllm on other GPUs");
  // An engine never measured: no band.
  EXPECT_LT(cal.ExpectedError("L4", "flexgen", false).median_pct, 0);
  EXPECT_EQ(ParseError(R"({"perf_model": "roofline", "entries": [], "groups": [{"gpu": "A100"}]})"),
            "cal.json: groups[0]: expected {\"gpu\", \"engine\", \"runs\", ...}");
  EXPECT_EQ(ParseError(R"({"perf_model": "roofline", "entries": [], "groups": [{"gpu": "A100", "engine": "vllm",
    "runs": 3, "uncalibrated_median_pct": -1}]})"),
            "cal.json: groups[0]: field 'uncalibrated_median_pct': expected a percentage >= 0");
}

TEST(CalibrationParseTest, EmptyEntriesList) {
  Calibration c = MustParse(File(""));
  EXPECT_TRUE(c.entries.empty());
  EXPECT_EQ(c.Find("T4", "flexgen", Phase::kPrefill), nullptr);
}

TEST(CalibrationParseTest, PhaseNames) {
  EXPECT_EQ(PhaseName(Phase::kPrefill), "prefill");
  EXPECT_EQ(PhaseName(Phase::kDecode), "decode");
}

TEST(CalibrationParseTest, NotACalibrationFile) {
  const std::string expected = "cal.json: invalid calibration file: expected a JSON object with 'entries'";
  EXPECT_EQ(ParseError("not json"), expected);
  EXPECT_EQ(ParseError(""), expected);
  EXPECT_EQ(ParseError(R"({"perf_model": "roofline", "entries": [)"), expected);
  EXPECT_EQ(ParseError("[]"), expected);
}

TEST(CalibrationParseTest, MissingPerfModel) {
  const std::string expected = "cal.json: missing field 'perf_model' (the model the fit was made against)";
  EXPECT_EQ(ParseError(R"({"entries": []})"), expected);
  EXPECT_EQ(ParseError(R"({"perf_model": 1, "entries": []})"), expected);
}

TEST(CalibrationParseTest, EntriesMustBeAnArray) {
  EXPECT_EQ(ParseError(R"({"perf_model": "roofline"})"), "cal.json: field 'entries': expected an array");
  EXPECT_EQ(ParseError(R"({"perf_model": "roofline", "entries": {}})"),
            "cal.json: field 'entries': expected an array");
  EXPECT_EQ(ParseError(File(R"(1)")), "cal.json: entries[0]: expected an object");
}

TEST(CalibrationParseTest, BadPhase) {
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": "flexgen", "phase": "warmup", "alpha": 1, "beta_s": 0})")),
            "cal.json: entries[0]: field 'phase': expected \"prefill\" or \"decode\", got \"warmup\"");
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": "flexgen", "phase": "Decode", "alpha": 1, "beta_s": 0})")),
            "cal.json: entries[0]: field 'phase': expected \"prefill\" or \"decode\", got \"Decode\"");
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": "flexgen", "alpha": 1, "beta_s": 0})")),
            "cal.json: entries[0]: missing field 'phase' (a string)");
}

TEST(CalibrationParseTest, AlphaMustBePositive) {
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": "flexgen", "phase": "decode", "alpha": 1, "beta_s": -5})")),
            "cal.json: entries[0]: field 'beta_s': expected a fixed cost >= 0 seconds, got -5 (a negative offset "
            "predicts negative times for small work)");
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": "flexgen", "phase": "prefill", "alpha": 0, "beta_s": 0})")),
            "cal.json: entries[0]: field 'alpha': expected a positive scale, got 0 (a non-positive alpha would "
            "predict shorter times for more work)");
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": "flexgen", "phase": "prefill", "alpha": 1, "beta_s": 0},
                              {"gpu": "T4", "engine": "flexgen", "phase": "decode", "alpha": -0.5, "beta_s": 0})")),
            "cal.json: entries[1]: field 'alpha': expected a positive scale, got -0.5 (a non-positive alpha would "
            "predict shorter times for more work)");
}

TEST(CalibrationParseTest, MissingOrMistypedFields) {
  EXPECT_EQ(ParseError(File(R"({"engine": "flexgen", "phase": "prefill", "alpha": 1, "beta_s": 0})")),
            "cal.json: entries[0]: missing field 'gpu' (a string)");
  EXPECT_EQ(ParseError(File(R"({"gpu": "", "engine": "flexgen", "phase": "prefill", "alpha": 1, "beta_s": 0})")),
            "cal.json: entries[0]: missing field 'gpu' (a string)");
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": 2, "phase": "prefill", "alpha": 1, "beta_s": 0})")),
            "cal.json: entries[0]: missing field 'engine' (a string)");
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": "flexgen", "phase": "prefill", "beta_s": 0})")),
            "cal.json: entries[0]: missing field 'alpha' (a number)");
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": "flexgen", "phase": "prefill", "alpha": 1})")),
            "cal.json: entries[0]: missing field 'beta_s' (a number)");
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": "flexgen", "phase": "prefill", "alpha": "1", "beta_s": 0})")),
            "cal.json: entries[0]: field 'alpha': expected a number, got \"\\\"1\\\"\"");
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": "flexgen", "phase": "prefill", "alpha": 1, "beta_s": 0,
                               "points": "many"})")),
            "cal.json: entries[0]: field 'points': expected a number, got \"\\\"many\\\"\"");
}

TEST(CalibrationParseTest, DuplicateEntry) {
  EXPECT_EQ(ParseError(File(R"({"gpu": "T4", "engine": "flexgen", "phase": "prefill", "alpha": 1, "beta_s": 0},
                              {"gpu": "T4", "engine": "flexgen", "phase": "decode", "alpha": 1, "beta_s": 0},
                              {"gpu": "t4", "engine": "FlexGen", "phase": "prefill", "alpha": 2, "beta_s": 0})")),
            "cal.json: entries[2]: a second entry for GPU 't4', engine 'FlexGen', phase 'prefill'");
}

// ---- Shipped calibration ---------------------------------------------------------

TEST(CalibrationShippedTest, PaperFlexGen) {
  EXPECT_EQ(ShippedCalibrationNames(), (std::vector<std::string>{"paper-flexgen", "public"}));
  auto cal = LoadCalibration("paper-flexgen");
  ASSERT_TRUE(cal.ok()) << cal.error().message();
  EXPECT_EQ(cal->source, "paper-flexgen");
  EXPECT_EQ(cal->perf_model, "roofline");
  ASSERT_EQ(cal->entries.size(), 8u);
  struct Fit {
    const char* gpu;
    double alpha;
    int points;
  };
  for (const Fit& f : {Fit{"T4", 1.2812, 1}, Fit{"L4", 0.9524, 2}, Fit{"A10G", 0.9583, 1}, Fit{"L40S", 0.9319, 2}}) {
    for (Phase phase : {Phase::kPrefill, Phase::kDecode}) {
      SCOPED_TRACE(std::string(f.gpu) + " " + std::string(PhaseName(phase)));
      const CtcfEntry* e = cal->Find(f.gpu, "flexgen", phase);
      ASSERT_NE(e, nullptr);
      EXPECT_EQ(e->alpha, f.alpha);
      EXPECT_EQ(e->beta_s, 0.0);
      EXPECT_EQ(e->points, f.points);
      EXPECT_EQ(e->median_ape_pct, -1);  // a single configuration cannot be cross-validated
    }
  }
  EXPECT_EQ(cal->Find("T4", "vllm", Phase::kPrefill), nullptr);
}

TEST(CalibrationShippedTest, FlexGenDefaultCalibrationCoversShippedGpusAndEngine) {
  auto engine = LoadEngine("flexgen");
  ASSERT_TRUE(engine.ok()) << engine.error().message();
  auto cal = LoadCalibration(engine->default_calibration);
  ASSERT_TRUE(cal.ok()) << cal.error().message();
  auto gpus = LoadGpuTable("");
  ASSERT_TRUE(gpus.ok()) << gpus.error().message();
  for (const CtcfEntry& e : cal->entries) {
    EXPECT_NE(gpus->Find(e.gpu), nullptr) << e.gpu;
    EXPECT_EQ(e.engine, "flexgen");
  }
}

TEST(CalibrationLoadTest, NamesAreCaseInsensitive) {
  auto cal = LoadCalibration("Paper-FlexGen");
  ASSERT_TRUE(cal.ok()) << cal.error().message();
  EXPECT_EQ(cal->source, "paper-flexgen");
}

TEST(CalibrationLoadTest, UnknownCalibration) {
  auto cal = LoadCalibration("paper-flexgn");
  ASSERT_FALSE(cal.ok());
  EXPECT_EQ(cal.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(cal.error().message(),
            "unknown calibration 'paper-flexgn' (did you mean 'paper-flexgen'?) (shipped: paper-flexgen, public; or "
            "give a path to a .json file)");
  auto missing = LoadCalibration("/nonexistent-infersave-dir/cal.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIo);
  EXPECT_EQ(missing.error().message(), "cannot read /nonexistent-infersave-dir/cal.json: No such file or directory");
}

}  // namespace
}  // namespace infersave
