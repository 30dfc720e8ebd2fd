// Benchmark result files as their tools write them (issue 15 item 1): each
// reader on a real file of its format (tests/fixtures/bench/SOURCES.md);
// expected values are the files' own figures, converted by hand.
#include "infersave/bench_files.h"

#include <gtest/gtest.h>

#include <cmath>

#include "infersave/file_source.h"
#include "test_util.h"

namespace infersave {
namespace {

std::string Fixture(const std::string& name) {
  auto text = LocalFiles().Read(std::string(INFERSAVE_SOURCE_DIR) + "/tests/fixtures/bench/" + name);
  EXPECT_TRUE(text.ok()) << name;
  return text.ok() ? *text : std::string();
}

Result<std::vector<Measurement>> Read(const std::string& name, BenchDefaults d = {}) {
  return ReadBenchFile(Fixture(name), name, d, testing::Gpus());
}

BenchDefaults OnGpu(std::string gpu) {
  BenchDefaults d;
  d.gpu = std::move(gpu);
  return d;
}

TEST(BenchFilesTest, DetectsEveryFormatFromTheContent) {
  const std::pair<const char*, BenchFormat> files[] = {
      {"nerdalert-benchmark_serving-single.json", BenchFormat::kVllmServe},
      {"er0080-vllm-bench-sweep-serve-summary.json", BenchFormat::kVllmServe},
      {"nvaction-benchmark_throughput-llama8B.json", BenchFormat::kVllmThroughput},
      {"sglang-2024-12-datacrunch-llama33-70b-online.jsonl", BenchFormat::kSglangServing},
      {"genai-perf-25.01-wellflat-legacy-input-config.json", BenchFormat::kGenaiPerf},
      {"aiperf-2026-01-wellflat-a100.trimmed.json", BenchFormat::kGenaiPerf},
      {"trtllm-bench-text-v0.17-trt-engine.txt", BenchFormat::kTrtllmBench},
      {"llmperf-leaderboard-anyscale-70b_summary.json", BenchFormat::kLlmperf},
      {"llamabench-readme-example.json", BenchFormat::kLlamaBench},
  };
  for (const auto& [name, format] : files) {
    EXPECT_EQ(DetectBenchFormat(Fixture(name)), format) << name;
  }
  EXPECT_FALSE(DetectBenchFormat("gpu,engine,model\nH100,vllm,llama-3.1-8b\n"));
  EXPECT_FALSE(DetectBenchFormat("{\"unrelated\": 1}"));
}

TEST(BenchFilesTest, VllmServe) {
  // 300 requests at 10 req/s; 299700 input and 80945 output tokens;
  // mean TTFT 54.5956 ms, mean TPOT 13.7110 ms, 2258.21 output tok/s.
  auto rows = Read("nerdalert-benchmark_serving-single.json", OnGpu("L40S"));
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  ASSERT_EQ(rows->size(), 1u);
  const Measurement& m = rows->front();
  EXPECT_EQ(m.model, "llama-3.2-3b");  // from meta-llama/Llama-3.2-3B-Instruct
  EXPECT_EQ(m.engine, "vllm");
  EXPECT_EQ(m.gpu, "L40S");
  EXPECT_EQ(*m.request_rate, 10);
  EXPECT_FALSE(m.concurrency);
  EXPECT_EQ(m.num_requests, 300);
  EXPECT_EQ(m.input_len, 999);     // 299700 / 300
  EXPECT_EQ(m.output_len, 270);    // 80945 / 300 = 269.8
  EXPECT_NEAR(*m.prefill_s, 0.0545956, 1e-6);
  EXPECT_NEAR(*m.decode_s_per_token, 0.0137110, 1e-6);
  EXPECT_NEAR(*m.throughput_tps, 2258.21, 0.01);
  EXPECT_EQ(m.counts, TokensCounted::kOutput);
}

TEST(BenchFilesTest, VllmServeWithPerRequestLengthsAndInfiniteRate) {
  auto rows = Read("lambdalabs-benchmark_serving-v0.5.4-detailed.json", OnGpu("H100"));
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  const Measurement& m = rows->front();
  EXPECT_EQ(m.model, "llama-3.1-8b");  // neuralmagic/Meta-Llama-3.1-8B-FP8
  EXPECT_TRUE(std::isinf(*m.request_rate));
  EXPECT_EQ(m.num_requests, 10);
  ASSERT_TRUE(m.input_dist);
  EXPECT_EQ(m.input_dist->kind, LengthDistribution::Kind::kEmpirical);
  EXPECT_EQ(m.input_dist->values_tokens.size(), 10u);
  EXPECT_EQ(m.input_len, 137);  // 1369 / 10
}

TEST(BenchFilesTest, VllmSweepSummaryNeedsAModelTheToolKnows) {
  // Its backend is "openai" (any OpenAI-compatible server): the engine is asked for.
  auto rows = Read("er0080-vllm-bench-sweep-serve-summary.json", OnGpu("H100"));
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().message(),
            "er0080-vllm-bench-sweep-serve-summary.json run 1: vllm bench serve does not say which engine served it: "
            "give the engine");
  BenchDefaults with_engine = OnGpu("H100");
  with_engine.engine = "vllm";
  rows = Read("er0080-vllm-bench-sweep-serve-summary.json", with_engine);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().message(),
            "er0080-vllm-bench-sweep-serve-summary.json run 1: model \"facebook/opt-125m\" is not a shipped model: "
            "give the model (a shipped name or a config.json path)");
  BenchDefaults d = with_engine;
  d.model = "opt-1.3b";
  rows = Read("er0080-vllm-bench-sweep-serve-summary.json", d);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_GE(rows->size(), 1u);
  EXPECT_EQ(*rows->front().concurrency, 2);
}

TEST(BenchFilesTest, VllmThroughputTakesItsLengthsFromTheCaller) {
  BenchDefaults d = OnGpu("H100");
  d.model = "llama-3.1-8b";
  auto rows = Read("nvaction-benchmark_throughput-llama8B.json", d);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().message(),
            "nvaction-benchmark_throughput-llama8B.json: vllm bench throughput records no input length: give the "
            "input and output lengths");
  // 200 requests and 86204 tokens: 431.02 per request.
  d.input_len = 300;
  d.output_len = 131;
  rows = Read("nvaction-benchmark_throughput-llama8B.json", d);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_TRUE(std::isinf(*rows->front().request_rate));
  EXPECT_EQ(rows->front().num_requests, 200);
  EXPECT_NEAR(*rows->front().throughput_tps, 1190.974, 0.001);
  EXPECT_EQ(rows->front().counts, TokensCounted::kInputAndOutput);
  d.output_len = 200;  // 200 x 500 = 100000, not 86204
  EXPECT_FALSE(Read("nvaction-benchmark_throughput-llama8B.json", d).ok());
}

TEST(BenchFilesTest, SglangJsonLines) {
  BenchDefaults d = OnGpu("H200");
  d.model = "llama-3.3-70b";
  d.engine = "vllm";  // no SGLang profile: read as vLLM-class
  d.tp = 8;
  auto rows = Read("sglang-2024-12-datacrunch-llama33-70b-online.jsonl", d);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  ASSERT_EQ(rows->size(), 7u);
  const Measurement& first = rows->front();
  EXPECT_EQ(*first.request_rate, 1);
  EXPECT_EQ(first.num_requests, 300);
  EXPECT_EQ(first.tp, 8);
  // random dataset, ratio 0: uniform over [0, 1024] tokens, drawn at >= 1.
  ASSERT_TRUE(first.input_dist);
  EXPECT_EQ(first.input_dist->kind, LengthDistribution::Kind::kUniform);
  EXPECT_EQ(first.input_dist->hi_tokens, 1024);
  EXPECT_EQ(first.input_len, 509);  // 152612 / 300
  // This SGLang version wrote medians only: no TTFT or TPOT, the throughput.
  EXPECT_FALSE(first.prefill_s);
  EXPECT_NEAR(*first.throughput_tps, 537.414, 0.001);
}

TEST(BenchFilesTest, GenaiPerfAndAiperf) {
  BenchDefaults d = OnGpu("A100-80GB");
  d.engine = "vllm";
  auto rows = Read("genai-perf-25.01-wellflat-legacy-input-config.json", d);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  const Measurement& g = rows->front();
  EXPECT_EQ(g.model, "gpt-oss-20b");  // openai/gpt-oss-20b
  EXPECT_EQ(*g.concurrency, 1);
  EXPECT_EQ(g.num_requests, 66);
  EXPECT_EQ(g.input_len, 153);   // 152.5
  EXPECT_EQ(g.output_len, 124);  // 124.39
  EXPECT_NEAR(*g.prefill_s, 2.1971987, 1e-6);
  EXPECT_NEAR(*g.decode_s_per_token, 0.0075034577, 1e-9);
  EXPECT_NEAR(*g.throughput_tps, 25.8248, 1e-4);

  rows = Read("aiperf-2026-01-wellflat-a100.trimmed.json", d);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  const Measurement& a = rows->front();
  EXPECT_EQ(*a.concurrency, 1);  // input_config.loadgen
  EXPECT_EQ(a.num_requests, 100);
  EXPECT_EQ(a.input_len, 196);
  EXPECT_NEAR(*a.prefill_s, 0.0828465, 1e-6);
  EXPECT_NEAR(*a.decode_s_per_token, 0.0180323, 1e-6);

  auto bare = Read("aiperf-0.10.0-awsbnkctl-go-test-fixture.json", d);
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.error().message(),
            "aiperf-0.10.0-awsbnkctl-go-test-fixture.json: the file does not name its model: give the model (a "
            "shipped name or a config.json path)");
}

TEST(BenchFilesTest, TrtllmBenchPrintedReports) {
  auto rows = Read("trtllm-bench-text-v0.17-trt-engine.txt", OnGpu("H100"));
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  const Measurement& m = rows->front();
  EXPECT_EQ(m.model, "llama-3.1-8b");
  EXPECT_EQ(m.engine, "tensorrt-llm");
  EXPECT_EQ(m.precision, Precision::kFp8);  // Quantization: FP8
  EXPECT_EQ(m.tp, 1);
  EXPECT_EQ(m.num_requests, 3000);
  EXPECT_EQ(m.input_len, 128);
  EXPECT_EQ(m.output_len, 128);
  EXPECT_TRUE(std::isinf(*m.request_rate));
  EXPECT_NEAR(*m.throughput_tps, 28390.4265, 1e-4);
  // The v0.20 overview block has TTFT and TPOT but not the request count.
  BenchDefaults d = OnGpu("H100");
  d.model = "llama-3.1-8b";
  auto streaming = Read("trtllm-bench-text-v0.20-streaming-perf-overview.txt", d);
  ASSERT_FALSE(streaming.ok());
  EXPECT_EQ(streaming.error().message(),
            "trtllm-bench-text-v0.20-streaming-perf-overview.txt: missing or invalid request_info.num_requests");
}

TEST(BenchFilesTest, Llmperf) {
  BenchDefaults d = OnGpu("A100-80GB");
  d.engine = "vllm";
  d.tp = 4;
  auto rows = Read("llmperf-leaderboard-anyscale-70b_summary.json", d);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  const Measurement& m = rows->front();
  EXPECT_EQ(m.model, "llama-2-70b");  // meta-llama/Llama-2-70b-chat-hf
  EXPECT_EQ(*m.concurrency, 5);
  EXPECT_EQ(m.input_len, 550);
  EXPECT_EQ(m.output_len, 150);
  EXPECT_NEAR(*m.prefill_s, 0.2489027, 1e-6);
  // (2.35466677 - 0.24890269) / 149
  EXPECT_NEAR(*m.decode_s_per_token, (2.3546667737533324 - 0.24890269464666667) / 149, 1e-9);
}

TEST(BenchFilesTest, LlamaBenchPromptAndGenerationTests) {
  BenchDefaults d;
  d.model = "qwen2.5-7b";
  auto rows = Read("llamabench-readme-example.json", d);
  ASSERT_FALSE(rows.ok());  // RTX 4080 is not in the GPU table
  EXPECT_NE(rows.error().message().find("\"NVIDIA GeForce RTX 4080\""), std::string::npos);
  d.gpu = "L4";
  rows = Read("llamabench-readme-example.json", d);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  ASSERT_EQ(rows->size(), 2u);
  const Measurement& pp = (*rows)[0];
  EXPECT_EQ(pp.engine, "llamacpp");
  EXPECT_EQ(pp.precision, Precision::kInt4);  // Q4_K - Medium
  EXPECT_EQ(pp.input_len, 512);
  EXPECT_NEAR(*pp.prefill_s, 512 / 7100.002165, 1e-12);
  const Measurement& tg = (*rows)[1];
  EXPECT_EQ(tg.output_len, 128);
  EXPECT_NEAR(*tg.decode_s_per_token, 1 / 118.881588, 1e-12);
  // Q3_K is not modelled unless the caller says how to read it.
  auto q3 = Read("llamabench-brayniac-rtx4090.json", d);
  ASSERT_FALSE(q3.ok());
  EXPECT_NE(q3.error().message().find("\"llama ?B Q3_K - Large\" is not modelled"), std::string::npos);
}

TEST(BenchFilesTest, HfIdsMapToShippedModels) {
  EXPECT_EQ(ShippedModelForHfId("meta-llama/Llama-3.1-8B-Instruct"), "llama-3.1-8b");
  EXPECT_EQ(ShippedModelForHfId("meta-llama/Meta-Llama-3.1-70B-Instruct"), "llama-3.1-70b");
  EXPECT_EQ(ShippedModelForHfId("Qwen/Qwen3-8B"), "qwen3-8b");
  EXPECT_EQ(ShippedModelForHfId("facebook/opt-125m"), std::nullopt);
  EXPECT_EQ(ShippedModelForHfId(""), std::nullopt);
}

TEST(BenchFilesTest, MalformedFilesSayWhere) {
  auto bad = ReadBenchFile("{\"request_throughput\": 1, \"num_prompts\": 3,\n", "x.json", OnGpu("H100"),
                           testing::Gpus());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "x.json:1: not valid JSON (nor JSON Lines)");
  BenchDefaults d = OnGpu("H100");
  d.model = "llama-3.1-8b";
  d.engine = "vllm";
  auto no_rate = ReadBenchFile(R"({"request_throughput": 1, "num_prompts": 3, "completed": 3,
    "total_input_tokens": 30, "total_output_tokens": 30, "output_throughput": 5})",
                               "x.json", d, testing::Gpus());
  ASSERT_FALSE(no_rate.ok());
  EXPECT_EQ(no_rate.error().message(), "x.json: missing or invalid 'request_rate'");
}

}  // namespace
}  // namespace infersave
