// Tests for the public-data adapters (include/infersave/datasets.h). The
// hand-checked values come from the files in ../shared/validation-data; the
// tests that read them skip when that folder is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "infersave/datasets.h"
#include "infersave/serving_validation.h"
#include "infersave/shipped.h"
#include "test_util.h"

namespace infersave {
namespace {

namespace fs = std::filesystem;

std::string DataDir() { return std::string(INFERSAVE_SOURCE_DIR) + "/../shared/validation-data"; }

bool HaveData() { return fs::is_directory(DataDir()); }

#define REQUIRE_VALIDATION_DATA()                                                                       \
  do {                                                                                                  \
    if (!HaveData()) GTEST_SKIP() << "validation data folder not found: " << DataDir()                 \
                                  << " (../shared/validation-data beside the checkout)";                \
  } while (0)

const GpuTable& Gpus() {
  static const GpuTable table = *LoadGpuTable("");
  return table;
}

// Each dataset is loaded once for all tests.
const Dataset& Load(const std::string& name) {
  static std::map<std::string, Dataset> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto d = LoadDataset(name, DataDir(), Gpus());
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message());
    it = cache.emplace(name, d.ok() ? *d : Dataset{}).first;
  }
  return it->second;
}

const Measurement* Row(const Dataset& d, const std::string& source) {
  for (const Measurement& m : d.rows) {
    if (m.source == source) return &m;
  }
  ADD_FAILURE() << d.name << ": no row from " << source;
  return nullptr;
}

int Skipped(const Dataset& d, const std::string& reason) {
  auto it = d.skipped.find(reason);
  return it == d.skipped.end() ? 0 : it->second;
}

int TotalSkipped(const Dataset& d) {
  int n = 0;
  for (const auto& [reason, count] : d.skipped) n += count;
  return n;
}

// A scratch folder laid out like the validation data folder.
std::string ScratchDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / ("infersave_datasets_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void WriteFile(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// ---- Without the data --------------------------------------------------------

TEST(DatasetsTest, NamesInFixedOrder) {
  EXPECT_EQ(DatasetNames(),
            (std::vector<std::string>{"argonne", "argonne-ttft", "tgi-sagemaker", "llamacpp", "flexgen-t4"}));
}

TEST(DatasetsTest, UnknownNameIsNotFoundWithHint) {
  auto d = LoadDataset("argone", DataDir(), Gpus());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(d.error().message().find("unknown dataset 'argone'"), std::string::npos) << d.error().message();
  EXPECT_NE(d.error().message().find("did you mean 'argonne'?"), std::string::npos) << d.error().message();
  EXPECT_NE(d.error().message().find("argonne, argonne-ttft, tgi-sagemaker, llamacpp, flexgen-t4"),
            std::string::npos)
      << d.error().message();
  EXPECT_NE(d.error().message().find("path to a measurements .csv"), std::string::npos) << d.error().message();
}

TEST(DatasetsTest, MissingFolderIsInvalidInput) {
  for (const std::string& name : DatasetNames()) {
    auto d = LoadDataset(name, "/nonexistent/validation-data", Gpus());
    ASSERT_FALSE(d.ok()) << name;
    EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput);
    EXPECT_EQ(d.error().message(), "validation data folder '/nonexistent/validation-data' not found");
  }
  auto gemms = LoadVidurGemms("/nonexistent/validation-data", Gpus());
  ASSERT_FALSE(gemms.ok());
  EXPECT_EQ(gemms.error().code(), ErrorCode::kInvalidInput);
  auto reduce = LoadVidurAllReduce("/nonexistent/validation-data", Gpus());
  ASSERT_FALSE(reduce.ok());
  EXPECT_EQ(reduce.error().code(), ErrorCode::kInvalidInput);
}

TEST(DatasetsTest, PathReadsAMeasurementsFile) {
  std::string dir = ScratchDir("path");
  std::string path = dir + "/mine.csv";
  WriteFile(path,
            "gpu,engine,model,batch_size,input_len,output_len,total_s\n"
            "T4,flexgen,opt-6.7b,4,512,32,12.5\n");
  auto d = LoadDataset(path, "/nonexistent", Gpus());
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->name, path);
  EXPECT_EQ(d->description, "measurements file");
  ASSERT_EQ(d->rows.size(), 1u);
  EXPECT_EQ(d->rows[0].batch_size, 4);
  EXPECT_EQ(d->rows[0].total_s, 12.5);

  auto missing = LoadDataset(dir + "/absent.csv", "/nonexistent", Gpus());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("absent.csv"), std::string::npos) << missing.error().message();
}

// Issue 12: one rule tells paths from names, for datasets as for models and
// catalogs. A bare "runs.csv" is a file (it used to be parsed without the
// catalog by `calibrate --catalog aws`, so its instance column failed).
TEST(DatasetsTest, OneRuleTellsPathsFromNames) {
  for (const char* path : {"runs.csv", "RUNS.CSV", "./runs", "dir/mine.txt", "cfg.json", "/abs/x"}) {
    EXPECT_TRUE(IsPathArgument(path)) << path;
  }
  for (const char* name : {"aws", "argonne", "llama-3.1-8b", "csv", ".csv", "public"}) {
    EXPECT_FALSE(IsPathArgument(name)) << name;
  }
}

TEST(DatasetsTest, BareFileNameWithInstanceColumnUsesTheCatalog) {
  const std::string dir = ScratchDir("bare");
  WriteFile(dir + "/runs.csv",
            "instance,engine,model,batch_size,input_len,output_len,total_s\n"
            "g5.xlarge,vllm,llama-2-7b,1,10,10,1\n");
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  const Catalog catalog = testing::ShippedCatalog("aws");
  auto with_catalog = LoadDataset("runs.csv", "/nonexistent", Gpus(), &catalog);
  auto without = LoadDataset("runs.csv", "/nonexistent", Gpus());
  std::filesystem::current_path(before);
  ASSERT_TRUE(with_catalog.ok()) << with_catalog.error().message();
  ASSERT_EQ(with_catalog->rows.size(), 1u);
  EXPECT_EQ(with_catalog->rows[0].gpu, "A10G");
  ASSERT_FALSE(without.ok());
  EXPECT_EQ(without.error().message(), "runs.csv:2: column 'instance': unknown instance \"g5.xlarge\" (give a catalog that lists it, or a 'gpu')");
}

constexpr const char* kFlexGenHeader =
    "system,model,gpu,num_gpus,host_dram_gb,ssd_tb,cloud,precision,input_len,output_len,effective_batch_size,"
    "lowest_offload_tier,metric,unit,value,source";

TEST(DatasetsTest, CrlfAndTrailingBlankLinesAreRead) {
  std::string dir = ScratchDir("crlf");
  WriteFile(dir + "/flexgen-t4-offloading-throughput.csv",
            std::string(kFlexGenHeader) +
                "\r\nFlexGen,OPT-30B,T4 16GB,1,208,1.5,GCP,fp16,512,32,144,cpu,generation throughput,tokens/s,"
                "7.32,x\r\n"
                "FlexGen with Compression,OPT-30B,T4 16GB,1,208,1.5,GCP,4-bit (\"group-wise\"),512,32,512,cpu,"
                "generation throughput,tokens/s,8.38,x\r\n\r\n\r\n");
  auto d = LoadDataset("flexgen-t4", dir, Gpus());
  ASSERT_TRUE(d.ok()) << d.error().message();
  ASSERT_EQ(d->rows.size(), 1u);
  EXPECT_EQ(d->rows[0].batch_size, 144);
  EXPECT_EQ(d->rows[0].throughput_tps, 7.32);
  EXPECT_EQ(d->rows[0].source, "flexgen-t4 flexgen-t4-offloading-throughput.csv:2");
  EXPECT_EQ(Skipped(*d, "FlexGen with 4-bit compression (not modelled)"), 1);
}

TEST(DatasetsTest, MalformedValueNamesFileAndLine) {
  std::string dir = ScratchDir("malformed");
  std::string path = dir + "/flexgen-t4-offloading-throughput.csv";
  WriteFile(path, std::string(kFlexGenHeader) +
                      "\nFlexGen,OPT-6.7B,T4 16GB,1,208,1.5,GCP,fp16,512,32,2,gpu,generation throughput,tokens/s,"
                      "25.26,x\n"
                      "FlexGen,OPT-30B,T4 16GB,1,208,1.5,GCP,fp16,512,32,144,cpu,generation throughput,tokens/s,"
                      "fast,x\n");
  auto d = LoadDataset("flexgen-t4", dir, Gpus());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(d.error().message().find(path + ":3: column 'value'"), std::string::npos) << d.error().message();

  std::string other = ScratchDir("missing_file");
  auto absent = LoadDataset("tgi-sagemaker", other, Gpus());
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.error().message().find("philschmid-tgi-sagemaker--results--sagemaker.csv"), std::string::npos)
      << absent.error().message();
}

// ---- Argonne ---------------------------------------------------------------------

TEST(DatasetsDataTest, ArgonneFirstH100VllmLlama2Row) {
  REQUIRE_VALIDATION_DATA();
  const Dataset& d = Load("argonne");
  // All_results.csv line 1475:
  // Nvidia H100 GPU,1,vLLM,meta-llama/Llama-2-7b-hf,128,1,0.9326443687983555,274.48833506584873
  const Measurement* m = Row(d, "argonne All_results.csv:1475");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->gpu, "H100");
  EXPECT_EQ(m->engine, "vllm");
  EXPECT_EQ(m->model, "llama-2-7b");
  EXPECT_EQ(m->precision, Precision::kFp16);
  EXPECT_EQ(m->tp, 1);
  EXPECT_EQ(m->batch_size, 1);
  EXPECT_EQ(m->input_len, 128);
  EXPECT_EQ(m->output_len, 128);
  EXPECT_EQ(m->total_s, 0.9326443687983555);
  EXPECT_EQ(m->throughput_tps, 274.48833506584873);
  EXPECT_EQ(m->counts, TokensCounted::kInputAndOutput);
  EXPECT_FALSE(m->prefill_s.has_value());
  EXPECT_FALSE(m->decode_s_per_token.has_value());
}

TEST(DatasetsDataTest, ArgonneMappingAndSkips) {
  REQUIRE_VALIDATION_DATA();
  const Dataset& d = Load("argonne");
  EXPECT_EQ(d.rows.size() + TotalSkipped(d), 4772u);  // every data row, once
  EXPECT_EQ(d.rows.size(), 1904u);
  // MI300X rows are read (vLLM's ROCm build); its llama.cpp rows are skipped like the others.
  EXPECT_EQ(Skipped(d, "llama.cpp: its Batch Size is llama-bench's prompt batch, not concurrent sequences"), 940);
  EXPECT_EQ(Skipped(d, "no engine profile for Deepspeed-MII"), 173);
  EXPECT_EQ(Skipped(d, "hardware not in the GPU table: AMD MI300X GPU"), 0);
  EXPECT_EQ(Skipped(d, "no config shipped for huggyllama/llama-7b"), 21);
  EXPECT_EQ(Skipped(d, "input + output longer than the model's context (failed run in the source)"), 4);
  EXPECT_EQ(Skipped(d, "faster than reading the weights once per forward pass at peak memory bandwidth (failed run "
                       "in the source)"),
            12);
  EXPECT_EQ(Skipped(d, "took less time than the same run at a shorter length (failed run in the source)"), 8);
  for (const Measurement& m : d.rows) {
    EXPECT_TRUE(m.gpu == "A100" || m.gpu == "H100" || m.gpu == "GH200" || m.gpu == "MI300X") << m.source;
    EXPECT_TRUE(m.engine == (m.gpu == "MI300X" ? "vllm-rocm" : m.engine)) << m.source;
    EXPECT_TRUE(m.engine == "vllm" || m.engine == "tensorrt-llm" || m.engine == "vllm-rocm") << m.source;
    EXPECT_EQ(m.input_len, m.output_len) << m.source;
    ASSERT_TRUE(m.total_s && m.throughput_tps) << m.source;
    const double expected = static_cast<double>(m.batch_size * (m.input_len + m.output_len)) / *m.total_s;
    EXPECT_NEAR(*m.throughput_tps, expected, 0.01 * expected) << m.source;
    EXPECT_NEAR(*m.MeasuredTotalSeconds(), *m.total_s, 0.01 * *m.total_s) << m.source;
  }
  // Qwen2-7B maps to the shipped qwen2.5-7b; line 1467 (Qwen2-72B at 1024
  // taking 0.96 s after 9.99 s at 512) is a failed run and is left out.
  EXPECT_EQ(Row(d, "argonne All_results.csv:1407")->model, "qwen2.5-7b");
  for (const Measurement& m : d.rows) EXPECT_NE(m.source, "argonne All_results.csv:1467");
}

TEST(DatasetsDataTest, ArgonneTimeToFirstToken) {
  REQUIRE_VALIDATION_DATA();
  const Dataset& d = Load("argonne-ttft");
  EXPECT_EQ(d.rows.size(), 21u);  // A100, H100, GH200 and MI300X, each with vLLM and (not MI300X) TensorRT-LLM
  EXPECT_EQ(d.rows.size() + TotalSkipped(d), 30u);
  // Line 11: Nvidia H100 GPU,1,vLLM,meta-llama/Llama-2-7b-hf,1024,1,16,0.4216477160962919,13.16...
  const Measurement* m = Row(d, "argonne TTFT_ITL.csv:11");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->gpu, "H100");
  EXPECT_EQ(m->engine, "vllm");
  EXPECT_EQ(m->batch_size, 16);
  EXPECT_EQ(m->input_len, 1024);
  EXPECT_EQ(m->output_len, 1);
  EXPECT_EQ(m->prefill_s, 0.4216477160962919);
  EXPECT_FALSE(m->total_s.has_value());  // end_latency is another run's (output 1024) latency
  // Line 40 lacks the end_latency field in the source.
  const Measurement* gh = Row(d, "argonne TTFT_ITL.csv:40");
  ASSERT_NE(gh, nullptr);
  EXPECT_EQ(gh->gpu, "GH200");
  EXPECT_EQ(gh->engine, "tensorrt-llm");
  EXPECT_EQ(gh->prefill_s, 0.3281266689300537);
}

// ---- TGI ----------------------------------------------------------------------------

TEST(DatasetsDataTest, TgiSageMaker) {
  REQUIRE_VALIDATION_DATA();
  const Dataset& d = Load("tgi-sagemaker");
  EXPECT_EQ(d.rows.size(), 36u);
  EXPECT_EQ(d.skipped, (std::map<std::string, int>{{"quantization gptq (not modelled yet)", 24}}));
  // Line 2: meta-llama/Llama-2-7b-hf on ml.p4d.24xlarge, TP 8, 20 users,
  // 496.16 tokens/s, 38.696102 ms/token median, 2015.47 ms mean request.
  const Measurement* m = Row(d, "tgi-sagemaker sagemaker.csv:2");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->gpu, "A100");
  EXPECT_EQ(m->engine, "tgi");
  EXPECT_EQ(m->model, "llama-2-7b");
  EXPECT_EQ(m->tp, 8);
  EXPECT_EQ(m->batch_size, 20);
  EXPECT_EQ(m->input_len, 10);
  EXPECT_EQ(m->output_len, 50);
  EXPECT_DOUBLE_EQ(*m->decode_s_per_token, 0.038696102);
  EXPECT_EQ(m->throughput_tps, 496.1627136046404);
  EXPECT_EQ(m->counts, TokensCounted::kOutput);
  // Output tokens / throughput is the mean request latency.
  EXPECT_NEAR(*m->MeasuredTotalSeconds(), 2.0154678547587005, 1e-6);
  const Measurement* g5 = Row(d, "tgi-sagemaker sagemaker.csv:48");  // ml.g5.2xlarge, 1 user
  ASSERT_NE(g5, nullptr);
  EXPECT_EQ(g5->gpu, "A10G");
  EXPECT_EQ(g5->tp, 1);
  EXPECT_EQ(g5->batch_size, 1);
}

// ---- llama.cpp ----------------------------------------------------------------------

TEST(DatasetsDataTest, LlamaCpp) {
  REQUIRE_VALIDATION_DATA();
  const Dataset& d = Load("llamacpp");
  EXPECT_EQ(d.rows.size(), 24u);
  EXPECT_EQ(d.rows.size() + TotalSkipped(d), 712u);
  EXPECT_EQ(Skipped(d, "precision Q4_K_M (quantized weights not modelled yet)"), 424);
  EXPECT_EQ(Skipped(d, "several GPUs: llama.cpp splits layers across them (pipeline-style), not tensor parallel"),
            192);
  EXPECT_EQ(Skipped(d, "anomalous in the source: F16 prompt processing on one A100 SXM or L40S"), 8);
  EXPECT_EQ(Skipped(d, "GPU not in the GPU table: 4090 24GB"), 8);
  EXPECT_EQ(Skipped(d, "GPU not in the GPU table: A100 PCIe 80GB"), 8);
  // Line 450: H100 PCIe 80GB, Meta-Llama-3-8B, F16, tg512, 68.03 tokens/s.
  const Measurement* tg = Row(d, "llamacpp xiongjiedai-llamacpp-llama3-nvidia.csv:450");
  ASSERT_NE(tg, nullptr);
  EXPECT_EQ(tg->gpu, "H100-PCIe");
  EXPECT_EQ(tg->engine, "llamacpp");
  EXPECT_EQ(tg->model, "llama-3.1-8b");
  EXPECT_EQ(tg->batch_size, 1);
  EXPECT_EQ(tg->input_len, 1);
  EXPECT_EQ(tg->output_len, 512);
  EXPECT_DOUBLE_EQ(*tg->decode_s_per_token, 1.0 / 68.03);
  EXPECT_FALSE(tg->prefill_s.has_value());
  // Line 454: the same GPU, pp512 at 10815.51 tokens/s.
  const Measurement* pp = Row(d, "llamacpp xiongjiedai-llamacpp-llama3-nvidia.csv:454");
  ASSERT_NE(pp, nullptr);
  EXPECT_EQ(pp->input_len, 512);
  EXPECT_EQ(pp->output_len, 1);
  EXPECT_DOUBLE_EQ(*pp->prefill_s, 512 / 10815.51);
  for (const Measurement& m : d.rows) {
    if (m.gpu == "A100-80GB" || m.gpu == "L40S") {
      EXPECT_FALSE(m.prefill_s.has_value()) << m.source;
    }
  }
}

// ---- FlexGen ------------------------------------------------------------------------

TEST(DatasetsDataTest, FlexGenT4) {
  REQUIRE_VALIDATION_DATA();
  const Dataset& d = Load("flexgen-t4");
  ASSERT_EQ(d.rows.size(), 2u);
  EXPECT_EQ(d.rows.size() + TotalSkipped(d), 13u);
  EXPECT_EQ(Skipped(d, "weights offloaded to disk (not modelled)"), 1);
  EXPECT_EQ(Skipped(d, "FlexGen with 4-bit compression (not modelled)"), 3);
  // Line 10: FlexGen, OPT-30B, T4, fp16, 512 in, 32 out, batch 144, 7.32 tokens/s.
  const Measurement* m = Row(d, "flexgen-t4 flexgen-t4-offloading-throughput.csv:10");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->gpu, "T4");
  EXPECT_EQ(m->engine, "flexgen");
  EXPECT_EQ(m->model, "opt-30b");
  EXPECT_EQ(m->batch_size, 144);
  EXPECT_EQ(m->input_len, 512);
  EXPECT_EQ(m->output_len, 32);
  EXPECT_EQ(m->throughput_tps, 7.32);
  EXPECT_EQ(m->counts, TokensCounted::kOutput);
  EXPECT_DOUBLE_EQ(*m->MeasuredTotalSeconds(), 144.0 * 32 / 7.32);
}

// ---- Vidur --------------------------------------------------------------------------

TEST(DatasetsDataTest, VidurGemms) {
  REQUIRE_VALIDATION_DATA();
  auto gemms = LoadVidurGemms(DataDir(), Gpus());
  ASSERT_TRUE(gemms.ok()) << gemms.error().message();
  EXPECT_EQ(gemms->size(), 4u * 20091u);  // four GEMMs per profiled row
  const std::string first = "vidur--compute--a100--meta-llama--Llama-2-7b-hf--mlp.csv:2";
  std::map<std::string, const GemmMeasurement*> ops;
  for (const GemmMeasurement& g : *gemms) {
    if (g.source == first) ops[g.op] = &g;
  }
  ASSERT_EQ(ops.size(), 4u);
  const GemmMeasurement& qkv = *ops["attn_pre_proj"];
  EXPECT_EQ(qkv.gpu, "A100-80GB");
  EXPECT_EQ(qkv.model, "meta-llama/Llama-2-7b-hf");
  EXPECT_EQ(qkv.tokens, 4096);
  EXPECT_EQ(qkv.tp, 1);
  EXPECT_EQ(qkv.k, 4096);
  EXPECT_EQ(qkv.n, 12288);
  EXPECT_DOUBLE_EQ(qkv.measured_s, 1.911e-3);
  EXPECT_EQ(ops["attn_post_proj"]->k, 4096);
  EXPECT_EQ(ops["attn_post_proj"]->n, 4096);
  EXPECT_DOUBLE_EQ(ops["attn_post_proj"]->measured_s, 0.611e-3);
  EXPECT_EQ(ops["mlp_up_proj"]->k, 4096);
  EXPECT_EQ(ops["mlp_up_proj"]->n, 22016);  // gate and up fused
  EXPECT_DOUBLE_EQ(ops["mlp_up_proj"]->measured_s, 3.3655e-3);
  EXPECT_EQ(ops["mlp_down_proj"]->k, 11008);
  EXPECT_EQ(ops["mlp_down_proj"]->n, 4096);
  EXPECT_DOUBLE_EQ(ops["mlp_down_proj"]->measured_s, 1.604e-3);
  // Tensor-parallel shards: Llama-2-70B (64 heads, 8 KV heads of 128) at TP 8.
  bool seen_tp8 = false;
  for (const GemmMeasurement& g : *gemms) {
    if (g.model == "meta-llama/Llama-2-70b-hf" && g.tp == 8 && g.op == "attn_pre_proj") {
      EXPECT_EQ(g.k, 8192);
      EXPECT_EQ(g.n, (64 + 2 * 8) * 128 / 8);
      seen_tp8 = true;
    }
    if (g.model == "microsoft/phi-2" && g.op == "mlp_up_proj") {
      EXPECT_EQ(g.n, 10240);  // not gated
    }
  }
  EXPECT_TRUE(seen_tp8);
}

TEST(DatasetsDataTest, VidurAllReduce) {
  REQUIRE_VALIDATION_DATA();
  auto reduce = LoadVidurAllReduce(DataDir(), Gpus());
  ASSERT_TRUE(reduce.ok()) << reduce.error().message();
  EXPECT_EQ(reduce->size(), 12448u);
  const CollectiveMeasurement* first = nullptr;
  for (const CollectiveMeasurement& c : *reduce) {
    if (c.source == "vidur--network--h100_dgx--all_reduce.csv:2") first = &c;
    EXPECT_LE(c.gpus, 8) << c.source;  // rows spanning two nodes are left out
  }
  // Line 2: 0,0.015,0.038,0.03,0.037,0.0106,0,8,2048,all_reduce,8,8
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->system, "h100_dgx");
  EXPECT_EQ(first->gpu, "H100");
  EXPECT_EQ(first->collective, "all_reduce");
  EXPECT_EQ(first->gpus, 8);
  EXPECT_EQ(first->bytes, 2048);
  EXPECT_DOUBLE_EQ(first->measured_s, 0.037e-3);
}

}  // namespace
}  // namespace infersave

// ---- The simulator against measured serving runs ------------------------------------

namespace infersave {
namespace {

const ServingValidationRow* FindServingRow(const ServingValidationReport& r, std::string_view gpu,
                                           std::string_view model, std::string_view engine, int tp, int64_t users,
                                           std::string_view metric) {
  for (const ServingValidationRow& row : r.rows) {
    if (row.gpu == gpu && row.model == model && row.engine == engine && row.tp == tp && row.users == users &&
        row.metric == metric) {
      return &row;
    }
  }
  return nullptr;
}

// Argonne's 16 x 1024-token burst on one A100 with vLLM: measured 1.030 s to
// the last first token (argonne--Plots--Fig_22, Llama-2-7B). The simulator
// runs it as two 8192-token chunks; by hand, 16384 tokens x 2 x 6.74 B
// params / (312 TFLOP/s x 0.72) = 0.98 s of GEMMs: within 10%.
TEST(ServingValidationTest, ArgonneBurstTtft) {
  REQUIRE_VALIDATION_DATA();
  auto d = LoadDataset("argonne-ttft", DataDir(), Gpus());
  ASSERT_TRUE(d.ok()) << d.error().message();
  auto r = ValidateServing(*d, Gpus(), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->rows.size(), 21u);
  const ServingValidationRow* row = FindServingRow(*r, "A100", "llama-2-7b", "vllm", 1, 16, "TTFT");
  ASSERT_NE(row, nullptr);
  EXPECT_NEAR(row->measured, 1.030, 0.001);
  EXPECT_NEAR(row->simulated, row->measured, 0.10 * row->measured);
  EXPECT_LT(MedianApe(r->rows, "TTFT", false), 10.0);
}

// TGI's closed-loop users with equal lengths and no think time move in
// lockstep: every request starts and ends with the others, so the simulation
// equals the static batch of `users` sequences (checked per row), and one
// user's per-token latency on one A10G (Llama-2-7B, measured 30.96 ms) is the
// weights read at 75% of 600 GB/s plus overheads: within 35% (the step and
// per-sequence costs fitted on all 36 runs overshoot this lightest one).
TEST(ServingValidationTest, TgiClosedLoopUsers) {
  REQUIRE_VALIDATION_DATA();
  auto d = LoadDataset("tgi-sagemaker", DataDir(), Gpus());
  ASSERT_TRUE(d.ok()) << d.error().message();
  auto r = ValidateServing(*d, Gpus(), nullptr);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->rows.size(), 72u);  // 36 runs x (per-token latency, throughput)
  for (const ServingValidationRow& row : r->rows) {
    // To 0.01%: the static model counts L^2 / 2 attention pairs per prompt
    // and an LM head row per sequence, the iteration L (L + 1) / 2 and one row.
    EXPECT_NEAR(row.simulated, row.static_model, 1e-4 * row.static_model) << row.source << " " << row.metric;
  }
  const ServingValidationRow* one = FindServingRow(*r, "A10G", "llama-2-7b", "tgi", 1, 1, "per-token latency");
  ASSERT_NE(one, nullptr);
  EXPECT_NEAR(one->measured, 30.96, 0.01);
  EXPECT_NEAR(one->simulated, one->measured, 0.35 * one->measured);
}

}  // namespace
}  // namespace infersave
