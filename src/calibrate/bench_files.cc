// Benchmark result files (include/infersave/bench_files.h).
#include "infersave/bench_files.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>

#include "infersave/shipped.h"
#include "io/text.h"

namespace infersave {
namespace {

using Json = nlohmann::json;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Python's json module writes bare NaN, Infinity and -Infinity (SGLang's
// request_rate, llmperf and trtllm-bench statistics); JSON has no such
// tokens. Outside strings they become null and the strings "Infinity" /
// "-Infinity", which Number() reads.
std::string PythonJsonToJson(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (text.substr(i, 3) == "NaN") {
      out += "null";
      i += 2;
    } else if (text.substr(i, 8) == "Infinity") {
      out += "\"Infinity\"";
      i += 7;
    } else if (text.substr(i, 9) == "-Infinity") {
      out += "\"-Infinity\"";
      i += 8;
    } else {
      out += c;
    }
  }
  return out;
}

// The file's documents: one JSON value, or one per line (JSON Lines).
Result<std::vector<Json>> ParseDocuments(std::string_view text, std::string_view source) {
  const std::string json = PythonJsonToJson(text);
  Json whole = Json::parse(json, nullptr, false);
  if (!whole.is_discarded()) return std::vector<Json>{whole};
  std::vector<Json> lines;
  int line_no = 0;
  for (std::string_view line : io::SplitLines(json)) {
    ++line_no;
    if (io::Trim(line).empty()) continue;
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      return InvalidInput(fmt::format("{}:{}: not valid JSON (nor JSON Lines)", source, line_no));
    }
    lines.push_back(std::move(j));
  }
  if (lines.empty()) return InvalidInput(fmt::format("{}: empty file", source));
  return lines;
}

// A number from a JSON number, a numeric string, or "inf"/"Infinity".
std::optional<double> Number(const Json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string s = io::ToLower(j.get<std::string>());
    if (s == "inf" || s == "infinity") return kInf;
    return io::ParseNumber(s);
  }
  return std::nullopt;
}

std::optional<double> Field(const Json& j, std::string_view key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(std::string(key));
  return it == j.end() ? std::nullopt : Number(*it);
}

// genai-perf / AIPerf metric objects: {"unit": "ms", "avg": ...}.
std::optional<double> Avg(const Json& j, std::string_view key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(std::string(key));
  return it == j.end() ? std::nullopt : Field(*it, "avg");
}

std::string Text(const Json& j, std::string_view key) {
  if (!j.is_object()) return "";
  auto it = j.find(std::string(key));
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

const Json* Object(const Json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(std::string(key));
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

bool Has(const Json& j, std::string_view key) { return j.is_object() && j.contains(std::string(key)); }

std::optional<BenchFormat> DetectDocument(const Json& j) {
  if (j.is_array()) {
    if (j.empty()) return std::nullopt;
    return DetectDocument(j.front());
  }
  if (!j.is_object()) return std::nullopt;
  if (Has(j, "avg_ts") && Has(j, "n_prompt")) return BenchFormat::kLlamaBench;
  if (Has(j, "engine") && Has(j, "performance") && Has(j, "request_info")) return BenchFormat::kTrtllmBench;
  if (Has(j, "num_concurrent_requests") && Has(j, "results_ttft_s_mean")) return BenchFormat::kLlmperf;
  if (Object(j, "time_to_first_token") || Object(j, "request_throughput") || Object(j, "records")) {
    return BenchFormat::kGenaiPerf;
  }
  if (Has(j, "elapsed_time") && Has(j, "tokens_per_second")) return BenchFormat::kVllmThroughput;
  if (Has(j, "output_throughput") && (Has(j, "dataset_name") || Has(j, "sharegpt_output_len"))) {
    return BenchFormat::kSglangServing;
  }
  if (Has(j, "request_throughput") && (Has(j, "model_id") || Has(j, "num_prompts"))) return BenchFormat::kVllmServe;
  return std::nullopt;
}

bool LooksLikeTrtllmText(std::string_view text) {
  return text.find("= PERFORMANCE OVERVIEW") != std::string_view::npos;
}

int64_t Tokens(double mean) { return std::max<int64_t>(1, std::llround(mean)); }

// What every run shares: hardware, engine, model, from the flags first and
// the file second.
struct RunBuilder {
  const BenchDefaults& defaults;
  const GpuTable& gpus;
  std::string source;
  BenchFormat format;

  // `file_model`: the model the file names (an HF id), "" when none.
  Result<Measurement> Start(int index, std::string_view file_engine, std::string_view file_model, int file_tp,
                            std::string_view file_gpu) const {
    Measurement m;
    m.source = index >= 0 ? fmt::format("{} run {}", source, index + 1) : source;
    if (defaults.instance) {
      m.instance = defaults.instance;
      m.gpu = defaults.instance->gpu.name;
    } else if (!defaults.gpu.empty()) {
      m.gpu = defaults.gpu;
    } else if (const GpuSpec* gpu = FindGpu(file_gpu)) {
      m.gpu = gpu->name;
    } else {
      return InvalidInput(fmt::format("{}: {} does not say which GPU ran it{}: give the GPU or the instance", m.source,
                                      BenchFormatName(format),
                                      file_gpu.empty() ? "" : fmt::format(" (it names {})", io::Quote(file_gpu))));
    }
    m.engine = !defaults.engine.empty() ? defaults.engine : std::string(file_engine);
    if (m.engine.empty()) {
      return InvalidInput(fmt::format("{}: {} does not say which engine served it: give the engine", m.source,
                                      BenchFormatName(format)));
    }
    if (!defaults.model.empty()) {
      m.model = defaults.model;
    } else if (auto shipped = ShippedModelForHfId(file_model)) {
      m.model = *shipped;
    } else {
      return InvalidInput(fmt::format(
          "{}: {}: give the model (a shipped name or a config.json path)", m.source,
          file_model.empty() ? "the file does not name its model"
                             : fmt::format("model {} is not a shipped model", io::Quote(file_model))));
    }
    m.tp = defaults.tp > 0 ? defaults.tp : std::max(1, file_tp);
    if (defaults.precision) m.precision = *defaults.precision;
    return m;
  }

  const GpuSpec* FindGpu(std::string_view name) const {
    if (name.empty()) return nullptr;
    std::string n(io::Trim(name));
    for (std::string_view prefix : {"NVIDIA ", "GeForce ", "AMD "}) {
      if (const GpuSpec* g = gpus.Find(n)) return g;
      if (n.starts_with(prefix)) n = n.substr(prefix.size());
    }
    return gpus.Find(n);
  }

  // The lengths: the flags', else the file's means.
  Status Lengths(Measurement& m, std::optional<double> input_mean, std::optional<double> output_mean) const {
    if (defaults.input_len > 0) input_mean = static_cast<double>(defaults.input_len);
    if (defaults.output_len > 0) output_mean = static_cast<double>(defaults.output_len);
    if (!input_mean || !output_mean || !(*input_mean > 0) || !(*output_mean > 0)) {
      return InvalidInput(fmt::format("{}: {} records no {} length: give the input and output lengths", m.source,
                                      BenchFormatName(format), !input_mean || !(*input_mean > 0) ? "input" : "output"));
    }
    m.input_len = Tokens(*input_mean);
    m.output_len = Tokens(*output_mean);
    return Status::Ok();
  }
};

Status Require(bool ok, const Measurement& m, std::string_view what) {
  if (ok) return Status::Ok();
  return InvalidInput(fmt::format("{}: missing or invalid {}", m.source, what));
}

std::optional<LengthDistribution> Empirical(const Json& j, std::string_view key) {
  if (!j.is_object() || !j.contains(std::string(key)) || !j[std::string(key)].is_array()) return std::nullopt;
  std::vector<int64_t> values;
  for (const Json& v : j[std::string(key)]) {
    if (auto n = Number(v); n && *n >= 1) values.push_back(std::llround(*n));
  }
  if (values.empty()) return std::nullopt;
  return LengthDistribution::Empirical(std::move(values));
}

// The keys vLLM's and SGLang's serving benchmarks share (SGLang's writer
// began as a copy of vLLM's): the load, the counts, the lengths and the
// mean latencies. Means only: the simulator's latencies are compared as
// means (SGLang versions that wrote medians alone give no TTFT or TPOT).
Status ReadServeFields(const Json& j, const RunBuilder& b, Measurement& m) {
  const std::optional<double> completed = Field(j, "completed");
  if (Status s = Require(completed && *completed >= 1, m, "'completed' (requests that finished)"); !s.ok()) return s;
  m.num_requests = std::llround(*completed);
  auto in = Field(j, "total_input_tokens"), out = Field(j, "total_output_tokens");
  if (Status s = b.Lengths(m, in ? std::optional(*in / *completed) : std::nullopt,
                           out ? std::optional(*out / *completed) : std::nullopt);
      !s.ok()) {
    return s;
  }
  m.request_rate = Field(j, "request_rate");
  if (Status s = Require(m.request_rate && *m.request_rate > 0, m, "'request_rate'"); !s.ok()) return s;
  if (auto c = Field(j, "max_concurrency"); c && *c >= 1) m.concurrency = std::llround(*c);
  m.input_dist = Empirical(j, "input_lens");
  m.output_dist = Empirical(j, "output_lens");
  if (auto ttft = Field(j, "mean_ttft_ms")) m.prefill_s = *ttft / 1e3;
  if (auto tpot = Field(j, "mean_tpot_ms"); tpot && *tpot > 0) m.decode_s_per_token = *tpot / 1e3;
  if (auto tps = Field(j, "output_throughput"); tps && *tps > 0) {
    m.throughput_tps = *tps;
    m.counts = TokensCounted::kOutput;
  }
  return Status::Ok();
}

// vllm bench serve / benchmark_serving.py: one run per object.
Result<Measurement> ReadVllmServe(const Json& j, int index, const RunBuilder& b) {
  auto m = b.Start(index, Text(j, "backend") == "openai" ? "" : Text(j, "backend"), Text(j, "model_id"), 0, "");
  if (!m.ok()) return m;
  if (Status s = ReadServeFields(j, b, *m); !s.ok()) return s.error();
  return m;
}

// vllm bench throughput: all requests at once; lengths from the flags.
Result<Measurement> ReadVllmThroughput(const Json& j, int index, const RunBuilder& b) {
  auto m = b.Start(index, "vllm", "", 0, "");
  if (!m.ok()) return m;
  const auto requests = Field(j, "num_requests");
  const auto tps = Field(j, "tokens_per_second");
  if (Status s = Require(requests && *requests >= 1, *m, "'num_requests'"); !s.ok()) return s.error();
  if (Status s = Require(tps && *tps > 0, *m, "'tokens_per_second'"); !s.ok()) return s.error();
  if (Status s = b.Lengths(*m, std::nullopt, std::nullopt); !s.ok()) return s.error();
  // The file's token count must be what the lengths say (input + output).
  if (auto total = Field(j, "total_num_tokens")) {
    const double expected = *requests * static_cast<double>(m->input_len + m->output_len);
    if (std::fabs(*total - expected) > 0.02 * expected) {
      return InvalidInput(fmt::format("{}: total_num_tokens is {:.0f}, but {:.0f} requests of {} + {} tokens make "
                                      "{:.0f}: give the lengths the run used",
                                      m->source, *total, *requests, m->input_len, m->output_len, expected));
    }
  }
  m->num_requests = std::llround(*requests);
  m->request_rate = kInf;
  m->throughput_tps = *tps;
  m->counts = TokensCounted::kInputAndOutput;
  return m;
}

// SGLang bench_serving: one JSON line per run.
Result<Measurement> ReadSglang(const Json& j, int index, const RunBuilder& b) {
  std::string model;
  if (const Json* info = Object(j, "server_info")) model = Text(*info, "model_path");
  auto m = b.Start(index, "", model, 0, "");
  if (!m.ok()) return m;
  if (Status s = ReadServeFields(j, b, *m); !s.ok()) return s.error();
  // The random dataset draws lengths uniformly from [len x ratio, len].
  const auto ratio = Field(j, "random_range_ratio");
  if (Text(j, "dataset_name") != "random" || !ratio) return m;
  auto uniform = [&](const char* key, int64_t given, std::optional<LengthDistribution>& dist) {
    const auto len = Field(j, key);
    if (dist || given > 0 || !len || *len < 1) return;
    dist = LengthDistribution::Uniform(std::max<int64_t>(1, std::llround(*len * *ratio)), std::llround(*len));
  };
  uniform("random_input_len", b.defaults.input_len, m->input_dist);
  uniform("random_output_len", b.defaults.output_len, m->output_dist);
  return m;
}

// genai-perf and AIPerf: metric objects, and the load in input_config.
Result<Measurement> ReadGenaiPerf(const Json& doc, int index, const RunBuilder& b) {
  const Json& j = Object(doc, "records") ? doc["records"] : doc;  // AIPerf 0.1.x wraps the metrics
  const Json* config = Object(doc, "input_config");
  std::string model;
  std::optional<double> concurrency, rate;
  if (config) {
    // genai-perf before 25.x: flat; later: model_names and perf_analyzer.stimulus;
    // AIPerf: endpoint.model_names and loadgen.
    const Json* endpoint = Object(*config, "endpoint");
    for (const Json* holder : {config, endpoint}) {
      if (!holder) continue;
      for (const char* key : {"model", "model_names"}) {
        if (holder->contains(key) && (*holder)[key].is_array() && !(*holder)[key].empty() &&
            (*holder)[key][0].is_string()) {
          model = (*holder)[key][0].get<std::string>();
        }
      }
    }
    const Json* stimulus = Object(*config, "perf_analyzer") ? Object((*config)["perf_analyzer"], "stimulus") : nullptr;
    for (const Json* holder : {config, stimulus, Object(*config, "loadgen")}) {
      if (!holder) continue;
      if (auto c = Field(*holder, "concurrency"); c && *c >= 1) concurrency = c;
      if (auto r = Field(*holder, "request_rate"); r && *r > 0) rate = r;
    }
  }
  auto m = b.Start(index, "", model, 0, "");
  if (!m.ok()) return m;
  if (!concurrency && !rate) {
    return InvalidInput(fmt::format("{}: the profile export records no concurrency or request rate (input_config)",
                                    m->source));
  }
  if (concurrency) m->concurrency = std::llround(*concurrency);
  m->request_rate = rate.value_or(kInf);
  const auto count = Avg(j, "request_count");
  if (Status s = Require(count && *count >= 1, *m, "'request_count'"); !s.ok()) return s.error();
  m->num_requests = std::llround(*count);
  if (Status s = b.Lengths(*m, Avg(j, "input_sequence_length"), Avg(j, "output_sequence_length")); !s.ok()) {
    return s.error();
  }
  auto ttft = Avg(j, "time_to_first_token");
  if (!ttft) ttft = Avg(j, "ttft");
  if (ttft) m->prefill_s = *ttft / 1e3;
  auto itl = Avg(j, "inter_token_latency");
  if (!itl) itl = Avg(j, "itl");
  if (itl && *itl > 0) m->decode_s_per_token = *itl / 1e3;  // (last - first token) / (tokens - 1): TPOT
  if (auto tps = Avg(j, "output_token_throughput"); tps && *tps > 0) {
    m->throughput_tps = *tps;
    m->counts = TokensCounted::kOutput;
  }
  return m;
}

Result<Precision> TrtllmPrecision(const Json& engine) {
  const std::string quant = io::ToLower(Text(engine, "quantization"));
  if (quant.empty() || quant == "none") {
    const std::string dtype = Text(engine, "dtype");
    return dtype.empty() ? Precision::kFp16 : ParsePrecision(dtype);
  }
  if (quant.starts_with("fp8")) return Precision::kFp8;
  if (quant.find("nvfp4") != std::string::npos || quant == "fp4") return Precision::kFp4;
  if (quant.find("int8") != std::string::npos || quant.find("w8a") != std::string::npos) return Precision::kInt8;
  if (quant.find("int4") != std::string::npos || quant.find("w4a") != std::string::npos) return Precision::kInt4;
  return InvalidArgument(fmt::format("quantization {} is not modelled", io::Quote(quant)));
}

// trtllm-bench throughput --report_json: an offline run, every request queued at once.
Result<Measurement> ReadTrtllmJson(const Json& j, int index, const RunBuilder& b) {
  const Json* engine = Object(j, "engine");
  const Json* world = Object(j, "world_info");
  const Json* requests = Object(j, "request_info");
  const Json* perf = Object(j, "performance");
  std::string gpu;
  if (const Json* machine = Object(j, "machine")) gpu = Text(*machine, "name");
  auto tp = world ? Field(*world, "tp_size") : std::nullopt;
  auto m = b.Start(index, "tensorrt-llm", engine ? Text(*engine, "model") : "", tp ? static_cast<int>(*tp) : 1, gpu);
  if (!m.ok()) return m;
  if (engine && !b.defaults.precision) {
    auto p = TrtllmPrecision(*engine);
    if (!p.ok()) return InvalidInput(fmt::format("{}: engine: {}", m->source, p.error().message()));
    m->precision = *p;
  }
  const auto n = requests ? Field(*requests, "num_requests") : std::nullopt;
  if (Status s = Require(n && *n >= 1, *m, "request_info.num_requests"); !s.ok()) return s.error();
  m->num_requests = std::llround(*n);
  m->request_rate = kInf;
  if (Status s = b.Lengths(*m, requests ? Field(*requests, "avg_input_length") : std::nullopt,
                           requests ? Field(*requests, "avg_output_length") : std::nullopt);
      !s.ok()) {
    return s.error();
  }
  const auto tps = perf ? Field(*perf, "system_output_throughput_tok_s") : std::nullopt;
  if (Status s = Require(tps && *tps > 0, *m, "performance.system_output_throughput_tok_s"); !s.ok()) return s.error();
  m->throughput_tps = *tps;
  m->counts = TokensCounted::kOutput;
  if (const Json* streaming = Object(j, "streaming_metrics")) {
    if (auto ttft = Field(*streaming, "avg_ttft_ms")) m->prefill_s = *ttft / 1e3;
    if (auto tpot = Field(*streaming, "avg_tpot_ms"); tpot && *tpot > 0) m->decode_s_per_token = *tpot / 1e3;
  }
  return m;
}

// The report trtllm-bench prints ("Label:   value" lines).
Result<Measurement> ReadTrtllmText(std::string_view text, const RunBuilder& b) {
  Json j = Json::object();
  for (std::string_view line : io::SplitLines(text)) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || line.starts_with("[")) continue;
    j[std::string(io::Trim(line.substr(0, colon)))] = std::string(io::Trim(line.substr(colon + 1)));
  }
  Json doc;
  doc["engine"] = Json{{"model", Text(j, "Model")}, {"dtype", Text(j, "Dtype")},
                       {"quantization", Text(j, "Quantization")}};
  doc["world_info"] = Json{{"tp_size", Text(j, "TP Size")}};
  doc["request_info"] = Json{{"num_requests", Text(j, "Number of requests")},
                             {"avg_input_length", Text(j, "Average Input Length (tokens)")},
                             {"avg_output_length", Text(j, "Average Output Length (tokens)")}};
  // v0.17 printed one token throughput (output tokens); later versions name it.
  std::string tps = Text(j, "Total Output Throughput (tokens/sec)");
  if (tps.empty()) tps = Text(j, "Token Throughput (tokens/sec)");
  doc["performance"] = Json{{"system_output_throughput_tok_s", tps}};
  if (Has(j, "Average time-to-first-token [TTFT] (ms)")) {
    doc["streaming_metrics"] = Json{{"avg_ttft_ms", Text(j, "Average time-to-first-token [TTFT] (ms)")},
                                    {"avg_tpot_ms", Text(j, "Average time-per-output-token [TPOT] (ms)")}};
  }
  return ReadTrtllmJson(doc, -1, b);
}

// llmperf: closed-loop clients; the inter-token latency it reports is the
// request's end-to-end time over its output tokens (first token included).
Result<Measurement> ReadLlmperf(const Json& j, int index, const RunBuilder& b) {
  auto m = b.Start(index, "", Text(j, "model"), 0, "");
  if (!m.ok()) return m;
  const auto users = Field(j, "num_concurrent_requests");
  if (Status s = Require(users && *users >= 1, *m, "'num_concurrent_requests'"); !s.ok()) return s.error();
  m->concurrency = std::llround(*users);
  m->request_rate = kInf;
  const auto completed = Field(j, "results_num_completed_requests");
  if (Status s = Require(completed && *completed >= 1, *m, "'results_num_completed_requests'"); !s.ok()) {
    return s.error();
  }
  m->num_requests = std::llround(*completed);
  if (Status s = b.Lengths(*m, Field(j, "mean_input_tokens"), Field(j, "mean_output_tokens")); !s.ok()) {
    return s.error();
  }
  const auto sd_in = Field(j, "stddev_input_tokens"), sd_out = Field(j, "stddev_output_tokens");
  if (sd_in && *sd_in > 0 && b.defaults.input_len == 0) {
    m->input_dist = LengthDistribution::Normal(static_cast<double>(m->input_len), *sd_in);
  }
  if (sd_out && *sd_out > 0 && b.defaults.output_len == 0) {
    m->output_dist = LengthDistribution::Normal(static_cast<double>(m->output_len), *sd_out);
  }
  const auto ttft = Field(j, "results_ttft_s_mean");
  if (ttft) m->prefill_s = *ttft;
  // TPOT from the mean end-to-end latency: (e2e - TTFT) / (output - 1).
  const auto e2e = Field(j, "results_end_to_end_latency_s_mean");
  if (ttft && e2e && m->output_len > 1 && *e2e > *ttft) {
    m->decode_s_per_token = (*e2e - *ttft) / static_cast<double>(m->output_len - 1);
  }
  if (auto tps = Field(j, "results_mean_output_throughput_token_per_s"); tps && *tps > 0) {
    m->throughput_tps = *tps;
    m->counts = TokensCounted::kOutput;
  }
  return m;
}

// llama-bench's model_type ends in its weight type ("llama 8B Q4_K - Medium").
std::optional<Precision> LlamaBenchPrecision(std::string_view model_type) {
  const std::string t = io::ToLower(model_type);
  if (t.ends_with(" f16")) return Precision::kFp16;
  if (t.ends_with(" bf16")) return Precision::kBf16;
  if (t.ends_with(" f32") || t.ends_with(" all f32")) return Precision::kFp32;
  if (t.find(" q8_0") != std::string::npos) return Precision::kInt8;
  if (t.find(" q4_0") != std::string::npos || t.find(" q4_k") != std::string::npos) return Precision::kInt4;
  return std::nullopt;
}

// llama-bench: a prompt test (n_prompt tokens, one sequence) is a prefill;
// a generation test is n_gen decode steps after n_depth cached tokens.
Result<std::optional<Measurement>> ReadLlamaBench(const Json& j, int index, const RunBuilder& b) {
  auto m = b.Start(index, "llamacpp", "", 1, Text(j, "gpu_info"));
  if (!m.ok()) return m.error();
  const auto prompt = Field(j, "n_prompt"), gen = Field(j, "n_gen"), ts = Field(j, "avg_ts");
  const double depth = Field(j, "n_depth").value_or(0);
  if (Status s = Require(prompt && gen && ts && *ts > 0, *m, "n_prompt, n_gen and avg_ts"); !s.ok()) return s.error();
  if (*prompt > 0 && *gen > 0) return std::optional<Measurement>();  // -pg: prompt and generation mixed
  if (!b.defaults.precision) {
    const std::string type = Text(j, "model_type");
    auto p = LlamaBenchPrecision(type);
    if (!p) {
      return InvalidInput(fmt::format("{}: weight type of {} is not modelled (give the precision to read it as one)",
                                      m->source, io::Quote(type)));
    }
    m->precision = *p;
  }
  m->batch_size = 1;
  if (*prompt > 0) {
    m->input_len = std::llround(*prompt + depth);
    m->output_len = 1;
    m->prefill_s = *prompt / *ts;
  } else {
    m->input_len = std::max<int64_t>(1, std::llround(depth));
    m->output_len = std::llround(*gen);
    m->decode_s_per_token = 1 / *ts;
  }
  return std::optional<Measurement>(std::move(m).value());
}

}  // namespace

std::string_view BenchFormatName(BenchFormat format) {
  switch (format) {
    case BenchFormat::kVllmServe: return "vllm bench serve";
    case BenchFormat::kVllmThroughput: return "vllm bench throughput";
    case BenchFormat::kSglangServing: return "sglang bench_serving";
    case BenchFormat::kGenaiPerf: return "genai-perf / aiperf profile export";
    case BenchFormat::kTrtllmBench: return "trtllm-bench report";
    case BenchFormat::kLlmperf: return "llmperf summary";
    case BenchFormat::kLlamaBench: return "llama-bench";
  }
  return "?";
}

std::optional<BenchFormat> DetectBenchFormat(std::string_view text) {
  if (LooksLikeTrtllmText(text)) return BenchFormat::kTrtllmBench;
  const std::string_view start = io::Trim(text);
  if (start.empty() || (start.front() != '{' && start.front() != '[')) return std::nullopt;
  auto docs = ParseDocuments(text, "");
  if (!docs.ok() || docs->empty()) return std::nullopt;
  return DetectDocument(docs->front());
}

std::optional<std::string> ShippedModelForHfId(std::string_view hf_id) {
  std::string name = io::ToLower(io::Trim(hf_id));
  if (name.empty()) return std::nullopt;
  if (const size_t slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
  const std::vector<std::string> shipped = ShippedModelNames();
  auto find = [&](const std::string& n) -> std::optional<std::string> {
    for (const std::string& s : shipped) {
      if (s == n) return s;
    }
    return std::nullopt;
  };
  // Fine-tunes share their base model's shape: -instruct, -chat-hf, -it, ...
  static const std::regex suffix("(-(instruct|chat|hf|it|base|fp8|awq|gptq|bnb-4bit|dynamic))+$");
  for (std::string n : {name, std::regex_replace(name, suffix, "")}) {
    if (auto s = find(n)) return s;
    if (n.starts_with("meta-")) {
      if (auto s = find(n.substr(5))) return s;
    }
  }
  return std::nullopt;
}

Result<std::vector<Measurement>> ReadBenchFile(std::string_view text, std::string_view source,
                                               const BenchDefaults& defaults, const GpuTable& gpus) {
  if (LooksLikeTrtllmText(text)) {
    RunBuilder b{defaults, gpus, std::string(source), BenchFormat::kTrtllmBench};
    auto m = ReadTrtllmText(text, b);
    if (!m.ok()) return m.error();
    return std::vector<Measurement>{std::move(m).value()};
  }
  auto docs = ParseDocuments(text, source);
  if (!docs.ok()) return docs.error();
  // A sweep summary or llama-bench: one array of runs.
  std::vector<Json> runs;
  for (Json& d : *docs) {
    if (d.is_array()) {
      for (Json& e : d) runs.push_back(std::move(e));
    } else {
      runs.push_back(std::move(d));
    }
  }
  if (runs.empty()) return InvalidInput(fmt::format("{}: no runs in the file", source));
  const std::optional<BenchFormat> format = DetectDocument(runs.front());
  if (!format) {
    return InvalidInput(fmt::format("{}: not a benchmark result this tool reads (vllm bench serve or throughput, "
                                    "sglang bench_serving, genai-perf/aiperf, trtllm-bench, llmperf, llama-bench)",
                                    source));
  }
  RunBuilder b{defaults, gpus, std::string(source), *format};
  std::vector<Measurement> out;
  for (size_t i = 0; i < runs.size(); ++i) {
    const int index = runs.size() == 1 ? -1 : static_cast<int>(i);
    Result<Measurement> m = InvalidInput("");
    switch (*format) {
      case BenchFormat::kVllmServe: m = ReadVllmServe(runs[i], index, b); break;
      case BenchFormat::kVllmThroughput: m = ReadVllmThroughput(runs[i], index, b); break;
      case BenchFormat::kSglangServing: m = ReadSglang(runs[i], index, b); break;
      case BenchFormat::kGenaiPerf: m = ReadGenaiPerf(runs[i], index, b); break;
      case BenchFormat::kTrtllmBench: m = ReadTrtllmJson(runs[i], index, b); break;
      case BenchFormat::kLlmperf: m = ReadLlmperf(runs[i], index, b); break;
      case BenchFormat::kLlamaBench: {
        auto row = ReadLlamaBench(runs[i], index, b);
        if (!row.ok()) return row.error();
        if (*row) out.push_back(std::move(**row));
        continue;
      }
    }
    if (!m.ok()) return m.error();
    if (!m->prefill_s && !m->decode_s_per_token && !m->throughput_tps && !m->total_s) {
      return InvalidInput(fmt::format("{}: no time to first token, time per output token or throughput", m->source));
    }
    out.push_back(std::move(m).value());
  }
  if (out.empty()) return InvalidInput(fmt::format("{}: no prompt or generation test in the file", source));
  return out;
}

}  // namespace infersave
