// MLPerf Inference LLM results as validation data (include/infersave/mlperf.h).
#include "infersave/mlperf.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "infersave/planner.h"
#include "infersave/serving.h"
#include "infersave/simulator.h"
#include "infersave/shipped.h"
#include "io/csv.h"
#include "io/text.h"

namespace infersave {
namespace {

constexpr const char* kMlperfFile = "mlperf/mlperf-inference-v4.1-v5.1-llm-datacenter.csv";

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

bool ContainsFormat(const std::vector<Precision>& formats, Precision p) {
  return std::find(formats.begin(), formats.end(), p) != formats.end();
}

// The accelerator names MLPerf submitters write, to GPU-table names. Order
// matters: the first match wins ("H200-NVL" before "H200").
const std::vector<std::pair<std::string_view, std::string_view>>& AcceleratorNames() {
  static const std::vector<std::pair<std::string_view, std::string_view>> m = {
      {"GH200 Grace Hopper Superchip 144GB", "GH200-144GB"},
      {"GH200 Grace Hopper Superchip 96GB", "GH200"},
      {"H200-NVL", "H200-NVL"},
      {"H100-NVL", "H100-NVL"},
      {"H100-PCIe", "H100-PCIe"},
      {"H200-SXM", "H200"},
      {"H100-SXM", "H100"},
      {"B200-SXM", "B200"},
      {"NVIDIA GB200", "GB200"},
      {"L40S", "L40S"},
      {"RTX PRO 6000 Blackwell Server Edition", "RTX-PRO-6000"},
      {"MI355X", "MI355X"},
      {"MI325X", "MI325X"},
      {"MI300X", "MI300X"},
  };
  return m;
}

}  // namespace

const std::vector<MlperfWorkload>& MlperfWorkloads() {
  // Lengths: mean prompt and generated tokens of each benchmark's dataset;
  // limits: the Server scenario's p99 TTFT and TPOT (docs/validation-data.md
  // quotes each with its source).
  static const std::vector<MlperfWorkload> w = {
      {"llama2-70b", "llama-2-70b", 222.3, 294.45, 1024, 2.0, 0.2,
       "mlcommons/inference language/llama2-70b (OpenOrca, 24,576 samples); mean prompt 222.3 tokens (median 152, "
       "max 1021) over the dataset's per-sample lengths; mean output 294.45 from the reference implementation; "
       "TTFT 2 s / TPOT 200 ms p99 (mlperf.conf)"},
      {"mixtral-8x7b", "mixtral-8x7b", 427.4, 144.84, 1024, 2.0, 0.2,
       "mlcommons/inference language/mixtral-8x7b (OpenOrca, GSM8K, MBXP; 15,000 samples); mean prompt 427.4 tokens "
       "(median 283, max 1948); mean output 144.84; TTFT 2 s / TPOT 200 ms p99"},
      {"llama3.1-8b", "llama-3.1-8b", 870.7, 128, 128, 2.0, 0.1,
       "mlcommons/inference language/llama3.1-8b (CNN/DailyMail, 13,368 samples); mean prompt 870.7 tokens (median "
       "784, max 2540); output capped at 128 and most reach it; TTFT 2 s / TPOT 100 ms p99"},
      {"llama3.1-405b", "llama-3.1-405b", 9428.6, 684.68, 2000, 6.0, 0.175,
       "mlcommons/inference language/llama3.1-405b (8,313 samples); mean prompt 9,428.6 tokens (median 10,112, max "
       "19,988); mean output 684.68; TTFT 6 s / TPOT 175 ms p99"},
  };
  return w;
}

Result<MlperfData> LoadMlperf(std::string_view data_dir, const GpuTable& gpus) {
  namespace fs = std::filesystem;
  const std::string path = (fs::path(std::string(data_dir)) / kMlperfFile).string();
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.error();
  auto table = io::ParseCsv(*text, path);
  if (!table.ok()) return table.error();
  if (Status s = io::RequireColumns(*table, {"version", "division", "submitter", "system", "model", "scenario",
                                             "valid", "accelerator", "accelerators_per_node", "nodes", "framework",
                                             "weight_data_types", "tokens_per_s", "source"});
      !s.ok()) {
    return s.error();
  }
  MlperfData out;
  for (const io::CsvRecord& record : table->rows) {
    io::CellReader cells(*table, record);
    auto skip = [&](const std::string& why) { ++out.skipped[why]; };
    const std::string model(cells.Text("model"));
    const std::string scenario(cells.Text("scenario"));
    if (model.rfind("gptj", 0) == 0) {
      skip("GPT-J: beam search with 4 beams, which the planner does not model");
      continue;
    }
    if (cells.Text("valid") != "True") {
      skip("not a valid result");
      continue;
    }
    if (cells.Text("division") != "closed") {
      skip("open division (the model or accuracy target may differ)");
      continue;
    }
    if (scenario != "Offline" && scenario != "Server") {
      skip(fmt::format("{} scenario (only Offline and Server are mapped)", scenario));
      continue;
    }
    const MlperfWorkload* workload = nullptr;
    for (const MlperfWorkload& w : MlperfWorkloads()) {
      if (model.rfind(w.benchmark, 0) == 0) workload = &w;
    }
    if (!workload) {
      skip(fmt::format("benchmark {} has no shipped model", model));
      continue;
    }
    const std::string accelerator(cells.Text("accelerator"));
    const GpuSpec* gpu = gpus.Find(accelerator);
    if (!gpu && !Contains(accelerator, "(x")) {  // "(x32)": systems mixing two accelerators
      for (const auto& [pattern, name] : AcceleratorNames()) {
        if (Contains(accelerator, pattern)) {
          gpu = gpus.Find(name);
          break;
        }
      }
    }
    if (!gpu) {
      skip(accelerator.empty() ? "no accelerator named" : "GPU not in the GPU table: " + accelerator);
      continue;
    }
    const std::string framework = io::ToLower(cells.Text("framework"));
    std::string engine;
    if (Contains(framework, "tensorrt")) {
      engine = "tensorrt-llm";
    } else if (Contains(framework, "vllm")) {
      engine = gpu->vendor == "amd" ? "vllm-rocm" : "vllm";
    } else {
      skip("engine not profiled: " + std::string(cells.Text("framework")).substr(0, 40));
      continue;
    }
    const std::string weights = io::ToLower(cells.Text("weight_data_types"));
    Precision precision;
    if (weights == "fp16" || weights == "bf16") {
      precision = Precision::kFp16;
    } else if (weights == "fp8") {
      precision = Precision::kFp8;
    } else if (weights == "fp4" || weights == "mxfp4" || weights == "nvfp4") {
      precision = Precision::kFp4;
    } else if (weights == "int8") {
      precision = Precision::kInt8;
    } else if (weights == "int4" || weights == "uint4") {
      precision = Precision::kInt4;
    } else {
      skip("weight data type not stated");
      continue;
    }
    // v4.1 results state the checkpoint's type; their harnesses ran Llama 2
    // 70B and Mixtral in FP8 wherever the GPU has FP8 (NVIDIA's TensorRT-LLM
    // and AMD's vLLM MLPerf code quantise to FP8; v5.1 states the type run).
    if (precision == Precision::kFp16 && cells.Text("version") == "v4.1" && gpu->Flops(Precision::kFp8) > 0) {
      precision = Precision::kFp8;
      ++out.assumed["v4.1 'fp16' on an FP8-capable GPU read as FP8 weights"];
    }
    auto per_node = cells.Number("accelerators_per_node", true);
    auto nodes = cells.Number("nodes", true);
    auto tps = cells.Number("tokens_per_s", true);
    if (!per_node.ok() || !nodes.ok() || !tps.ok()) {
      skip("accelerator count, node count or tokens_per_s missing");
      continue;
    }
    MlperfResult r;
    r.version = std::string(cells.Text("version"));
    r.submitter = std::string(cells.Text("submitter"));
    r.system = std::string(cells.Text("system"));
    r.benchmark = workload->benchmark;
    r.scenario = scenario;
    r.gpu = gpu->name;
    r.gpus_per_node = static_cast<int>(**per_node);
    r.gpus = static_cast<int>(**per_node * **nodes);
    r.engine = engine;
    r.weights = precision;
    r.measured_tokens_per_s = **tps;
    r.source = fmt::format("{}:{} ({})", kMlperfFile, record.line, cells.Text("source"));
    // One run submitted for both accuracy targets (99% and 99.9%) counts once.
    const bool repeated = std::any_of(out.rows.begin(), out.rows.end(), [&](const MlperfResult& o) {
      return o.version == r.version && o.submitter == r.submitter && o.system == r.system &&
             o.benchmark == r.benchmark && o.scenario == r.scenario &&
             o.measured_tokens_per_s == r.measured_tokens_per_s;
    });
    if (repeated) {
      skip("the same result submitted for both accuracy targets (counted once)");
      continue;
    }
    out.rows.push_back(std::move(r));
  }
  return out;
}

namespace {

std::string GpuClass(const GpuSpec& gpu, int gpus) {
  const bool pcie = gpu.gpu_link == "PCIe";
  if (gpus <= 1) return pcie ? "PCIe or power-limited" : "SXM";
  if (pcie) return "multi-GPU over PCIe";
  return gpu.gpu_link == "xGMI" ? "multi-GPU over xGMI" : "multi-GPU over NVLink";
}

// The best layout of one system: for every TP degree the largest batch that
// fits (bisection on the batch; memory grows with it), then the throughput.
struct Placed {
  int tp = 0;
  int64_t batch = 0;
  double tps = 0;
  double calibrated_tps = 0;
  bool calibrated = false;
};

std::optional<Placed> Place(const ModelConfig& model, const EngineProfile& engine, const Calibration* calibration,
                            const Instance& instance, const Workload& base, int gpus_per_node, int64_t reserved_output) {
  Catalog catalog;
  catalog.instances = {instance};
  std::optional<Placed> best;
  for (int tp = 1; tp <= std::min(instance.gpu_count, gpus_per_node); tp *= 2) {
    if (instance.gpu_count % tp != 0 || !ValidTensorParallel(model, tp)) continue;
    auto evaluate = [&](int64_t batch, int64_t output_len, const Calibration* cal) {
      PlanOptions options;
      options.workload = base;
      options.workload.batch_size = batch;
      options.workload.output_len = output_len;
      options.slo_tps = 0;
      options.pace = Pace::kMax;
      Evaluator evaluator(PlanContext{&model, &catalog, &engine, cal}, options);
      return evaluator.EvaluateLayout(catalog.instances[0], tp, OffloadMode::kNone, 0);
    };
    // The batch is bounded by the KV a sequence holds: its mean length, or
    // its prompt plus max_new_tokens for engines that reserve a request's
    // whole KV at admission (TensorRT-LLM's GUARANTEED_NO_EVICT).
    const int64_t held = engine.reserve_output_kv ? std::max(base.output_len, reserved_output) : base.output_len;
    auto fits = [&](int64_t batch) { return evaluate(batch, held, nullptr).can_run; };
    if (!fits(1)) continue;
    int64_t lo = 1, hi = std::max<int64_t>(1, engine.MaxSequences(instance.gpu));
    while (lo < hi) {
      const int64_t mid = (lo + hi + 1) / 2;
      if (fits(mid)) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    const Evaluation e = evaluate(lo, base.output_len, nullptr);
    Placed p{tp, lo, e.output_tps, e.output_tps, false};
    if (calibration) {
      const Evaluation c = evaluate(lo, base.output_len, calibration);
      p.calibrated = c.ctcf.calibrated();
      p.calibrated_tps = c.output_tps;
    }
    if (!best || p.tps > best->tps) best = p;
  }
  return best;
}

// The Server scenario: Poisson arrivals at the highest rate whose TTFT and
// TPOT p99 stay within the benchmark's limits, found by the serving planner's
// rate search over the system's layouts (the best kept); generated tokens/s =
// that rate x the mean output. Lengths are the benchmark's means, fixed.
Result<std::optional<Placed>> PlaceServer(const ModelConfig& model, const EngineProfile& engine,
                                          const Calibration* calibration, const Instance& instance,
                                          const Workload& base, const MlperfWorkload& workload) {
  WorkloadSpec spec;
  spec.rate_per_s = 1;
  spec.prompt = LengthDistribution::Fixed(base.input_len);
  spec.output = LengthDistribution::Fixed(base.output_len);
  spec.num_requests = 600;
  spec.seed = 1;
  auto requests = GenerateRequests(spec);
  if (!requests.ok()) return requests.error();
  Catalog catalog;
  catalog.name = "mlperf";
  catalog.instances = {instance};
  auto run = [&](const Calibration* cal) -> Result<std::optional<ServingEvaluation>> {
    ServingOptions o;
    o.plan.workload = base;
    o.plan.workload.batch_size = 1;
    o.plan.slo_tps = 0;
    o.requests = *requests;
    o.requests_rate_per_s = 1;
    o.slo.ttft_s = workload.ttft_p99_s;
    o.slo.tpot_s = workload.tpot_p99_s;
    o.slo.percentile = 99;
    o.rate_tolerance = 0.04;
    o.max_output_tokens = workload.max_output;  // MLPerf runs ask for max_new_tokens
    auto plan = MakeServingPlan(PlanContext{&model, &catalog, &engine, cal}, o);
    if (!plan.ok()) return plan.error();
    if (plan->candidates.empty() || !plan->candidates.front().qualifies()) return std::optional<ServingEvaluation>();
    return std::optional<ServingEvaluation>(plan->candidates.front());
  };
  auto uncalibrated = run(nullptr);
  if (!uncalibrated.ok()) return uncalibrated.error();
  if (!*uncalibrated) return std::optional<Placed>();
  const ServingEvaluation& e = **uncalibrated;
  Placed p;
  p.tp = e.tp;
  p.batch = e.limits.max_sequences;
  p.tps = e.max_rate_per_instance * static_cast<double>(base.output_len);
  if (calibration) {
    auto calibrated = run(calibration);
    if (!calibrated.ok()) return calibrated.error();
    if (*calibrated && ((*calibrated)->ctcf.calibrated())) {
      p.calibrated = true;
      p.calibrated_tps = (*calibrated)->max_rate_per_instance * static_cast<double>(base.output_len);
    }
  }
  return std::optional<Placed>(p);
}

}  // namespace

Result<MlperfValidation> ValidateMlperf(const MlperfData& data, const GpuTable& gpus, const Calibration* calibration) {
  MlperfValidation out;
  std::map<std::string, ModelConfig> models;
  std::map<std::string, EngineProfile> engines;
  std::map<std::string, std::optional<Placed>> server_cache;
  for (const MlperfResult& r : data.rows) {
    const MlperfWorkload* workload = nullptr;
    for (const MlperfWorkload& w : MlperfWorkloads()) {
      if (w.benchmark == r.benchmark) workload = &w;
    }
    if (!models.count(workload->model)) {
      auto m = LoadModel(workload->model);
      if (!m.ok()) return m.error();
      models.emplace(workload->model, std::move(m).value());
    }
    if (!engines.count(r.engine)) {
      auto e = LoadEngine(r.engine);
      if (!e.ok()) return e.error();
      engines.emplace(r.engine, std::move(e).value());
    }
    const ModelConfig& model = models.at(workload->model);
    const EngineProfile& engine = engines.at(r.engine);
    Instance instance;
    instance.name = r.system;
    instance.gpu = *gpus.Find(r.gpu);
    instance.gpu_count = r.gpus;
    instance.host_memory_bytes = 2048.0 * (1 << 30);  // host memory does not limit a run without offloading
    instance.usd_per_hour = 1;
    Workload w;
    w.input_len = static_cast<int64_t>(std::lround(workload->mean_input));
    w.output_len = static_cast<int64_t>(std::lround(workload->mean_output));
    w.requests = 1;
    w.weight_precision = r.weights;
    // Submissions with 8- or 4-bit weights keep an FP8 KV cache where the GPU has FP8.
    const bool low = r.weights == Precision::kFp8 || r.weights == Precision::kFp4;
    w.kv_precision = low && instance.gpu.Flops(Precision::kFp8) > 0 ? Precision::kFp8 : Precision::kFp16;
    if (!ContainsFormat(engine.weight_formats, w.weight_precision)) {
      ++out.unplaced[fmt::format("engine profile '{}' has no {} weights", engine.name, PrecisionName(w.weight_precision))];
      continue;
    }
    const Calibration* cal = engine.default_calibration.empty() ? nullptr : calibration;
    std::optional<Placed> placed;
    if (r.scenario == "Offline") {
      placed = Place(model, engine, cal, instance, w, r.gpus_per_node, workload->max_output);
    } else {
      if (!engine.continuous_batching) {
        ++out.unplaced["Server scenario with an engine profile without continuous batching"];
        continue;
      }
      // One simulation per distinct system and format: repeated submissions share it.
      const std::string key = fmt::format("{}|{}|{}|{}|{}|{}", r.benchmark, r.gpu, r.gpus, r.gpus_per_node, r.engine,
                                          PrecisionName(r.weights));
      auto cached = server_cache.find(key);
      if (cached == server_cache.end()) {
        // The rate search runs within one node (a multi-node system is that many nodes).
        Instance node = instance;
        node.gpu_count = r.gpus_per_node;
        auto found = PlaceServer(model, engine, cal, node, w, *workload);
        if (!found.ok()) return found.error();
        if (*found) {
          const double nodes = static_cast<double>(r.gpus) / static_cast<double>(r.gpus_per_node);
          (*found)->tps *= nodes;
          (*found)->calibrated_tps *= nodes;
        }
        cached = server_cache.emplace(key, *found).first;
      }
      placed = cached->second;
    }
    if (!placed) {
      ++out.unplaced["the model does not fit the system's GPUs in the planner's memory model"];
      continue;
    }
    MlperfPrediction p;
    p.result = r;
    p.gpu_class = GpuClass(instance.gpu, r.gpus);
    p.tp = placed->tp;
    p.replicas = r.gpus / placed->tp;
    p.batch = placed->batch;
    p.predicted_tps = placed->tps;
    if (placed->calibrated) p.calibrated_tps = placed->calibrated_tps;
    out.predictions.push_back(std::move(p));
  }
  return out;
}

std::vector<MlperfDecision> MlperfDecisionCheck(const std::vector<MlperfPrediction>& predictions,
                                                const std::vector<const Catalog*>& catalogs) {
  // The cheapest GPU-hour of each GPU type in the shipped catalogs.
  std::map<std::string, double> gpu_hour;
  for (const Catalog* c : catalogs) {
    for (const Instance& i : c->instances) {
      const double per_gpu = i.usd_per_hour / std::max(1, i.gpu_count);
      auto it = gpu_hour.find(i.gpu.name);
      if (it == gpu_hour.end() || per_gpu < it->second) gpu_hour[i.gpu.name] = per_gpu;
    }
  }
  // Per workload, the best measured and predicted throughput per GPU of each GPU type.
  struct Best {
    double measured = 0, predicted = 0;
  };
  std::map<std::string, std::map<std::string, Best>> cases;
  for (const MlperfPrediction& p : predictions) {
    if (!gpu_hour.count(p.result.gpu)) continue;
    const std::string key = fmt::format("{} {} {}", p.result.benchmark, p.result.scenario, p.result.version);
    Best& b = cases[key][p.result.gpu];
    const double gpus = static_cast<double>(p.result.gpus);
    b.measured = std::max(b.measured, p.result.measured_tokens_per_s / gpus);
    b.predicted = std::max(b.predicted, p.predicted_tps / gpus);
  }
  std::vector<MlperfDecision> out;
  for (const auto& [key, by_gpu] : cases) {
    if (by_gpu.size() < 2) continue;
    auto cost = [&](const std::string& gpu, double tps_per_gpu) { return gpu_hour.at(gpu) / tps_per_gpu; };
    MlperfDecision d;
    d.workload = key;
    d.gpu_types = static_cast<int>(by_gpu.size());
    double best_measured = std::numeric_limits<double>::infinity(), best_predicted = best_measured;
    for (const auto& [gpu, b] : by_gpu) {
      if (cost(gpu, b.measured) < best_measured) {
        best_measured = cost(gpu, b.measured);
        d.measured_pick = gpu;
      }
      if (cost(gpu, b.predicted) < best_predicted) {
        best_predicted = cost(gpu, b.predicted);
        d.predicted_pick = gpu;
      }
    }
    const double pick_measured = cost(d.predicted_pick, by_gpu.at(d.predicted_pick).measured);
    d.pick_cost_over_best_pct = 100 * (pick_measured - best_measured) / best_measured;
    d.pass = d.pick_cost_over_best_pct <= 2 + 1e-9;
    out.push_back(d);
  }
  return out;
}

}  // namespace infersave
