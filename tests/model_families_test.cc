// Tests for the 2025-2026 model families (issue 10): parameter counts by
// hand, KV bytes per sequence at two context lengths for every attention
// variant, quantised checkpoints, unknown decoders, and windowed attention in
// the time model and the simulator.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "infersave/memory.h"
#include "infersave/perf.h"
#include "infersave/serving.h"
#include "infersave/simulator.h"
#include "test_util.h"

namespace infersave {
namespace {

using testing::Model;

std::string WithReplaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string ShippedText(const std::string& name) {
  auto text = infersave::ShippedText("models/" + name + ".json");
  EXPECT_TRUE(text.has_value()) << name;
  return text ? std::string(*text) : std::string();
}

std::string ParseError(const std::string& json) {
  auto m = ParseModelConfig(json, "m.json");
  if (m.ok()) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  EXPECT_EQ(m.error().code(), ErrorCode::kInvalidInput);
  return m.error().message();
}

// ---- Parameter counts by hand ------------------------------------------------

TEST(ModelFamilyCountTest, Qwen3_8bByHand) {
  const ModelConfig m = Model("qwen3-8b");
  EXPECT_EQ(m.family, ModelFamily::kQwen3);
  EXPECT_TRUE(m.qk_norm);
  const ParameterCount c = CountParameters(m);
  // Q 4096x4096, K and V 4096x1024, O 4096x4096, q/k norms 2 x 128.
  EXPECT_EQ(c.attention_per_layer, 16'777'216 + 2 * 4'194'304 + 16'777'216 + 256);
  EXPECT_EQ(c.mlp_per_layer, 3 * 4096 * 12288);
  // 36 layers x (attention + MLP + 2 norms) + untied 151936 x 4096 twice + final norm.
  EXPECT_EQ(c.total, 36LL * (41'943'296 + 150'994'944 + 8192) + 2 * 622'329'856 + 4096);
  EXPECT_EQ(c.total, 8'190'735'360);
}

TEST(ModelFamilyCountTest, DeepseekV3LatentAttentionAndExpertsByHand) {
  const ModelConfig m = Model("deepseek-v3");
  EXPECT_EQ(m.attention, AttentionKind::kLatent);
  EXPECT_EQ(m.moe_layers, 58);  // 61 layers, the first 3 dense
  EXPECT_EQ(m.num_experts, 256);
  EXPECT_EQ(m.experts_per_token, 8);
  const ParameterCount c = CountParameters(m);
  // q_a 7168x1536 + q_b 1536 x 128 x 192 + kv_a 7168 x 576 + kv_b 512 x 128 x 256
  // + o 128 x 128 x 7168, plus the latent's and the query bottleneck's norms.
  EXPECT_EQ(c.attention_linear_per_layer, 11'010'048 + 37'748'736 + 4'128'768 + 16'777'216 + 117'440'512);
  EXPECT_EQ(c.attention_per_layer, c.attention_linear_per_layer + 512 + 1536);
  // A routed expert is 3 x 7168 x 2048; one shared expert the same; the
  // router 7168 x 256 plus 256 score-correction biases.
  const int64_t expert = 3LL * 7168 * 2048;
  EXPECT_EQ(c.moe_mlp_per_layer, 256 * expert + expert + 7168 * 256 + 256);
  EXPECT_EQ(c.moe_mlp_active_per_layer, 8 * expert + expert + 7168 * 256 + 256);
  EXPECT_EQ(c.dense_mlp_per_layer, 3LL * 7168 * 18432);
  // 671.03 B total (the multi-token-prediction layer is not counted), 37.6 B active.
  EXPECT_NEAR(static_cast<double>(c.total), 671.03e9, 0.01e9);
  EXPECT_NEAR(static_cast<double>(c.active_per_token), 37.55e9, 0.01e9);
}

TEST(ModelFamilyCountTest, GptOssExpertsWithBiasesAndSinks) {
  const ModelConfig m = Model("gpt-oss-20b");
  EXPECT_EQ(m.family, ModelFamily::kGptOss);
  EXPECT_EQ(m.num_experts, 32);
  EXPECT_EQ(m.experts_per_token, 4);
  const ParameterCount c = CountParameters(m);
  // gate/up 2880 x 5760 + bias 5760, down 2880 x 2880 + bias 2880, per expert.
  const int64_t expert = 3LL * 2880 * 2880 + 2 * 2880 + 2880;
  EXPECT_EQ(c.moe_mlp_per_layer, 32 * expert + 2880 * 32 + 32);
  // Q 2880 x 4096, K, V 2880 x 512, O 4096 x 2880, biases, 64 sinks.
  EXPECT_EQ(c.attention_per_layer, 2880LL * 4096 * 2 + 2 * 2880 * 512 + 4096 + 2 * 512 + 2880 + 64);
  EXPECT_EQ(c.total, 20'914'757'184);
}

TEST(ModelFamilyCountTest, Llama4ScoutCountsSharedExpertsAndTheVisionTower) {
  const ModelConfig m = Model("llama-4-scout");
  EXPECT_EQ(m.moe_layers, 48);
  EXPECT_EQ(m.shared_expert_intermediate_size, 8192);
  EXPECT_EQ(m.window_kind, WindowKind::kChunked);
  EXPECT_EQ(m.windowed_layers, 36);  // every 4th layer is global (NoPE)
  EXPECT_GT(m.vision_params, 0.8e9);
  EXPECT_LT(m.vision_params, 1.0e9);
  const ParameterCount c = CountParameters(m);
  // 16 routed + 1 shared expert of 3 x 5120 x 8192, router 5120 x 16.
  EXPECT_EQ(c.moe_mlp_per_layer, 17 * 3LL * 5120 * 8192 + 5120 * 16);
  // 17 B active (model card): one routed and the shared expert, attention, embeddings and LM head.
  EXPECT_NEAR(static_cast<double>(c.active_per_token), 17.17e9, 0.01e9);
}

TEST(ModelFamilyCountTest, Gemma3NestedTextConfigUsesTransformersDefaults) {
  const ModelConfig m = Model("gemma-3-12b");
  EXPECT_EQ(m.vocab_size, 262208);  // absent from text_config: Gemma3TextConfig's default
  EXPECT_EQ(m.head_dim, 256);
  EXPECT_TRUE(m.tie_word_embeddings);
  EXPECT_EQ(m.norms_per_layer, 4);
  EXPECT_EQ(m.window_tokens, 1024);
  EXPECT_EQ(m.windowed_layers, 40);  // 48 layers, every 6th global
  // The SigLIP tower (27 layers of width 1152, MLP 4304, 64 x 64 patches of
  // 14 x 14 x 3) and its projector into 3840.
  const int64_t layer = 4LL * 1152 * 1152 + 4 * 1152 + 2 * 1152 * 4304 + 4304 + 1152 + 4 * 1152;
  const int64_t tower = 27 * layer + 3 * 14 * 14 * 1152 + 1152 + 64 * 64 * 1152 + 2 * 1152;
  EXPECT_EQ(m.vision_params, tower + 1152LL * 3840 + 1152);
}

TEST(ModelFamilyCountTest, Qwen2MoeSharedExpertWithGate) {
  const std::string json = R"({"model_type": "qwen2_moe", "hidden_size": 2048, "intermediate_size": 5632,
    "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632, "num_experts": 60,
    "num_experts_per_tok": 4, "num_hidden_layers": 24, "num_attention_heads": 16, "num_key_value_heads": 16,
    "vocab_size": 151936, "max_position_embeddings": 8192, "decoder_sparse_step": 1, "mlp_only_layers": [],
    "tie_word_embeddings": false})";  // Qwen1.5-MoE-A2.7B
  auto m = ParseModelConfig(json, "m.json");
  ASSERT_TRUE(m.ok()) << m.error().message();
  const ParameterCount c = CountParameters(*m);
  EXPECT_EQ(c.moe_mlp_per_layer, 60 * 3LL * 2048 * 1408 + 3LL * 2048 * 5632 + 2048 * 60 + 2048);
  // Qwen1.5-MoE-A2.7B: 14.3 B parameters, 2.7 B active (model card).
  EXPECT_NEAR(static_cast<double>(c.total), 14.3e9, 0.05e9);
  EXPECT_NEAR(static_cast<double>(c.active_per_token), 2.7e9, 0.05e9);
}

TEST(ModelFamilyCountTest, MlpOnlyLayersAndSparseStepMakeDenseLayers) {
  std::string json = ShippedText("qwen3-30b-a3b");
  json = WithReplaced(json, "\"decoder_sparse_step\": 1", "\"decoder_sparse_step\": 2");
  auto m = ParseModelConfig(json, "m.json");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->moe_layers, 24);  // layers 1, 3, ..., 47
  json = WithReplaced(ShippedText("qwen3-30b-a3b"), "\"mlp_only_layers\": []", "\"mlp_only_layers\": [0, 5]");
  m = ParseModelConfig(json, "m.json");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->moe_layers, 46);
}

TEST(ModelFamilyErrorTest, MalformedListFieldsNameTheFieldAndTheValue) {
  const std::string qwen = ShippedText("qwen3-30b-a3b");
  auto m = ParseModelConfig(WithReplaced(qwen, "\"mlp_only_layers\": []", "\"mlp_only_layers\": 3"), "m.json");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(), "m.json: field 'mlp_only_layers': expected a list of integers, got \"3\"");
  m = ParseModelConfig(WithReplaced(qwen, "\"mlp_only_layers\": []", "\"mlp_only_layers\": [0, -1]"), "m.json");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(),
            "m.json: field 'mlp_only_layers': expected a list of integers from 0 to 16777216, got \"-1\"");  // 2^24
  const std::string oss = ShippedText("gpt-oss-20b");
  m = ParseModelConfig(WithReplaced(oss, "\"layer_types\": [", "\"layer_types\": [7, "), "m.json");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(), "m.json: field 'layer_types': expected a list of strings, got \"7\"");
}

// ---- KV bytes per sequence by hand -------------------------------------------

TEST(ModelKvTest, GroupedQueryAttention) {
  const ModelConfig m = Model("llama-3.1-8b");
  // 32 layers x 2 (K, V) x 8 heads x 128 x 2 bytes = 131072 bytes per token.
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 1000, 1, 2), 131'072'000.0);
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 10000, 1, 2), 1'310'720'000.0);
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 1000, 2, 2), 65'536'000.0);  // half the KV heads per GPU
}

TEST(ModelKvTest, SlidingWindowGemma2Alternates) {
  const ModelConfig m = Model("gemma-2-9b");
  EXPECT_EQ(m.windowed_layers, 21);
  EXPECT_EQ(m.window_tokens, 4096);
  // 2 x 8 heads x 256 x 2 bytes = 8192 bytes per token and layer.
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 2000, 1, 2), 42.0 * 2000 * 8192);
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 8192, 1, 2), 21.0 * 8192 * 8192 + 21.0 * 4096 * 8192);
}

TEST(ModelKvTest, SlidingWindowGemma3FiveLocalToOneGlobal) {
  const ModelConfig m = Model("gemma-3-27b");
  EXPECT_EQ(m.windowed_layers, 52);  // 62 layers, 10 global
  // 2 x 16 heads x 128 x 2 bytes = 8192 bytes per token and layer.
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 512, 1, 2), 62.0 * 512 * 8192);
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 32768, 1, 2), 10.0 * 32768 * 8192 + 52.0 * 1024 * 8192);
  // 5.3x less than if every layer held the whole 32k context.
  EXPECT_NEAR(62.0 * 32768 * 8192 / KvBytesPerSequence(m, 32768, 1, 2), 5.33, 0.01);
}

TEST(ModelKvTest, SlidingWindowGptOssFromLayerTypes) {
  const ModelConfig m = Model("gpt-oss-20b");
  EXPECT_EQ(m.windowed_layers, 12);
  EXPECT_EQ(m.window_tokens, 128);
  // 2 x 8 heads x 64 x 2 bytes = 2048 bytes per token and layer.
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 100, 1, 2), 24.0 * 100 * 2048);
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 8192, 1, 2), 12.0 * 8192 * 2048 + 12.0 * 128 * 2048);
}

TEST(ModelKvTest, ChunkedAttentionLlama4ReservesTheChunk) {
  const ModelConfig m = Model("llama-4-scout");
  // 2 x 8 heads x 128 x 2 bytes = 4096 bytes per token and layer; 36 chunked layers of 8192.
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 4096, 1, 2), 48.0 * 4096 * 4096);
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 32768, 1, 2), 12.0 * 32768 * 4096 + 36.0 * 8192 * 4096);
}

TEST(ModelKvTest, LatentAttentionCachesTheLatentOnEveryGpu) {
  const ModelConfig m = Model("deepseek-v3");
  // 61 layers x (512 + 64) x 2 bytes = 70272 bytes per token, whatever the TP.
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 1000, 1, 2), 70'272'000.0);
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 10000, 1, 2), 702'720'000.0);
  EXPECT_DOUBLE_EQ(KvBytesPerSequence(m, 10000, 8, 2), 702'720'000.0);
}

TEST(ModelKvTest, WindowArithmetic) {
  EXPECT_EQ(AttendedTokens(WindowKind::kSliding, 4, 10), 4);
  EXPECT_EQ(AttendedTokens(WindowKind::kChunked, 4, 10), 2);  // positions 9 and 10 of the third chunk
  EXPECT_EQ(AttendedTokens(WindowKind::kNone, 4, 10), 10);
  EXPECT_DOUBLE_EQ(CausalPairsUpTo(WindowKind::kNone, 4, 10), 55);
  EXPECT_DOUBLE_EQ(CausalPairsUpTo(WindowKind::kSliding, 4, 10), 10 + 6 * 4);
  EXPECT_DOUBLE_EQ(CausalPairsUpTo(WindowKind::kChunked, 4, 10), 2 * 10 + 3);
  EXPECT_DOUBLE_EQ(MeanAttendedTokens(WindowKind::kChunked, 4, 100), 2.5);
}

// ---- Quantised checkpoints --------------------------------------------------

TEST(ModelQuantTest, GptOssKeepsAttentionInSixteenBits) {
  const ModelConfig m = Model("gpt-oss-20b");
  ASSERT_TRUE(m.quant.quantized);
  EXPECT_EQ(m.quant.format, Precision::kFp4);
  EXPECT_FALSE(m.quant.attention);
  EXPECT_TRUE(m.quant.experts);
  const ParameterCount c = CountParameters(m);
  // Experts' matrices: 24 layers x 32 x 3 x 2880 x 2880 at 4.25 bits; all else bf16.
  const double experts = 24.0 * 32 * 3 * 2880 * 2880;
  EXPECT_DOUBLE_EQ(WeightBytes(m, c, Precision::kFp4), experts * 0.53125 + (20'914'757'184.0 - experts) * 2);
  EXPECT_NEAR(WeightBytes(m, c, Precision::kFp4) / 1e9, 13.76, 0.01);  // the checkpoint is 13.8 GB
}

TEST(ModelQuantTest, AwqCheckpointIsSizedAsInt4) {
  const std::string json = WithReplaced(ShippedText("llama-3.1-70b"), "\"model_type\": \"llama\",",
                                        R"("model_type": "llama", "quantization_config": {"quant_method": "awq",
                                        "bits": 4, "group_size": 128, "version": "gemm", "zero_point": true},)");
  auto m = ParseModelConfig(json, "awq.json");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->quant.format, Precision::kInt4);
  EXPECT_EQ(m->quant.group_size, 128);
  EXPECT_EQ(m->quant.vllm_quantization, "awq");
  // 37.8 GiB, not the 131 GiB of FP16.
  EXPECT_NEAR(WeightBytes(*m, CountParameters(*m), Precision::kInt4) / (1 << 30), 37.78, 0.01);
}

TEST(ModelQuantTest, CompressedTensorsAndBitsandbytesFormats) {
  const std::string base = ShippedText("llama-3.1-8b");
  auto with = [&](const std::string& q) {
    return ParseModelConfig(WithReplaced(base, "\"model_type\": \"llama\",",
                                         "\"model_type\": \"llama\", \"quantization_config\": " + q + ","),
                            "q.json");
  };
  auto fp8 = with(R"({"quant_method": "compressed-tensors", "config_groups": {"group_0": {"weights":
      {"num_bits": 8, "type": "float", "strategy": "channel"}, "input_activations": {"num_bits": 8, "type": "float"},
      "targets": ["Linear"]}}, "ignore": ["lm_head"]})");
  ASSERT_TRUE(fp8.ok()) << fp8.error().message();
  EXPECT_EQ(fp8->quant.format, Precision::kFp8);
  auto w4 = with(R"({"quant_method": "compressed-tensors", "config_groups": {"group_0": {"weights":
      {"num_bits": 4, "type": "int", "group_size": 128}}}})");
  ASSERT_TRUE(w4.ok()) << w4.error().message();
  EXPECT_EQ(w4->quant.format, Precision::kInt4);
  auto nvfp4 = with(R"({"quant_method": "compressed-tensors", "config_groups": {"group_0": {"weights":
      {"num_bits": 4, "type": "float", "group_size": 16}}}})");
  ASSERT_TRUE(nvfp4.ok()) << nvfp4.error().message();
  EXPECT_EQ(nvfp4->quant.format, Precision::kFp4);
  auto bnb = with(R"({"quant_method": "bitsandbytes", "load_in_4bit": true, "bnb_4bit_quant_type": "nf4"})");
  ASSERT_TRUE(bnb.ok()) << bnb.error().message();
  EXPECT_EQ(bnb->quant.format, Precision::kInt4);
  auto gptq8 = with(R"({"quant_method": "gptq", "bits": 8, "group_size": 128})");
  ASSERT_TRUE(gptq8.ok()) << gptq8.error().message();
  EXPECT_EQ(gptq8->quant.format, Precision::kInt8);
}

TEST(ModelQuantTest, UnreadableQuantizationIsRefusedByName) {
  const std::string base = ShippedText("llama-3.1-8b");
  auto error = [&](const std::string& q) {
    return ParseError(WithReplaced(base, "\"model_type\": \"llama\",",
                                   "\"model_type\": \"llama\", \"quantization_config\": " + q + ","));
  };
  EXPECT_EQ(error(R"({"quant_method": "hqq"})"),
            "m.json: field 'quantization_config': unsupported quant_method \"hqq\" (supported: awq, gptq, fp8, "
            "compressed-tensors, mxfp4, bitsandbytes)");
  EXPECT_EQ(error(R"({"quant_method": "gptq", "bits": 3})"),
            "m.json: field 'quantization_config': gptq 3-bit weights are not supported (4 or 8 bits)");
  EXPECT_EQ(error(R"("awq")"), "m.json: field 'quantization_config': expected an object, got \"\\\"awq\\\"\"");
  EXPECT_EQ(error(R"({"quant_method": "bitsandbytes"})"),
            "m.json: field 'quantization_config': bitsandbytes without load_in_4bit or load_in_8bit");
}

// ---- Unknown architectures ----------------------------------------------------

TEST(ModelUnknownTest, StandardDecoderLoadsAsLlamaWithAWarning) {
  const std::string json = WithReplaced(ShippedText("llama-3.1-8b"), "\"model_type\": \"llama\"",
                                        "\"model_type\": \"olmo2\"");
  auto m = ParseModelConfig(json, "olmo.json");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->family, ModelFamily::kDecoder);
  EXPECT_EQ(CountParameters(*m).total, 8'030'261'248);
  ASSERT_EQ(m->assumptions.size(), 1u);
  EXPECT_EQ(m->assumptions[0],
            "olmo.json: unknown model_type \"olmo2\" read as a Llama-style decoder (RMSNorm, gated MLP of "
            "intermediate_size, 8 KV heads of 128, no biases); its parameter count and memory may be off if the "
            "architecture differs");
}

TEST(ModelUnknownTest, MissingDecoderFieldIsNamed) {
  std::string json = WithReplaced(ShippedText("llama-3.1-8b"), "\"model_type\": \"llama\"",
                                  "\"model_type\": \"mamba\"");
  json = WithReplaced(json, "\"intermediate_size\": 14336,", "");
  EXPECT_EQ(ParseError(json),
            "m.json: model_type \"mamba\" is not one InferSave reads (opt, llama, mistral, mixtral, qwen2, "
            "qwen2_moe, qwen3, qwen3_moe, gemma2, gemma3, gemma3_text, phi3, deepseek_v2, deepseek_v3, gpt_oss, "
            "llama4, llama4_text), and the config lacks 'intermediate_size', which a Llama-style decoder needs");
}

TEST(ModelUnknownTest, NestedFieldsAreNamedWithTheirPath) {
  const std::string json = WithReplaced(ShippedText("gemma-3-27b"), "\"hidden_size\": 5376,", "");
  EXPECT_EQ(ParseError(json), "m.json: missing required field 'text_config.hidden_size'");
}

TEST(ModelUnknownTest, LayerTypesMustMatchTheLayers) {
  const std::string json = WithReplaced(ShippedText("gpt-oss-20b"), "\"num_hidden_layers\": 24",
                                        "\"num_hidden_layers\": 23");
  EXPECT_EQ(ParseError(json), "m.json: field 'layer_types' lists 24 layers, but num_hidden_layers is 23");
}

// ---- Windows in time and in the simulator ------------------------------------

PredictInput InputFor(const ModelConfig& m, const ParameterCount& p, const Workload& w, const GpuSpec& gpu,
                      const EngineProfile& e) {
  PredictInput in;
  in.model = &m;
  in.params = &p;
  in.workload = &w;
  in.gpu = &gpu;
  in.engine = &e;
  return in;
}

TEST(ModelWindowTimeTest, BelowTheWindowTheWindowChangesNothing) {
  const ModelConfig windowed = Model("gemma-3-27b");
  ModelConfig full = windowed;
  full.windowed_layers = 0;
  full.window_kind = WindowKind::kNone;
  const ParameterCount p = CountParameters(windowed);
  const EngineProfile e = testing::Engine("vllm");
  const GpuSpec& h100 = testing::Gpu("H100");
  Workload w;
  w.batch_size = 8;
  w.input_len = 500;
  w.output_len = 400;  // context up to 899 < 1024
  auto model = MakePerfModel(PerfModelKind::kRoofline);
  const Timing a = model->Predict(InputFor(windowed, p, w, h100, e));
  const Timing b = model->Predict(InputFor(full, p, w, h100, e));
  EXPECT_NEAR(a.total_s, b.total_s, 1e-12 * b.total_s);
  // Past the window the local layers stop growing: a long context is cheaper.
  w.input_len = 16000;
  const Timing c = model->Predict(InputFor(windowed, p, w, h100, e));
  const Timing d = model->Predict(InputFor(full, p, w, h100, e));
  EXPECT_LT(c.prefill_s, d.prefill_s);
  EXPECT_LT(c.decode_last_step_s, d.decode_last_step_s);
  // The step grows with context only through the 10 global layers.
  const double slope_windowed = (c.decode_last_step_s - c.decode_first_step_s) / 399;
  const double slope_full = (d.decode_last_step_s - d.decode_first_step_s) / 399;
  EXPECT_NEAR(slope_windowed / slope_full, 10.0 / 62, 1e-6);
}

TEST(ModelWindowTimeTest, IterationTimeEqualsTheStaticDecodeStepWithWindows) {
  const ModelConfig m = Model("gpt-oss-20b");
  const ParameterCount p = CountParameters(m);
  const EngineProfile e = testing::Engine("vllm");
  const GpuSpec& h100 = testing::Gpu("H100");
  Workload w;
  w.batch_size = 4;
  w.input_len = 1000;
  w.output_len = 2;  // one decode step, at context 1001
  w.weight_precision = Precision::kFp4;
  const Timing t = MakePerfModel(PerfModelKind::kRoofline)->Predict(InputFor(m, p, w, h100, e));
  IterationTimer timer(InputFor(m, p, w, h100, e));
  IterationShape shape;
  shape.decode_sequences = 4;
  shape.decode_context_tokens = 4 * 1001;
  shape.decode_window_context_tokens = 4 * 128;
  EXPECT_NEAR(timer.Seconds(shape), t.decode_first_step_s, 1e-9 * t.decode_first_step_s);
}

TEST(ModelWindowSimulatorTest, WindowedLayersFreeTheirBlocks) {
  EngineLimits l;
  l.block_size_tokens = 16;
  l.kv_blocks = 100;  // 1600 tokens of every layer
  l.max_sequences = 4;
  l.max_batched_tokens = 4096;
  const std::vector<Request> requests = {{0, 2000, 10}};
  auto constant = [](const IterationShape&) { return 0.01; };
  // Without a window 2009 tokens need 126 blocks: refused.
  EXPECT_FALSE(Simulate(requests, l, constant).ok());
  // Half the layers windowed at 1024: 0.5 x 2009 + 0.5 x 1024 = 1517 tokens, 95 blocks.
  l.window_kind = WindowKind::kSliding;
  l.window_tokens = 1024;
  l.windowed_kv_share = 0.5;
  auto r = Simulate(requests, l, constant);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->requests.size(), 1u);
}

}  // namespace
}  // namespace infersave
