// Deployment text for a plan's recommendation (docs/deploy.md): a SkyPilot
// task YAML, a `vllm serve` command line or a FlexGen `flex_opt` command line.
#include "infersave/emit.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "infersave/shipped.h"
#include "io/text.h"

namespace infersave {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr int kFirstPort = 8000;  // vLLM's default --port

// OPT sizes FlexGen's get_opt_config knows by name (flexgen/opt_config.py;
// opt-350m raises NotImplementedError there, so it is left out).
constexpr std::array<std::string_view, 8> kFlexGenOptNames = {"opt-125m", "opt-1.3b", "opt-2.7b", "opt-6.7b",
                                                              "opt-13b",  "opt-30b",  "opt-66b",  "opt-175b"};

std::string Money(double usd) { return usd < 10 ? fmt::format("${:.3f}", usd) : fmt::format("${:.2f}", usd); }
std::string Hours(double h) { return h < 10 ? fmt::format("{:.2f} h", h) : fmt::format("{:.1f} h", h); }

// A word the shell passes through unchanged, or the word in single quotes.
std::string ShellWord(std::string_view word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("_./-:@+=,").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(word);
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// A YAML scalar written plain when that is unambiguous, else double-quoted.
std::string YamlScalar(std::string_view value) {
  const bool plain = !value.empty() && std::isalnum(static_cast<unsigned char>(value.front())) &&
                     std::all_of(value.begin(), value.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) ||
                              std::string_view("_.-/").find(c) != std::string_view::npos;
                     });
  if (plain) return std::string(value);
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return io::EqualsIgnoreCase(n, name); });
}

// The model id to deploy and whether it is the shipped, checked one.
struct ModelId {
  std::string id;
  bool checked = false;
};

ModelId DeployedModelId(const ModelConfig& m) {
  if (!m.hf_repo.empty() && Contains(ShippedModelNames(), m.name)) return {m.hf_repo, true};
  return {m.hf_repo.empty() ? m.name : m.hf_repo, false};
}

// The last path component, lower-cased ("facebook/OPT-2.7b" -> "opt-2.7b").
std::string BaseName(std::string_view id) {
  while (!id.empty() && id.back() == '/') id.remove_suffix(1);
  const size_t slash = id.rfind('/');
  return io::ToLower(slash == std::string_view::npos ? id : id.substr(slash + 1));
}

// SkyPilot's cloud for a shipped catalog; "" for a user's file.
std::string CloudOf(const std::string& catalog) {
  if (!Contains(ShippedCatalogNames(), catalog)) return "";
  const std::string name = io::ToLower(catalog);
  if (name == "paper") return "aws";  // the paper's AWS instances (arXiv 2504.11816 Table IV)
  for (const char* cloud : {"aws", "gcp", "azure"}) {
    if (name.rfind(cloud, 0) == 0) return cloud;
  }
  return "";
}

// SkyPilot's instance type: a GCP N1 row of the catalog names the VM and its
// attached GPUs together ("n1-standard-8+1xT4"), SkyPilot the VM alone (the
// GPUs go in `accelerators`).
std::string SkyPilotInstanceType(std::string_view name) {
  const size_t plus = name.find('+');
  return std::string(plus == std::string_view::npos ? name : name.substr(0, plus));
}

// SkyPilot's `accelerators:` line for an instance, or a comment when its
// catalog has no name for the GPU (the instance type alone then selects it).
std::string AcceleratorsLine(const Instance& i) {
  if (i.gpu.skypilot_name.empty()) {
    return fmt::format("  # accelerators: SkyPilot's catalog has no name for {}; instance_type selects it\n",
                       i.gpu.name);
  }
  return fmt::format("  accelerators: {}:{}\n", YamlScalar(i.gpu.skypilot_name), i.gpu_count);
}

// `pip install` of the engine a deployment runs: the profile's pinned
// package, or the shipped vLLM profile's when the plan used another one.
std::string VllmPackage(const EngineProfile& plan_engine) {
  if (plan_engine.name == "vllm" && !plan_engine.pip_package.empty()) return plan_engine.pip_package;
  auto shipped = LoadEngine("vllm");
  return shipped.ok() && !shipped->pip_package.empty() ? shipped->pip_package : "vllm";
}

// "0,1" for the GPUs of replica r.
std::string GpuList(int replica, int tp) {
  std::vector<int> ids;
  for (int g = 0; g < tp; ++g) ids.push_back(replica * tp + g);
  return fmt::format("{}", fmt::join(ids, ","));
}

// One command per replica: each with its own GPUs (CUDA_VISIBLE_DEVICES) and,
// for servers, its own port; in the background, then `wait`. A single replica
// that uses every GPU is the bare command.
std::vector<std::string> PerReplica(const Candidate& e, const std::string& command, bool server) {
  const int replicas = std::max(e.replicas, 1);
  if (replicas == 1 && e.instance->gpu_count == e.tp) {
    return {server ? fmt::format("{} --port {}", command, kFirstPort) : command};
  }
  std::vector<std::string> lines;
  for (int r = 0; r < replicas; ++r) {
    std::string line = fmt::format("CUDA_VISIBLE_DEVICES={} {}", GpuList(r, e.tp), command);
    if (server) line += fmt::format(" --port {}", kFirstPort + r);
    lines.push_back(replicas > 1 ? line + " &" : line);
  }
  if (replicas > 1) lines.push_back("wait");
  return lines;
}

// What the deployment runs: comment lines, then the shell lines.
struct Deployment {
  std::vector<std::string> notes;  // without the leading "# "
  std::vector<std::string> lines;
  std::string package;  // pip package for SkyPilot's setup
  bool server = false;  // listens on ports kFirstPort...
};

// vLLM's precision flags for the plan's formats: --dtype, --quantization for
// a quantised checkpoint (or online FP8), --kv-cache-dtype fp8.
Result<std::string> VllmPrecisionFlags(const Workload& w, const ModelConfig& model, std::string_view what) {
  std::string flags;
  switch (w.weight_precision) {
    case Precision::kFp16: flags = "--dtype float16"; break;
    case Precision::kBf16: flags = "--dtype bfloat16"; break;
    case Precision::kFp32: flags = "--dtype float32"; break;
    default:
      if (model.quant.quantized && model.quant.format == w.weight_precision) {
        // The checkpoint carries its quantization_config; vLLM picks the kernels.
        flags = fmt::format("--dtype auto --quantization {}", model.quant.vllm_quantization);
      } else if (w.weight_precision == Precision::kFp8) {
        flags = "--dtype auto --quantization fp8";  // dynamic FP8 of a 16-bit checkpoint, at load time
      } else {
        return InvalidArgument(fmt::format(
            "{}: {} weights need a checkpoint quantised to {} (AWQ, GPTQ, compressed-tensors, MXFP4, ...); plan "
            "with that checkpoint's config.json as --model, which InferSave reads the format from",
            what, PrecisionName(w.weight_precision), PrecisionName(w.weight_precision)));
      }
  }
  const bool weights_16 = w.weight_precision == Precision::kFp16 || w.weight_precision == Precision::kBf16 ||
                          w.weight_precision == Precision::kFp32;
  if (w.kv_precision == Precision::kFp8) {
    flags += " --kv-cache-dtype fp8";
  } else if (w.kv_precision == Precision::kInt8) {
    return InvalidArgument(fmt::format("{}: vLLM has no INT8 KV cache (it offers fp8); plan with --kv-cache fp8", what));
  } else if (weights_16 && w.kv_precision != w.weight_precision) {
    return InvalidArgument(fmt::format("{}: the plan stores the KV cache in {} and the weights in {}; "
                                       "vLLM's --kv-cache-dtype auto keeps the KV cache in the weights' type",
                                       what, PrecisionName(w.kv_precision), PrecisionName(w.weight_precision)));
  }
  return flags;
}

Result<Deployment> VllmDeployment(const Plan& plan, const Evaluation& e, const ReportContext& ctx,
                                  const ModelId& model, std::string_view what) {
  const Workload& w = plan.options.workload;
  if (e.offload.ratio > 0) {
    return InvalidArgument(fmt::format(
        "{}: the plan keeps {:.0f}% of the KV cache ({:.2f} GiB per GPU) in CPU memory and streams it "
        "to the GPU every step (engine '{}'), which vLLM does not do: its --cpu-offload-gb moves weights, not the "
        "KV cache, and --swap-space only holds preempted requests; deploy this plan with --emit flexgen, or plan "
        "again with --engine vllm (or --offload none) for a plan that vLLM runs as predicted",
        what, e.offload.ratio * 100, e.offload.host_kv_bytes / kGiB, plan.engine));
  }
  auto precision = VllmPrecisionFlags(w, *ctx.model, what);
  if (!precision.ok()) return precision.error();
  const double utilization = plan.options.gpu_memory_utilization.value_or(ctx.engine->gpu_memory_utilization);
  const std::string command =
      fmt::format("vllm serve {} --tensor-parallel-size {} --max-model-len {} --gpu-memory-utilization {:g} "
                  "--max-num-seqs {} {}",
                  ShellWord(model.id), e.tp, w.input_len + w.output_len, utilization, w.batch_size, *precision);
  Deployment d;
  d.package = VllmPackage(*ctx.engine);
  d.server = true;
  d.lines = PerReplica(e, command, true);
  if (e.replicas > 1) {
    d.notes.push_back(fmt::format("{} replicas of {} GPU{}: one vLLM server per replica on its own GPUs and port "
                                  "({}-{}); spread the requests over them",
                                  e.replicas, e.tp, e.tp == 1 ? "" : "s", kFirstPort, kFirstPort + e.replicas - 1));
  }
  if (!io::EqualsIgnoreCase(plan.engine, "vllm")) {
    d.notes.push_back(fmt::format("the prediction used engine profile '{}'; vLLM's speed will differ (plan with "
                                  "--engine vllm to predict it)",
                                  plan.engine));
  }
  return d;
}

Result<Deployment> FlexGenDeployment(const Plan& plan, const ReportContext& ctx, const ModelId& model,
                                     std::string_view what) {
  const Evaluation& e = *plan.recommendation;
  const Workload& w = plan.options.workload;
  if (e.tp > 1) {
    return InvalidArgument(fmt::format(
        "{}: the plan splits the model over {} GPUs of {} (tensor parallel), but FlexGen runs one GPU "
        "per process; deploy it with --emit vllm",
        what, e.tp, e.instance->name));
  }
  if (ctx.model->family != ModelFamily::kOpt) {
    return InvalidArgument(fmt::format("{}: FlexGen runs only OPT models; {} is a {} model; deploy it "
                                       "with --emit vllm",
                                       what, ctx.model->name, FamilyName(ctx.model->family)));
  }
  const std::string name = BaseName(model.id);
  if (std::find(kFlexGenOptNames.begin(), kFlexGenOptNames.end(), name) == kFlexGenOptNames.end()) {
    return InvalidArgument(fmt::format("{}: FlexGen picks the OPT architecture by name and knows {}; "
                                       "cannot tell which one the model {} is",
                                       what, fmt::join(kFlexGenOptNames, ", "), model.id));
  }
  if (w.weight_precision != Precision::kFp16 || w.kv_precision != Precision::kFp16) {
    return InvalidArgument(fmt::format("{}: FlexGen computes OPT in float16 only; the plan uses {}", what,
                                       PrecisionName(w.weight_precision != Precision::kFp16 ? w.weight_precision
                                                                                             : w.kv_precision)));
  }
  // Whole percents, rounded up so that the GPU share never exceeds the plan's.
  const int cpu_pct = static_cast<int>(std::ceil(e.offload.ratio * 100 - 1e-6));
  // The weights' GPU share, rounded down likewise (the plan places whole percents).
  const int w_gpu_pct = static_cast<int>(std::floor(e.offload.weight_gpu_fraction * 100 + 1e-6));
  const std::string command = fmt::format(
      "python3 -m flexgen.flex_opt --model facebook/{} --percent {} {} {} {} 100 0 --gpu-batch-size {} "
      "--num-gpu-batches 1 --prompt-len {} --gen-len {}",
      name, w_gpu_pct, 100 - w_gpu_pct, 100 - cpu_pct, cpu_pct, w.batch_size, w.input_len, w.output_len);
  Deployment d;
  d.package = "flexgen";
  d.lines = PerReplica(e, command, false);
  d.notes.push_back(fmt::format("{}activations on the GPU; KV cache {}% on the GPU, {}% in CPU memory{}",
                                w_gpu_pct == 100 ? std::string("weights and ")
                                                 : fmt::format("weights {}% on the GPU, {}% in CPU memory; ",
                                                               w_gpu_pct, 100 - w_gpu_pct),
                                100 - cpu_pct, cpu_pct,
                                cpu_pct > 0 ? fmt::format(" ({:.2f} GiB per GPU)", e.offload.host_kv_bytes / kGiB)
                                            : std::string()));
  d.notes.push_back("flex_opt runs one batch of --gpu-batch-size prompts and prints its throughput; to run the "
                    "job's own prompts, use FlexGen's OptLM with the same Policy (docs/deploy.md)");
  if (e.replicas > 1) {
    d.notes.push_back(fmt::format("{} GPUs: one FlexGen process per GPU; give each its share of the requests",
                                  e.replicas));
  }
  if (!io::EqualsIgnoreCase(plan.engine, "flexgen")) {
    d.notes.push_back(fmt::format("the prediction used engine profile '{}'; FlexGen's speed will differ (plan with "
                                  "--engine flexgen to predict it)",
                                  plan.engine));
  }
  return d;
}

// The header lines every deployment ends with: where the prices come from,
// and a warning when the model id had to be guessed.
void AddProvenance(std::vector<std::string>& h, const std::string& catalog, const std::string& as_of,
                   const ModelId& model, const ModelConfig& config) {
  h.push_back(fmt::format("prices from catalog {}{}", catalog, as_of.empty() ? " (undated)" : fmt::format(" as of {}", as_of)));
  if (!model.checked) {
    h.push_back(fmt::format("CHECK the model id {}: guessed from {} (its _name_or_path, else its folder); it must "
                            "name the HuggingFace repository or local folder holding the weights",
                            model.id, config.source));
  }
}

// Comment lines shared by every target: what InferSave predicted, from what.
std::vector<std::string> Header(const Plan& plan, const ReportContext& ctx, const ModelId& model) {
  const Evaluation& e = *plan.recommendation;
  const Instance& i = *e.instance;
  std::vector<std::string> h;
  h.push_back(fmt::format("InferSave plan: {} on {} ({}x {}) at {}/h {}, engine {}", ctx.model->name, i.name,
                          i.gpu_count, i.gpu.name, Money(e.usd_per_hour), plan.options.spot ? "spot" : "on-demand",
                          plan.engine));
  h.push_back(fmt::format("predicted {:.0f} tok/s (input + output), {:.0f} output tok/s; {} requests: job {}, billed "
                          "{}, cost {}",
                          e.tps, e.output_tps, plan.options.workload.requests, Hours(e.job_hours),
                          Hours(e.billed_hours), Money(e.job_cost_usd)));
  AddProvenance(h, plan.catalog, plan.catalog_as_of, model, *ctx.model);
  return h;
}

void WriteComments(std::ostream& out, const std::vector<std::string>& lines) {
  for (const std::string& l : lines) fmt::print(out, "# {}\n", l);
}

void WriteScript(std::ostream& out, const std::vector<std::string>& header, const Deployment& d) {
  WriteComments(out, header);
  WriteComments(out, d.notes);
  for (const std::string& l : d.lines) fmt::print(out, "{}\n", l);
}

void WriteSkyPilot(std::ostream& out, const Plan& plan, const std::vector<std::string>& header,
                   const Deployment& d) {
  const Evaluation& e = *plan.recommendation;
  const Instance& i = *e.instance;
  WriteComments(out, header);
  WriteComments(out, d.notes);
  fmt::print(out, "# launch: sky launch -c infersave <this file>\n");
  fmt::print(out, "resources:\n");
  if (std::string cloud = CloudOf(plan.catalog); !cloud.empty()) fmt::print(out, "  cloud: {}\n", cloud);
  if (!i.region.empty()) fmt::print(out, "  region: {}\n", YamlScalar(i.region));
  fmt::print(out, "  instance_type: {}\n", YamlScalar(SkyPilotInstanceType(i.name)));
  out << AcceleratorsLine(i);
  fmt::print(out, "  use_spot: {}\n", plan.options.spot ? "true" : "false");
  if (d.server) {
    const int replicas = std::max(e.replicas, 1);
    if (replicas == 1) {
      fmt::print(out, "  ports: {}\n", kFirstPort);
    } else {
      fmt::print(out, "  ports: {}-{}\n", kFirstPort, kFirstPort + replicas - 1);
    }
  }
  fmt::print(out, "setup: |\n  pip install {}\n", d.package);
  fmt::print(out, "run: |\n");
  for (const std::string& l : d.lines) fmt::print(out, "  {}\n", l);
}

// ---- Online plans ------------------------------------------------------------------

// The vLLM server of one replica of an online plan: the layout, the batch cap
// and token budget the simulation used, the longest request as the context.
Result<std::string> ServingVllmCommand(const ServingEvaluation& e, const ServingOptions& o, const ReportContext& ctx,
                                       const ModelId& model, std::string_view what) {
  auto precision = VllmPrecisionFlags(o.plan.workload, *ctx.model, what);
  if (!precision.ok()) return precision.error();
  const double utilization = o.plan.gpu_memory_utilization.value_or(ctx.engine->gpu_memory_utilization);
  int64_t longest = 0;
  for (const Request& r : o.requests) longest = std::max(longest, r.prompt_tokens + r.output_tokens);
  return fmt::format("vllm serve {} --tensor-parallel-size {} --max-model-len {} --gpu-memory-utilization {:g} "
                     "--max-num-seqs {} --max-num-batched-tokens {} {}",
                     ShellWord(model.id), e.tp, longest, utilization, e.limits.max_sequences,
                     e.limits.max_batched_tokens, *precision);
}

std::vector<std::string> ServingHeader(const ServingPlan& plan, const ServingOptions& o, const ReportContext& ctx,
                                       const ModelId& model) {
  const ServingEvaluation& e = *plan.recommendation;
  const Instance& i = *e.instance;
  std::vector<std::string> h;
  h.push_back(fmt::format("InferSave online plan: {} on {} x {} ({}x {}) at {}/h in all {}, engine {}",
                          ctx.model->name, e.instances, i.name, i.gpu_count, i.gpu.name, Money(e.fleet_usd_per_hour),
                          o.plan.spot ? "spot" : "on-demand", plan.engine));
  std::string objectives;
  if (o.slo.ttft_s) objectives += fmt::format(", TTFT p{:g} <= {:g} ms", o.slo.percentile, *o.slo.ttft_s * 1e3);
  if (o.slo.tpot_s) objectives += fmt::format(", TPOT p{:g} <= {:g} ms", o.slo.percentile, *o.slo.tpot_s * 1e3);
  h.push_back(fmt::format("target {:.3g} requests/s{}; one instance sustains {:.3g} requests/s as predicted",
                          plan.target_rate_per_s, objectives, e.max_rate_per_instance));
  h.push_back(fmt::format("workload: {}", o.description));
  AddProvenance(h, plan.catalog, plan.catalog_as_of, model, *ctx.model);
  if (o.plan.spot) {
    h.push_back("spot instances can be preempted at any time: SkyServe replaces a lost replica, but the service "
                "runs short of capacity (and may miss its objectives) until the new one is ready");
  }
  if (!io::EqualsIgnoreCase(plan.engine, "vllm")) {
    h.push_back(fmt::format("the prediction used engine profile '{}'; vLLM's speed will differ (plan with --engine "
                            "vllm to predict it)",
                            plan.engine));
  }
  return h;
}

// A SkyServe service: `instances` replicas of the instance, each running the
// vLLM servers of its model copies, a readiness probe on vLLM's /v1/models.
void WriteSkyServe(std::ostream& out, const ServingPlan& plan, const ServingOptions& o,
                   const std::vector<std::string>& header, const std::vector<std::string>& lines,
                   const std::string& package) {
  const ServingEvaluation& e = *plan.recommendation;
  const Instance& i = *e.instance;
  WriteComments(out, header);
  if (e.replicas > 1) {
    WriteComments(out, {fmt::format("{} model copies per instance, on ports {}-{}: SkyServe balances over instances "
                                    "on port {} only; put a local balancer in front of the copies, or plan with one "
                                    "copy per instance",
                                    e.replicas, kFirstPort, kFirstPort + e.replicas - 1, kFirstPort)});
  }
  fmt::print(out, "# launch: sky serve up -n infersave <this file> --env HF_TOKEN\n");
  fmt::print(out, "service:\n  readiness_probe:\n    path: /v1/models\n    initial_delay_seconds: 1200\n");
  fmt::print(out, "  replicas: {}\n", e.instances);
  fmt::print(out, "resources:\n");
  if (std::string cloud = CloudOf(plan.catalog); !cloud.empty()) fmt::print(out, "  cloud: {}\n", cloud);
  if (!i.region.empty()) fmt::print(out, "  region: {}\n", YamlScalar(i.region));
  fmt::print(out, "  instance_type: {}\n", YamlScalar(SkyPilotInstanceType(i.name)));
  out << AcceleratorsLine(i);
  fmt::print(out, "  use_spot: {}\n", o.plan.spot ? "true" : "false");
  fmt::print(out, "  ports: {}\n", kFirstPort);
  fmt::print(out, "envs:\n  HF_TOKEN: null  # gated repositories: pass it with --env HF_TOKEN\n");
  fmt::print(out, "setup: |\n  pip install {}\n", package);
  fmt::print(out, "run: |\n");
  for (const std::string& l : lines) fmt::print(out, "  {}\n", l);
}


// ---- Verification benchmarks (--emit bench) ----------------------------------------

// The recommendation and up to two runners-up that also qualify.
template <typename Eval>
std::vector<const Eval*> ToVerify(const std::vector<Eval>& candidates, const std::optional<Eval>& recommendation) {
  std::vector<const Eval*> out;
  if (recommendation) out.push_back(&*recommendation);
  for (const Eval& c : candidates) {
    if (out.size() >= 3) break;
    if (c.verdict != Verdict::kQualifies || c.instance == recommendation->instance) continue;
    if (std::any_of(out.begin(), out.end(), [&](const Eval* o) { return o->instance == c.instance; })) continue;
    out.push_back(&c);
  }
  return out;
}

// A file-name-safe form of an instance name.
std::string FileStem(std::string_view name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
  return out;
}

void WriteFeedback(std::ostream& out, const ReportContext& ctx, std::string_view engine, std::string_view files,
                   std::string_view instance, int tp, std::string_view extra) {
  fmt::print(out, "#   then feed the results back (on any machine with infersave):\n");
  fmt::print(out, "#     infersave calibrate --measurements {} --instance {} --engine {} --model {} --tp {}{} "
                  "-o calibration-{}.json\n",
             files, ShellWord(instance), engine, ShellWord(ctx.model->name), tp, extra, FileStem(instance));
  fmt::print(out, "#   and plan again with --calibration calibration-{}.json (docs/calibration.md)\n", FileStem(instance));
}

// Batch plans: `vllm bench throughput` with the job's lengths and batch on
// each instance to verify, one JSON result per instance.
Status WriteBatchBench(std::ostream& out, const Plan& plan, const ReportContext& ctx) {
  const ModelId model = DeployedModelId(*ctx.model);
  const Workload& w = plan.options.workload;
  std::ostringstream text;
  WriteComments(text, Header(plan, ctx, model));
  WriteComments(text, {"verify the plan before committing to it: rent each instance below for a few minutes and run "
                       "its benchmark (vLLM's offline throughput benchmark, the job's lengths and batch)"});
  int n = 0;
  for (const Evaluation* e : ToVerify(plan.candidates, plan.recommendation)) {
    auto flags = VllmPrecisionFlags(w, *ctx.model, "--emit bench");
    if (!flags.ok()) return flags.error();
    if (e->offload.ratio > 0) {
      fmt::print(text, "\n# {}. {}: keeps {:.0f}% of the KV cache in CPU memory, which vLLM does not do; verify it "
                       "with FlexGen (--emit flexgen)\n",
                 ++n, e->instance->name, 100 * e->offload.ratio);
      continue;
    }
    const std::string result = fmt::format("bench-{}.json", FileStem(e->instance->name));
    ++n;
    fmt::print(text, "\n# {}. {}{}: predicted {:.0f} tok/s (input + output) per model copy, {}/h\n", n,
               e->instance->name, n == 1 ? " (recommended)" : "", e->tps / std::max(1, e->replicas), Money(e->usd_per_hour));
    const double utilization = plan.options.gpu_memory_utilization.value_or(ctx.engine->gpu_memory_utilization);
    fmt::print(text,
               "vllm bench throughput --model {} --tensor-parallel-size {} --input-len {} --output-len {} "
               "--num-prompts {} --max-model-len {} --gpu-memory-utilization {:g} {} --output-json {}\n",
               ShellWord(model.id), e->tp, w.input_len, w.output_len, std::max<int64_t>(w.batch_size * 8, 200),
               w.input_len + w.output_len, utilization, *flags, result);
    WriteFeedback(text, ctx, "vllm", result, e->instance->name, e->tp,
                  fmt::format(" --input-len {} --output-len {}", w.input_len, w.output_len));
  }
  out << text.str();
  return Status::Ok();
}

// Online plans: the server, then a `vllm bench serve` sweep over request
// rates around the target one model copy must carry.
Status WriteServingBench(std::ostream& out, const ServingPlan& plan, const ServingOptions& o,
                         const ReportContext& ctx) {
  const ModelId model = DeployedModelId(*ctx.model);
  double prompt = 0, output = 0;
  for (const Request& r : o.requests) {
    prompt += static_cast<double>(r.prompt_tokens);
    output += static_cast<double>(r.output_tokens);
  }
  const double n_requests = std::max<double>(1, static_cast<double>(o.requests.size()));
  const int64_t in = std::max<int64_t>(1, std::llround(prompt / n_requests));
  const int64_t out_len = std::max<int64_t>(1, std::llround(output / n_requests));
  std::ostringstream text;
  WriteComments(text, ServingHeader(plan, o, ctx, model));
  WriteComments(text, {"verify the plan before committing to it: rent each instance below, start its server, and "
                       "sweep request rates around the rate one model copy must carry (the workload's mean lengths, "
                       "exact output lengths with --ignore-eos)"});
  int n = 0;
  for (const ServingEvaluation* e : ToVerify(plan.candidates, plan.recommendation)) {
    auto command = ServingVllmCommand(*e, o, ctx, model, "--emit bench");
    if (!command.ok()) return command.error();
    const double copies = static_cast<double>(std::max<int64_t>(1, e->instances) * std::max(1, e->replicas));
    const double per_copy = plan.target_rate_per_s > 0 ? plan.target_rate_per_s / copies
                                                       : e->max_rate_per_instance / std::max(1, e->replicas);
    std::vector<std::string> rates;
    for (double f : {0.5, 0.75, 1.0, 1.25, 1.5}) rates.push_back(fmt::format("{:.3g}", per_copy * f));
    const std::string stem = FileStem(e->instance->name);
    ++n;
    fmt::print(text, "\n# {}. {}{}: {} instance{}, {} model cop{} each, {:.3g} req/s per copy at the target, {}/h "
                     "per instance\n",
               n, e->instance->name, n == 1 ? " (recommended)" : "", e->instances, e->instances == 1 ? "" : "s",
               e->replicas, e->replicas == 1 ? "y" : "ies", per_copy, Money(e->usd_per_hour));
    const std::string gpus = e->instance->gpu_count == e->tp ? "" : fmt::format("CUDA_VISIBLE_DEVICES={} ", GpuList(0, e->tp));
    fmt::print(text, "{}{} --port {} &\n", gpus, *command, kFirstPort);
    fmt::print(text, "until curl -sf localhost:{}/v1/models >/dev/null; do sleep 5; done\n", kFirstPort);
    fmt::print(text, "for rate in {}; do\n", fmt::join(rates, " "));
    fmt::print(text,
               "  vllm bench serve --model {} --port {} --dataset-name random --random-input-len {} "
               "--random-output-len {} --ignore-eos --num-prompts {} --request-rate $rate --save-result "
               "--result-filename bench-{}-rate$rate.json\n",
               ShellWord(model.id), kFirstPort, in, out_len, 500, stem);
    fmt::print(text, "done\n");
    WriteFeedback(text, ctx, "vllm", fmt::format("bench-{}-rate*.json", stem), e->instance->name, e->tp, "");
  }
  out << text.str();
  return Status::Ok();
}

}  // namespace

Status WriteServingDeployment(std::ostream& out, const ServingPlan& plan, const ServingOptions& options,
                              const ReportContext& ctx, std::string_view target) {
  auto parsed = ParseDeployTarget(target);
  if (!parsed.ok()) return parsed.error();
  if (!plan.recommendation) return InvalidArgument("nothing to deploy: no instance meets the objectives");
  if (*parsed == DeployTarget::kBench) return WriteServingBench(out, plan, options, ctx);
  if (*parsed == DeployTarget::kFlexGen) {
    return InvalidArgument("--emit flexgen: FlexGen runs static batches, not a service; deploy an online plan with "
                           "--emit vllm or --emit skypilot");
  }
  const ModelId model = DeployedModelId(*ctx.model);
  const std::string what = fmt::format("--emit {}", *parsed == DeployTarget::kVllm ? "vllm" : "skypilot");
  auto command = ServingVllmCommand(*plan.recommendation, options, ctx, model, what);
  if (!command.ok()) return command.error();
  const std::vector<std::string> lines = PerReplica(*plan.recommendation, *command, true);
  std::ostringstream text;
  const std::vector<std::string> header = ServingHeader(plan, options, ctx, model);
  if (*parsed == DeployTarget::kSkyPilot) {
    WriteSkyServe(text, plan, options, header, lines, VllmPackage(*ctx.engine));
  } else {
    WriteComments(text, header);
    if (plan.recommendation->instances > 1) {
      WriteComments(text, {fmt::format("run this on each of the {} instances, and spread the requests over them",
                                       plan.recommendation->instances)});
    }
    for (const std::string& l : lines) fmt::print(text, "{}\n", l);
  }
  out << text.str();
  return Status::Ok();
}

Result<DeployTarget> ParseDeployTarget(std::string_view text) {
  const std::string t = io::ToLower(io::Trim(text));
  if (t == "skypilot") return DeployTarget::kSkyPilot;
  if (t == "vllm") return DeployTarget::kVllm;
  if (t == "flexgen") return DeployTarget::kFlexGen;
  if (t == "bench") return DeployTarget::kBench;
  return InvalidArgument(fmt::format("--emit: unknown target {}{} (expected skypilot, vllm, flexgen or bench)",
                                     io::Quote(text), io::DidYouMean(t, {"skypilot", "vllm", "flexgen", "bench"})));
}

Status WriteDeployment(std::ostream& out, const Plan& plan, const ReportContext& ctx, std::string_view target) {
  auto parsed = ParseDeployTarget(target);
  if (!parsed.ok()) return parsed.error();
  if (!plan.recommendation) return InvalidArgument("nothing to deploy: no instance meets the constraints");
  if (*parsed == DeployTarget::kBench) return WriteBatchBench(out, plan, ctx);
  const ModelId model = DeployedModelId(*ctx.model);

  const bool flexgen = *parsed == DeployTarget::kFlexGen ||
                       (*parsed == DeployTarget::kSkyPilot && io::EqualsIgnoreCase(plan.engine, "flexgen"));
  const std::string what = *parsed != DeployTarget::kSkyPilot ? fmt::format("--emit {}", flexgen ? "flexgen" : "vllm")
                           : flexgen ? std::string("--emit skypilot (with FlexGen, the plan's engine)")
                                     : std::string("--emit skypilot (with vLLM)");
  auto deployment = flexgen ? FlexGenDeployment(plan, ctx, model, what)
                            : VllmDeployment(plan, *plan.recommendation, ctx, model, what);
  if (!deployment.ok()) return deployment.error();

  // Written to a buffer first: nothing reaches `out` unless all of it does.
  std::ostringstream text;
  const std::vector<std::string> header = Header(plan, ctx, model);
  if (*parsed == DeployTarget::kSkyPilot) {
    WriteSkyPilot(text, plan, header, *deployment);
  } else {
    WriteScript(text, header, *deployment);
  }
  out << text.str();
  return Status::Ok();
}

}  // namespace infersave
