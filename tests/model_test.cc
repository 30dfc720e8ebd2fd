// Tests for HuggingFace config parsing and exact parameter counts
// (include/infersave/model.h), and for loading the shipped model configs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "infersave/model.h"
#include "infersave/shipped.h"

namespace infersave {
namespace {

ModelConfig MustParse(std::string_view json, std::string_view source = "m.json") {
  auto model = ParseModelConfig(json, source);
  EXPECT_TRUE(model.ok()) << model.error().message();
  return model.ok() ? *model : ModelConfig{};
}

std::string ParseError(std::string_view json, std::string_view source = "m.json") {
  auto model = ParseModelConfig(json, source);
  if (model.ok()) {
    ADD_FAILURE() << "expected an error for: " << json;
    return "";
  }
  EXPECT_EQ(model.error().code(), ErrorCode::kInvalidInput);
  return model.error().message();
}

// Minimal configs with the fields transformers reads, values from the
// published Hub config.json files of the named models.
constexpr const char* kOpt27b = R"({
  "model_type": "opt",
  "hidden_size": 2560,
  "ffn_dim": 10240,
  "num_hidden_layers": 32,
  "num_attention_heads": 32,
  "vocab_size": 50272,
  "max_position_embeddings": 2048,
  "torch_dtype": "float16"
})";

constexpr const char* kLlama31_8b = R"({
  "model_type": "llama",
  "hidden_size": 4096,
  "intermediate_size": 14336,
  "num_hidden_layers": 32,
  "num_attention_heads": 32,
  "num_key_value_heads": 8,
  "vocab_size": 128256,
  "max_position_embeddings": 131072,
  "torch_dtype": "bfloat16"
})";

// Llama-2-7B has no num_key_value_heads key (multi-head attention).
constexpr const char* kLlama2_7b = R"({
  "model_type": "llama",
  "hidden_size": 4096,
  "intermediate_size": 11008,
  "num_hidden_layers": 32,
  "num_attention_heads": 32,
  "vocab_size": 32000,
  "max_position_embeddings": 4096
})";

constexpr const char* kMistral7b = R"({
  "model_type": "mistral",
  "hidden_size": 4096,
  "intermediate_size": 14336,
  "num_hidden_layers": 32,
  "num_attention_heads": 32,
  "num_key_value_heads": 8,
  "vocab_size": 32000,
  "max_position_embeddings": 32768,
  "sliding_window": 4096
})";

constexpr const char* kQwen25_7b = R"({
  "model_type": "qwen2",
  "hidden_size": 3584,
  "intermediate_size": 18944,
  "num_hidden_layers": 28,
  "num_attention_heads": 28,
  "num_key_value_heads": 4,
  "vocab_size": 152064,
  "max_position_embeddings": 131072,
  "tie_word_embeddings": false
})";

constexpr const char* kMixtral8x7b = R"({
  "model_type": "mixtral",
  "hidden_size": 4096,
  "intermediate_size": 14336,
  "num_hidden_layers": 32,
  "num_attention_heads": 32,
  "num_key_value_heads": 8,
  "num_local_experts": 8,
  "num_experts_per_tok": 2,
  "vocab_size": 32000,
  "max_position_embeddings": 32768,
  "tie_word_embeddings": false
})";

// Replaces the first occurrence of `from` in `text` (which must contain it).
std::string With(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// ---- ParseModelConfig: families and defaults ------------------------------------

TEST(ModelParseTest, OptFields) {
  ModelConfig m = MustParse(kOpt27b, "configs/opt.json");
  EXPECT_EQ(m.family, ModelFamily::kOpt);
  EXPECT_EQ(m.model_type, "opt");
  EXPECT_EQ(m.name, "configs/opt.json");    // no _infersave key: named after the source
  EXPECT_EQ(m.source, "configs/opt.json");
  EXPECT_EQ(m.num_layers, 32);
  EXPECT_EQ(m.hidden_size, 2560);
  EXPECT_EQ(m.intermediate_size, 10240);  // ffn_dim
  EXPECT_EQ(m.num_heads, 32);
  EXPECT_EQ(m.num_kv_heads, 32);  // OPT is multi-head
  EXPECT_EQ(m.head_dim, 80);      // 2560 / 32
  EXPECT_EQ(m.vocab_size, 50272);
  EXPECT_EQ(m.max_position_embeddings, 2048);
  EXPECT_EQ(m.learned_positions, 2050);     // HF OPTLearnedPositionalEmbedding offset 2
  EXPECT_EQ(m.word_embed_proj_dim, 2560);   // defaults to hidden_size
  EXPECT_EQ(m.num_experts, 1);
  EXPECT_EQ(m.experts_per_token, 1);
  EXPECT_TRUE(m.tie_word_embeddings);  // transformers' default for OPT
  EXPECT_FALSE(m.gated_mlp);
  EXPECT_TRUE(m.linear_bias);
  EXPECT_TRUE(m.qkv_bias);
  EXPECT_TRUE(m.norm_bias);
  EXPECT_EQ(m.torch_dtype, "float16");
  EXPECT_EQ(m.published_params, 0);
  EXPECT_EQ(m.kv_width(), 2560);
  EXPECT_EQ(m.q_width(), 2560);
  EXPECT_EQ(FamilyName(m.family), "opt");
}

TEST(ModelParseTest, OptExplicitFlags) {
  ModelConfig m = MustParse(With(kOpt27b, "\"ffn_dim\"",
                                 "\"tie_word_embeddings\": false, \"enable_bias\": false, \"ffn_dim\""));
  EXPECT_FALSE(m.tie_word_embeddings);
  EXPECT_FALSE(m.linear_bias);
  EXPECT_FALSE(m.qkv_bias);
  EXPECT_TRUE(m.norm_bias);
}

TEST(ModelParseTest, LlamaFields) {
  ModelConfig m = MustParse(kLlama31_8b);
  EXPECT_EQ(m.family, ModelFamily::kLlama);
  EXPECT_EQ(m.model_type, "llama");
  EXPECT_EQ(m.num_layers, 32);
  EXPECT_EQ(m.hidden_size, 4096);
  EXPECT_EQ(m.intermediate_size, 14336);
  EXPECT_EQ(m.num_heads, 32);
  EXPECT_EQ(m.num_kv_heads, 8);
  EXPECT_EQ(m.head_dim, 128);
  EXPECT_EQ(m.kv_width(), 1024);
  EXPECT_EQ(m.q_width(), 4096);
  EXPECT_EQ(m.vocab_size, 128256);
  EXPECT_EQ(m.max_position_embeddings, 131072);
  EXPECT_FALSE(m.tie_word_embeddings);  // transformers' default for Llama
  EXPECT_TRUE(m.gated_mlp);
  EXPECT_FALSE(m.qkv_bias);
  EXPECT_FALSE(m.linear_bias);
  EXPECT_FALSE(m.norm_bias);
  EXPECT_EQ(m.learned_positions, 0);  // rotary positions, no table
  EXPECT_EQ(m.num_experts, 1);
  EXPECT_EQ(m.torch_dtype, "bfloat16");
  EXPECT_EQ(FamilyName(m.family), "llama");
}

TEST(ModelParseTest, KvHeadsDefaultToAttentionHeads) {
  ModelConfig m = MustParse(kLlama2_7b);
  EXPECT_EQ(m.num_heads, 32);
  EXPECT_EQ(m.num_kv_heads, 32);
  EXPECT_EQ(m.kv_width(), 4096);
  // null is treated as absent.
  ModelConfig n = MustParse(With(kLlama2_7b, "\"vocab_size\"", "\"num_key_value_heads\": null, \"vocab_size\""));
  EXPECT_EQ(n.num_kv_heads, 32);
}

TEST(ModelParseTest, MistralIsLlamaFamily) {
  ModelConfig m = MustParse(kMistral7b);
  EXPECT_EQ(m.family, ModelFamily::kLlama);
  EXPECT_EQ(m.model_type, "mistral");
  EXPECT_EQ(m.num_kv_heads, 8);
  EXPECT_FALSE(m.tie_word_embeddings);
}

TEST(ModelParseTest, Qwen2HasQkvBias) {
  ModelConfig m = MustParse(kQwen25_7b);
  EXPECT_EQ(m.family, ModelFamily::kQwen2);
  EXPECT_EQ(FamilyName(m.family), "qwen2");
  EXPECT_EQ(m.head_dim, 128);  // 3584 / 28
  EXPECT_EQ(m.num_kv_heads, 4);
  EXPECT_EQ(m.kv_width(), 512);
  EXPECT_TRUE(m.qkv_bias);
  EXPECT_FALSE(m.linear_bias);
  EXPECT_FALSE(m.tie_word_embeddings);
}

TEST(ModelParseTest, MixtralExperts) {
  ModelConfig m = MustParse(kMixtral8x7b);
  EXPECT_EQ(m.family, ModelFamily::kMixtral);
  EXPECT_EQ(FamilyName(m.family), "mixtral");
  EXPECT_EQ(m.num_experts, 8);
  EXPECT_EQ(m.experts_per_token, 2);
  EXPECT_EQ(m.intermediate_size, 14336);  // per expert
  EXPECT_TRUE(m.gated_mlp);
}

TEST(ModelParseTest, ModelTypeIsCaseInsensitiveButKeptVerbatim) {
  ModelConfig m = MustParse(With(kLlama2_7b, "\"llama\"", "\"LLaMA\""));
  EXPECT_EQ(m.family, ModelFamily::kLlama);
  EXPECT_EQ(m.model_type, "LLaMA");
}

TEST(ModelParseTest, ExplicitHeadDim) {
  ModelConfig m = MustParse(With(kLlama31_8b, "\"vocab_size\"", "\"head_dim\": 256, \"vocab_size\""));
  EXPECT_EQ(m.head_dim, 256);
  EXPECT_EQ(m.q_width(), 8192);
  EXPECT_EQ(m.kv_width(), 2048);
}

TEST(ModelParseTest, WholeFloatsAreAcceptedAsIntegers) {
  ModelConfig m = MustParse(With(kOpt27b, "2560,", "2560.0,"));
  EXPECT_EQ(m.hidden_size, 2560);
}

TEST(ModelParseTest, InfersaveKeyGivesNameSourceAndPublishedCount) {
  ModelConfig m = MustParse(With(kOpt27b, "\"torch_dtype\"",
                                 R"("_infersave": {"name": "opt-2.7b", "source": "https://hf.co/x",
                                     "published_params": 2651596800}, "_name_or_path": 3, "torch_dtype")"),
                            "models/opt-2.7b.json");
  EXPECT_EQ(m.name, "opt-2.7b");
  EXPECT_EQ(m.source, "https://hf.co/x");
  EXPECT_EQ(m.published_params, 2651596800.0);
}

// ---- ParseModelConfig: errors ---------------------------------------------------

TEST(ModelParseTest, TruncatedJsonNamesLineAndColumn) {
  // Line 3, column 20 is one past the last character, where nlohmann stops too.
  EXPECT_EQ(ParseError("{\n  \"model_type\": \"opt\",\n  \"hidden_size\": 25"),
            "m.json:3:20: invalid JSON: syntax error while parsing object - unexpected end of input; "
            "expected '}'");
  EXPECT_EQ(ParseError("{\n\"a\": 1\n\"b\": 2}"),
            "m.json:3:3: invalid JSON: syntax error while parsing object - unexpected string literal; "
            "expected '}'");
}

TEST(ModelParseTest, NonJsonText) {
  EXPECT_EQ(ParseError("hello", "notes.txt"),
            "notes.txt:1:1: invalid JSON: syntax error while parsing value - invalid literal; last read: 'h'");
}

TEST(ModelParseTest, NotAnObject) {
  EXPECT_EQ(ParseError("[1, 2]"), "m.json: expected a JSON object (a HuggingFace config.json), got array");
  EXPECT_EQ(ParseError("\"opt\""), "m.json: expected a JSON object (a HuggingFace config.json), got string");
  EXPECT_EQ(ParseError("null"), "m.json: expected a JSON object (a HuggingFace config.json), got null");
}

TEST(ModelParseTest, EmptyText) {
  EXPECT_EQ(ParseError(""), "m.json: empty file: expected a JSON object (a HuggingFace config.json)");
  EXPECT_EQ(ParseError(" \n\t"), "m.json: empty file: expected a JSON object (a HuggingFace config.json)");
}

TEST(ModelParseTest, MissingModelType) {
  const std::string expected =
      "m.json: missing required field 'model_type' (expected one of "
            "opt, llama, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe, gemma2, gemma3, gemma3_text, phi3, deepseek_v2, deepseek_v3, gpt_oss, llama4, llama4_text)";
  EXPECT_EQ(ParseError(With(kOpt27b, "\"model_type\": \"opt\",", "")), expected);
  EXPECT_EQ(ParseError(With(kOpt27b, "\"opt\"", "7")), expected);
  EXPECT_EQ(ParseError(With(kOpt27b, "\"opt\"", "\"\"")), expected);
  EXPECT_EQ(ParseError("{}"), expected);
}

TEST(ModelParseTest, UnsupportedModelType) {
  EXPECT_EQ(ParseError(With(kOpt27b, "\"opt\"", "\"gpt2\"")),
            "m.json: model_type \"gpt2\" is not one InferSave reads (opt, llama, mistral, mixtral, qwen2, qwen2_moe, "
            "qwen3, qwen3_moe, gemma2, gemma3, gemma3_text, phi3, deepseek_v2, deepseek_v3, gpt_oss, llama4, "
            "llama4_text), and the config lacks 'intermediate_size', which a Llama-style decoder needs");
}

TEST(ModelParseTest, MissingRequiredField) {
  EXPECT_EQ(ParseError(With(kOpt27b, "\"ffn_dim\": 10240,", "")), "m.json: missing required field 'ffn_dim'");
  EXPECT_EQ(ParseError(With(kLlama31_8b, "\"intermediate_size\": 14336,", "")),
            "m.json: missing required field 'intermediate_size'");
  EXPECT_EQ(ParseError(With(kLlama31_8b, "131072", "null")),
            "m.json: missing required field 'max_position_embeddings'");
  EXPECT_EQ(ParseError(With(kMixtral8x7b, "\"num_local_experts\": 8,", "")),
            "m.json: missing required field 'num_local_experts'");
  EXPECT_EQ(ParseError(With(kMixtral8x7b, "\"num_experts_per_tok\": 2,", "")),
            "m.json: missing required field 'num_experts_per_tok'");
}

TEST(ModelParseTest, StringWhereIntegerExpected) {
  EXPECT_EQ(ParseError(With(kOpt27b, "2560", "\"2560\"")),
            "m.json: field 'hidden_size': expected a positive integer, got \"\\\"2560\\\"\"");
  EXPECT_EQ(ParseError(With(kOpt27b, "50272", "true")),
            "m.json: field 'vocab_size': expected a positive integer, got \"true\"");
}

TEST(ModelParseTest, WrongTypeForFlag) {
  EXPECT_EQ(ParseError(With(kLlama31_8b, "\"vocab_size\"", "\"tie_word_embeddings\": \"yes\", \"vocab_size\"")),
            "m.json: field 'tie_word_embeddings': expected true or false, got \"yes\"");
  EXPECT_EQ(ParseError(With(kOpt27b, "\"ffn_dim\"", "\"enable_bias\": 1, \"ffn_dim\"")),
            "m.json: field 'enable_bias': expected true or false, got 1");
}

TEST(ModelParseTest, NonPositiveFractionalAndHugeValues) {
  EXPECT_EQ(ParseError(With(kOpt27b, "\"num_hidden_layers\": 32", "\"num_hidden_layers\": 0")),
            "m.json: field 'num_hidden_layers': expected a positive integer up to 16777216, got 0");
  EXPECT_EQ(ParseError(With(kOpt27b, "\"num_hidden_layers\": 32", "\"num_hidden_layers\": -32")),
            "m.json: field 'num_hidden_layers': expected a positive integer up to 16777216, got -32");
  EXPECT_EQ(ParseError(With(kOpt27b, "2560", "2560.5")),
            "m.json: field 'hidden_size': expected a positive integer, got \"2560.5\"");
  EXPECT_EQ(ParseError(With(kOpt27b, "50272", "1e12")),
            "m.json: field 'vocab_size': expected a positive integer up to 16777216, got 1000000000000.0");
  EXPECT_EQ(ParseError(With(kOpt27b, "50272", "1000000000000")),
            "m.json: field 'vocab_size': expected a positive integer up to 16777216, got 1000000000000");
  // 2^24 is the largest accepted dimension.
  EXPECT_EQ(MustParse(With(kOpt27b, "50272", "16777216")).vocab_size, 16777216);
  EXPECT_EQ(ParseError(With(kOpt27b, "50272", "16777217")),
            "m.json: field 'vocab_size': expected a positive integer up to 16777216, got 16777217");
  // Optional fields are checked the same way.
  EXPECT_EQ(ParseError(With(kLlama31_8b, "\"num_key_value_heads\": 8", "\"num_key_value_heads\": 0")),
            "m.json: field 'num_key_value_heads': expected a positive integer up to 16777216, got 0");
}

TEST(ModelParseTest, KvHeadsMustDivideHeads) {
  EXPECT_EQ(ParseError(With(kLlama31_8b, "\"num_key_value_heads\": 8", "\"num_key_value_heads\": 6")),
            "m.json: num_key_value_heads 6 must divide num_attention_heads 32");
  EXPECT_EQ(ParseError(With(kLlama31_8b, "\"num_key_value_heads\": 8", "\"num_key_value_heads\": 64")),
            "m.json: num_key_value_heads 64 must divide num_attention_heads 32");
}

TEST(ModelParseTest, ExpertsPerTokenMustNotExceedExperts) {
  EXPECT_EQ(ParseError(With(kMixtral8x7b, "\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 9")),
            "m.json: num_experts_per_tok 9 exceeds the 8 experts");
  EXPECT_EQ(MustParse(With(kMixtral8x7b, "\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 8"))
                .experts_per_token,
            8);
}

TEST(ModelParseTest, InconsistentHeadCounts) {
  EXPECT_EQ(ParseError(With(kOpt27b, "\"num_attention_heads\": 32", "\"num_attention_heads\": 48")),
            "m.json: hidden_size 2560 is not a multiple of num_attention_heads 48");
  EXPECT_EQ(ParseError(With(kLlama2_7b, "\"hidden_size\": 4096", "\"hidden_size\": 16")),
            "m.json: hidden_size 16 is smaller than num_attention_heads 32");
}

// ---- CountParameters --------------------------------------------------------------

TEST(ModelCountTest, Opt27bByHand) {
  ParameterCount c = CountParameters(MustParse(kOpt27b));
  // Token embeddings 50272 x 2560 plus learned positions (2048 + 2) x 2560.
  EXPECT_EQ(c.embeddings, 128'696'320 + 5'248'000);
  // Q, K, V, O: 4 x 2560^2 weights + 4 x 2560 biases.
  EXPECT_EQ(c.attention_per_layer, 26'224'640);
  // fc1 + fc2: 2 x 2560 x 10240 weights + 10240 + 2560 biases.
  EXPECT_EQ(c.mlp_per_layer, 52'441'600);
  EXPECT_EQ(c.mlp_active_per_layer, 52'441'600);
  // Two LayerNorms with weight and bias.
  EXPECT_EQ(c.norms_per_layer, 10'240);
  EXPECT_EQ(c.per_layer(), 78'676'480);
  EXPECT_EQ(c.final_norm, 5'120);
  EXPECT_EQ(c.lm_head, 0);  // tied
  EXPECT_EQ(c.total, 2'651'596'800);  // = the HF checkpoint's 5,303,193,600 fp16 bytes / 2
  EXPECT_EQ(c.active_per_token, c.total);
}

TEST(ModelCountTest, OptUntiedAndWithoutBias) {
  ParameterCount untied = CountParameters(MustParse(With(kOpt27b, "\"ffn_dim\"", "\"tie_word_embeddings\": false, \"ffn_dim\"")));
  EXPECT_EQ(untied.lm_head, 128'696'320);
  EXPECT_EQ(untied.total, 2'651'596'800 + 128'696'320);
  ParameterCount nobias = CountParameters(MustParse(With(kOpt27b, "\"ffn_dim\"", "\"enable_bias\": false, \"ffn_dim\"")));
  EXPECT_EQ(nobias.attention_per_layer, 26'214'400);  // 4 x 2560^2
  EXPECT_EQ(nobias.mlp_per_layer, 52'428'800);        // 2 x 2560 x 10240
  EXPECT_EQ(nobias.total, 2'651'596'800 - 32 * (10'240 + 12'800));
}

TEST(ModelCountTest, OptProjectedEmbeddings) {
  // OPT-350m's shape: embeddings 512 wide, projected to hidden 1024.
  ModelConfig m = MustParse(R"({"model_type": "opt", "hidden_size": 1024, "ffn_dim": 4096,
      "num_hidden_layers": 24, "num_attention_heads": 16, "vocab_size": 50272,
      "max_position_embeddings": 2048, "word_embed_proj_dim": 512})");
  EXPECT_EQ(m.word_embed_proj_dim, 512);
  ParameterCount c = CountParameters(m);
  // 50272 x 512 tokens + 2050 x 1024 positions + project_in/out 2 x 512 x 1024.
  EXPECT_EQ(c.embeddings, 25'739'264 + 2'099'200 + 1'048'576);
  EXPECT_EQ(c.attention_per_layer, 4'198'400);  // 4 x 1024^2 + 4 x 1024
  EXPECT_EQ(c.mlp_per_layer, 8'393'728);        // 2 x 1024 x 4096 + 4096 + 1024
  EXPECT_EQ(c.norms_per_layer, 4'096);
  EXPECT_EQ(c.lm_head, 0);
  EXPECT_EQ(c.total, 28'887'040 + 24 * 12'596'224 + 2'048);
}

TEST(ModelCountTest, Llama31_8bExact) {
  ParameterCount c = CountParameters(MustParse(kLlama31_8b));
  EXPECT_EQ(c.embeddings, 525'336'576);                     // 128256 x 4096
  EXPECT_EQ(c.lm_head, 525'336'576);                        // untied
  EXPECT_EQ(c.attention_per_layer, 41'943'040);             // 2 x 4096^2 + 2 x 4096 x 1024
  EXPECT_EQ(c.mlp_per_layer, 176'160'768);                  // 3 x 4096 x 14336
  EXPECT_EQ(c.norms_per_layer, 8'192);
  EXPECT_EQ(c.final_norm, 4'096);
  EXPECT_EQ(c.per_layer(), 218'112'000);
  EXPECT_EQ(c.total, 8'030'261'248);
  EXPECT_EQ(c.active_per_token, 8'030'261'248);
}

TEST(ModelCountTest, Llama2_7bExact) {
  ParameterCount c = CountParameters(MustParse(kLlama2_7b));
  EXPECT_EQ(c.attention_per_layer, 67'108'864);  // 4 x 4096^2
  EXPECT_EQ(c.mlp_per_layer, 135'266'304);       // 3 x 4096 x 11008
  EXPECT_EQ(c.total, 6'738'415'616);             // model card: 6.74B
}

TEST(ModelCountTest, Mistral7bExact) {
  EXPECT_EQ(CountParameters(MustParse(kMistral7b)).total, 7'241'732'096);  // 7.24B
}

TEST(ModelCountTest, Qwen25_7bExact) {
  ParameterCount c = CountParameters(MustParse(kQwen25_7b));
  EXPECT_EQ(c.embeddings, 544'997'376);  // 152064 x 3584
  // Q and O 3584^2 each, K and V 3584 x 512 each, biases on Q, K, V: 3584 + 2 x 512.
  EXPECT_EQ(c.attention_per_layer, 29'360'128 + 4'608);
  EXPECT_EQ(c.mlp_per_layer, 203'685'888);  // 3 x 3584 x 18944
  EXPECT_EQ(c.total, 7'615'616'512);        // model card: 7.61B
}

TEST(ModelCountTest, MixtralTotalAndActive) {
  ParameterCount c = CountParameters(MustParse(kMixtral8x7b));
  const int64_t expert = 3LL * 4096 * 14336;  // 176,160,768
  const int64_t router = 4096LL * 8;
  EXPECT_EQ(c.mlp_per_layer, 8 * expert + router);         // 1,409,318,912
  EXPECT_EQ(c.mlp_active_per_layer, 2 * expert + router);  // 352,354,304
  EXPECT_EQ(c.attention_per_layer, 41'943'040);
  EXPECT_EQ(c.total, 46'702'792'704);  // Mistral: 46.7B
  // 32 x (41,943,040 + 352,354,304 + 8,192) + 2 x 131,072,000 + 4,096.
  EXPECT_EQ(c.active_per_token, 12'879'925'248);  // Mistral: 12.9B active
  EXPECT_NEAR(static_cast<double>(c.active_per_token), 12.9e9, 0.05e9);
}

// A tiny Llama with an explicit head_dim (q width 12 != hidden 8), small
// enough to count on paper.
constexpr const char* kTiny = R"({"model_type": "llama", "hidden_size": 8, "intermediate_size": 16,
    "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 6,
    "vocab_size": 10, "max_position_embeddings": 64})";

TEST(ModelCountTest, TinyLlamaByHand) {
  ParameterCount c = CountParameters(MustParse(kTiny));
  EXPECT_EQ(c.attention_per_layer, 8 * 12 + 2 * 8 * 6 + 12 * 8);  // 288
  EXPECT_EQ(c.mlp_per_layer, 3 * 8 * 16);                          // 384
  EXPECT_EQ(c.norms_per_layer, 16);
  EXPECT_EQ(c.embeddings, 80);
  EXPECT_EQ(c.lm_head, 80);
  EXPECT_EQ(c.final_norm, 8);
  EXPECT_EQ(c.total, 856);
}

TEST(ModelCountTest, LlamaAttentionBiasCoversQkvAndO) {
  // transformers' LlamaAttention: q/k/v/o_proj all use bias=config.attention_bias.
  ParameterCount c = CountParameters(MustParse(With(kTiny, "\"vocab_size\"", "\"attention_bias\": true, \"vocab_size\"")));
  EXPECT_EQ(c.attention_per_layer, 288 + 12 + 2 * 6 + 8);
  EXPECT_EQ(c.mlp_per_layer, 384);
  EXPECT_EQ(c.total, 856 + 32);
}

TEST(ModelCountTest, LlamaMlpBiasCoversOnlyTheMlp) {
  // transformers' LlamaMLP: gate/up/down_proj use bias=config.mlp_bias.
  ParameterCount c = CountParameters(MustParse(With(kTiny, "\"vocab_size\"", "\"mlp_bias\": true, \"vocab_size\"")));
  EXPECT_EQ(c.attention_per_layer, 288);
  EXPECT_EQ(c.mlp_per_layer, 384 + 2 * 16 + 8);
  EXPECT_EQ(c.total, 856 + 40);
}

TEST(ModelCountTest, TiedLlamaHasNoLmHead) {
  ParameterCount c = CountParameters(MustParse(With(kTiny, "\"vocab_size\"", "\"tie_word_embeddings\": true, \"vocab_size\"")));
  EXPECT_EQ(c.lm_head, 0);
  EXPECT_EQ(c.total, 776);
}

// ---- Shipped models -----------------------------------------------------------------

TEST(ModelShippedTest, AllShippedNames) {
  EXPECT_EQ(ShippedModelNames(),
            (std::vector<std::string>{
                "deepseek-v3", "gemma-2-27b", "gemma-2-9b", "gemma-3-12b", "gemma-3-27b", "gpt-oss-120b",
                "gpt-oss-20b", "llama-2-13b", "llama-2-70b", "llama-2-7b", "llama-3.1-405b", "llama-3.1-70b", "llama-3.1-8b",
                "llama-3.2-1b", "llama-3.2-3b", "llama-3.3-70b", "llama-4-scout", "mistral-7b", "mistral-small-24b",
                "mixtral-8x7b", "opt-1.3b", "opt-13b", "opt-2.7b", "opt-30b", "opt-6.7b", "opt-66b", "phi-4",
                "qwen2.5-72b", "qwen2.5-7b", "qwen3-235b-a22b", "qwen3-30b-a3b", "qwen3-32b", "qwen3-8b"}));
}

TEST(ModelShippedTest, EveryShippedModelMatchesItsPublishedTotalWithinHalfAPercent) {
  // Published totals as the model cards / papers state them.
  const std::map<std::string, double> published = {
      {"opt-1.3b", 1'315'758'080}, {"opt-2.7b", 2'651'596'800}, {"opt-6.7b", 6'658'473'984},
      {"opt-13b", 12.85e9},        {"opt-30b", 29.97e9},        {"opt-66b", 65.7e9},
      {"llama-2-7b", 6.74e9},      {"llama-2-13b", 13.02e9},    {"llama-2-70b", 68.98e9},
      {"llama-3.1-8b", 8.03e9},    {"llama-3.1-70b", 70.6e9},   {"mistral-7b", 7.24e9},
      {"mixtral-8x7b", 46.7e9},    {"qwen2.5-7b", 7.61e9},      {"qwen2.5-72b", 72.7e9},
      // 2025-2026 models: model cards, the Hub's parameter count, papers (the shipped files cite each).
      {"llama-3.2-1b", 1.24e9},    {"llama-3.2-3b", 3.21e9},    {"llama-3.3-70b", 70.6e9},
      {"llama-4-scout", 109e9},    {"qwen3-8b", 8.2e9},         {"qwen3-32b", 32.8e9},
      {"qwen3-30b-a3b", 30.5e9},   {"qwen3-235b-a22b", 235e9},  {"gemma-2-9b", 9.24e9},
      {"gemma-2-27b", 27.2e9},     {"gemma-3-12b", 12.2e9},     {"gemma-3-27b", 27.4e9},
      {"phi-4", 14.7e9},           {"mistral-small-24b", 23.6e9}, {"deepseek-v3", 671e9},
      {"gpt-oss-20b", 20.91e9},    {"gpt-oss-120b", 116.83e9},  {"llama-3.1-405b", 405e9},
  };
  std::vector<std::string> names = ShippedModelNames();
  ASSERT_EQ(names.size(), published.size());
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    auto model = LoadModel(name);
    ASSERT_TRUE(model.ok()) << model.error().message();
    EXPECT_EQ(model->name, name);
    ASSERT_TRUE(published.count(name));
    EXPECT_EQ(model->published_params, published.at(name));
    const double total = static_cast<double>(CountParameters(*model).total);
    EXPECT_LT(std::abs(total - model->published_params) / model->published_params, 0.005)
        << "computed " << total << " vs published " << model->published_params;
    // gpt-oss's configs give no torch_dtype (MXFP4 experts, the rest bfloat16).
    EXPECT_TRUE(!model->torch_dtype.empty() || model->quant.quantized);
    EXPECT_EQ(model->source.rfind("https://huggingface.co/", 0), 0u) << model->source;
  }
}

TEST(ModelShippedTest, ExactCountsOfShippedFiles) {
  struct Expected {
    const char* name;
    int64_t total;
  };
  // The computed column of data/models/README.md, re-derived above for
  // OPT-2.7B, Llama-3.1-8B, Llama-2-7B, Mistral-7B, Qwen2.5-7B and Mixtral.
  for (const Expected& e : {Expected{"opt-1.3b", 1'315'758'080}, Expected{"opt-2.7b", 2'651'596'800},
                            Expected{"opt-6.7b", 6'658'473'984}, Expected{"llama-2-7b", 6'738'415'616},
                            Expected{"llama-3.1-8b", 8'030'261'248}, Expected{"mistral-7b", 7'241'732'096},
                            Expected{"mixtral-8x7b", 46'702'792'704}, Expected{"qwen2.5-7b", 7'615'616'512},
                            Expected{"llama-2-70b", 68'976'648'192}, Expected{"qwen2.5-72b", 72'706'203'648}}) {
    SCOPED_TRACE(e.name);
    auto model = LoadModel(e.name);
    ASSERT_TRUE(model.ok()) << model.error().message();
    EXPECT_EQ(CountParameters(*model).total, e.total);
  }
}

TEST(ModelShippedTest, ShippedMixtralActiveParameters) {
  auto model = LoadModel("mixtral-8x7b");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->family, ModelFamily::kMixtral);
  EXPECT_EQ(CountParameters(*model).active_per_token, 12'879'925'248);
}

TEST(ModelShippedTest, ShippedOpt27bFields) {
  auto model = LoadModel("opt-2.7b");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->family, ModelFamily::kOpt);
  EXPECT_EQ(model->num_layers, 32);
  EXPECT_EQ(model->hidden_size, 2560);
  EXPECT_TRUE(model->tie_word_embeddings);
  EXPECT_EQ(model->torch_dtype, "float16");
  EXPECT_EQ(model->source, "https://huggingface.co/facebook/opt-2.7b/blob/main/config.json");
  EXPECT_EQ(model->published_params, 2'651'596'800.0);
}

TEST(ModelLoadTest, NamesAreCaseInsensitiveAndTrimmed) {
  for (const char* name : {"OPT-2.7B", "Opt-2.7b", " opt-2.7b "}) {
    SCOPED_TRACE(name);
    auto model = LoadModel(name);
    ASSERT_TRUE(model.ok()) << model.error().message();
    EXPECT_EQ(model->name, "opt-2.7b");
    EXPECT_EQ(model->hidden_size, 2560);
  }
}

TEST(ModelLoadTest, UnknownNameSuggestsTheClosest) {
  auto typo = LoadModel("lama-3.1-8b");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(typo.error().message(),
            "unknown model 'lama-3.1-8b' (did you mean 'llama-3.1-8b'?) (`infersave models` lists the "
            "shipped ones; or give a path to a .json file)");
  auto prefix = LoadModel("opt-2.7");
  ASSERT_FALSE(prefix.ok());
  EXPECT_EQ(prefix.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(prefix.error().message(),
            "unknown model 'opt-2.7' (did you mean 'opt-2.7b'?) (`infersave models` lists the shipped "
            "ones; or give a path to a .json file)");
  auto far = LoadModel("gpt-4");
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(far.error().message(),
            "unknown model 'gpt-4' (`infersave models` lists the shipped ones; or give a path to a .json file)");
}

TEST(ModelLoadTest, EmptyName) {
  auto model = LoadModel("  ");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(model.error().message(), "empty model name");
}

TEST(ModelLoadTest, MissingFile) {
  auto model = LoadModel("/nonexistent-infersave-dir/config.json");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code(), ErrorCode::kIo);
  EXPECT_EQ(model.error().message(),
            "cannot read /nonexistent-infersave-dir/config.json: No such file or directory");
}

}  // namespace
}  // namespace infersave
