// Online serving from the command line: `plan` with request rates and latency
// objectives, and `simulate` (one instance, one load).
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "common.h"
#include "infersave/serving_report.h"
#include "infersave/serving_workload.h"
#include "infersave/shipped.h"
#include "io/text.h"

namespace infersave::cli {

void AddServeFlags(CLI::App& app, ServeFlags& f) {
  app.add_option("--rate", f.rate, "requests per second the service must sustain (online serving)");
  app.add_option("--slo-ttft-ms", f.slo_ttft_ms, "time-to-first-token objective, ms, at --slo-percentile");
  app.add_option("--slo-tpot-ms", f.slo_tpot_ms, "time-per-output-token objective, ms, at --slo-percentile");
  app.add_option("--slo-percentile", f.slo_percentile, "share of requests the latency objectives hold for, percent")
      ->capture_default_str();
  app.add_option("--workload", f.workload, "workload JSON file: arrivals, length distributions or a trace (docs/serving.md)");
  app.add_option("--trace", f.trace, "CSV trace with arrival_s, prompt_tokens, output_tokens per request");
  app.add_option("--prompt-tokens", f.prompt_tokens,
                 "prompt length distribution: N, uniform:LO:HI, normal:MEAN:SD or file:PATH (default: --input-len)");
  app.add_option("--output-tokens", f.output_tokens,
                 "output length distribution, same forms (default: --output-len)");
  app.add_option("--arrival", f.arrival, "poisson, or gamma:CV for bursty (CV > 1) or smooth (CV < 1) arrivals")
      ->capture_default_str();
  app.add_option("--seed", f.seed, "random seed of the generated workload")->capture_default_str();
  app.add_option("--sim-requests", f.sim_requests, "requests simulated per rate")->capture_default_str();
  app.add_option("--max-tokens", f.max_tokens,
                 "max_tokens the clients send; engines that reserve a whole request (tensorrt-llm, tgi) hold it from "
                 "admission (default: each request's own output)");
  app.add_option("--max-num-seqs", f.max_num_seqs,
                 "the engine's cap on sequences running at once, as a max-load benchmark raises it (default: the "
                 "engine profile's for the GPU)");
}

bool ServeFlags::online() const {
  return rate || slo_ttft_ms || slo_tpot_ms || !workload.empty() || !trace.empty();
}

namespace {

bool Given(const JobFlags& flags, std::string_view name) {
  return std::find(flags.given.begin(), flags.given.end(), name) != flags.given.end();
}

// The serving workload of the flags (and workload file), with the flags
// taking precedence over the file.
Result<ServingWorkload> LoadServingWorkload(const JobFlags& jf, const ServeFlags& f) {
  if (!f.workload.empty() && !f.trace.empty()) return InvalidArgument("give --workload or --trace, not both");
  ServingWorkload w;
  if (!f.workload.empty()) {
    auto text = ReadTextFile(f.workload);
    if (!text.ok()) return text.error();
    auto parsed = ParseWorkloadFile(*text, f.workload, std::filesystem::path(f.workload).parent_path().string());
    if (!parsed.ok()) return parsed.error();
    w = std::move(parsed).value();
  } else {
    w.spec.num_requests = f.sim_requests;
    w.spec.seed = f.seed;
  }
  if (!f.trace.empty()) {
    auto text = ReadTextFile(f.trace);
    if (!text.ok()) return text.error();
    auto trace = ParseTrace(*text, f.trace);
    if (!trace.ok()) return trace.error();
    w.trace = std::move(trace).value();
    w.trace_source = f.trace;
  }
  const bool generator = !w.trace;
  if (!generator) {
    for (const char* flag : {"prompt-tokens", "output-tokens", "arrival", "input-len", "output-len", "seed",
                             "sim-requests"}) {
      if (Given(jf, flag)) {
        return InvalidArgument(fmt::format("--{} does not apply to a trace: it gives arrivals and lengths itself", flag));
      }
    }
    return w;
  }
  if (Given(jf, "sim-requests") || f.workload.empty()) w.spec.num_requests = f.sim_requests;
  if (Given(jf, "seed")) w.spec.seed = f.seed;
  // A length: the flag's spec, else the workload file's, else the fixed
  // --input-len / --output-len (also when that flag is given explicitly).
  auto length = [&](const std::string& spec, const char* flag, bool from_file, const char* len_flag, int64_t len,
                    LengthDistribution& out) -> Status {
    if (!spec.empty()) {
      auto d = ParseLengthSpec(spec, flag);
      if (!d.ok()) return d.error();
      out = std::move(d).value();
    } else if (!from_file || Given(jf, len_flag)) {
      out = LengthDistribution::Fixed(len);
    }
    return Status::Ok();
  };
  if (Status s = length(f.prompt_tokens, "--prompt-tokens", w.prompt_given, "input-len", jf.input_len, w.spec.prompt);
      !s.ok()) {
    return s.error();
  }
  if (Status s = length(f.output_tokens, "--output-tokens", w.output_given, "output-len", jf.output_len,
                        w.spec.output);
      !s.ok()) {
    return s.error();
  }
  if (Given(jf, "arrival") || f.workload.empty()) {
    const std::string a = io::ToLower(io::Trim(f.arrival));
    if (a == "poisson") {
      w.spec.arrival = ArrivalProcess::kPoisson;
    } else if (a.rfind("gamma:", 0) == 0) {
      const std::optional<double> cv = io::ParseNumber(a.substr(6));
      if (!cv || !(*cv > 0) || !std::isfinite(*cv)) {
        return InvalidArgument(fmt::format("--arrival: gamma needs a coefficient of variation > 0, got {}",
                                           io::Quote(f.arrival)));
      }
      w.spec.arrival = ArrivalProcess::kGamma;
      w.spec.gamma_cv = *cv;
    } else {
      return InvalidArgument(fmt::format("--arrival: expected poisson or gamma:CV, got {}", io::Quote(f.arrival)));
    }
  }
  if (f.rate) {
    w.spec.rate_per_s = *f.rate;
    w.rate_given = true;
  }
  if (!(w.spec.rate_per_s > 0) || !std::isfinite(w.spec.rate_per_s)) {
    return InvalidArgument(fmt::format("--rate must be a positive number of requests/s, got {}", w.spec.rate_per_s));
  }
  if (!(w.spec.num_requests >= 1 && w.spec.num_requests <= 10'000'000)) {
    return InvalidArgument(fmt::format("--sim-requests must be between 1 and 10000000, got {}", w.spec.num_requests));
  }
  return w;
}

// Flags of the batch planner that mean nothing to a stream of requests.
Status RejectBatchFlags(const JobFlags& jf) {
  for (const char* flag : {"batch-size", "requests", "pace", "offload", "billing", "slo-headroom", "emit"}) {
    if (Given(jf, flag)) {
      return InvalidArgument(fmt::format(
          "--{} does not apply to online serving (--rate, --slo-ttft-ms, --slo-tpot-ms, --workload or --trace): "
          "continuous batching sets the batch, and the service runs for as long as requests arrive",
          flag));
    }
  }
  return Status::Ok();
}

struct ServingJob {
  ServingWorkload workload;
  RequestSet set;
  ServingOptions options;
};

Result<ServingJob> LoadServingJob(const JobFlags& jf, const ServeFlags& f, const Job& job) {
  ServingJob s;
  auto w = LoadServingWorkload(jf, f);
  if (!w.ok()) return w.error();
  s.workload = std::move(w).value();
  auto set = MaterializeWorkload(s.workload);
  if (!set.ok()) return set.error();
  s.set = std::move(set).value();
  ServingOptions& o = s.options;
  o.plan = job.options;
  o.requests = s.set.requests;
  o.requests_rate_per_s = s.set.rate_per_s;
  if (f.rate) {
    o.target_rate_per_s = *f.rate;
  } else if (s.workload.trace || s.workload.rate_given) {
    o.target_rate_per_s = s.set.rate_per_s;
  }
  if (Given(jf, "slo-tps")) o.slo_tps = jf.slo_tps;
  if (f.slo_ttft_ms) o.slo.ttft_s = *f.slo_ttft_ms / 1000;
  if (f.slo_tpot_ms) o.slo.tpot_s = *f.slo_tpot_ms / 1000;
  o.slo.percentile = f.slo_percentile;
  o.description = DescribeWorkload(s.workload, s.set);
  if (f.max_tokens < 0 || f.max_tokens > kMaxSequenceTokens) {
    return InvalidArgument(fmt::format("--max-tokens must be between 0 and {}, got {}", kMaxSequenceTokens, f.max_tokens));
  }
  o.max_output_tokens = f.max_tokens;
  if (Status st = ValidateServingOptions(o, job.engine); !st.ok()) return st.error();
  return s;
}

// A progress bar on standard error, drawn only on a terminal and only once
// the work has taken a second.
class ProgressBar {
 public:
  ProgressBar() : tty_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}
  ~ProgressBar() {
    if (drawn_) std::fprintf(stderr, "\r%*s\r", 60, "");
  }
  void Update(size_t done, size_t total) {
    if (!tty_ || total == 0) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (elapsed < 1.0) return;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / total);
    std::fprintf(stderr, "\r[%s%s] %zu/%zu instances, %.0f s", std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(kWidth - filled), '.').c_str(), done, total, elapsed);
    std::fflush(stderr);
    drawn_ = true;
  }

 private:
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

// --max-num-seqs replaces the engine's batch cap on every GPU.
Status ApplyEngineOverrides(const ServeFlags& f, Job& job) {
  if (f.max_num_seqs < 0 || f.max_num_seqs > 1'000'000) {
    return InvalidArgument(fmt::format("--max-num-seqs must be between 1 and 1000000, got {}", f.max_num_seqs));
  }
  if (f.max_num_seqs > 0) {
    job.engine.max_num_seqs = f.max_num_seqs;
    job.engine.max_num_seqs_large_gpu = 0;
  }
  return Status::Ok();
}

int RunServePlan(const JobFlags& flags, const ServeFlags& serve, int top) {
  if (Status s = RejectBatchFlags(flags); !s.ok()) return ReportError(s.error());
  auto job = LoadJob(flags);
  if (!job.ok()) return ReportError(job.error());
  if (Status s = ApplyEngineOverrides(serve, *job); !s.ok()) return ReportError(s.error());
  auto sj = LoadServingJob(flags, serve, *job);
  if (!sj.ok()) return ReportError(sj.error());
  ProgressBar bar;
  sj->options.progress = [&bar](size_t done, size_t total) { bar.Update(done, total); };
  auto plan = MakeServingPlan(job->context(), sj->options);
  sj->options.progress = nullptr;
  if (!plan.ok()) return ReportError(plan.error());
  WriteServingPlan(std::cout, *plan, sj->options, job->report(top), job->format);
  std::cout.flush();
  return plan->recommendation ? kExitOk : kExitNoneQualifies;
}

int RunSimulate(const JobFlags& flags, const ServeFlags& serve, const SimulateFlags& sim) {
  if (Status s = RejectBatchFlags(flags); !s.ok()) return ReportError(s.error());
  if (sim.users < 0) return ReportError(InvalidArgument(fmt::format("--users must be >= 1, got {}", sim.users)));
  if (!(sim.think_s >= 0) || !std::isfinite(sim.think_s)) {
    return ReportError(InvalidArgument(fmt::format("--think-s must be >= 0 seconds, got {}", sim.think_s)));
  }
  if (sim.users == 0 && !serve.rate && serve.workload.empty() && serve.trace.empty()) {
    return ReportError(InvalidArgument("give --rate (open loop) or --users (closed loop)"));
  }
  if (sim.users > 0 && serve.rate) return ReportError(InvalidArgument("give --rate or --users, not both"));
  auto job = LoadJob(flags);
  if (!job.ok()) return ReportError(job.error());
  if (Status s = ApplyEngineOverrides(serve, *job); !s.ok()) return ReportError(s.error());
  const Instance* instance = job->catalog.Find(sim.instance);
  if (!instance) {
    std::vector<std::string> names;
    for (const Instance& i : job->catalog.instances) names.push_back(i.name);
    return ReportError(NotFound(fmt::format("unknown instance {} in catalog {}{}", io::Quote(sim.instance),
                                            job->catalog.name, io::DidYouMean(sim.instance, names))));
  }
  ServeFlags loaded = serve;
  if (sim.users > 0) loaded.rate = 1;  // arrivals are replaced by the users' loop
  auto sj = LoadServingJob(flags, loaded, *job);
  if (!sj.ok()) return ReportError(sj.error());
  if (!PrecisionSupported(instance->gpu, job->options.workload)) {
    return ReportError(InvalidArgument(fmt::format("{} cannot run {} weights with a {} KV cache", instance->gpu.name,
                                                   PrecisionName(job->options.workload.weight_precision),
                                                   PrecisionName(job->options.workload.kv_precision))));
  }
  int tp = sim.tp;
  if (tp != 0 && (tp < 1 || instance->gpu_count % tp != 0 || !ValidTensorParallel(job->model, tp))) {
    return ReportError(InvalidArgument(fmt::format(
        "--tp {}: must divide {}'s {} GPUs and {}'s {} attention heads", tp, instance->name, instance->gpu_count,
        job->model.name, job->model.num_heads)));
  }
  // Default: the smallest split that fits.
  std::optional<ServingReplica> replica;
  for (int t = tp == 0 ? 1 : tp; t <= instance->gpu_count; t *= 2) {
    if (instance->gpu_count % t != 0 || !ValidTensorParallel(job->model, t)) continue;
    auto r = MakeServingReplica(job->context(), job->options, *instance, t);
    if (!r.ok()) return ReportError(r.error());
    replica = std::move(r).value();
    tp = t;
    if (replica->fits || sim.tp != 0) break;
  }
  if (!replica || !replica->fits) {
    return ReportError(InvalidArgument(fmt::format("{} on {} leaves no GPU memory for the KV cache (try --tp or a "
                                                   "larger instance)",
                                                   job->model.name, instance->name)));
  }
  const ServingOptions& o = sj->options;
  replica->limits.reserved_output_tokens = o.max_output_tokens;
  std::vector<Request> requests = o.requests;
  if (serve.rate && sj->workload.trace) requests = ScaleArrivals(requests, o.requests_rate_per_s / *serve.rate);
  Result<SimulationResult> result =
      sim.users > 0 ? SimulateClosedLoop(requests, ClosedLoop{sim.users, sim.think_s}, replica->limits,
                                         replica->timer->AsStepTime())
                    : Simulate(requests, replica->limits, replica->timer->AsStepTime());
  if (!result.ok()) return ReportError(result.error());
  SimulationSummary summary;
  summary.instance = instance->name;
  summary.gpus = fmt::format("{}x{}", instance->gpu_count, instance->gpu.name);
  summary.tp = tp;
  summary.description = sim.users > 0
                            ? fmt::format("{} closed-loop users (think {:g} s); {}", sim.users, sim.think_s,
                                          o.description.substr(o.description.find(';') + 2))
                            : o.description;
  summary.kv_capacity_tokens = replica->limits.kv_blocks * replica->limits.block_size_tokens;
  summary.max_sequences = replica->limits.max_sequences;
  summary.requests = requests;
  summary.result = std::move(result).value();
  if (o.slo.any()) {
    summary.fraction_meeting = FractionMeeting(summary.result, o.slo.ttft_s.value_or(1e300), o.slo.tpot_s.value_or(1e300));
  }
  summary.accuracy = CtcfAccuracyNote(replica->ctcf, instance->gpu.name, "roofline", job->report(1));
  WriteSimulation(std::cout, summary, job->report(1), job->format);
  std::cout.flush();
  return kExitOk;
}

}  // namespace infersave::cli
