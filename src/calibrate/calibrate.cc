// CTCF fitting and cross-validated scoring (paper eq. 7; method.md section 5).
#include "infersave/calibrate.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "infersave/planner.h"
#include "infersave/serving_calibrate.h"
#include "infersave/shipped.h"
#include "io/text.h"

namespace infersave {

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kPrefill: return "prefill_s";
    case Metric::kDecodePerToken: return "decode_s_per_token";
    case Metric::kTotal: return "total_s";
    case Metric::kThroughput: return "throughput_tps";
  }
  return "?";
}

ErrorStats ComputeErrorStats(const std::vector<double>& signed_pct) {
  ErrorStats s;
  s.n = static_cast<int>(signed_pct.size());
  if (signed_pct.empty()) return s;
  std::vector<double> abs;
  double sum_abs = 0, sum = 0;
  for (double e : signed_pct) {
    abs.push_back(std::fabs(e));
    sum_abs += std::fabs(e);
    sum += e;
  }
  std::sort(abs.begin(), abs.end());
  // Percentiles by linear interpolation between closest ranks.
  auto percentile = [&](double p) {
    const double pos = p * static_cast<double>(abs.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, abs.size() - 1);
    return abs[lo] + (abs[hi] - abs[lo]) * (pos - static_cast<double>(lo));
  };
  s.mape_pct = sum_abs / static_cast<double>(s.n);
  s.median_ape_pct = percentile(0.5);
  s.p90_ape_pct = percentile(0.9);
  s.bias_pct = sum / static_cast<double>(s.n);
  return s;
}

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Everything needed to predict one measurement again with another CTCF.
struct RowModel {
  const ModelConfig* model = nullptr;
  const EngineProfile* engine = nullptr;
  Instance instance;
  PlanOptions options;
  OffloadMode offload = OffloadMode::kAuto;  // kFixed when the run states its KV offload
  double kv_offload = 0;
};

// The measured quantity a row is scored on, and its value.
// Per-token latency when measured (what a serving benchmark is run for),
// else throughput as reported, else the total, else the prefill.
std::pair<Metric, double> PrimaryMetric(const Measurement& m) {
  if (m.decode_s_per_token) return {Metric::kDecodePerToken, *m.decode_s_per_token};
  if (m.throughput_tps) return {Metric::kThroughput, *m.throughput_tps};
  if (m.total_s) return {Metric::kTotal, *m.total_s};
  return {Metric::kPrefill, m.prefill_s.value_or(0)};
}

double MetricFromTiming(Metric metric, const Measurement& m, double prefill_s, double decode_total_s,
                        double steps) {
  const double total = prefill_s + decode_total_s;
  switch (metric) {
    case Metric::kPrefill: return prefill_s;
    case Metric::kDecodePerToken: return steps > 0 ? decode_total_s / steps : 0;
    case Metric::kTotal: return total;
    case Metric::kThroughput: {
      const double per_seq = m.counts == TokensCounted::kOutput ? static_cast<double>(m.output_len)
                                                                : static_cast<double>(m.input_len + m.output_len);
      return total > 0 ? static_cast<double>(m.batch_size) * per_seq / total : 0;
    }
  }
  return 0;
}

// One phase's equations: measured = alpha x (predicted compute) + beta x
// (count of fixed costs), each divided by the measured value so that every
// row weighs by its percentage error.
struct Equation {
  double compute = 0;  // the coefficient of alpha
  double fixed = 0;    // the coefficient of beta
  double y = 1;
};

void AddEquation(double compute, double fixed, double measured, std::vector<Equation>& out) {
  if (!(measured > 0) || !(compute > 0)) return;
  out.push_back(Equation{compute / measured, fixed / measured, 1.0});
}

struct PhaseFit {
  bool ok = false;
  std::string refusal;
  PhaseCtcf ctcf;
  std::vector<std::string> warnings;
};

// Least squares for one phase's alpha and beta; a negative beta (a fixed
// cost cannot be negative) is fixed at 0 and alpha refitted; when the rows
// cannot separate the two (one workload) or are too few, alpha alone.
PhaseFit FitPhase(const std::vector<Equation>& eqs, std::string_view name, int points) {
  PhaseFit f;
  if (eqs.empty()) {
    f.refusal = fmt::format("no {} measurements", name);
    return f;
  }
  double alpha = 1, beta = 0;
  bool solved = false;
  // A fixed cost is fitted only from enough runs to tell it from the scale;
  // with a handful (Argonne's three TTFT runs per GPU) alpha alone.
  constexpr size_t kMinRunsForBeta = 5;
  if (eqs.size() >= kMinRunsForBeta) {
    Eigen::MatrixXd a(static_cast<Eigen::Index>(eqs.size()), 2);
    Eigen::VectorXd b(static_cast<Eigen::Index>(eqs.size()));
    for (size_t i = 0; i < eqs.size(); ++i) {
      a(static_cast<Eigen::Index>(i), 0) = eqs[i].compute;
      a(static_cast<Eigen::Index>(i), 1) = eqs[i].fixed;
      b(static_cast<Eigen::Index>(i)) = eqs[i].y;
    }
    Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
    qr.setThreshold(1e-10);
    if (qr.rank() == 2) {
      Eigen::VectorXd x = qr.solve(b);
      alpha = x(0);
      beta = x(1);
      solved = beta >= 0;
    } else {
      f.warnings.push_back(fmt::format("the {} measurements cannot separate a scale from a fixed cost: fitted "
                                       "alpha alone",
                                       name));
    }
  }
  if (!solved) {  // alpha alone (beta fixed at 0)
    double num = 0, den = 0;
    for (const Equation& e : eqs) {
      num += e.compute * e.y;
      den += e.compute * e.compute;
    }
    if (den <= 0) {
      f.refusal = fmt::format("the {} measurements do not determine alpha", name);
      return f;
    }
    alpha = num / den;
    beta = 0;
  }
  if (!(alpha > 0)) {
    f.warnings.push_back(fmt::format(
        "{} alpha is {:.3g} (not positive): the model's trend is inverted for these runs; that phase is left "
        "uncalibrated",
        name, alpha));
    f.refusal = fmt::format("{} alpha not positive", name);
    return f;
  }
  f.ok = true;
  f.ctcf = PhaseCtcf{alpha, beta, true, points, -1, {}};
  return f;
}

struct FitResult {
  bool ok = false;
  std::string refusal;
  CtcfParams params;
  std::vector<std::string> warnings;
};

// Two stages, so that each phase is fitted from what measures it: the
// prefill CTCF from measured prefill times (TTFT) only; the decode CTCF from
// measured decode steps and from end-to-end times with the prefill part
// taken out (at the fitted prefill CTCF, or uncalibrated without one).
FitResult Fit(const std::vector<const RowEvaluation*>& rows) {
  FitResult f;
  std::vector<Equation> prefill;
  for (const RowEvaluation* r : rows) {
    if (r->row->prefill_s) AddEquation(r->prefill_compute_s, 1, *r->row->prefill_s, prefill);
  }
  const int points = static_cast<int>(rows.size());
  PhaseFit p = FitPhase(prefill, "prefill", points);
  f.warnings.insert(f.warnings.end(), p.warnings.begin(), p.warnings.end());
  if (p.ok) f.params.prefill = p.ctcf;
  std::vector<Equation> decode;
  for (const RowEvaluation* r : rows) {
    const Measurement& m = *r->row;
    if (m.decode_s_per_token && r->decode_steps > 0) {
      AddEquation(r->decode_compute_s / r->decode_steps, 1, *m.decode_s_per_token, decode);
    }
    if (auto total = m.MeasuredTotalSeconds()) {
      const double prefill_s = p.ok ? p.ctcf.Apply(r->prefill_compute_s) : r->prefill_compute_s;
      AddEquation(r->decode_compute_s, r->decode_steps, *total - prefill_s, decode);
    }
  }
  PhaseFit d = FitPhase(decode, "decode", points);
  f.warnings.insert(f.warnings.end(), d.warnings.begin(), d.warnings.end());
  if (d.ok) f.params.decode = d.ctcf;
  f.ok = p.ok || d.ok;
  if (!f.ok) f.refusal = prefill.empty() && decode.empty() ? "no usable measured values" : d.refusal;
  return f;
}

struct RowModel;
double PredictWith(const RowEvaluation& r, const RowModel& rm, const CtcfParams& params);

// Prediction of a usable row's metric under `params`: exact for rows without
// offloading (the model is linear in alpha and beta there); rows with
// offloading are predicted again through the planner.
double PredictWith(const RowEvaluation& r, const RowModel& rm, const CtcfParams& params) {
  const Measurement& m = *r.row;
  if (!r.offloaded) {
    const PhaseCtcf& p = params.prefill;
    const PhaseCtcf& d = params.decode;
    const double prefill = p.calibrated ? p.Apply(r.prefill_compute_s) : r.prefill_compute_s;
    const double decode = d.calibrated ? d.alpha * r.decode_compute_s + d.beta_s * r.decode_steps : r.decode_compute_s;
    return MetricFromTiming(r.metric, m, prefill, decode, r.decode_steps);
  }
  Calibration cal;
  cal.perf_model = std::string(PerfModelName(rm.options.perf_model));
  if (params.prefill.calibrated) {
    cal.entries.push_back(CtcfEntry{r.gpu, rm.engine->name, Phase::kPrefill, params.prefill.alpha, params.prefill.beta_s,
                                    0, -1, {}, 0, false});
  }
  if (params.decode.calibrated) {
    cal.entries.push_back(CtcfEntry{r.gpu, rm.engine->name, Phase::kDecode, params.decode.alpha, params.decode.beta_s,
                                    0, -1, {}, 0, false});
  }
  Evaluator ev(PlanContext{rm.model, nullptr, rm.engine, &cal}, rm.options);
  Evaluation e = ev.EvaluateLayout(rm.instance, m.tp, rm.offload, rm.kv_offload);
  return MetricFromTiming(r.metric, m, e.timing.prefill_s, e.timing.decode_total_s,
                          static_cast<double>(e.timing.decode_steps));
}

double SignedPct(double predicted, double measured) { return 100.0 * (predicted - measured) / measured; }

}  // namespace

namespace {

// Whether each shipped fit may be carried to GPUs of the same silicon that
// have no measurements of their own: only when it improved the runs of every
// measured sibling (same engine, same die) it was tried on; with no sibling
// measured the benefit is unknown and it is not carried.
void MarkCarries(CalibrationReport& report, const std::vector<Measurement>& rows,
                 const std::vector<RowModel>& row_models, const GpuTable& gpus) {
  for (CtcfEntry& entry : report.calibration.entries) {
    const GpuSpec* gpu = gpus.Find(entry.gpu);
    if (!gpu || gpu->silicon.empty()) continue;
    entry.silicon = gpu->silicon;
    entry.memory_gbps = gpu->memory_bytes_per_s / 1e9;
  }
  for (GroupFit& g : report.groups) {
    if (!g.shipped) continue;
    const GpuSpec* gpu = gpus.Find(g.gpu);
    if (!gpu || gpu->silicon.empty()) continue;
    int tried = 0, improved = 0;
    for (const GroupFit& sibling : report.groups) {
      const GpuSpec* other = gpus.Find(sibling.gpu);
      if (&sibling == &g || sibling.engine != g.engine || !other || other->silicon != gpu->silicon) continue;
      // The sibling's runs predicted with this group's fit (decode only where
      // the bandwidths are alike, as the lookup will carry it).
      CtcfParams params = g.params;
      const double ratio = std::max(gpu->memory_bytes_per_s, other->memory_bytes_per_s) /
                           std::min(gpu->memory_bytes_per_s, other->memory_bytes_per_s);
      if (ratio > 1.35) params.decode = PhaseCtcf{};
      std::vector<double> errors;
      for (size_t i = 0; i < rows.size(); ++i) {
        const RowEvaluation& r = report.rows[i];
        if (!r.usable || r.gpu != sibling.gpu || io::ToLower(rows[i].engine) != g.engine) continue;
        errors.push_back(100 * (PredictWith(r, row_models[i], params) - r.measured) / r.measured);
      }
      if (errors.empty()) continue;
      ++tried;
      const ErrorStats carried = ComputeErrorStats(errors);
      const bool better = carried.median_ape_pct < sibling.before.median_ape_pct;
      improved += better ? 1 : 0;
      g.warnings.push_back(fmt::format("carried to {} ({} runs): median error {:.1f}% against {:.1f}% uncalibrated{}",
                                       sibling.gpu, carried.n, carried.median_ape_pct, sibling.before.median_ape_pct,
                                       better ? "" : ": not carried to other " + gpu->silicon + " parts"));
    }
    const bool carries = tried > 0 && improved == tried;
    for (CtcfEntry& entry : report.calibration.entries) {
      if (entry.gpu == g.gpu && entry.engine == g.engine) entry.carries = carries;
    }
  }
}

}  // namespace

namespace {

// The models and engines the runs name, each loaded once; a name that fails
// to load keeps its error for every run that names it.
class RunInputs {
 public:
  const ModelConfig* Model(const std::string& name, std::string* error) {
    return Find(models_, "model:" + name, [&] { return LoadModel(name); }, error);
  }
  const EngineProfile* Engine(const std::string& name, std::string* error) {
    return Find(engines_, "engine:" + io::ToLower(name), [&] { return LoadEngine(name); }, error);
  }

 private:
  template <typename T, typename LoadFn>
  const T* Find(std::map<std::string, std::unique_ptr<T>>& cache, const std::string& key, LoadFn load,
                std::string* error) {
    if (auto it = cache.find(key); it != cache.end() && it->second) return it->second.get();
    if (auto it = errors_.find(key); it != errors_.end()) {
      *error = it->second;
      return nullptr;
    }
    auto loaded = load();
    if (!loaded.ok()) {
      *error = errors_[key] = loaded.error().message();
      return nullptr;
    }
    return (cache[key] = std::make_unique<T>(std::move(loaded).value())).get();
  }
  std::map<std::string, std::unique_ptr<ModelConfig>> models_;
  std::map<std::string, std::unique_ptr<EngineProfile>> engines_;
  std::map<std::string, std::string> errors_;
};

// Sets up the prediction of one run (its model and engine on an instance of
// tp of its GPUs) and predicts it uncalibrated. Returns "" when the run is
// usable, else why it is skipped.
std::string EvaluateRun(const Measurement& m, const GpuTable& gpus, PerfModelKind perf_model, RunInputs& inputs,
                        RowEvaluation& r, RowModel& rm) {
  r.row = &m;
  if (m.serving()) return std::string(kServingRunSkip);
  std::tie(r.metric, r.measured) = PrimaryMetric(m);
  const GpuSpec* gpu = gpus.Find(m.gpu);
  if (!gpu) return fmt::format("GPU '{}' is not in the GPU table", m.gpu);
  r.gpu = gpu->name;
  std::string error;
  const ModelConfig* model = inputs.Model(m.model, &error);
  if (!model) return error;
  const EngineProfile* engine = inputs.Engine(m.engine, &error);
  if (!engine) return error;
  if (!ValidTensorParallel(*model, m.tp)) {
    return fmt::format("{} cannot be split {} ways (attention heads)", model->name, m.tp);
  }
  rm.model = model;
  rm.engine = engine;
  if (m.instance) {
    // The catalog's instance: its GPU figures (overrides included) and host
    // memory, one replica of tp GPUs.
    rm.instance = *m.instance;
    rm.instance.gpu_count = m.tp;
    rm.instance.host_memory_bytes = m.instance->host_memory_bytes * m.tp / m.instance->gpu_count;
  } else {
    rm.instance.name = fmt::format("{}x{}", m.tp, gpu->name);
    rm.instance.gpu = *gpu;
    rm.instance.gpu_count = m.tp;
    rm.instance.host_memory_bytes = 4096 * kGiB;  // the runs happened: host memory is not the question
  }
  rm.instance.usd_per_hour = 1;
  rm.offload = m.kv_offload ? OffloadMode::kFixed : OffloadMode::kAuto;
  rm.kv_offload = m.kv_offload.value_or(0);
  rm.options.workload.batch_size = m.batch_size;
  rm.options.workload.input_len = m.input_len;
  rm.options.workload.output_len = m.output_len;
  rm.options.workload.requests = m.batch_size;
  rm.options.workload.weight_precision = m.precision;
  rm.options.workload.kv_precision = m.precision;
  rm.options.slo_tps = 0;
  rm.options.pace = Pace::kMax;
  rm.options.perf_model = perf_model;
  if (Status s = CheckEngineFormats(*engine, rm.options.workload); !s.ok()) return s.error().message();
  if (rm.options.workload.context_len() > model->max_position_embeddings) {
    return fmt::format("longer than {}'s context window", model->name);
  }
  if (Status s = ValidatePlanOptions(rm.options, *model); !s.ok()) return s.error().message();
  Evaluator ev(PlanContext{rm.model, nullptr, rm.engine, nullptr}, rm.options);
  Evaluation e = ev.EvaluateLayout(rm.instance, m.tp, rm.offload, rm.kv_offload);
  if (!e.can_run) {
    if (m.kv_offload && e.offload.blocker == OffloadBlocker::kFixedRatioTooSmall) {
      return fmt::format("measured at {:.0f}% KV offload, but the model needs at least {:.0f}% on {} x {}",
                         100 * *m.kv_offload, 100 * e.offload.required_ratio, m.tp, gpu->name);
    }
    return fmt::format("does not fit in the model's memory budget on {} x {} ({})", m.tp, gpu->name,
                       e.offload.blocker == OffloadBlocker::kEngineCannotOffload
                           ? "KV cache larger than GPU memory; the engine must have run it in waves"
                           : "weights or workspace");
  }
  if (m.weight_offload) {
    // Streamed weights follow the planner's own placement; a run that placed
    // them otherwise would be scored at the wrong placement.
    const double modelled = 1 - e.offload.weight_gpu_fraction;
    if (std::fabs(modelled - *m.weight_offload) > 0.05) {
      return fmt::format("measured with {:.0f}% of the weights in CPU memory; the model places {:.0f}% there "
                         "(a fixed weight placement is not modelled)",
                         100 * *m.weight_offload, 100 * modelled);
    }
  }
  r.usable = true;
  r.offloaded = e.offload.ratio > 0;
  r.prefill_compute_s = e.timing.prefill_compute_s;
  r.decode_compute_s = e.timing.decode_total_s;
  r.decode_steps = static_cast<double>(e.timing.decode_steps);
  r.predicted_uncalibrated = MetricFromTiming(r.metric, m, e.timing.prefill_s, e.timing.decode_total_s,
                                              r.decode_steps);
  r.predicted_calibrated = r.predicted_uncalibrated;
  if (r.metric == Metric::kDecodePerToken && r.decode_steps == 0) {
    return "decode time per token measured for a single output token";
  }
  return "";
}

// k-fold cross-validation (leave-one-out for small groups): every fitted run
// is predicted by a fit that did not see it. Fills g.cross_validated and
// g.folds when at least two folds could be made.
void CrossValidate(const std::vector<const RowEvaluation*>& fit_rows, int folds, std::vector<RowEvaluation>& rows,
                   const std::vector<RowModel>& row_models, GroupFit& g) {
  const size_t n = fit_rows.size();
  const size_t k = n < static_cast<size_t>(2 * folds) ? n : static_cast<size_t>(folds);
  if (k < 2) return;
  std::vector<size_t> order(n);
  for (size_t j = 0; j < n; ++j) order[j] = j;
  std::mt19937 rng(20261126);
  for (size_t j = n - 1; j > 0; --j) std::swap(order[j], order[rng() % (j + 1)]);
  std::vector<double> cv;
  for (size_t fold = 0; fold < k; ++fold) {
    std::vector<const RowEvaluation*> train;
    std::vector<const RowEvaluation*> test;
    for (size_t j = 0; j < n; ++j) (j % k == fold ? test : train).push_back(fit_rows[order[j]]);
    FitResult f = Fit(train);
    if (!f.ok) continue;
    for (const RowEvaluation* r : test) {
      const size_t index = static_cast<size_t>(r - rows.data());
      RowEvaluation& held_out = rows[index];
      held_out.predicted_cross_validated = PredictWith(held_out, row_models[index], f.params);
      held_out.cross_validated = true;
      cv.push_back(SignedPct(held_out.predicted_cross_validated, held_out.measured));
    }
  }
  if (!cv.empty()) {
    g.cross_validated = ComputeErrorStats(cv);
    g.folds = static_cast<int>(k);
  }
}

// Fits one (GPU, engine) group, scores it before and after, cross-validates
// it and decides whether its correction ships (then adds its entries).
void FitGroup(const std::vector<size_t>& members, int folds, const std::vector<RowModel>& row_models,
              CalibrationReport& report, GroupFit& g) {
  g.points = static_cast<int>(members.size());
  std::vector<const RowEvaluation*> fit_rows;
  int offloaded = 0;
  for (size_t i : members) {
    if (report.rows[i].offloaded) {
      ++offloaded;
    } else {
      fit_rows.push_back(&report.rows[i]);
    }
  }
  if (offloaded > 0) {
    g.warnings.push_back(fmt::format("{} run{} with KV offloading scored but not fitted (transfers are not calibrated)",
                                     offloaded, offloaded == 1 ? "" : "s"));
  }
  std::vector<double> before;
  for (size_t i : members) before.push_back(SignedPct(report.rows[i].predicted_uncalibrated, report.rows[i].measured));
  g.before = ComputeErrorStats(before);

  FitResult fit = Fit(fit_rows);
  g.warnings.insert(g.warnings.end(), fit.warnings.begin(), fit.warnings.end());
  if (!fit.ok) {
    g.refusal = fit.refusal;
    return;
  }
  g.fitted = true;
  g.params = fit.params;
  std::vector<double> after;
  for (size_t i : members) {
    RowEvaluation& r = report.rows[i];
    r.predicted_calibrated = PredictWith(r, row_models[i], g.params);
    r.calibrated = true;
    after.push_back(SignedPct(r.predicted_calibrated, r.measured));
  }
  g.after = ComputeErrorStats(after);
  CrossValidate(fit_rows, folds, report.rows, row_models, g);

  const double quoted = g.cross_validated ? g.cross_validated->median_ape_pct : -1;
  if (g.cross_validated && g.cross_validated->median_ape_pct > 25) {
    g.warnings.push_back(fmt::format("poor fit: cross-validated median error {:.0f}%", g.cross_validated->median_ape_pct));
  }
  if (!g.cross_validated) g.warnings.push_back("too few runs to cross-validate: the fit's error is unknown");
  // A correction ships only when held-out runs say it helps (issue 9): the
  // cross-validated median error must beat the uncalibrated model's.
  g.shipped = g.cross_validated && g.cross_validated->median_ape_pct < g.before.median_ape_pct;
  if (!g.shipped) {
    g.warnings.push_back(
        g.cross_validated
            ? fmt::format("not shipped: the cross-validated median error {:.1f}% does not beat the uncalibrated "
                          "model's {:.1f}%",
                          g.cross_validated->median_ape_pct, g.before.median_ape_pct)
            : "not shipped: without cross-validation the fit's benefit is unknown");
    return;
  }
  if (g.params.prefill.calibrated) {
    report.calibration.entries.push_back(CtcfEntry{g.gpu, g.engine, Phase::kPrefill, g.params.prefill.alpha,
                                                   g.params.prefill.beta_s, g.points, quoted, {}, 0, false});
  }
  if (g.params.decode.calibrated) {
    report.calibration.entries.push_back(CtcfEntry{g.gpu, g.engine, Phase::kDecode, g.params.decode.alpha,
                                                   g.params.decode.beta_s, g.points, quoted, {}, 0, false});
  }
}

}  // namespace

Result<CalibrationReport> Calibrate(const std::vector<Measurement>& rows, const GpuTable& gpus,
                                    const CalibrationOptions& options) {
  if (options.folds < 2) return InvalidField("calibration.folds", fmt::format("must be at least 2, got {}", options.folds));
  CalibrationReport report;
  report.calibration.perf_model = std::string(PerfModelName(options.perf_model));
  std::vector<RowModel> row_models(rows.size());
  report.rows.resize(rows.size());
  RunInputs inputs;
  for (size_t i = 0; i < rows.size(); ++i) {
    RowEvaluation& r = report.rows[i];
    std::string reason = EvaluateRun(rows[i], gpus, options.perf_model, inputs, r, row_models[i]);
    if (!reason.empty()) {
      r.usable = false;
      r.skip_reason = reason;
      report.skipped[reason] += 1;
    }
  }

  // Groups: (GPU, engine), in a stable order.
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> groups;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (report.rows[i].usable) groups[{report.rows[i].gpu, io::ToLower(rows[i].engine)}].push_back(i);
  }
  for (auto& [key, members] : groups) {
    GroupFit g;
    g.gpu = key.first;
    g.engine = key.second;
    FitGroup(members, options.folds, row_models, report, g);
    report.groups.push_back(std::move(g));
  }
  MarkCarries(report, rows, row_models, gpus);
  return report;
}

std::string CalibrationToJson(const CalibrationReport& report, std::string_view source_note,
                              const ServingCalibrationReport* serving) {
  nlohmann::ordered_json doc;
  doc["schema_version"] = 1;
  doc["perf_model"] = report.calibration.perf_model;
  doc["_about"] = std::string(source_note);
  // The uncalibrated model's error per engine, over every usable run.
  std::map<std::string, std::vector<double>> by_engine;
  for (const RowEvaluation& r : report.rows) {
    if (r.usable) by_engine[io::ToLower(r.row->engine)].push_back(SignedPct(r.predicted_uncalibrated, r.measured));
  }
  nlohmann::ordered_json unc = nlohmann::ordered_json::object();
  for (const auto& [engine, errors] : by_engine) {
    ErrorStats s = ComputeErrorStats(errors);
    unc[engine] = {{"runs", s.n}, {"median_ape_pct", std::round(s.median_ape_pct * 10) / 10}};
  }
  doc["uncalibrated_error"] = unc;
  // Every measured group's error, shipped or not: what a prediction on that
  // GPU can expect (Calibration::ExpectedError).
  nlohmann::ordered_json groups = nlohmann::ordered_json::array();
  auto group = [](const std::string& gpu, const std::string& engine, int runs, const ErrorStats& before,
                  const std::optional<ErrorStats>& cross_validated, bool shipped) {
    auto round1 = [](double x) { return std::round(x * 10) / 10; };
    nlohmann::ordered_json j;
    j["gpu"] = gpu;
    j["engine"] = engine;
    j["runs"] = runs;
    j["uncalibrated_median_pct"] = round1(before.median_ape_pct);
    j["uncalibrated_p90_pct"] = round1(before.p90_ape_pct);
    if (cross_validated) {
      j["calibrated_median_pct"] = round1(cross_validated->median_ape_pct);
      j["calibrated_p90_pct"] = round1(cross_validated->p90_ape_pct);
    }
    j["shipped"] = shipped;
    return j;
  };
  for (const GroupFit& g : report.groups) {
    groups.push_back(group(g.gpu, g.engine, g.points, g.before, g.cross_validated, g.shipped));
  }
  for (const ServingGroupFit& g : serving ? serving->groups : std::vector<ServingGroupFit>{}) {
    auto same = [&](const nlohmann::ordered_json& j) { return j["gpu"] == g.gpu && j["engine"] == g.engine; };
    const bool measured = std::any_of(groups.begin(), groups.end(), same);
    if (measured && !g.shipped) continue;
    if (measured) groups.erase(std::remove_if(groups.begin(), groups.end(), same), groups.end());
    nlohmann::ordered_json j = group(g.gpu, g.engine, g.runs, g.before, g.cross_validated, g.shipped);
    j["fit"] = "serving";
    groups.push_back(j);
  }
  doc["groups"] = groups;
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const CtcfEntry& e : report.calibration.entries) {
    nlohmann::ordered_json j;
    j["gpu"] = e.gpu;
    j["engine"] = e.engine;
    j["phase"] = std::string(PhaseName(e.phase));
    j["alpha"] = std::round(e.alpha * 1e6) / 1e6;
    j["beta_s"] = std::round(e.beta_s * 1e9) / 1e9;
    j["points"] = e.points;
    if (!e.silicon.empty()) {
      j["silicon"] = e.silicon;
      j["memory_gbps"] = e.memory_gbps;
      j["carries"] = e.carries;
    }
    if (e.median_ape_pct >= 0) j["median_ape_pct"] = std::round(e.median_ape_pct * 10) / 10;
    entries.push_back(j);
  }
  doc["entries"] = entries;
  return doc.dump(2) + "\n";
}

}  // namespace infersave
