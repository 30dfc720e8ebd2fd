// The simulator against measured serving runs (include/infersave/serving_validation.h).
#include "infersave/serving_validation.h"
#include "infersave/replica.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "infersave/serving.h"
#include "infersave/shipped.h"

namespace infersave {
namespace {

// Requests each closed-loop user sends: enough that the start (every user
// arriving at once) weighs little in the median.
constexpr int64_t kRequestsPerUser = 30;

struct Prepared {
  ModelConfig model;
  EngineProfile engine;
  Instance instance;
  PlanOptions plan;
};

Result<Prepared> Prepare(const Measurement& m, const GpuTable& gpus) {
  Prepared p;
  auto model = LoadModel(m.model);
  if (!model.ok()) return model.error();
  p.model = std::move(model).value();
  auto engine = LoadEngine(m.engine);
  if (!engine.ok()) return engine.error();
  p.engine = std::move(engine).value();
  const GpuSpec* gpu = gpus.Find(m.gpu);
  if (!gpu) return NotFound(fmt::format("{}: GPU '{}' is not in the GPU table", m.source, m.gpu));
  p.instance.name = fmt::format("{}x{}", m.tp, gpu->name);
  p.instance.gpu = *gpu;
  p.instance.gpu_count = m.tp;
  p.instance.usd_per_hour = 1;
  p.plan.workload.weight_precision = m.precision;
  p.plan.workload.kv_precision = m.precision;
  return p;
}

// One simulation of the measured run; returns (per-token latency median s,
// output tok/s) for closed loops, (TTFT of the burst s, 0) for bursts.
Result<std::pair<double, double>> SimulateRow(const Prepared& p, const Measurement& m, const Calibration* cal,
                                              bool closed_loop) {
  // A replica needs no catalog: the context names none.
  PlanContext ctx{&p.model, nullptr, &p.engine, cal};
  auto replica = MakeServingReplica(ctx, p.plan, p.instance, m.tp);
  if (!replica.ok()) return replica.error();
  if (!replica->fits) {
    return InvalidInput(fmt::format("{}: {} on {} leaves no KV cache", m.source, p.model.name, p.instance.name));
  }
  if (closed_loop) {
    const int64_t n = std::max<int64_t>(200, m.batch_size * kRequestsPerUser);
    std::vector<Request> requests(static_cast<size_t>(n), Request{0, m.input_len, m.output_len});
    auto sim = SimulateClosedLoop(requests, ClosedLoop{m.batch_size, 0}, replica->limits,
                                  replica->timer->AsStepTime());
    if (!sim.ok()) return sim.error();
    std::vector<double> per_token;
    for (const RequestMetrics& r : sim->requests) per_token.push_back(r.e2e_s / static_cast<double>(m.output_len));
    return std::pair{Percentile(per_token, 50), sim->output_tokens_per_s};
  }
  std::vector<Request> burst(static_cast<size_t>(m.batch_size), Request{0, m.input_len, m.output_len});
  auto sim = Simulate(burst, replica->limits, replica->timer->AsStepTime());
  if (!sim.ok()) return sim.error();
  double last = 0;
  for (const RequestMetrics& r : sim->requests) last = std::max(last, r.ttft_s);
  return std::pair{last, 0.0};
}

Timing StaticTiming(const Prepared& p, const Measurement& m) {
  const ParameterCount params = CountParameters(p.model);
  Workload w = p.plan.workload;
  w.batch_size = m.batch_size;
  w.input_len = m.input_len;
  w.output_len = m.output_len;
  const Replica replica{&p.model, &params, &p.instance.gpu, &p.engine, m.tp, Ctcf{}};
  return replica.Predict(*MakePerfModel(PerfModelKind::kRoofline), w);
}

}  // namespace

Result<ServingValidationReport> ValidateServing(const Dataset& dataset, const GpuTable& gpus,
                                                const Calibration* calibration) {
  const bool closed_loop = dataset.name == "tgi-sagemaker";
  if (!closed_loop && dataset.name != "argonne-ttft") {
    return InvalidArgument(fmt::format("the serving simulator is validated against tgi-sagemaker (closed-loop users) "
                                       "or argonne-ttft (a burst of requests), not {}",
                                       dataset.name));
  }
  ServingValidationReport report;
  report.dataset = dataset.name;
  report.description = dataset.description;
  report.skipped = dataset.skipped;
  for (const Measurement& m : dataset.rows) {
    auto p = Prepare(m, gpus);
    if (!p.ok()) return p.error();
    if (!p->engine.continuous_batching) {
      ++report.skipped[fmt::format("engine {} does not batch continuously", m.engine)];
      continue;
    }
    auto uncal = SimulateRow(*p, m, nullptr, closed_loop);
    if (!uncal.ok()) return uncal.error();
    auto cal = SimulateRow(*p, m, calibration, closed_loop);
    if (!cal.ok()) return cal.error();
    const Timing t = StaticTiming(*p, m);
    ServingValidationRow row;
    row.source = m.source;
    row.gpu = p->instance.gpu.name;
    row.model = p->model.name;
    row.engine = m.engine;
    row.tp = m.tp;
    row.users = m.batch_size;
    row.input_len = m.input_len;
    row.output_len = m.output_len;
    row.calibration_in_sample = closed_loop && calibration != nullptr &&
                                (cal->first != uncal->first || cal->second != uncal->second);
    // One row per measured metric: measured, simulated (uncalibrated and
    // calibrated) and the static-batch model's value, in the metric's unit.
    auto add = [&](const char* metric, const char* unit, double measured, double simulated, double calibrated,
                   double static_model) {
      ServingValidationRow r = row;
      r.metric = metric;
      r.unit = unit;
      r.measured = measured;
      r.simulated = simulated;
      r.simulated_calibrated = calibrated;
      r.static_model = static_model;
      report.rows.push_back(std::move(r));
    };
    if (closed_loop) {
      if (m.decode_s_per_token) {
        add("per-token latency", "ms", *m.decode_s_per_token * 1e3, uncal->first * 1e3, cal->first * 1e3,
            t.total_s / static_cast<double>(m.output_len) * 1e3);
      }
      if (m.throughput_tps && m.counts == TokensCounted::kOutput) {
        add("throughput", "tok/s", *m.throughput_tps, uncal->second, cal->second,
            static_cast<double>(m.batch_size * m.output_len) / t.total_s);
      }
    } else if (m.prefill_s) {
      add("TTFT", "s", *m.prefill_s, uncal->first, cal->first, t.prefill_s);
    }
  }
  return report;
}

double MedianApe(const std::vector<ServingValidationRow>& rows, const std::string& metric, bool calibrated,
                 bool static_model) {
  std::vector<double> apes;
  for (const ServingValidationRow& r : rows) {
    if (r.metric != metric || r.measured == 0) continue;
    const double predicted = static_model ? r.static_model : calibrated ? r.simulated_calibrated : r.simulated;
    apes.push_back(std::fabs(predicted - r.measured) / r.measured * 100);
  }
  if (apes.empty()) return -1;
  return Percentile(apes, 50);
}

}  // namespace infersave
