// Deployment text for a plan's recommendation (docs/deploy.md): the exact
// SkyPilot YAML, vLLM and FlexGen command lines, and the plans each target
// refuses.
#include "infersave/emit.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <nlohmann/json.hpp>
#include <cstdio>
#include <sstream>
#include <string>

#include "infersave/job.h"
#include "infersave/shipped.h"
#include "test_util.h"

namespace infersave {
namespace {

using testing::Engine;
using testing::Gpu;
using testing::Model;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

using testing::MakeInstance;

// The "# predicted ..." line for an evaluation, as the emitter words it.
std::string Predicted(const Evaluation& e, int64_t requests) {
  auto money = [](double usd) { return usd < 10 ? fmt::format("${:.3f}", usd) : fmt::format("${:.2f}", usd); };
  auto hours = [](double h) { return h < 10 ? fmt::format("{:.2f} h", h) : fmt::format("{:.1f} h", h); };
  return fmt::format("# predicted {:.0f} tok/s (input + output), {:.0f} output tok/s; {} requests: job {}, billed {}, "
                     "cost {}\n",
                     e.tps, e.output_tps, requests, hours(e.job_hours), hours(e.billed_hours), money(e.job_cost_usd));
}

struct Emitted {
  Status status;
  std::string text;
};

Emitted Emit(const Plan& plan, const ModelConfig& model, const EngineProfile& engine, std::string_view target) {
  std::ostringstream out;
  ReportContext ctx{&model, &engine, nullptr, nullptr};
  Status s = WriteDeployment(out, plan, ctx, target);
  return {s, out.str()};
}

// A job on a hand-made catalog named like the shipped AWS one.
struct Job : testing::OnlineJob {
  Job() {
    catalog.name = "aws";
    catalog.as_of = "2026-11-26";
  }
  // A plan whose recommendation is `instance` split `tp` ways (catalog[0]).
  Plan RunLayout(int tp) {
    Plan plan = Run();
    Evaluator evaluator(PlanContext{&model, &catalog, &engine, nullptr}, options);
    plan.recommendation = evaluator.EvaluateLayout(catalog.instances[0], tp, OffloadMode::kAuto, 0);
    return plan;
  }
};

// ---- vLLM ---------------------------------------------------------------------

TEST(EmitTest, VllmSingleGpu) {
  Job job;
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006, "us-east-1")};
  Plan plan = job.Run();
  ASSERT_TRUE(plan.recommendation);
  const Evaluation& e = *plan.recommendation;
  ASSERT_EQ(e.tp, 1);
  ASSERT_EQ(e.replicas, 1);
  ASSERT_EQ(e.offload.ratio, 0);

  Emitted out = Emit(plan, job.model, job.engine, "vllm");
  ASSERT_TRUE(out.status.ok()) << out.status.error().message();
  EXPECT_EQ(out.text,
            "# InferSave plan: opt-2.7b on g5.xlarge (1x A10G) at $1.006/h on-demand, engine vllm\n" +
                Predicted(e, 3000) +
                "# prices from catalog aws as of 2026-11-26\n"
                "vllm serve facebook/opt-2.7b --tensor-parallel-size 1 --max-model-len 640 "
                "--gpu-memory-utilization 0.9 --max-num-seqs 32 --dtype float16 --port 8000\n");

  Emitted sky = Emit(plan, job.model, job.engine, "skypilot");
  ASSERT_TRUE(sky.status.ok()) << sky.status.error().message();
  EXPECT_EQ(sky.text,
            "# InferSave plan: opt-2.7b on g5.xlarge (1x A10G) at $1.006/h on-demand, engine vllm\n" +
                Predicted(e, 3000) +
                "# prices from catalog aws as of 2026-11-26\n"
                "# launch: sky launch -c infersave <this file>\n"
                "resources:\n"
                "  cloud: aws\n"
                "  region: us-east-1\n"
                "  instance_type: g5.xlarge\n"
                "  accelerators: A10G:1\n"
                "  use_spot: false\n"
                "  ports: 8000\n"
                "setup: |\n"
                "  pip install vllm==0.25.1\n"
                "run: |\n"
                "  vllm serve facebook/opt-2.7b --tensor-parallel-size 1 --max-model-len 640 "
                "--gpu-memory-utilization 0.9 --max-num-seqs 32 --dtype float16 --port 8000\n");
}

TEST(EmitTest, VllmUsesTheUtilizationOptionAndBf16) {
  Job job;
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006, "us-east-1")};
  job.options.gpu_memory_utilization = 0.85;
  job.options.workload.weight_precision = Precision::kBf16;
  job.options.workload.kv_precision = Precision::kBf16;
  Plan plan = job.Run();
  ASSERT_TRUE(plan.recommendation);
  Emitted out = Emit(plan, job.model, job.engine, "VLLM");
  ASSERT_TRUE(out.status.ok()) << out.status.error().message();
  EXPECT_NE(out.text.find("\nvllm serve facebook/opt-2.7b --tensor-parallel-size 1 --max-model-len 640 "
                          "--gpu-memory-utilization 0.85 --max-num-seqs 32 --dtype bfloat16 --port 8000\n"),
            std::string::npos)
      << out.text;
}

// The vLLM command for a plan on one H100 of `model` with the given formats,
// or the emitter's error.
std::string VllmPrecision(const ModelConfig& model, Precision weights, Precision kv) {
  Job job;
  job.model = model;
  job.catalog.instances = {MakeInstance("p5.4xlarge", "H100", 1, 6.88, "us-east-1", 256)};
  job.options.workload.weight_precision = weights;
  job.options.workload.kv_precision = kv;
  Plan plan = job.Run();
  if (!plan.recommendation) return "no recommendation";
  Emitted out = Emit(plan, job.model, job.engine, "vllm");
  if (!out.status.ok()) return out.status.error().message();
  const size_t at = out.text.find("--dtype");
  return out.text.substr(at, out.text.find(" --port") - at);
}

TEST(EmitTest, VllmPassesTheCheckpointsQuantizationAndAnFp8KvCache) {
  EXPECT_EQ(VllmPrecision(Model("gpt-oss-20b"), Precision::kFp4, Precision::kFp16),
            "--dtype auto --quantization mxfp4");
  EXPECT_EQ(VllmPrecision(Model("deepseek-v3"), Precision::kFp8, Precision::kFp8),
            "no recommendation");  // 671 B parameters do not fit one H100
  // FP8 of a 16-bit checkpoint is quantised when vLLM loads it.
  EXPECT_EQ(VllmPrecision(Model("llama-3.1-8b"), Precision::kFp8, Precision::kFp8),
            "--dtype auto --quantization fp8 --kv-cache-dtype fp8");
  EXPECT_EQ(VllmPrecision(Model("llama-3.1-8b"), Precision::kBf16, Precision::kFp8),
            "--dtype bfloat16 --kv-cache-dtype fp8");
  EXPECT_EQ(VllmPrecision(Model("llama-3.1-8b"), Precision::kInt4, Precision::kFp16),
            "--emit vllm: int4 weights need a checkpoint quantised to int4 (AWQ, GPTQ, compressed-tensors, MXFP4, "
            "...); plan with that checkpoint's config.json as --model, which InferSave reads the format from");
}

TEST(EmitTest, TwoReplicasOfTensorParallelTwoOnFourGpus) {
  Job job;
  job.model = Model("llama-2-7b");
  job.catalog.instances = {MakeInstance("g6.12xlarge", "L4", 4, 4.602, "us-east-1", 192)};
  Plan plan = job.RunLayout(2);
  ASSERT_TRUE(plan.recommendation);
  const Evaluation& e = *plan.recommendation;
  ASSERT_TRUE(e.can_run) << RejectionText(e, plan.options);
  ASSERT_EQ(e.tp, 2);
  ASSERT_EQ(e.replicas, 2);
  ASSERT_EQ(e.offload.ratio, 0);
  const std::string serve =
      "vllm serve meta-llama/Llama-2-7b-hf --tensor-parallel-size 2 --max-model-len 640 --gpu-memory-utilization 0.9 "
      "--max-num-seqs 32 --dtype float16";
  const std::string header =
      "# InferSave plan: llama-2-7b on g6.12xlarge (4x L4) at $4.602/h on-demand, engine vllm\n" + Predicted(e, 3000) +
      "# prices from catalog aws as of 2026-11-26\n" +
      "# 2 replicas of 2 GPUs: one vLLM server per replica on its own GPUs and port (8000-8001); spread the requests "
      "over them\n";

  Emitted out = Emit(plan, job.model, job.engine, "vllm");
  ASSERT_TRUE(out.status.ok()) << out.status.error().message();
  EXPECT_EQ(out.text, header + "CUDA_VISIBLE_DEVICES=0,1 " + serve + " --port 8000 &\n" +
                          "CUDA_VISIBLE_DEVICES=2,3 " + serve + " --port 8001 &\n" + "wait\n");

  Emitted sky = Emit(plan, job.model, job.engine, "skypilot");
  ASSERT_TRUE(sky.status.ok()) << sky.status.error().message();
  EXPECT_EQ(sky.text, header +
                          "# launch: sky launch -c infersave <this file>\n"
                          "resources:\n"
                          "  cloud: aws\n"
                          "  region: us-east-1\n"
                          "  instance_type: g6.12xlarge\n"
                          "  accelerators: L4:4\n"
                          "  use_spot: false\n"
                          "  ports: 8000-8001\n"
                          "setup: |\n"
                          "  pip install vllm==0.25.1\n"
                          "run: |\n"
                          "  CUDA_VISIBLE_DEVICES=0,1 " +
                          serve + " --port 8000 &\n" + "  CUDA_VISIBLE_DEVICES=2,3 " + serve + " --port 8001 &\n" +
                          "  wait\n");

  // FlexGen runs one GPU per process.
  Emitted flexgen = Emit(plan, job.model, job.engine, "flexgen");
  ASSERT_FALSE(flexgen.status.ok());
  EXPECT_EQ(flexgen.status.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(flexgen.status.error().message(),
            "--emit flexgen: the plan splits the model over 2 GPUs of g6.12xlarge (tensor parallel), but FlexGen "
            "runs one GPU per process; deploy it with --emit vllm");
  EXPECT_EQ(flexgen.text, "");
}

TEST(EmitTest, SpotPlanAndUserCatalog) {
  Job job;
  job.catalog.name = "my-prices.csv";
  job.catalog.as_of = "";
  Instance i = MakeInstance("g5.xlarge", "A10G", 1, 1.006);
  i.spot_usd_per_hour = 0.4;
  i.price_as_of = "";  // a user's catalog without dates
  job.catalog.instances = {i};
  job.options.spot = true;
  Plan plan = job.Run();
  ASSERT_TRUE(plan.recommendation);
  Emitted sky = Emit(plan, job.model, job.engine, "skypilot");
  ASSERT_TRUE(sky.status.ok()) << sky.status.error().message();
  // No cloud for a user's catalog, no region when the row has none.
  EXPECT_NE(sky.text.find("at $0.400/h spot, engine vllm\n"), std::string::npos) << sky.text;
  EXPECT_NE(sky.text.find("# prices from catalog my-prices.csv (undated)\n"), std::string::npos) << sky.text;
  EXPECT_NE(sky.text.find("resources:\n  instance_type: g5.xlarge\n  accelerators: A10G:1\n  use_spot: true\n"),
            std::string::npos)
      << sky.text;
}

// ---- FlexGen --------------------------------------------------------------------

// The paper's offline job (arXiv 2504.11816 Section VI) with 20% of the KV
// cache held in CPU memory.
struct PaperJob {
  ModelConfig model = Model("opt-2.7b");
  Catalog catalog = testing::ShippedCatalog("paper");
  EngineProfile engine = Engine("flexgen");
  Calibration calibration = *LoadCalibration("paper-flexgen");
  PlanOptions options;
  PaperJob() {
    options.workload.batch_size = 32;
    options.workload.input_len = 1024;
    options.workload.output_len = 128;
    options.workload.requests = 1000;
    options.slo_tps = 100;
    options.max_usd_per_hour = 3;
    options.billing = Billing::kHourly;
    options.offload_mode = OffloadMode::kFixed;
    options.offload_ratio = 0.2;
  }
  Plan Run() {
    auto plan = MakePlan(PlanContext{&model, &catalog, &engine, &calibration}, options);
    EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message());
    return *plan;
  }
};

TEST(EmitTest, FlexGenWithTwentyPercentKvOffloadOnThePaperCatalog) {
  PaperJob job;
  Plan plan = job.Run();
  ASSERT_TRUE(plan.recommendation);
  const Evaluation& e = *plan.recommendation;
  ASSERT_EQ(e.tp, 1);
  ASSERT_DOUBLE_EQ(e.offload.ratio, 0.2);
  const Instance& i = *e.instance;
  const std::string header =
      fmt::format("# InferSave plan: opt-2.7b on {} (1x {}) at ${:.3f}/h on-demand, engine flexgen\n", i.name,
                  i.gpu.name, i.usd_per_hour) +
      Predicted(e, 1000) + "# prices from catalog paper as of 2025-04-16\n" +
      fmt::format("# weights and activations on the GPU; KV cache 80% on the GPU, 20% in CPU memory ({:.2f} GiB per "
                  "GPU)\n",
                  e.offload.host_kv_bytes / kGiB) +
      "# flex_opt runs one batch of --gpu-batch-size prompts and prints its throughput; to run the job's own "
      "prompts, use FlexGen's OptLM with the same Policy (docs/deploy.md)\n";
  const std::string command =
      "python3 -m flexgen.flex_opt --model facebook/opt-2.7b --percent 100 0 80 20 100 0 --gpu-batch-size 32 "
      "--num-gpu-batches 1 --prompt-len 1024 --gen-len 128";

  Emitted out = Emit(plan, job.model, job.engine, "flexgen");
  ASSERT_TRUE(out.status.ok()) << out.status.error().message();
  EXPECT_EQ(out.text, header + command + "\n");

  // SkyPilot runs the plan's engine: FlexGen, a batch job without ports.
  Emitted sky = Emit(plan, job.model, job.engine, "skypilot");
  ASSERT_TRUE(sky.status.ok()) << sky.status.error().message();
  EXPECT_EQ(sky.text, header +
                          "# launch: sky launch -c infersave <this file>\n"
                          "resources:\n"
                          "  cloud: aws\n"
                          "  region: us-east-1\n"
                          "  instance_type: " +
                          i.name + "\n  accelerators: " + i.gpu.name +
                          ":1\n"
                          "  use_spot: false\n"
                          "setup: |\n"
                          "  pip install flexgen\n"
                          "run: |\n"
                          "  " +
                          command + "\n");

  // vLLM does not keep a share of the running batch's KV cache in CPU memory.
  Emitted vllm = Emit(plan, job.model, job.engine, "vllm");
  ASSERT_FALSE(vllm.status.ok());
  EXPECT_EQ(vllm.status.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(vllm.status.error().message(),
            fmt::format("--emit vllm: the plan keeps 20% of the KV cache ({:.2f} GiB per GPU) in CPU memory and "
                        "streams it to the GPU every step (engine 'flexgen'), which vLLM does not do: its "
                        "--cpu-offload-gb moves weights, not the KV cache, and --swap-space only holds preempted "
                        "requests; deploy this plan with --emit flexgen, or plan again with --engine vllm (or "
                        "--offload none) for a plan that vLLM runs as predicted",
                        e.offload.host_kv_bytes / kGiB));
  EXPECT_EQ(vllm.text, "");
}

TEST(EmitTest, FlexGenPlacesStreamedWeightsToo) {
  // OPT-30B (55.8 GiB of weights) on one T4 with 128 GiB of host memory:
  // most weights and KV live in CPU memory.
  ModelConfig model = Model("opt-30b");
  EngineProfile flexgen = Engine("flexgen");
  Catalog catalog;
  catalog.name = "aws";
  catalog.instances = {MakeInstance("g4dn.8xlarge", "T4", 1, 2.176, "us-east-1", 128)};
  PlanOptions o;
  o.slo_tps = 0;
  o.workload.batch_size = 16;
  o.workload.input_len = 512;
  o.workload.output_len = 32;
  auto plan = MakePlan(PlanContext{&model, &catalog, &flexgen, nullptr}, o);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(plan->recommendation);
  const OffloadDecision& d = plan->recommendation->offload;
  const int w_gpu = static_cast<int>(std::floor(d.weight_gpu_fraction * 100 + 1e-6));
  const int kv_cpu = static_cast<int>(std::ceil(d.ratio * 100 - 1e-6));
  ASSERT_LT(w_gpu, 100);
  Emitted out = Emit(*plan, model, flexgen, "flexgen");
  ASSERT_TRUE(out.status.ok()) << out.status.error().message();
  EXPECT_NE(out.text.find(fmt::format("--percent {} {} {} {} 100 0 --gpu-batch-size 16", w_gpu, 100 - w_gpu,
                                      100 - kv_cpu, kv_cpu)),
            std::string::npos)
      << out.text;
  EXPECT_NE(out.text.find(fmt::format("# weights {}% on the GPU, {}% in CPU memory; activations on the GPU", w_gpu,
                                      100 - w_gpu)),
            std::string::npos)
      << out.text;
}

TEST(EmitTest, FlexGenRefusesModelsOtherThanOpt) {
  Job job;
  job.model = Model("llama-2-7b");
  job.catalog.instances = {MakeInstance("g6e.xlarge", "L40S", 1, 1.861, "us-east-1")};
  Plan plan = job.Run();
  ASSERT_TRUE(plan.recommendation);
  ASSERT_EQ(plan.recommendation->tp, 1);
  Emitted out = Emit(plan, job.model, job.engine, "flexgen");
  ASSERT_FALSE(out.status.ok());
  EXPECT_EQ(out.status.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(out.status.error().message(),
            "--emit flexgen: FlexGen runs only OPT models; llama-2-7b is a llama model; deploy it with --emit vllm");
  EXPECT_EQ(out.text, "");
}

TEST(EmitTest, FlexGenForAVllmPlanSaysThePredictionIsVllms) {
  Job job;
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006, "us-east-1")};
  Plan plan = job.Run();
  ASSERT_TRUE(plan.recommendation);
  Emitted out = Emit(plan, job.model, job.engine, "flexgen");
  ASSERT_TRUE(out.status.ok()) << out.status.error().message();
  EXPECT_NE(out.text.find("# weights and activations on the GPU; KV cache 100% on the GPU, 0% in CPU memory\n"),
            std::string::npos)
      << out.text;
  EXPECT_NE(out.text.find("# the prediction used engine profile 'vllm'; FlexGen's speed will differ"),
            std::string::npos)
      << out.text;
  EXPECT_NE(out.text.find("\npython3 -m flexgen.flex_opt --model facebook/opt-2.7b --percent 100 0 100 0 100 0 "
                          "--gpu-batch-size 32 --num-gpu-batches 1 --prompt-len 128 --gen-len 512\n"),
            std::string::npos)
      << out.text;
}

// ---- Refusals and the model id ----------------------------------------------------

TEST(EmitTest, NothingToDeployWithoutARecommendation) {
  Job job;
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006, "us-east-1")};
  job.options.max_usd_per_hour = 0.5;
  Plan plan = job.Run();
  ASSERT_FALSE(plan.recommendation);
  for (const char* target : {"skypilot", "vllm", "flexgen"}) {
    Emitted out = Emit(plan, job.model, job.engine, target);
    ASSERT_FALSE(out.status.ok()) << target;
    EXPECT_EQ(out.status.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(out.status.error().message(), "nothing to deploy: no instance meets the constraints");
    EXPECT_EQ(out.text, "");
  }
}

TEST(EmitTest, UnknownTarget) {
  Job job;
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006, "us-east-1")};
  Plan plan = job.Run();
  Emitted out = Emit(plan, job.model, job.engine, "ollama");
  ASSERT_FALSE(out.status.ok());
  EXPECT_EQ(out.status.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(out.status.error().message(), "--emit: unknown target \"ollama\" (expected skypilot, vllm, flexgen or bench)");
  EXPECT_EQ(out.text, "");
  auto typo = ParseDeployTarget("vlm");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().message(),
            "--emit: unknown target \"vlm\" (did you mean 'vllm'?) (expected skypilot, vllm, flexgen or bench)");
  EXPECT_EQ(*ParseDeployTarget(" SkyPilot "), DeployTarget::kSkyPilot);
}

TEST(EmitTest, UserConfigModelIdMustBeChecked) {
  const std::string text = R"({"model_type": "opt", "_name_or_path": "my-org/opt-2.7b-tuned",
    "hidden_size": 2560, "ffn_dim": 10240, "num_attention_heads": 32, "num_hidden_layers": 32,
    "vocab_size": 50272, "max_position_embeddings": 2048, "word_embed_proj_dim": 2560, "torch_dtype": "float16"})";
  auto parsed = ParseModelConfig(text, "/data/tuned/config.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->hf_repo, "my-org/opt-2.7b-tuned");
  std::string no_name = text;
  const std::string field = "\"_name_or_path\": \"my-org/opt-2.7b-tuned\",";
  no_name.replace(no_name.find(field), field.size(), "");
  auto folder = ParseModelConfig(no_name, "/data/tuned/config.json");
  ASSERT_TRUE(folder.ok()) << folder.error().message();
  EXPECT_EQ(folder->hf_repo, "/data/tuned");
  EXPECT_EQ(Model("opt-2.7b").hf_repo, "facebook/opt-2.7b");

  Job job;
  job.model = *parsed;
  job.catalog.instances = {MakeInstance("g5.xlarge", "A10G", 1, 1.006, "us-east-1")};
  Plan plan = job.Run();
  ASSERT_TRUE(plan.recommendation);
  Emitted out = Emit(plan, job.model, job.engine, "vllm");
  ASSERT_TRUE(out.status.ok()) << out.status.error().message();
  EXPECT_NE(out.text.find("# CHECK the model id my-org/opt-2.7b-tuned: guessed from /data/tuned/config.json (its "
                          "_name_or_path, else its folder); it must name the HuggingFace repository or local folder "
                          "holding the weights\n"),
            std::string::npos)
      << out.text;
  EXPECT_NE(out.text.find("\nvllm serve my-org/opt-2.7b-tuned --tensor-parallel-size 1 "), std::string::npos)
      << out.text;
  // FlexGen picks the architecture by name and does not know this one.
  Emitted flexgen = Emit(plan, job.model, job.engine, "flexgen");
  ASSERT_FALSE(flexgen.status.ok());
  EXPECT_EQ(flexgen.status.error().message(),
            "--emit flexgen: FlexGen picks the OPT architecture by name and knows opt-125m, opt-1.3b, opt-2.7b, "
            "opt-6.7b, opt-13b, opt-30b, opt-66b, opt-175b; cannot tell which one the model my-org/opt-2.7b-tuned is");
}

// ---- Through the binary -------------------------------------------------------------

struct CliOutput {
  int code = -1;
  std::string out;
};

// stdout and the exit status; stderr is folded into stdout when `with_stderr`.
CliOutput RunCli(const std::string& args, bool with_stderr) {
  std::string command = std::string(INFERSAVE_BINARY) + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return {};
  CliOutput o;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) o.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

TEST(EmitCliTest, PlanEmitsVllmCommand) {
  CliOutput o = RunCli("plan --emit vllm", false);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_EQ(o.out.rfind("# InferSave plan: opt-2.7b on ", 0), 0u) << o.out;
  EXPECT_NE(o.out.find("\nvllm serve facebook/opt-2.7b --tensor-parallel-size 1 --max-model-len 640 "
                       "--gpu-memory-utilization 0.9 --max-num-seqs 32 --dtype float16 --port 8000\n"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(o.out.find("Recommendation:"), std::string::npos) << o.out;
}

TEST(EmitCliTest, PlanEmitsSkyPilotYamlForThePaperFlexGenJob) {
  CliOutput o = RunCli(
      "plan --emit skypilot --catalog paper --engine flexgen --batch-size 32 --input-len 1024 --output-len 128 "
      "--requests 1000 --slo-tps 100 --max-price 3 --billing hourly --offload 0.2",
      false);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("\nresources:\n  cloud: aws\n  region: us-east-1\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\nsetup: |\n  pip install flexgen\nrun: |\n  python3 -m flexgen.flex_opt --model "
                       "facebook/opt-2.7b --percent 100 0 80 20 100 0 --gpu-batch-size 32 --num-gpu-batches 1 "
                       "--prompt-len 1024 --gen-len 128\n"),
            std::string::npos)
      << o.out;
}

TEST(EmitCliTest, ExitCodes) {
  CliOutput unknown = RunCli("plan --emit ollama", true);
  EXPECT_EQ(unknown.code, 2) << unknown.out;
  EXPECT_EQ(unknown.out,
            "infersave: error: --emit: unknown target \"ollama\" (expected skypilot, vllm, flexgen or bench)\n");

  CliOutput none = RunCli("plan --emit vllm --max-price 0.01", true);
  EXPECT_EQ(none.code, 1) << none.out;
  EXPECT_EQ(none.out,
            "infersave: error: nothing to deploy: no instance meets the constraints (run without --emit to see why "
            "each instance was rejected)\n");

  CliOutput refused = RunCli("plan --emit flexgen --model llama-2-7b", true);
  EXPECT_EQ(refused.code, 2) << refused.out;
  EXPECT_NE(refused.out.find("infersave: error: --emit flexgen: FlexGen runs only OPT models; llama-2-7b is a llama "
                             "model"),
            std::string::npos)
      << refused.out;
}

}  // namespace
}  // namespace infersave

// ---- Online plans and SkyPilot's names (issue 13 item 6) --------------------------

namespace infersave {
namespace {

struct RequestText {
  Result<Outcome> outcome;
  std::string text;
};

RequestText PlanText(JobRequest r) {
  std::ostringstream out;
  auto outcome = RunPlanRequest(r, NoFiles(), "2026-12-06", out);
  return {std::move(outcome), out.str()};
}

JobRequest OnlineRequest() {
  JobRequest r;
  r.catalog = "paper";
  r.model = "llama-3.1-8b";
  r.rate = 2;
  r.slo_ttft_ms = 500;
  r.sim_requests = 500;
  r.given = {"rate", "slo_ttft_ms", "sim_requests"};
  return r;
}

// The recommendation of a plan request, as its JSON document gives it.
nlohmann::json Recommendation(JobRequest r) {
  r.format = "json";
  r.emit = "";
  const RequestText plan = PlanText(r);
  EXPECT_TRUE(plan.outcome.ok()) << plan.outcome.error().message();
  return plan.outcome.ok() ? nlohmann::json::parse(plan.text)["recommendation"] : nlohmann::json();
}

TEST(EmitOnlineTest, SkyServeSpecWithTheFleetAsReplicas) {
  JobRequest r = OnlineRequest();
  const nlohmann::json pick = Recommendation(r);
  ASSERT_FALSE(pick.is_null());
  r.emit = "skypilot";
  const RequestText sky = PlanText(r);
  ASSERT_TRUE(sky.outcome.ok()) << sky.outcome.error().message();
  EXPECT_NE(sky.text.find("service:\n  readiness_probe:\n    path: /v1/models\n"), std::string::npos) << sky.text;
  EXPECT_NE(sky.text.find(fmt::format("  replicas: {}\n", pick["instances"].get<int>())), std::string::npos);
  EXPECT_NE(sky.text.find(fmt::format("  instance_type: {}\n", pick["instance"].get<std::string>())),
            std::string::npos);
  EXPECT_NE(sky.text.find("envs:\n  HF_TOKEN: null"), std::string::npos);
  // The batch cap the simulation used, the longest request (128 + 512) as the context.
  EXPECT_NE(sky.text.find(fmt::format("--tensor-parallel-size {} --max-model-len 640 --gpu-memory-utilization 0.9 "
                                      "--max-num-seqs {} ",
                                      pick["tensor_parallel"].get<int>(), pick["max_sequences"].get<int>())),
            std::string::npos)
      << sky.text;
  EXPECT_NE(sky.text.find("--max-num-batched-tokens "), std::string::npos);
}

TEST(EmitOnlineTest, VllmWithFormatsAndFleetNote) {
  JobRequest r = OnlineRequest();
  r.catalog = "aws";
  r.rate = 20;
  r.max_price = 2;
  r.weights = "fp8";
  r.kv_cache = "fp8";
  r.emit = "vllm";
  const RequestText vllm = PlanText(r);
  ASSERT_TRUE(vllm.outcome.ok()) << vllm.outcome.error().message();
  EXPECT_NE(vllm.text.find("--dtype auto --quantization fp8 --kv-cache-dtype fp8 --port 8000"), std::string::npos)
      << vllm.text;
  EXPECT_NE(vllm.text.find("# run this on each of the "), std::string::npos) << vllm.text;

  r.emit = "flexgen";
  const RequestText flexgen = PlanText(r);
  ASSERT_FALSE(flexgen.outcome.ok());
  EXPECT_EQ(flexgen.outcome.error().field(), "emit");
  EXPECT_EQ(flexgen.outcome.error().message().rfind("--emit flexgen: FlexGen runs static batches, not a service", 0),
            0u);
}

// GCP's N1 rows name the VM with its GPUs; SkyPilot wants the VM alone.
TEST(EmitOnlineTest, GcpN1InstanceTypeIsTheVmAlone) {
  const std::string gcp(*ShippedText("catalogs/gcp.csv"));
  std::istringstream lines(gcp);
  std::string line, csv;
  std::getline(lines, line);
  csv = line + "\n";
  while (std::getline(lines, line)) {
    if (line.rfind("n1-standard-8+1xT4,", 0) == 0) csv += line + "\n";
  }
  JobRequest r;
  r.catalog_csv = csv;
  r.model = "opt-1.3b";
  r.emit = "skypilot";
  const RequestText sky = PlanText(r);
  ASSERT_TRUE(sky.outcome.ok()) << sky.outcome.error().message();
  EXPECT_NE(sky.text.find("  instance_type: n1-standard-8\n  accelerators: T4:1\n"), std::string::npos) << sky.text;
}

// Issue 15 item 5: what verifies an online plan on the instance: the
// server, a sweep over 0.5-1.5x the rate one model copy carries at the
// target, and the calibrate command that reads the results back.
TEST(EmitOnlineTest, BenchSweepsRatesAroundTheTargetPerCopy) {
  JobRequest r = OnlineRequest();
  const nlohmann::json pick = Recommendation(r);
  ASSERT_FALSE(pick.is_null());
  const std::string instance = pick["instance"].get<std::string>();
  const double copies = pick["instances"].get<double>() * pick["replicas_per_instance"].get<double>();
  r.emit = "bench";
  const RequestText bench = PlanText(r);
  ASSERT_TRUE(bench.outcome.ok()) << bench.outcome.error().message();
  const double per_copy = 2.0 / copies;  // the target, 2 req/s, over the copies
  EXPECT_NE(bench.text.find(fmt::format("# 1. {} (recommended)", instance)), std::string::npos) << bench.text;
  EXPECT_NE(bench.text.find(fmt::format("for rate in {:.3g} {:.3g} {:.3g} {:.3g} {:.3g}; do", per_copy * 0.5,
                                        per_copy * 0.75, per_copy, per_copy * 1.25, per_copy * 1.5)),
            std::string::npos)
      << bench.text;
  EXPECT_NE(bench.text.find("vllm bench serve --model meta-llama/Llama-3.1-8B --port 8000 --dataset-name random "
                            "--random-input-len 128 --random-output-len 512 --ignore-eos"),
            std::string::npos);
  EXPECT_NE(bench.text.find(fmt::format("infersave calibrate --measurements bench-{}-rate*.json --instance {} "
                                        "--engine vllm --model llama-3.1-8b --tp 1",
                                        instance, instance)),
            std::string::npos);
}

TEST(EmitTest, BenchForABatchJobRunsTheThroughputBenchmarkWithItsLengths) {
  JobRequest r;
  r.emit = "bench";
  const RequestText bench = PlanText(r);
  ASSERT_TRUE(bench.outcome.ok()) << bench.outcome.error().message();
  // The shipped defaults: opt-2.7b, 128 + 512 tokens.
  EXPECT_NE(bench.text.find("vllm bench throughput --model facebook/opt-2.7b --tensor-parallel-size 1 --input-len 128 "
                            "--output-len 512"),
            std::string::npos)
      << bench.text;
  EXPECT_NE(bench.text.find("--input-len 128 --output-len 512 -o calibration-"), std::string::npos);
  EXPECT_NE(bench.text.find("(recommended)"), std::string::npos);
  EXPECT_EQ(ParseDeployTarget("BENCH").value(), DeployTarget::kBench);
}

// Issue 13 item 6: SkyPilot's own accelerator names (its catalog's
// AcceleratorName, data/gpus.csv skypilot_name), and none where its catalog
// has no name for the GPU.
TEST(EmitOnlineTest, SkyPilotAcceleratorNamesComeFromItsCatalog) {
  const GpuTable& gpus = testing::Gpus();
  EXPECT_EQ(gpus.Find("RTX-PRO-6000")->skypilot_name, "RTXPRO6000");
  EXPECT_EQ(gpus.Find("A100-80GB-PCIe")->skypilot_name, "A100-80GB");
  EXPECT_EQ(gpus.Find("H100-NVL")->skypilot_name, "H100");
  EXPECT_EQ(gpus.Find("GB200")->skypilot_name, "");
  JobRequest r = OnlineRequest();
  r.catalog = "azure";
  r.emit = "skypilot";
  const RequestText sky = PlanText(r);
  ASSERT_TRUE(sky.outcome.ok()) << sky.outcome.error().message();
  const nlohmann::json pick = Recommendation(r);
  const GpuSpec* gpu = gpus.Find(pick["gpu"].get<std::string>());
  ASSERT_NE(gpu, nullptr);
  EXPECT_NE(sky.text.find(fmt::format("  accelerators: {}:", gpu->skypilot_name)), std::string::npos) << sky.text;
  EXPECT_NE(sky.text.find("  pip install vllm==0.25.1\n"), std::string::npos);
}

}  // namespace
}  // namespace infersave
