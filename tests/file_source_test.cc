// Tests for the injected file source (include/infersave/file_source.h): every
// loader reads the files a request names through it, so a service can refuse
// paths and a test can serve files from memory.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "infersave/datasets.h"
#include "infersave/file_source.h"
#include "infersave/serving_workload.h"
#include "infersave/shipped.h"

namespace infersave {
namespace {

// Files from memory; records what was asked for.
class MemoryFiles final : public FileSource {
 public:
  explicit MemoryFiles(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  Result<std::string> Read(std::string_view path) const override {
    reads_.emplace_back(path);
    auto it = files_.find(std::string(path));
    if (it == files_.end()) return IoError("no such file in memory: " + std::string(path));
    return it->second;
  }
  mutable std::vector<std::string> reads_;

 private:
  std::map<std::string, std::string> files_;
};

const GpuTable& Gpus() {
  static const GpuTable gpus = *LoadGpuTable("");
  return gpus;
}

TEST(FileSourceTest, NoFilesRefusesEveryPathButShippedNamesStillLoad) {
  const std::string refused = "file paths are not accepted here, got \"/etc/passwd.json\" (name shipped data, or "
                              "send the file's content)";
  auto model = LoadModel("/etc/passwd.json", NoFiles());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(model.error().message(), refused);
  EXPECT_FALSE(LoadCatalog("../secrets.csv", Gpus(), "", NoFiles()).ok());
  EXPECT_FALSE(LoadEngine("x/engine.json", NoFiles()).ok());
  EXPECT_FALSE(LoadCalibration("cal.json", NoFiles()).ok());
  EXPECT_FALSE(LoadGpuTable("gpus.csv", NoFiles()).ok());
  EXPECT_FALSE(LoadDataset("runs.csv", "/nonexistent", Gpus(), nullptr, NoFiles()).ok());
  EXPECT_FALSE(ParseLengthSpec("file:/etc/hosts", "prompt", NoFiles()).ok());
  auto workload = ParseWorkloadFile(R"({"trace": "/etc/trace.csv"})", "w.json", "", NoFiles());
  ASSERT_FALSE(workload.ok());
  EXPECT_EQ(workload.error().code(), ErrorCode::kInvalidArgument);  // the refusal's code, not a parse error
  EXPECT_EQ(workload.error().message(),
            "w.json: trace: file paths are not accepted here, got \"/etc/trace.csv\" (name shipped data, or send "
            "the file's content)");

  // Names never touch the file source.
  auto shipped = LoadModel("llama-3.1-8b", NoFiles());
  ASSERT_TRUE(shipped.ok()) << shipped.error().message();
  EXPECT_EQ(shipped->num_layers, 32);
  EXPECT_TRUE(LoadCatalog("aws", Gpus(), "", NoFiles()).ok());
}

TEST(FileSourceTest, LoadersReadThroughTheInjectedSource) {
  // Llama-3.1-8B's dimensions (its config.json), under a path that does not exist on disk.
  MemoryFiles files({{"in/memory/config.json",
                      R"({"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
                          "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
                          "vocab_size": 128256, "max_position_embeddings": 131072,
                          "torch_dtype": "bfloat16"})"},
                     {"lengths.txt", "100\n300\n"}});
  auto model = LoadModel("in/memory/config.json", files);
  ASSERT_TRUE(model.ok()) << model.error().message();
  EXPECT_EQ(model->hidden_size, 4096);
  EXPECT_EQ(model->num_kv_heads, 8);
  EXPECT_EQ(files.reads_, std::vector<std::string>{"in/memory/config.json"});

  auto lengths = ParseLengthSpec("file:lengths.txt", "prompt", files);
  ASSERT_TRUE(lengths.ok()) << lengths.error().message();
  EXPECT_EQ(lengths->values_tokens, (std::vector<int64_t>{100, 300}));

  auto missing = LoadCatalog("in/memory/none.csv", Gpus(), "", files);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIo);
  EXPECT_EQ(missing.error().message(), "no such file in memory: in/memory/none.csv");
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

// Issue 12 item 3: the public datasets' adapters read their files through
// the file source too, so that they can be fed text from anywhere.
TEST(FileSourceTest, DatasetAdaptersReadThroughTheFileSource) {
  const std::string header =
      "system,model,gpu,num_gpus,host_dram_gb,ssd_tb,cloud,precision,input_len,output_len,effective_batch_size,"
      "lowest_offload_tier,metric,unit,value,source\n";
  MemoryFiles files({{"mem/flexgen-t4-offloading-throughput.csv",
                      header +
                          "FlexGen,OPT-6.7B,T4 16GB,1,208,1.5,GCP,fp16,512,32,2,gpu,generation throughput,tokens/s,"
                          "25.26,x\n"
                          "Hugging Face Accelerate,OPT-6.7B,T4 16GB,1,208,1.5,GCP,fp16,512,32,2,gpu,generation "
                          "throughput,tokens/s,25.12,x\n"}});
  auto d = LoadDataset("flexgen-t4", "mem", Gpus(), nullptr, files);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(files.reads_, (std::vector<std::string>{"mem/flexgen-t4-offloading-throughput.csv"}));
  ASSERT_EQ(d->rows.size(), 1u);
  EXPECT_EQ(d->rows[0].model, "opt-6.7b");
  EXPECT_EQ(d->rows[0].batch_size, 2);
  EXPECT_EQ(d->skipped.at("no engine profile for Hugging Face Accelerate"), 1);
  // A missing file is the file source's error, not a crash.
  MemoryFiles empty({});
  auto missing = LoadDataset("flexgen-t4", "mem", Gpus(), nullptr, empty);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "no such file in memory: mem/flexgen-t4-offloading-throughput.csv");
}

}  // namespace
}  // namespace infersave
