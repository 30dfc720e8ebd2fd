// Tests for engine profiles (include/infersave/engine.h) and the shipped
// data/engines.json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "infersave/engine.h"
#include "test_util.h"
#include "infersave/shipped.h"

namespace infersave {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::vector<EngineProfile> MustParse(std::string_view json, std::string_view source = "e.json") {
  auto engines = ParseEngineProfiles(json, source);
  EXPECT_TRUE(engines.ok()) << engines.error().message();
  return engines.ok() ? *engines : std::vector<EngineProfile>{};
}

std::string ParseError(std::string_view json, std::string_view source = "e.json") {
  auto engines = ParseEngineProfiles(json, source);
  if (engines.ok()) {
    ADD_FAILURE() << "expected an error for: " << json;
    return "";
  }
  EXPECT_EQ(engines.error().code(), ErrorCode::kInvalidInput);
  return engines.error().message();
}

// ---- Shipped profiles -----------------------------------------------------------

TEST(EngineShippedTest, EnginesJsonParses) {
  auto text = ShippedText("engines.json");
  ASSERT_TRUE(text.has_value());
  std::vector<EngineProfile> engines = MustParse(*text, "engines.json");
  ASSERT_EQ(engines.size(), 6u);
  EXPECT_EQ(engines[0].name, "flexgen");
  EXPECT_EQ(engines[1].name, "vllm");
  EXPECT_EQ(ShippedEngineNames(),
            (std::vector<std::string>{"flexgen", "vllm", "tensorrt-llm", "tgi", "llamacpp", "vllm-rocm"}));
}

TEST(EngineShippedTest, FlexGenValues) {
  auto e = LoadEngine("flexgen");
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(e->name, "flexgen");
  EXPECT_EQ(e->description.rfind("FlexGen (Sheng et al., ICML 2023)", 0), 0u) << e->description;
  EXPECT_EQ(e->default_calibration, "paper-flexgen");
  EXPECT_EQ(e->prefill_compute_efficiency, 0.5);
  EXPECT_EQ(e->decode_compute_efficiency, 0.3);
  EXPECT_EQ(e->memory_efficiency, 0.9);
  EXPECT_EQ(e->host_link_efficiency, 0.8);
  EXPECT_EQ(e->layer_overhead_s, 0.0005);
  EXPECT_EQ(e->step_overhead_s, 0.0);
  EXPECT_TRUE(e->overlap_prefill_offload);
  EXPECT_TRUE(e->overlap_decode_offload);
  EXPECT_FALSE(e->fused_attention);  // torch.bmm + softmax
  EXPECT_EQ(e->prefill_chunk_tokens, 0);
  EXPECT_EQ(e->offload_step, 0.01);  // --percent takes whole percents
  EXPECT_TRUE(e->supports_kv_offload);
  EXPECT_EQ(e->runtime_reserve_bytes, 0.5 * kGiB);
  EXPECT_EQ(e->host_reserve_bytes, 2 * kGiB);
  EXPECT_EQ(e->gpu_memory_utilization, 0.9);
}

TEST(EngineShippedTest, VllmValues) {
  auto e = LoadEngine("vllm");
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(e->name, "vllm");
  EXPECT_EQ(e->default_calibration, "public");
  EXPECT_EQ(e->prefill_compute_efficiency, 0.72);
  EXPECT_EQ(e->decode_compute_efficiency, 0.4);
  EXPECT_EQ(e->memory_efficiency, 0.8);
  EXPECT_EQ(e->host_link_efficiency, 0.8);
  EXPECT_EQ(e->layer_overhead_s, 0.0);
  EXPECT_EQ(e->step_overhead_s, 0.0009);        // fitted with the next to Argonne's vLLM runs
  EXPECT_EQ(e->per_sequence_step_s, 6.9e-05);
  EXPECT_EQ(e->decode_attention_efficiency, 0.6);  // FlashAttention paged decode
  EXPECT_EQ(e->max_num_seqs, 256);
  EXPECT_EQ(e->MaxSequences(testing::Gpu("H100")), 1024);  // vLLM V1 on >= 70 GiB GPUs
  EXPECT_EQ(e->MaxSequences(testing::Gpu("A100-80GB")), 256);  // ... except the A100
  EXPECT_EQ(e->MaxSequences(testing::Gpu("L4")), 256);
  EXPECT_FALSE(e->overlap_prefill_offload);
  EXPECT_FALSE(e->overlap_decode_offload);
  EXPECT_TRUE(e->fused_attention);
  EXPECT_EQ(e->prefill_chunk_tokens, 8192);
  EXPECT_EQ(e->offload_step, 0.0);
  EXPECT_FALSE(e->supports_kv_offload);
  EXPECT_EQ(e->runtime_reserve_bytes, 1 * kGiB);
  EXPECT_EQ(e->host_reserve_bytes, 2 * kGiB);
  EXPECT_EQ(e->gpu_memory_utilization, 0.9);  // vLLM's default --gpu-memory-utilization
}

TEST(EngineShippedTest, ShippedProfilesValidate) {
  for (const std::string& name : ShippedEngineNames()) {
    auto e = LoadEngine(name);
    ASSERT_TRUE(e.ok()) << e.error().message();
    EXPECT_TRUE(ValidateEngineProfile(*e, "engines.json").ok()) << name;
  }
}

TEST(EngineLoadTest, NamesAreCaseInsensitive) {
  auto e = LoadEngine(" FlexGen ");
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(e->name, "flexgen");
  auto v = LoadEngine("VLLM");
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->name, "vllm");
}

TEST(EngineLoadTest, UnknownEngine) {
  auto typo = LoadEngine("vlm");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(typo.error().message(),
            "unknown engine 'vlm' (did you mean 'vllm'?) (shipped: flexgen, vllm, tensorrt-llm, tgi, llamacpp, vllm-rocm; "
            "or "
            "give a path to a .json profile)");
  auto far = LoadEngine("deepspeed");
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(far.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(far.error().message(),
            "unknown engine 'deepspeed' (shipped: flexgen, vllm, tensorrt-llm, tgi, llamacpp, vllm-rocm; or give a path "
            "to a "
            ".json profile)");
}

TEST(EngineLoadTest, FromFile) {
  namespace fs = std::filesystem;
  fs::path path = fs::path(::testing::TempDir()) / "infersave_engine_test.json";
  std::ofstream(path) << R"({"name": "mine", "memory_efficiency": 0.7})";
  auto e = LoadEngine(path.string());
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(e->name, "mine");
  EXPECT_EQ(e->memory_efficiency, 0.7);

  std::ofstream(path) << R"({"engines": [{"name": "a"}, {"name": "b"}]})";
  auto two = LoadEngine(path.string());
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(two.error().message(), path.string() + ": expected one engine profile, found 2");
  fs::remove(path);

  auto missing = LoadEngine("/nonexistent-infersave-dir/engine.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "cannot read /nonexistent-infersave-dir/engine.json: No such file or directory");
}

// ---- Parsing --------------------------------------------------------------------

TEST(EngineParseTest, SingleObjectFormKeepsDefaults) {
  std::vector<EngineProfile> engines =
      MustParse(R"({"name": "mine", "description": "my engine", "memory_efficiency": 0.7,
                   "runtime_reserve_gib": 1.5, "prefill_chunk_tokens": 2048, "fused_attention": true})");
  ASSERT_EQ(engines.size(), 1u);
  const EngineProfile& e = engines[0];
  EXPECT_EQ(e.name, "mine");
  EXPECT_EQ(e.description, "my engine");
  EXPECT_EQ(e.memory_efficiency, 0.7);
  EXPECT_EQ(e.runtime_reserve_bytes, 1.5 * kGiB);
  EXPECT_EQ(e.prefill_chunk_tokens, 2048);
  EXPECT_TRUE(e.fused_attention);
  // Everything else keeps the documented defaults.
  const EngineProfile defaults;
  EXPECT_EQ(e.prefill_compute_efficiency, defaults.prefill_compute_efficiency);
  EXPECT_EQ(e.decode_compute_efficiency, defaults.decode_compute_efficiency);
  EXPECT_EQ(e.host_link_efficiency, defaults.host_link_efficiency);
  EXPECT_EQ(e.offload_step, 0.01);
  EXPECT_EQ(e.gpu_memory_utilization, 0.9);
  EXPECT_TRUE(e.supports_kv_offload);
  EXPECT_EQ(e.host_reserve_bytes, 0.0);
  EXPECT_EQ(e.default_calibration, "");
}

TEST(EngineParseTest, ListForm) {
  std::vector<EngineProfile> engines =
      MustParse(R"({"_about": "notes", "engines": [{"name": "a", "memory_efficiency": 0.5}, {"name": "b"}]})");
  ASSERT_EQ(engines.size(), 2u);
  EXPECT_EQ(engines[0].name, "a");
  EXPECT_EQ(engines[0].memory_efficiency, 0.5);
  EXPECT_EQ(engines[1].name, "b");
  EXPECT_EQ(engines[1].memory_efficiency, 0.8);
}

TEST(EngineParseTest, UnderscoreKeysAreNotes) {
  std::vector<EngineProfile> engines = MustParse(
      R"({"name": "x", "_memory_efficiency": 7, "_note": {"any": ["thing"]}, "_": null, "memory_efficiency": 0.6})");
  ASSERT_EQ(engines.size(), 1u);
  EXPECT_EQ(engines[0].memory_efficiency, 0.6);
}

TEST(EngineParseTest, UnknownFieldSuggestsTheClosest) {
  EXPECT_EQ(ParseError(R"({"name": "x", "memory_eficiency": 0.7})"),
            "e.json: unknown field 'memory_eficiency' (did you mean 'memory_efficiency'?)");
  EXPECT_EQ(ParseError(R"({"engines": [{"name": "x"}, {"name": "y", "descripton": "typo"}]})"),
            "e.json: engines[1]: unknown field 'descripton' (did you mean 'description'?)");
  EXPECT_EQ(ParseError(R"({"name": "x", "tensor_parallel": 2})"), "e.json: unknown field 'tensor_parallel'");
}

TEST(EngineParseTest, WrongTypes) {
  EXPECT_EQ(ParseError(R"({"name": "x", "fused_attention": "yes"})"),
            "e.json: field 'fused_attention': expected true or false, got \"yes\"");
  EXPECT_EQ(ParseError(R"({"name": "x", "supports_kv_offload": 1})"),
            "e.json: field 'supports_kv_offload': expected true or false, got 1");
  EXPECT_EQ(ParseError(R"({"name": "x", "memory_efficiency": "high"})"),
            "e.json: field 'memory_efficiency': expected a number, got \"\\\"high\\\"\"");
  EXPECT_EQ(ParseError(R"({"name": "x", "layer_overhead_s": null})"),
            "e.json: field 'layer_overhead_s': expected a number, got \"null\"");
  EXPECT_EQ(ParseError(R"({"name": 3})"), "e.json: field 'name': expected a string, got 3");
  EXPECT_EQ(ParseError(R"({"name": "x", "default_calibration": false})"),
            "e.json: field 'default_calibration': expected a string, got false");
  EXPECT_EQ(ParseError(R"({"name": "x", "prefill_chunk_tokens": 1.5})"),
            "e.json: field 'prefill_chunk_tokens': expected a whole number >= 0, got 1.5");
  EXPECT_EQ(ParseError(R"({"name": "x", "prefill_chunk_tokens": -1})"),
            "e.json: field 'prefill_chunk_tokens': expected a whole number >= 0, got -1");
}

TEST(EngineParseTest, EfficiencyOutOfRange) {
  EXPECT_EQ(ParseError(R"({"name": "x", "memory_efficiency": 0})"),
            "e.json: engine 'x': field 'memory_efficiency': expected a fraction in (0, 1], got 0");
  EXPECT_EQ(ParseError(R"({"name": "x", "prefill_compute_efficiency": 1.5})"),
            "e.json: engine 'x': field 'prefill_compute_efficiency': expected a fraction in (0, 1], got 1.5");
  EXPECT_EQ(ParseError(R"({"name": "x", "host_link_efficiency": -0.2})"),
            "e.json: engine 'x': field 'host_link_efficiency': expected a fraction in (0, 1], got -0.2");
  EXPECT_EQ(ParseError(R"({"engines": [{"name": "y", "gpu_memory_utilization": 1.01}]})"),
            "e.json: engines[0]: engine 'y': field 'gpu_memory_utilization': expected a fraction in (0, 1], got "
            "1.01");
  // The bounds themselves: 1 is allowed.
  EXPECT_EQ(MustParse(R"({"name": "x", "decode_compute_efficiency": 1})").at(0).decode_compute_efficiency, 1.0);
}

TEST(EngineParseTest, NegativeOverheadsAndReserves) {
  EXPECT_EQ(ParseError(R"({"name": "x", "layer_overhead_s": -0.001})"),
            "e.json: engine 'x': field 'layer_overhead_s': expected a value >= 0, got -0.001");
  // Reported in the GiB the file uses, not in bytes.
  EXPECT_EQ(ParseError(R"({"name": "x", "runtime_reserve_gib": -1})"),
            "e.json: engine 'x': field 'runtime_reserve_gib': expected a value >= 0, got -1");
  EXPECT_EQ(ParseError(R"({"name": "x", "host_reserve_gib": -0.5})"),
            "e.json: engine 'x': field 'host_reserve_gib': expected a value >= 0, got -0.5");
  EXPECT_EQ(ParseError(R"({"name": "x", "offload_step": 0.6})"),
            "e.json: engine 'x': field 'offload_step': expected 0 (continuous) to 0.5, got 0.6");
  EXPECT_EQ(ParseError(R"({"name": "x", "offload_step": -0.01})"),
            "e.json: engine 'x': field 'offload_step': expected 0 (continuous) to 0.5, got -0.01");
}

TEST(EngineParseTest, StructuralErrors) {
  const std::string invalid = "e.json: invalid JSON (expected an engine profile object or {\"engines\": [...]})";
  EXPECT_EQ(ParseError(R"({"name": "x",)"), invalid);
  EXPECT_EQ(ParseError("name = x"), invalid);
  EXPECT_EQ(ParseError(""), invalid);
  EXPECT_EQ(ParseError(R"({"memory_efficiency": 0.7})"), "e.json: missing required field 'name'");
  EXPECT_EQ(ParseError(R"({"name": ""})"), "e.json: missing required field 'name'");
  EXPECT_EQ(ParseError(R"({"engines": []})"), "e.json: field 'engines': expected a non-empty array");
  EXPECT_EQ(ParseError(R"({"engines": {"name": "x"}})"), "e.json: field 'engines': expected a non-empty array");
  EXPECT_EQ(ParseError(R"({"engines": [{"name": "x"}, 1]})"),
            "e.json: engines[1]: expected an engine profile object, got number");
  EXPECT_EQ(ParseError(R"([{"name": "x"}])"), "e.json: expected an engine profile object, got array");
}

TEST(EngineValidateTest, DirectValidation) {
  EngineProfile e;
  e.name = "direct";
  EXPECT_TRUE(ValidateEngineProfile(e, "code").ok());
  e.memory_efficiency = 1.2;
  Status s = ValidateEngineProfile(e, "code");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(s.error().message(), "code: engine 'direct': field 'memory_efficiency': expected a fraction in (0, 1], got 1.2");
  e.memory_efficiency = 0.8;
  e.step_overhead_s = -1;
  Status t = ValidateEngineProfile(e, "code");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message(), "code: engine 'direct': field 'step_overhead_s': expected a value >= 0, got -1");
}

}  // namespace
}  // namespace infersave
