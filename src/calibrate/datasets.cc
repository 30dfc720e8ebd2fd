// Adapters from public measurements (../shared/validation-data) to Measurement
// rows with our semantics. docs/validation-data.md says, per source, what was
// measured, how each column maps to ours, every assumption, and what is
// skipped and why; keep it in step with this file.
#include "infersave/datasets.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <system_error>

#include "infersave/model.h"
#include "infersave/shipped.h"
#include "calibrate/dataset_io.h"
#include "io/csv.h"
#include "io/text.h"

namespace infersave {
namespace {

namespace fs = std::filesystem;
using dataset_io::JoinPath;
using dataset_io::PositiveNumber;
using dataset_io::ReadCsvFile;
using dataset_io::RequireFolder;
using dataset_io::WholeNumber;

// ---- Shared mappings and checks ----------------------------------------------

const std::string* Lookup(const std::vector<std::pair<std::string, std::string>>& map, std::string_view key) {
  for (const auto& [from, to] : map) {
    if (from == key) return &to;
  }
  return nullptr;
}

// Argonne model ids -> shipped configs. Llama-3 and Qwen2 map to the shipped
// Llama-3.1 and Qwen2.5 configs, which have the same dimensions.
const std::vector<std::pair<std::string, std::string>>& ArgonneModels() {
  static const std::vector<std::pair<std::string, std::string>> m = {
      {"meta-llama/Llama-2-7b-hf", "llama-2-7b"},
      {"meta-llama/Llama-2-70b-hf", "llama-2-70b"},
      {"meta-llama/Meta-Llama-3-8B", "llama-3.1-8b"},
      {"meta-llama/Meta-Llama-3-70B", "llama-3.1-70b"},
      {"mistralai/Mistral-7B-v0.1", "mistral-7b"},
      {"mistralai/Mixtral-8x7B-v0.1", "mixtral-8x7b"},
      {"Qwen/Qwen2-7B", "qwen2.5-7b"},
      {"Qwen/Qwen2-72B", "qwen2.5-72b"},
      {"facebook/opt-6.7b", "opt-6.7b"},
  };
  return m;
}

// Argonne hardware -> GPU table names (assumptions in docs/validation-data.md).
const std::vector<std::pair<std::string, std::string>>& ArgonneGpus() {
  static const std::vector<std::pair<std::string, std::string>> m = {
      {"Nvidia A100 GPU", "A100"},  // Polaris: A100-SXM4-40GB
      {"Nvidia H100 GPU", "H100"},  // assumed H100 SXM 80GB
      {"Nvidia GH200 GPU", "GH200"},
      {"AMD MI300X GPU", "MI300X"},  // Argonne's JLSE MI300X node (192 GB)
  };
  return m;
}

const std::vector<std::pair<std::string, std::string>>& ArgonneEngines() {
  static const std::vector<std::pair<std::string, std::string>> m = {
      {"vLLM", "vllm"},
      {"TensorRT-LLM", "tensorrt-llm"},
  };
  return m;
}

// Shipped model configs, loaded once per adapter run.
class Models {
 public:
  Result<const ModelConfig*> Get(const std::string& name) {
    auto it = cache_.find(name);
    if (it == cache_.end()) {
      auto m = LoadModel(name);
      if (!m.ok()) return m.error();
      it = cache_.emplace(name, std::move(m).value()).first;
    }
    return &it->second;
  }

 private:
  std::map<std::string, ModelConfig> cache_;
};

// The time to read the weight matrices a token passes through (attention and
// the active MLP experts of every layer, one TP shard) `reads` times at the
// GPU's peak memory bandwidth. No real run can be faster: every forward pass
// (each decode step, and the prefill) reads every weight at least once, and
// they do not fit in any cache. Embeddings and the LM head are left out, so
// the floor is low.
double WeightReadFloorSeconds(const ModelConfig& model, const GpuSpec& gpu, int tp, double reads) {
  const ParameterCount p = CountParameters(model);
  const double params = static_cast<double>(model.num_layers) *
                        static_cast<double>(p.attention_per_layer + p.mlp_active_per_layer);
  const double bytes = params * BytesPerValue(Precision::kFp16) / std::max(tp, 1);
  return gpu.memory_bytes_per_s > 0 ? reads * bytes / gpu.memory_bytes_per_s : 0.0;
}

constexpr const char* kTooFast =
    "faster than reading the weights once per forward pass at peak memory bandwidth (failed run in the source)";
constexpr const char* kTooLong = "input + output longer than the model's context (failed run in the source)";

struct Adapter {
  std::string name;
  std::string description;
  // Reads the source's files through `files` (tests serve them from memory).
  std::function<Status(std::string_view data_dir, const GpuTable& gpus, const FileSource& files, Dataset& out)> run;
};

// ---- 1. Argonne All_results.csv ----------------------------------------------

constexpr std::string_view kArgonneDir = "argonne-llm-inference-bench";

// The checks common to both Argonne files; returns a skip reason or "".
// `gpu` is set to the table's GPU when the row is kept.
std::string ArgonneRowSkip(const io::CellReader& cells, const GpuTable& gpus, const GpuSpec** gpu,
                           std::string* engine, std::string* model) {
  const std::string hardware(cells.Text("Hardware"));
  const std::string* gpu_name = Lookup(ArgonneGpus(), hardware);
  if (!gpu_name) return fmt::format("hardware not in the GPU table: {}", hardware);
  const std::string framework(cells.Text("Framework"));
  if (framework == "llama.cpp") {
    return "llama.cpp: its Batch Size is llama-bench's prompt batch, not concurrent sequences";
  }
  const std::string* engine_name = Lookup(ArgonneEngines(), framework);
  if (!engine_name) return fmt::format("no engine profile for {}", framework);
  const std::string model_id(cells.Text("Model"));
  const std::string* model_name = Lookup(ArgonneModels(), model_id);
  if (!model_name) return fmt::format("no config shipped for {}", model_id);
  *gpu = gpus.Find(*gpu_name);
  if (!*gpu) return fmt::format("GPU not in the GPU table: {}", *gpu_name);
  // AMD GPUs run vLLM's ROCm build, which has its own profile.
  *engine = (*gpu)->vendor == "amd" && *engine_name == "vllm" ? "vllm-rocm" : *engine_name;
  if ((*gpu)->vendor == "amd" && *engine == "tensorrt-llm") return "TensorRT-LLM on an AMD GPU (mislabelled row)";
  *model = *model_name;
  return "";
}

// What both Argonne files give for a row: a Measurement with the GPU, engine,
// model, FP16, tensor-parallel degree and batch size filled in; nullopt (the
// skip reason counted in `out`) for a row we do not use.
Result<std::optional<Measurement>> ReadArgonneRow(const io::CellReader& cells, const GpuTable& gpus, Dataset& out) {
  const GpuSpec* gpu = nullptr;
  Measurement m;
  if (std::string why = ArgonneRowSkip(cells, gpus, &gpu, &m.engine, &m.model); !why.empty()) {
    ++out.skipped[why];
    return std::optional<Measurement>();
  }
  auto tp = WholeNumber(cells, "Num of Hardware");
  if (!tp.ok()) return tp.error();
  auto batch = WholeNumber(cells, "Batch Size");
  if (!batch.ok()) return batch.error();
  m.gpu = gpu->name;
  m.precision = Precision::kFp16;
  m.tp = static_cast<int>(*tp);
  m.batch_size = *batch;
  return std::optional<Measurement>(std::move(m));
}

Status RunArgonne(std::string_view data_dir, const GpuTable& gpus, const FileSource& files, Dataset& out) {
  const std::string path = JoinPath(data_dir, std::string(kArgonneDir) + "/argonne--Plots--All_results.csv");
  auto table = ReadCsvFile(files, path);
  if (!table.ok()) return table.error();
  if (Status s = io::RequireColumns(*table, {"Hardware", "Num of Hardware", "Framework", "Model",
                                             "Input Output Length", "Batch Size", "Latency", "Throughput"});
      !s.ok()) {
    return s;
  }
  Models models;
  std::vector<Measurement> kept;
  for (const io::CsvRecord& record : table->rows) {
    io::CellReader cells(*table, record);
    auto row = ReadArgonneRow(cells, gpus, out);
    if (!row.ok()) return row.error();
    if (!*row) continue;
    Measurement& m = **row;
    auto length = WholeNumber(cells, "Input Output Length");
    if (!length.ok()) return length.error();
    auto latency = PositiveNumber(cells, "Latency");
    if (!latency.ok()) return latency.error();
    auto throughput = PositiveNumber(cells, "Throughput");
    if (!throughput.ok()) return throughput.error();

    const double expected = static_cast<double>(m.batch_size) * 2.0 * static_cast<double>(*length) / *latency;
    if (std::abs(*throughput - expected) > 0.01 * expected) {
      ++out.skipped["Throughput disagrees with batch x (input + output) / Latency by more than 1%"];
      continue;
    }
    auto model = models.Get(m.model);
    if (!model.ok()) return model.error();
    if (2 * *length > (*model)->max_position_embeddings) {
      ++out.skipped[kTooLong];
      continue;
    }
    const GpuSpec* gpu = gpus.Find(m.gpu);
    if (*latency < WeightReadFloorSeconds(**model, *gpu, m.tp, static_cast<double>(*length))) {
      ++out.skipped[kTooFast];
      continue;
    }
    m.input_len = *length;
    m.output_len = *length;
    m.total_s = *latency;
    m.throughput_tps = *throughput;
    m.counts = TokensCounted::kInputAndOutput;
    m.source = fmt::format("argonne All_results.csv:{}", record.line);
    kept.push_back(std::move(m));
  }
  // A run with longer input and output (same hardware, engine, model, GPUs
  // and batch) does strictly more work; one that took less time than a
  // shorter run failed or was cut short (the source has such rows at the
  // longest lengths).
  auto same_series = [](const Measurement& a, const Measurement& b) {
    return a.gpu == b.gpu && a.engine == b.engine && a.model == b.model && a.tp == b.tp &&
           a.batch_size == b.batch_size;
  };
  for (const Measurement& m : kept) {
    const bool inverted = std::any_of(kept.begin(), kept.end(), [&](const Measurement& shorter) {
      return same_series(m, shorter) && shorter.input_len < m.input_len && *shorter.total_s > *m.total_s;
    });
    if (inverted) {
      ++out.skipped["took less time than the same run at a shorter length (failed run in the source)"];
    } else {
      out.rows.push_back(m);
    }
  }
  return Status::Ok();
}

// ---- 2. Argonne Fig_22 TTFT ----------------------------------------------------

Status RunArgonneTtft(std::string_view data_dir, const GpuTable& gpus, const FileSource& files, Dataset& out) {
  const std::string path =
      JoinPath(data_dir, std::string(kArgonneDir) + "/argonne--Plots--Fig_22--all_results_TTFT_ITL.csv");
  auto table = ReadCsvFile(files, path, /*pad_short_rows=*/true);
  if (!table.ok()) return table.error();
  if (Status s = io::RequireColumns(*table, {"Hardware", "Num of Hardware", "Framework", "Model", "Input Length",
                                             "Output Length", "Batch Size", "TTFT Latency"});
      !s.ok()) {
    return s;
  }
  for (const io::CsvRecord& record : table->rows) {
    io::CellReader cells(*table, record);
    auto row = ReadArgonneRow(cells, gpus, out);
    if (!row.ok()) return row.error();
    if (!*row) continue;
    Measurement& m = **row;
    auto input = WholeNumber(cells, "Input Length");
    if (!input.ok()) return input.error();
    auto output = WholeNumber(cells, "Output Length");
    if (!output.ok()) return output.error();
    auto ttft = PositiveNumber(cells, "TTFT Latency");
    if (!ttft.ok()) return ttft.error();
    m.input_len = *input;
    m.output_len = *output;
    m.prefill_s = *ttft;
    m.source = fmt::format("argonne TTFT_ITL.csv:{}", record.line);
    out.rows.push_back(std::move(m));
  }
  return Status::Ok();
}

// ---- 3. TGI on SageMaker -------------------------------------------------------

constexpr int64_t kTgiPromptTokens = 10;  // the benchmark's prompts: about 10 tokens

Status RunTgi(std::string_view data_dir, const GpuTable& gpus, const FileSource& files, Dataset& out) {
  const std::string path =
      JoinPath(data_dir, "philschmid-tgi-sagemaker/philschmid-tgi-sagemaker--results--sagemaker.csv");
  auto table = ReadCsvFile(files, path);
  if (!table.ok()) return table.error();
  const char* kUsers = "Virtual Users";
  const char* kThroughput = "Thorughput (tokens/second)";  // sic
  const char* kLatency = "Latency (ms/token) med";
  const char* kRequest = "Latency Request ms avg";
  const char* kTokens = "generated_tokens per request";
  if (Status s = io::RequireColumns(*table, {"Model Id", "Instance", "Tensor parallelism degree", "quantization",
                                             kTokens, kUsers, kThroughput, kLatency, kRequest});
      !s.ok()) {
    return s;
  }
  static const std::vector<std::pair<std::string, std::string>> kModels = {
      {"meta-llama/Llama-2-7b-hf", "llama-2-7b"},
      {"meta-llama/Llama-2-13b-hf", "llama-2-13b"},
      {"meta-llama/Llama-2-70b-hf", "llama-2-70b"},
  };
  // A SageMaker ml.<type> runs on the EC2 instance <type>: the shipped AWS
  // catalog's row (its GPU, host memory and GPU peer-to-peer access).
  auto aws = LoadCatalog("aws", gpus);
  if (!aws.ok()) return aws.error();
  Models models;
  for (const io::CsvRecord& record : table->rows) {
    io::CellReader cells(*table, record);
    const std::string quantization = io::ToLower(cells.Text("quantization"));
    if (quantization != "none") {
      ++out.skipped[fmt::format("quantization {} (not modelled yet)", quantization)];
      continue;
    }
    const std::string model_id(cells.Text("Model Id"));
    const std::string* model_name = Lookup(kModels, model_id);
    if (!model_name) {
      ++out.skipped[fmt::format("no config shipped for {}", model_id)];
      continue;
    }
    const std::string instance(cells.Text("Instance"));
    const Instance* inst = instance.rfind("ml.", 0) == 0 ? aws->Find(instance.substr(3)) : nullptr;
    if (!inst) {
      ++out.skipped[fmt::format("unknown instance {}", instance)];
      continue;
    }
    const GpuSpec* gpu = &inst->gpu;
    auto tp = WholeNumber(cells, "Tensor parallelism degree");
    if (!tp.ok()) return tp.error();
    if (*tp > inst->gpu_count) {
      return InvalidInput(fmt::format("{}: tensor parallelism {} but {} has {} GPUs",
                                      cells.Where("Tensor parallelism degree"), *tp, instance, inst->gpu_count));
    }
    auto tokens = WholeNumber(cells, kTokens);
    if (!tokens.ok()) return tokens.error();
    auto users = WholeNumber(cells, kUsers);
    if (!users.ok()) return users.error();
    auto throughput = PositiveNumber(cells, kThroughput);
    if (!throughput.ok()) return throughput.error();
    auto latency_ms = PositiveNumber(cells, kLatency);
    if (!latency_ms.ok()) return latency_ms.error();
    auto request_ms = PositiveNumber(cells, kRequest);
    if (!request_ms.ok()) return request_ms.error();
    // The throughput counts generated tokens only: users x tokens / mean request latency.
    const double expected = static_cast<double>(*users * *tokens) * 1000.0 / *request_ms;
    if (std::abs(*throughput - expected) > 0.01 * expected) {
      ++out.skipped["throughput disagrees with users x generated tokens / mean request latency by more than 1%"];
      continue;
    }
    auto model = models.Get(*model_name);
    if (!model.ok()) return model.error();
    if (*latency_ms / 1000.0 < WeightReadFloorSeconds(**model, *gpu, static_cast<int>(*tp), 1.0)) {
      ++out.skipped[kTooFast];
      continue;
    }
    Measurement m;
    m.gpu = gpu->name;
    m.instance = *inst;
    m.engine = "tgi";
    m.model = *model_name;
    m.precision = Precision::kFp16;
    m.tp = static_cast<int>(*tp);
    m.batch_size = *users;
    m.input_len = kTgiPromptTokens;
    m.output_len = *tokens;
    m.decode_s_per_token = *latency_ms / 1000.0;
    m.throughput_tps = *throughput;
    m.counts = TokensCounted::kOutput;
    m.source = fmt::format("tgi-sagemaker sagemaker.csv:{}", record.line);
    out.rows.push_back(std::move(m));
  }
  return Status::Ok();
}

// ---- 4. llama.cpp (XiongjieDai) ------------------------------------------------

Status RunLlamaCpp(std::string_view data_dir, const GpuTable& gpus, const FileSource& files, Dataset& out) {
  const std::string path = JoinPath(data_dir, "xiongjiedai-llamacpp-llama3-nvidia.csv");
  auto table = ReadCsvFile(files, path);
  if (!table.ok()) return table.error();
  if (Status s = io::RequireColumns(*table, {"gpu", "num_gpus", "model", "precision", "test", "n_tokens",
                                             "batch_size", "value", "oom"});
      !s.ok()) {
    return s;
  }
  static const std::vector<std::pair<std::string, std::string>> kGpus = {
      {"A100 SXM 80GB", "A100-80GB"},
      {"H100 PCIe 80GB", "H100-PCIe"},
      {"L40S 48GB", "L40S"},
      {"A40 48GB", "A40"},
  };
  static const std::vector<std::pair<std::string, std::string>> kModels = {
      {"Meta-Llama-3-8B", "llama-3.1-8b"},
      {"Meta-Llama-3-70B", "llama-3.1-70b"},
  };
  // F16 prompt processing of Llama-3-8B on one A100 SXM or one L40S: the
  // source's rate rises with prompt length and is several times below the
  // A100 PCIe's and the same GPUs' Q4_K_M rates (README: anomalies).
  static const std::vector<std::string> kAnomalousPp = {"A100 SXM 80GB", "L40S 48GB"};
  Models models;
  for (const io::CsvRecord& record : table->rows) {
    io::CellReader cells(*table, record);
    const std::string precision(cells.Text("precision"));
    if (precision != "F16") {
      ++out.skipped[fmt::format("precision {} (quantized weights not modelled yet)", precision)];
      continue;
    }
    auto num_gpus = WholeNumber(cells, "num_gpus");
    if (!num_gpus.ok()) return num_gpus.error();
    if (*num_gpus != 1) {
      ++out.skipped["several GPUs: llama.cpp splits layers across them (pipeline-style), not tensor parallel"];
      continue;
    }
    const std::string source_gpu(cells.Text("gpu"));
    const std::string* gpu_name = Lookup(kGpus, source_gpu);
    const GpuSpec* gpu = gpu_name ? gpus.Find(*gpu_name) : nullptr;
    if (!gpu) {
      ++out.skipped[fmt::format("GPU not in the GPU table: {}", source_gpu)];
      continue;
    }
    const std::string oom = io::ToLower(cells.Text("oom"));
    if (oom == "true") {
      ++out.skipped["out of memory in the source (no value)"];
      continue;
    }
    const std::string model_id(cells.Text("model"));
    const std::string* model_name = Lookup(kModels, model_id);
    if (!model_name) {
      ++out.skipped[fmt::format("no config shipped for {}", model_id)];
      continue;
    }
    const std::string test(cells.Text("test"));
    const bool pp = test.rfind("pp", 0) == 0;
    const bool tg = test.rfind("tg", 0) == 0;
    if (!pp && !tg) {
      return InvalidInput(fmt::format("{}: expected a llama-bench test ppN or tgN, got {}", cells.Where("test"),
                                      io::Quote(test)));
    }
    if (pp && std::find(kAnomalousPp.begin(), kAnomalousPp.end(), source_gpu) != kAnomalousPp.end()) {
      ++out.skipped["anomalous in the source: F16 prompt processing on one A100 SXM or L40S"];
      continue;
    }
    auto n = WholeNumber(cells, "n_tokens");
    if (!n.ok()) return n.error();
    if (test.substr(2) != std::to_string(*n)) {
      return InvalidInput(fmt::format("{}: test {} does not match n_tokens {}", cells.Where("n_tokens"), test, *n));
    }
    auto batch = WholeNumber(cells, "batch_size");
    if (!batch.ok()) return batch.error();
    if (*batch != 1) {
      ++out.skipped["batch size other than 1"];
      continue;
    }
    auto value = PositiveNumber(cells, "value");
    if (!value.ok()) return value.error();
    auto model = models.Get(*model_name);
    if (!model.ok()) return model.error();
    if (tg && 1.0 / *value < WeightReadFloorSeconds(**model, *gpu, 1, 1.0)) {
      ++out.skipped[kTooFast];
      continue;
    }
    Measurement m;
    m.gpu = gpu->name;
    m.engine = "llamacpp";
    m.model = *model_name;
    m.precision = Precision::kFp16;
    m.tp = 1;
    m.batch_size = 1;
    if (pp) {
      // ppN: one prompt of N tokens processed, nothing generated.
      m.input_len = *n;
      m.output_len = 1;
      m.prefill_s = static_cast<double>(*n) / *value;
    } else {
      // tgN: N tokens generated one at a time from an empty context.
      m.input_len = 1;
      m.output_len = *n;
      m.decode_s_per_token = 1.0 / *value;
    }
    m.source = fmt::format("llamacpp xiongjiedai-llamacpp-llama3-nvidia.csv:{}", record.line);
    out.rows.push_back(std::move(m));
  }
  return Status::Ok();
}

// ---- 5. FlexGen on a T4 ----------------------------------------------------------

Status RunFlexGen(std::string_view data_dir, const GpuTable& gpus, const FileSource& files, Dataset& out) {
  const std::string path = JoinPath(data_dir, "flexgen-t4-offloading-throughput.csv");
  auto table = ReadCsvFile(files, path);
  if (!table.ok()) return table.error();
  if (Status s = io::RequireColumns(*table, {"system", "model", "gpu", "num_gpus", "precision", "input_len",
                                             "output_len", "effective_batch_size", "lowest_offload_tier", "value"});
      !s.ok()) {
    return s;
  }
  static const std::vector<std::pair<std::string, std::string>> kModels = {
      {"OPT-6.7B", "opt-6.7b"},
      {"OPT-30B", "opt-30b"},
  };
  for (const io::CsvRecord& record : table->rows) {
    io::CellReader cells(*table, record);
    const std::string system(cells.Text("system"));
    if (system == "FlexGen with Compression") {
      ++out.skipped["FlexGen with 4-bit compression (not modelled)"];
      continue;
    }
    if (system != "FlexGen") {
      ++out.skipped[fmt::format("no engine profile for {}", system)];
      continue;
    }
    if (io::ToLower(cells.Text("precision")) != "fp16") {
      ++out.skipped[fmt::format("precision {} (not modelled)", cells.Text("precision"))];
      continue;
    }
    if (io::ToLower(cells.Text("lowest_offload_tier")) == "disk") {
      ++out.skipped["weights offloaded to disk (not modelled)"];
      continue;
    }
    const std::string model_id(cells.Text("model"));
    const std::string* model_name = Lookup(kModels, model_id);
    if (!model_name) {
      ++out.skipped[fmt::format("no config shipped for {}", model_id)];
      continue;
    }
    const std::string source_gpu(cells.Text("gpu"));
    const GpuSpec* gpu = source_gpu == "T4 16GB" ? gpus.Find("T4") : nullptr;
    if (!gpu) {
      ++out.skipped[fmt::format("GPU not in the GPU table: {}", source_gpu)];
      continue;
    }
    auto num_gpus = WholeNumber(cells, "num_gpus");
    if (!num_gpus.ok()) return num_gpus.error();
    if (*num_gpus != 1) {
      ++out.skipped["several GPUs"];
      continue;
    }
    auto input = WholeNumber(cells, "input_len");
    if (!input.ok()) return input.error();
    auto output = WholeNumber(cells, "output_len");
    if (!output.ok()) return output.error();
    auto batch = WholeNumber(cells, "effective_batch_size");
    if (!batch.ok()) return batch.error();
    auto value = PositiveNumber(cells, "value");
    if (!value.ok()) return value.error();
    Measurement m;
    m.gpu = gpu->name;
    m.engine = "flexgen";
    m.model = *model_name;
    m.precision = Precision::kFp16;
    m.tp = 1;
    m.batch_size = *batch;
    m.input_len = *input;
    m.output_len = *output;
    m.throughput_tps = *value;
    m.counts = TokensCounted::kOutput;
    m.source = fmt::format("flexgen-t4 flexgen-t4-offloading-throughput.csv:{}", record.line);
    out.rows.push_back(std::move(m));
  }
  return Status::Ok();
}

const std::vector<Adapter>& Adapters() {
  static const std::vector<Adapter> adapters = {
      {"argonne",
       "Argonne LLM-Inference-Bench: static-batch latency of vLLM and TensorRT-LLM on A100, H100, GH200",
       RunArgonne},
      {"argonne-ttft",
       "Argonne LLM-Inference-Bench: time to first token at input 1024, batch 16 (vLLM, TensorRT-LLM)",
       RunArgonneTtft},
      {"tgi-sagemaker",
       "Hugging Face TGI 1.0.3 on SageMaker (A10G, A100-40GB): Llama-2 fp16, 1-20 users, ~10-token prompts, 50 "
       "new tokens (philschmid)",
       RunTgi},
      {"llamacpp", "llama.cpp llama-bench at batch 1 on one GPU: Llama-3 F16 prompt and generation rates (XiongjieDai)",
       RunLlamaCpp},
      {"flexgen-t4", "FlexGen offloading throughput on one T4 (GCP, 208 GB DRAM): OPT, input 512, output 32",
       RunFlexGen},
  };
  return adapters;
}


}  // namespace

std::vector<std::string> DatasetNames() {
  std::vector<std::string> names;
  for (const Adapter& a : Adapters()) names.push_back(a.name);
  return names;
}

Result<Dataset> LoadDataset(std::string_view name_or_path, std::string_view data_dir, const GpuTable& gpus,
                            const Catalog* catalog, const FileSource& files, const BenchDefaults& bench) {
  const std::string_view arg = io::Trim(name_or_path);
  if (arg.empty()) return InvalidArgument("empty dataset name");
  for (const Adapter& a : Adapters()) {
    if (!io::EqualsIgnoreCase(a.name, arg)) continue;
    // The folder must exist on disk when the files come from it.
    if (&files == &LocalFiles()) {
      if (Status s = RequireFolder(data_dir); !s.ok()) return s.error();
    }
    Dataset d;
    d.name = a.name;
    d.description = a.description;
    if (Status s = a.run(data_dir, gpus, files, d); !s.ok()) return s.error();
    return d;
  }
  if (IsPathArgument(arg)) {
    const std::string path(arg);
    auto text = files.Read(path);
    if (!text.ok()) return text.error();
    if (auto format = DetectBenchFormat(*text)) {
      auto rows = ReadBenchFile(*text, path, bench, gpus);
      if (!rows.ok()) return rows.error();
      Dataset d;
      d.name = path;
      d.description = std::string(BenchFormatName(*format)) + " results";
      d.rows = std::move(rows).value();
      return d;
    }
    auto rows = ParseMeasurements(*text, path, catalog);
    if (!rows.ok()) return rows.error();
    Dataset d;
    d.name = path;
    d.description = "measurements file";
    d.rows = std::move(rows).value();
    return d;
  }
  const std::vector<std::string> names = DatasetNames();
  std::string quoted = io::Quote(arg);
  return NotFound(fmt::format("unknown dataset '{}'{} (built in: {}; or give a path to a measurements .csv)",
                              quoted.substr(1, quoted.size() - 2), io::DidYouMean(arg, names),
                              fmt::join(names, ", ")));
}


}  // namespace infersave
