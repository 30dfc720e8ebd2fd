// Serving calibration through the simulator (include/infersave/serving_calibrate.h).
#include "infersave/serving_calibrate.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <set>
#include <unsupported/Eigen/NonLinearOptimization>

#include "infersave/serving.h"
#include "infersave/shipped.h"
#include "io/text.h"

namespace infersave {
namespace {

// Requests simulated per run at most: the benchmarks' own counts (vLLM's
// default is 1000) are kept up to here; beyond it the run's steady state is
// already reached and the fit would only get slower.
constexpr int64_t kMaxSimulatedRequests = 2000;

// One serving run, set up once: the replica (uncalibrated) and the requests.
struct PreparedRun {
  const Measurement* row = nullptr;
  std::string gpu;
  std::string engine;
  ServingReplica replica;
  std::vector<Request> requests;
  std::string load;
  std::pair<double, int64_t> load_key;  // (rate, concurrency) for leaving one load out
};

std::string DescribeLoad(const Measurement& m) {
  std::string rate;
  if (m.request_rate) rate = std::isinf(*m.request_rate) ? "all at once" : fmt::format("{:g} req/s", *m.request_rate);
  if (!m.concurrency) return rate;
  const std::string users = fmt::format("{} concurrent", *m.concurrency);
  return rate.empty() || rate == "all at once" ? users : rate + ", " + users;
}

Result<std::vector<Request>> MakeRequests(const Measurement& m) {
  WorkloadSpec spec;
  const bool open = m.request_rate && std::isfinite(*m.request_rate);
  spec.rate_per_s = open ? *m.request_rate : 1;
  spec.prompt = m.input_dist.value_or(LengthDistribution::Fixed(m.input_len));
  spec.output = m.output_dist.value_or(LengthDistribution::Fixed(m.output_len));
  spec.num_requests = std::clamp<int64_t>(m.num_requests, 1, kMaxSimulatedRequests);
  spec.seed = 1;
  auto requests = GenerateRequests(spec);
  if (!requests.ok()) return requests.error();
  if (!open) {
    for (Request& r : *requests) r.arrival_s = 0;
  }
  return requests;
}

// Sets up one run; an empty error string means usable, else the skip reason.
std::string Prepare(const Measurement& m, const GpuTable& gpus, PreparedRun& run) {
  run.row = &m;
  const GpuSpec* gpu = m.instance ? &m.instance->gpu : gpus.Find(m.gpu);
  if (!gpu) return fmt::format("GPU '{}' is not in the GPU table", m.gpu);
  run.gpu = gpu->name;
  auto model = LoadModel(m.model);
  if (!model.ok()) return model.error().message();
  auto engine = LoadEngine(m.engine);
  if (!engine.ok()) return engine.error().message();
  run.engine = engine->name;
  if (!engine->continuous_batching) return fmt::format("engine {} does not batch continuously", engine->name);
  if (m.kv_offload.value_or(0) > 0 || m.weight_offload.value_or(0) > 0) {
    return "serving run with offloading (the simulator keeps weights and KV cache on the GPU)";
  }
  if (!ValidTensorParallel(*model, m.tp)) {
    return fmt::format("{} cannot be split {} ways (attention heads)", model->name, m.tp);
  }
  Instance instance;
  if (m.instance) instance = *m.instance;
  instance.name = m.instance ? m.instance->name : fmt::format("{}x{}", m.tp, gpu->name);
  instance.gpu = *gpu;
  instance.gpu_count = m.tp;
  PlanOptions plan;
  plan.workload.weight_precision = m.precision;
  plan.workload.kv_precision = m.precision;
  plan.workload.input_len = m.input_len;
  plan.workload.output_len = m.output_len;
  if (Status s = CheckEngineFormats(*engine, plan.workload); !s.ok()) return s.error().message();
  auto replica = MakeServingReplica(PlanContext{&*model, nullptr, &*engine, nullptr}, plan, instance, m.tp);
  if (!replica.ok()) return replica.error().message();
  if (!replica->fits) return fmt::format("{} on {} x {} leaves no KV cache", model->name, m.tp, gpu->name);
  run.replica = std::move(replica).value();
  auto requests = MakeRequests(m);
  if (!requests.ok()) return requests.error().message();
  run.requests = std::move(requests).value();
  run.load = DescribeLoad(m);
  run.load_key = {m.request_rate.value_or(-1), m.concurrency.value_or(0)};
  return "";
}

Result<SimulatedServing> Simulate(const PreparedRun& run, const Ctcf& ctcf) {
  const Measurement& m = *run.row;
  const StepTimeFn step = run.replica.timer->WithCtcf(ctcf).AsStepTime();
  auto summarize = [](const SimulationResult& r) {
    return SimulatedServing{r.ttft.mean_s, r.tpot.mean_s, r.output_tokens_per_s, r.total_tokens_per_s};
  };
  const bool open = m.request_rate && std::isfinite(*m.request_rate);
  // A concurrency cap: closed-loop clients, paced by the arrivals when the
  // run also had a rate.
  auto sim = m.concurrency ? SimulateClosedLoop(run.requests, ClosedLoop{*m.concurrency, 0, open},
                                                run.replica.limits, step)
                           : infersave::Simulate(run.requests, run.replica.limits, step);
  if (!sim.ok()) return sim.error();
  return summarize(*sim);
}

// The measured values of a run, in the order Values() returns them.
std::vector<std::pair<Metric, double>> MeasuredValues(const Measurement& m) {
  std::vector<std::pair<Metric, double>> v;
  if (m.prefill_s) v.emplace_back(Metric::kPrefill, *m.prefill_s);
  if (m.decode_s_per_token && m.output_len > 1) v.emplace_back(Metric::kDecodePerToken, *m.decode_s_per_token);
  if (m.throughput_tps) v.emplace_back(Metric::kThroughput, *m.throughput_tps);
  return v;
}

double Pick(const SimulatedServing& s, Metric metric, const Measurement& m) {
  switch (metric) {
    case Metric::kPrefill: return s.ttft_mean_s;
    case Metric::kDecodePerToken: return s.tpot_mean_s;
    case Metric::kThroughput: return m.counts == TokensCounted::kOutput ? s.output_tps : s.total_tps;
    case Metric::kTotal: break;
  }
  return 0;
}

// Which parameters the runs can determine.
enum class Params { kAlpha, kTwoAlphas, kAlphaStep, kFull };

// x: the prefill alpha, the decode alpha (kFull) and the step cost in ms
// (kAlphaStep, kFull); a negative step cost counts as none.
Ctcf ToCtcf(const Eigen::VectorXd& x, Params params) {
  Ctcf c;
  const double prefill_alpha = std::max(x(0), 1e-3);
  const bool two = params == Params::kFull || params == Params::kTwoAlphas;
  const double decode_alpha = two ? std::max(x(1), 1e-3) : prefill_alpha;
  const bool step = params == Params::kFull || params == Params::kAlphaStep;
  const double step_s = step ? std::max(0.0, x(params == Params::kFull ? 2 : 1)) * 1e-3 : 0;
  c.prefill = PhaseCtcf{prefill_alpha, step_s, true, 0, -1, {}};
  c.decode = PhaseCtcf{decode_alpha, step_s, true, 0, -1, {}};
  return c;
}

std::string ParamsName(Params p) {
  switch (p) {
    case Params::kAlpha: return "one alpha for both phases";
    case Params::kTwoAlphas: return "prefill alpha, decode alpha";
    case Params::kAlphaStep: return "one alpha for both phases, step cost";
    case Params::kFull: return "prefill alpha, decode alpha, step cost";
  }
  return "";
}

// log(simulated / measured) of every value of the runs, for Eigen's
// Levenberg-Marquardt. The Jacobian is taken by forward differences of a
// fixed size (1% of an alpha, 0.05 ms of step cost): the simulator is
// piecewise smooth, and a step much finer than that would see only the jumps
// of its discrete schedule.
struct Residuals {
  using Scalar = double;
  enum { InputsAtCompileTime = Eigen::Dynamic, ValuesAtCompileTime = Eigen::Dynamic };
  using InputType = Eigen::VectorXd;
  using ValueType = Eigen::VectorXd;
  using JacobianType = Eigen::MatrixXd;

  const std::vector<const PreparedRun*>* runs = nullptr;
  Params params = Params::kFull;
  int n_inputs = 0;
  int n_values = 0;
  int inputs() const { return n_inputs; }
  int values() const { return n_values; }

  int operator()(const Eigen::VectorXd& x, Eigen::VectorXd& f) const {
    const Ctcf ctcf = ToCtcf(x, params);
    f.setZero();
    Eigen::Index k = 0;
    for (const PreparedRun* run : *runs) {
      auto sim = Simulate(*run, ctcf);
      for (const auto& [metric, measured] : MeasuredValues(*run->row)) {
        const double simulated = sim.ok() ? Pick(*sim, metric, *run->row) : 0;
        f(k++) = simulated > 0 ? std::log(simulated / measured) : 10.0;
      }
    }
    return 0;
  }

  int df(const Eigen::VectorXd& x, Eigen::MatrixXd& jacobian) const {
    Eigen::VectorXd base(n_values), moved(n_values);
    (*this)(x, base);
    for (int j = 0; j < n_inputs; ++j) {
      const bool step_cost = (params == Params::kFull || params == Params::kAlphaStep) && j == n_inputs - 1;
      const double h = step_cost ? 0.05 : 0.01;
      Eigen::VectorXd y = x;
      // Step costs are differentiated where they act (>= 0).
      if (step_cost) y(j) = std::max(0.0, y(j));
      y(j) += h;
      (*this)(y, moved);
      jacobian.col(j) = (moved - base) / h;
    }
    return 0;
  }
};

struct Fitted {
  bool ok = false;
  std::string refusal;
  Params params = Params::kAlpha;
  Ctcf ctcf;
};

Fitted FitRuns(const std::vector<const PreparedRun*>& runs) {
  int values = 0;
  bool ttft = false, other = false;
  std::set<std::pair<double, int64_t>> loads;
  for (const PreparedRun* r : runs) {
    for (const auto& [metric, measured] : MeasuredValues(*r->row)) {
      ++values;
      (metric == Metric::kPrefill ? ttft : other) = true;
    }
    loads.insert(r->load_key);
  }
  Fitted fit;
  if (values == 0) return fit;
  // A step cost is told from a scale only across loads; the two phases only
  // with a time to first token beside the decode figures.
  const bool several_loads = loads.size() >= 2;
  if (ttft && other) {
    fit.params = several_loads && values >= 3 ? Params::kFull : Params::kTwoAlphas;
  } else {
    fit.params = several_loads && values >= 2 ? Params::kAlphaStep : Params::kAlpha;
  }
  const int n = fit.params == Params::kFull ? 3 : fit.params == Params::kAlpha ? 1 : 2;
  Eigen::VectorXd x = Eigen::VectorXd::Ones(n);  // alphas of 1, and a 1 ms step cost to start from
  Residuals f;
  f.runs = &runs;
  f.params = fit.params;
  f.n_inputs = n;
  f.n_values = std::max(values, n);
  Eigen::LevenbergMarquardt<Residuals> lm(f);
  lm.parameters.maxfev = 400;
  lm.parameters.xtol = 1e-6;
  lm.minimize(x);
  fit.ctcf = ToCtcf(x, fit.params);
  fit.ok = x.allFinite();
  // A correction beyond 5x either way is not an engine being slower or
  // faster than modelled: the runs are of another setup (more replicas
  // behind a gateway, another GPU, speculative decoding).
  for (double alpha : {fit.ctcf.prefill.alpha, fit.ctcf.decode.alpha}) {
    if (fit.ok && (alpha < 0.2 || alpha > 5)) {
      fit.ok = false;
      fit.refusal = fmt::format("the best fit needs alpha {:.3g}, beyond 5x either way: the runs do not look like one "
                                "replica of the simulated setup (GPU, TP, engine, or several replicas behind a "
                                "gateway?)",
                                alpha);
    }
  }
  return fit;
}

double SignedPct(double predicted, double measured) { return 100.0 * (predicted - measured) / measured; }

void FitGroup(const std::vector<PreparedRun*>& members, ServingCalibrationReport& report, ServingGroupFit& g) {
  std::vector<const PreparedRun*> all(members.begin(), members.end());
  std::set<std::pair<double, int64_t>> loads;
  for (const PreparedRun* r : all) loads.insert(r->load_key);
  g.loads = static_cast<int>(loads.size());
  g.runs = static_cast<int>(all.size());
  const Fitted fit = FitRuns(all);
  std::vector<double> before, after, cv;
  // Leave one load out: each load's runs predicted by a fit on the others.
  std::map<const PreparedRun*, Ctcf> held_out;
  if (loads.size() >= 2) {
    for (const auto& load : loads) {
      std::vector<const PreparedRun*> train;
      for (const PreparedRun* r : all) {
        if (r->load_key != load) train.push_back(r);
      }
      const Fitted f = FitRuns(train);
      if (!f.ok) continue;
      for (const PreparedRun* r : all) {
        if (r->load_key == load) held_out[r] = f.ctcf;
      }
    }
  }
  for (const PreparedRun* run : all) {
    ServingRunFit out;
    out.row = run->row;
    out.gpu = run->gpu;
    out.load = run->load;
    auto uncal = Simulate(*run, Ctcf{});
    auto cal = fit.ok ? Simulate(*run, fit.ctcf) : uncal;
    std::optional<Result<SimulatedServing>> cross;
    if (auto it = held_out.find(run); it != held_out.end()) cross = Simulate(*run, it->second);
    for (const auto& [metric, measured] : MeasuredValues(*run->row)) {
      ServingFitValue v;
      v.metric = metric;
      v.measured = measured;
      v.uncalibrated = uncal.ok() ? Pick(*uncal, metric, *run->row) : 0;
      v.calibrated = cal.ok() ? Pick(*cal, metric, *run->row) : 0;
      before.push_back(SignedPct(v.uncalibrated, measured));
      after.push_back(SignedPct(v.calibrated, measured));
      if (cross && cross->ok()) {
        v.cross_validated = Pick(**cross, metric, *run->row);
        v.has_cross_validated = true;
        cv.push_back(SignedPct(v.cross_validated, measured));
      }
      out.values.push_back(v);
    }
    report.runs.push_back(std::move(out));
  }
  g.values = static_cast<int>(before.size());
  g.before = ComputeErrorStats(before);
  if (!fit.ok) {
    g.refusal = fit.refusal.empty() ? "the fit did not converge" : fit.refusal;
    return;
  }
  g.fitted = true;
  g.parameters = ParamsName(fit.params);
  g.params.prefill = fit.ctcf.prefill;
  g.params.decode = fit.ctcf.decode;
  g.params.prefill.points = g.params.decode.points = g.runs;
  g.after = ComputeErrorStats(after);
  if (cv.size() == before.size()) {
    g.cross_validated = ComputeErrorStats(cv);
    g.params.prefill.median_ape_pct = g.params.decode.median_ape_pct = g.cross_validated->median_ape_pct;
    g.shipped = g.cross_validated->median_ape_pct < g.before.median_ape_pct;
    if (!g.shipped) {
      g.warnings.push_back(fmt::format("not shipped: cross-validated median error {:.1f}% does not beat {:.1f}% "
                                       "uncalibrated",
                                       g.cross_validated->median_ape_pct, g.before.median_ape_pct));
    }
  } else {
    g.warnings.push_back("not shipped: runs at one load only, so the fit cannot be cross-validated across loads; "
                         "measure at two or more request rates or concurrencies");
  }
  if (fit.params != Params::kFull) {
    g.warnings.push_back(fmt::format("fitted {} only: the runs measure {}", ParamsName(fit.params),
                                     fit.params == Params::kTwoAlphas ? "one load"
                                     : fit.params == Params::kAlpha  ? "too few values or one load"
                                                                     : "no time to first token beside other values"));
  }
}

}  // namespace

Result<SimulatedServing> SimulateServingRun(const Measurement& row, const GpuTable& gpus, const Ctcf& ctcf) {
  if (!row.serving()) return InvalidArgument(fmt::format("{}: not a serving run", row.source));
  PreparedRun run;
  if (std::string reason = Prepare(row, gpus, run); !reason.empty()) {
    return InvalidInput(fmt::format("{}: {}", row.source, reason));
  }
  return Simulate(run, ctcf);
}

Result<ServingCalibrationReport> CalibrateServing(const std::vector<Measurement>& rows, const GpuTable& gpus) {
  ServingCalibrationReport report;
  std::vector<PreparedRun> prepared;
  prepared.reserve(rows.size());
  for (const Measurement& m : rows) {
    if (!m.serving()) continue;
    PreparedRun run;
    if (std::string reason = Prepare(m, gpus, run); !reason.empty()) {
      ++report.skipped[reason];
      continue;
    }
    if (MeasuredValues(m).empty()) {
      ++report.skipped["no measured TTFT, TPOT or throughput"];
      continue;
    }
    prepared.push_back(std::move(run));
  }
  std::map<std::pair<std::string, std::string>, std::vector<PreparedRun*>> groups;
  for (PreparedRun& run : prepared) groups[{run.gpu, io::ToLower(run.engine)}].push_back(&run);
  for (auto& [key, members] : groups) {
    ServingGroupFit g;
    g.gpu = key.first;
    g.engine = key.second;
    FitGroup(members, report, g);
    report.groups.push_back(std::move(g));
  }
  return report;
}

Result<std::optional<ServingCalibrationReport>> FitServingRuns(const std::vector<Measurement>& rows,
                                                              const GpuTable& gpus, CalibrationReport& report) {
  if (report.skipped.erase(std::string(kServingRunSkip)) == 0) return std::optional<ServingCalibrationReport>();
  auto fitted = CalibrateServing(rows, gpus);
  if (!fitted.ok()) return fitted.error();
  return std::optional<ServingCalibrationReport>(std::move(fitted).value());
}

void AddServingFits(const ServingCalibrationReport& report, Calibration& calibration) {
  for (const ServingGroupFit& g : report.groups) {
    if (!g.shipped) continue;
    for (Phase phase : {Phase::kPrefill, Phase::kDecode}) {
      const PhaseCtcf& p = phase == Phase::kPrefill ? g.params.prefill : g.params.decode;
      std::erase_if(calibration.entries, [&](const CtcfEntry& e) {
        return e.phase == phase && io::EqualsIgnoreCase(e.gpu, g.gpu) && io::EqualsIgnoreCase(e.engine, g.engine);
      });
      calibration.entries.push_back(
          CtcfEntry{g.gpu, g.engine, phase, p.alpha, p.beta_s, g.runs, p.median_ape_pct, {}, 0, false});
    }
  }
}

}  // namespace infersave
