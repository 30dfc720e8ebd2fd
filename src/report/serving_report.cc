// Table, JSON and CSV reports of online-serving plans and simulations.
#include "infersave/serving_report.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "io/csv.h"
#include "io/text.h"
#include "report/format_util.h"

namespace infersave {
namespace {

using Json = nlohmann::ordered_json;

using report_util::Round;

std::string Ms(double s) { return s < 0.1 ? fmt::format("{:.1f} ms", s * 1e3) : fmt::format("{:.0f} ms", s * 1e3); }

using report_util::Money;

std::string GpusText(const Instance& i) { return fmt::format("{}x{}", i.gpu_count, i.gpu.name); }

std::string ObjectivesText(const ServingOptions& o, double target) {
  std::vector<std::string> parts;
  const std::string pct = fmt::format("p{:g}", o.slo.percentile);
  if (o.slo.ttft_s) parts.push_back(fmt::format("TTFT {} <= {}", pct, Ms(*o.slo.ttft_s)));
  if (o.slo.tpot_s) parts.push_back(fmt::format("TPOT {} <= {}", pct, Ms(*o.slo.tpot_s)));
  if (target > 0) {
    parts.push_back(fmt::format("{:.3g} requests/s", target));
    if (o.slo_tps > 0) parts.back() += fmt::format(" (>= {:g} tok/s)", o.slo_tps);
  } else {
    parts.push_back("no target rate (ranked by cost per million tokens at capacity)");
  }
  if (std::isfinite(o.plan.max_usd_per_hour)) parts.push_back(fmt::format("price cap ${:.2f}/h", o.plan.max_usd_per_hour));
  return fmt::format("{}", fmt::join(parts, "; "));
}

Json LatencyJson(const LatencyStats& s) {
  return Json{{"mean_ms", Round(s.mean_s * 1e3, 3)},
              {"p50_ms", Round(s.p50_s * 1e3, 3)},
              {"p90_ms", Round(s.p90_s * 1e3, 3)},
              {"p99_ms", Round(s.p99_s * 1e3, 3)}};
}

Json PointJson(const OperatingPoint& p) {
  return Json{{"rate_per_s", Round(p.rate_per_s, 4)},
              {"ttft_at_percentile_ms", Round(p.ttft_s * 1e3, 3)},
              {"tpot_at_percentile_ms", Round(p.tpot_s * 1e3, 3)},
              {"ttft", LatencyJson(p.ttft)},
              {"tpot", LatencyJson(p.tpot)},
              {"e2e", LatencyJson(p.e2e)},
              {"output_tokens_per_s", Round(p.output_tokens_per_s, 2)},
              {"completion_ratio", Round(p.completion_ratio, 4)},
              {"fraction_meeting", Round(p.fraction_meeting, 4)},
              {"preemptions", p.preemptions},
              {"meets", p.meets}};
}

Json EvaluationJson(const ServingEvaluation& e, const ServingOptions& o, const ReportContext& plan_ctx) {
  const Instance& i = *e.instance;
  // The candidate's own engine (plans may search several).
  ReportContext ctx = plan_ctx;
  if (e.engine) ctx.engine = e.engine;
  Json j;
  j["instance"] = i.name;
  j["gpu"] = i.gpu.name;
  j["gpu_count"] = i.gpu_count;
  j["tensor_parallel"] = e.tp;
  j["replicas_per_instance"] = e.replicas;
  report_util::VariantJson(j, e);
  j["max_num_batched_tokens"] = e.limits.max_batched_tokens;
  report_util::PriceJson(j, e.usd_per_hour, i.usd_per_hour, e.spot, e.priced);
  j["qualifies"] = e.qualifies();
  const std::string reason = ServingRejectionText(e, o);
  j["rejected_because"] = reason.empty() ? Json() : Json(reason);
  j["kv_cache_tokens_per_replica"] = e.kv_capacity_tokens;
  j["max_sequences"] = e.limits.max_sequences;
  const bool searched = e.verdict == Verdict::kQualifies || e.verdict == Verdict::kMissesSlo;
  if (searched) {
    j["light_load"] = PointJson(e.light);
    j["accuracy"] = CtcfAccuracyNote(e.ctcf, i.gpu.name, "roofline", ctx);
    j["expected_error"] = report_util::ExpectedErrorJson(e.ctcf, i.gpu.name, ctx);
    report_util::ConfidenceJson(j, e);
    j["simulations"] = e.simulations;
  }
  if (e.qualifies()) {
    j["max_rate_per_replica"] = Round(e.max_rate_per_replica, 4);
    j["max_rate_per_instance"] = Round(e.max_rate_per_instance, 4);
    j["limited_by"] = e.limited_by;
    j["at_max_rate"] = PointJson(e.best);
    j["instances"] = e.instances;
    j["at_target"] = PointJson(e.at_target);
    j["fleet_usd_per_hour"] = Round(e.fleet_usd_per_hour, 4);
    j["usd_per_million_tokens"] = Round(e.usd_per_million_tokens, 4);
  }
  return j;
}

void WriteJson(std::ostream& out, const ServingPlan& plan, const ServingOptions& o, const ReportContext& ctx) {
  Json doc;
  doc["schema_version"] = kJsonSchemaVersion;
  doc["context"] = report_util::ContextJson(plan.catalog, plan.catalog_as_of, ctx);
  doc["mode"] = "online";
  Json inputs;
  inputs["model"] = ctx.model->name;
  inputs["engine"] = plan.engine;
  inputs["catalog"] = plan.catalog;
  inputs["catalog_as_of"] = plan.catalog_as_of;
  inputs["workload"] = o.description;
  inputs["mean_prompt_tokens"] = Round(plan.mean_prompt_tokens, 2);
  inputs["mean_output_tokens"] = Round(plan.mean_output_tokens, 2);
  inputs["simulated_requests"] = plan.simulated_requests;
  inputs["target_rate_per_s"] = plan.target_rate_per_s > 0 ? Json(plan.target_rate_per_s) : Json();
  inputs["slo_ttft_ms"] = o.slo.ttft_s ? Json(*o.slo.ttft_s * 1e3) : Json();
  inputs["slo_tpot_ms"] = o.slo.tpot_s ? Json(*o.slo.tpot_s * 1e3) : Json();
  inputs["slo_percentile"] = o.slo.percentile;
  inputs["calibration"] = ctx.calibration ? Json(ctx.calibration->source) : Json();
  doc["inputs"] = inputs;
  doc["recommendation"] = plan.recommendation ? EvaluationJson(*plan.recommendation, o, ctx) : Json();
  if (plan.recommendation) {
    doc["recommendation"]["pick_flips_at_error_pct"] =
        plan.pick_flips_at_error_pct ? Json(*plan.pick_flips_at_error_pct) : Json();
  }
  inputs["confidence"] = o.plan.min_confidence > 0 ? Json(o.plan.min_confidence) : Json();
  inputs["searched"] = plan.searched.empty() ? Json() : Json(plan.searched);
  doc["inputs"] = inputs;
  Json all = Json::array();
  for (const ServingEvaluation& e : plan.candidates) all.push_back(EvaluationJson(e, o, ctx));
  doc["candidates"] = all;
  doc["simulations"] = plan.simulations;
  Json frontier = Json::array();
  for (const ServingEvaluation& e : plan.frontier) {
    Json f{{"instance", e.instance->name}, {"tensor_parallel", e.tp}, {"instances", e.instances}};
    report_util::VariantJson(f, e);
    f["fleet_usd_per_hour"] = Round(e.fleet_usd_per_hour, 4);
    f["ttft_at_percentile_ms"] = Round(e.at_target.ttft_s * 1e3, 3);
    f["tpot_at_percentile_ms"] = Round(e.at_target.tpot_s * 1e3, 3);
    frontier.push_back(f);
  }
  doc["frontier"] = frontier;
  doc["warnings"] = report_util::WarningsWithPriceAge(plan.warnings, plan.catalog_as_of, ctx.today);
  out << doc.dump(2) << '\n';
}

// The CSV columns of an online plan, in the order scripts read them since
// schema version 1; the rest of each candidate's JSON follows them.
const std::vector<report_util::CsvColumn> kServingCsvColumns = {
    {"rank", "#rank"}, {"instance", "instance"}, {"gpu", "gpu"}, {"gpu_count", "gpu_count"},
    {"tensor_parallel", "tensor_parallel"}, {"replicas", "replicas_per_instance"}, {"usd_per_hour", "usd_per_hour"},
    {"qualifies", "qualifies"}, {"max_rate_per_instance", "max_rate_per_instance"}, {"limited_by", "limited_by"},
    {"instances", "instances"}, {"fleet_usd_per_hour", "fleet_usd_per_hour"},
    {"usd_per_million_tokens", "usd_per_million_tokens"}, {"ttft_p_ms", "at_target.ttft_at_percentile_ms"},
    {"tpot_p_ms", "at_target.tpot_at_percentile_ms"}, {"ttft_p50_ms", "at_target.ttft.p50_ms"},
    {"tpot_p50_ms", "at_target.tpot.p50_ms"}, {"rejected_because", "rejected_because"},
    {"price_basis", "price_basis"}, {"on_demand_usd_per_hour", "on_demand_usd_per_hour"}};

void WriteCsv(std::ostream& out, const ServingPlan& plan, const ServingOptions& o, const ReportContext& ctx) {
  std::vector<Json> rows;
  for (const ServingEvaluation& e : plan.candidates) rows.push_back(EvaluationJson(e, o, ctx));
  report_util::WriteCsvRows(out, rows, kServingCsvColumns);
}

void WriteTable(std::ostream& out, const ServingPlan& plan, const ServingOptions& o, const ReportContext& ctx) {
  fmt::print(out, "{}\n", report_util::PlanTitle("online plan", *ctx.model, plan.params, o.plan.workload, plan.catalog,
                                                  plan.catalog_as_of, ctx.today, o.plan.spot));
  fmt::print(out, "  workload   {}\n", o.description);
  fmt::print(out, "  objective  {}\n", ObjectivesText(o, plan.target_rate_per_s));
  fmt::print(out, "  model      continuous batching on {} (up to {} sequences, {}-token KV blocks), roofline step "
                  "times, calibration {}\n",
             plan.engine, ctx.engine->max_num_seqs, ctx.engine->kv_block_tokens,
             ctx.calibration ? ctx.calibration->source : "none");
  out << '\n';
  const std::string pct = fmt::format("p{:g}", o.slo.percentile);
  if (plan.recommendation) {
    const ServingEvaluation& r = *plan.recommendation;
    std::string layout;
    if (r.tp > 1) layout = fmt::format(", model split over {} GPUs", r.tp);
    if (r.replicas > 1) layout += fmt::format(", {} replicas per instance", r.replicas);
    fmt::print(out, "Recommendation: {} x {} ({}{}) at {}/h in all, {} per million tokens\n", r.instances,
               r.instance->name, GpusText(*r.instance), layout, Money(r.fleet_usd_per_hour),
               Money(r.usd_per_million_tokens));
    if (!plan.searched.empty() && r.engine) {
      fmt::print(out, "  chose {} weights, {} KV cache, engine {} (searched {})\n", PrecisionName(r.weights),
                 PrecisionName(r.kv_cache), r.engine->name, plan.searched);
    }
    fmt::print(out, "  one instance sustains up to {:.3g} requests/s (limited by {})\n", r.max_rate_per_instance,
               r.limited_by);
    const OperatingPoint& a = r.at_target;
    fmt::print(out, "  at {:.3g} requests/s per replica: TTFT p50 {}, {} {}; TPOT p50 {}, {} {}; {:.0f}% of "
                    "requests meet every objective\n",
               a.rate_per_s, Ms(a.ttft.p50_s), pct, Ms(a.ttft_s), Ms(a.tpot.p50_s), pct, Ms(a.tpot_s),
               a.fraction_meeting * 100);
    fmt::print(out, "  one request alone: TTFT {}, TPOT {}\n", Ms(r.light.ttft.p50_s), Ms(r.light.tpot.p50_s));
    fmt::print(out, "  accuracy: {}\n", CtcfAccuracyNote(r.ctcf, r.instance->gpu.name, "roofline", ctx));
    fmt::print(out, "  confidence: {}\n", report_util::ConfidenceLine(r, plan.pick_flips_at_error_pct));
  } else {
    fmt::print(out, "No instance meets the objectives.\n");
  }

  size_t name_width = 15, gpus_width = 9;
  int qualifying = 0;
  for (const ServingEvaluation& e : plan.candidates) {
    qualifying += e.qualifies() ? 1 : 0;
    name_width = std::max(name_width, e.instance->name.size());
    gpus_width = std::max(gpus_width, GpusText(*e.instance).size());
  }
  if (qualifying > 0) {
    const int shown = std::min(qualifying, std::max(ctx.top, 1));
    fmt::print(out, "\nTop {} of {} that meet the objectives:\n", shown, qualifying);
    fmt::print(out, "  {:>4}  {:<{}} {:<{}} {:>3} {:>10} {:>11} {:>5} {:>9} {:>8} {:>10} {:>10}\n", "rank", "instance",
               name_width, "GPUs", gpus_width, "TP", "req/s max", "limited by", "count", "fleet $/h", "$/Mtok",
               "TTFT " + pct, "TPOT " + pct);
    for (int k = 0; k < shown; ++k) {
      const ServingEvaluation& e = plan.candidates[static_cast<size_t>(k)];
      fmt::print(out, "  {:>4}  {:<{}} {:<{}} {:>3} {:>10.3g} {:>11} {:>5} {:>9} {:>8} {:>10} {:>10}\n", k + 1,
                 e.instance->name, name_width, GpusText(*e.instance), gpus_width, e.tp, e.max_rate_per_instance,
                 e.limited_by, e.instances, Money(e.fleet_usd_per_hour), Money(e.usd_per_million_tokens),
                 Ms(e.at_target.ttft_s), Ms(e.at_target.tpot_s));
    }
  }
  if (ctx.frontier) {
    fmt::print(out, "\nPareto frontier, fleet cost against TTFT and TPOT {} ({}):\n", pct, plan.frontier.size());
    for (const ServingEvaluation& e : plan.frontier) {
      fmt::print(out, "  {:<{}} {:>3} x {:<{}} {:>9}/h  TTFT {:>8}  TPOT {:>8}  {} weights, {} KV, {}\n",
                 e.instance->name, name_width, e.instances, GpusText(*e.instance), gpus_width,
                 Money(e.fleet_usd_per_hour), Ms(e.at_target.ttft_s), Ms(e.at_target.tpot_s), PrecisionName(e.weights),
                 PrecisionName(e.kv_cache), e.engine ? e.engine->name : plan.engine);
    }
  }
  const size_t rejected = plan.candidates.size() - static_cast<size_t>(qualifying);
  if (rejected > 0) {
    fmt::print(out, "\nNot chosen ({}):\n", rejected);
    for (const ServingEvaluation& e : plan.candidates) {
      if (e.qualifies()) continue;
      fmt::print(out, "  {:<{}} {:<{}} {}\n", e.instance->name, name_width, GpusText(*e.instance), gpus_width,
                 ServingRejectionText(e, o));
    }
  }
  fmt::print(out, "\n{} simulations of {} requests each\n", plan.simulations, plan.simulated_requests);
  for (const std::string& warning : report_util::WarningsWithPriceAge(plan.warnings, plan.catalog_as_of, ctx.today)) {
    fmt::print(out, "\nwarning: {}\n", warning);
  }
}

}  // namespace

void WriteServingPlan(std::ostream& out, const ServingPlan& plan, const ServingOptions& options,
                      const ReportContext& ctx, OutputFormat format) {
  switch (format) {
    case OutputFormat::kJson: return WriteJson(out, plan, options, ctx);
    case OutputFormat::kCsv: return WriteCsv(out, plan, options, ctx);
    case OutputFormat::kTable: return WriteTable(out, plan, options, ctx);
  }
}

void WriteSimulation(std::ostream& out, const SimulationSummary& s, const ReportContext& ctx, OutputFormat format) {
  const SimulationResult& r = s.result;
  if (format == OutputFormat::kJson) {
    Json doc;
    doc["schema_version"] = kJsonSchemaVersion;
    doc["context"] = report_util::ContextJson(ctx.catalog ? std::string_view(ctx.catalog->name) : "", "", ctx);
    doc["model"] = ctx.model->name;
    doc["engine"] = ctx.engine->name;
    doc["instance"] = s.instance;
    doc["tensor_parallel"] = s.tp;
    doc["workload"] = s.description;
    doc["kv_cache_tokens"] = s.kv_capacity_tokens;
    doc["ttft"] = LatencyJson(r.ttft);
    doc["tpot"] = LatencyJson(r.tpot);
    doc["e2e"] = LatencyJson(r.e2e);
    doc["output_tokens_per_s"] = Round(r.output_tokens_per_s, 3);
    doc["total_tokens_per_s"] = Round(r.total_tokens_per_s, 3);
    doc["requests_per_s"] = r.makespan_s > 0 ? Round(static_cast<double>(r.requests.size()) / r.makespan_s, 4) : 0.0;
    doc["completion_ratio"] = Round(r.completion_ratio, 4);
    doc["preemptions"] = r.preemptions;
    doc["iterations"] = r.iterations;
    doc["fraction_meeting"] = s.fraction_meeting ? Json(Round(*s.fraction_meeting, 4)) : Json();
    doc["accuracy"] = s.accuracy;
    // The figures above are one replica's; the whole instance serves
    // `replicas` times its load.
    const double n = s.replicas;
    doc["replicas"] = s.replicas;
    doc["instance_throughput"] = {
        {"requests_per_s", r.makespan_s > 0 ? Round(n * static_cast<double>(r.requests.size()) / r.makespan_s, 4) : 0.0},
        {"output_tokens_per_s", Round(n * r.output_tokens_per_s, 3)},
        {"total_tokens_per_s", Round(n * r.total_tokens_per_s, 3)}};
    out << doc.dump(2) << '\n';
    return;
  }
  if (format == OutputFormat::kCsv) {
    out << "request,arrival_s,prompt_tokens,output_tokens,ttft_s,tpot_s,e2e_s,preemptions\n";
    for (size_t i = 0; i < r.requests.size(); ++i) {
      const RequestMetrics& m = r.requests[i];
      out << i + 1 << ',' << fmt::format("{:.6f}", m.arrival_s) << ',' << s.requests[i].prompt_tokens << ','
          << s.requests[i].output_tokens << ',' << fmt::format("{:.6f}", m.ttft_s) << ','
          << (m.tpot_s ? fmt::format("{:.6f}", *m.tpot_s) : std::string()) << ',' << fmt::format("{:.6f}", m.e2e_s)
          << ',' << m.preemptions << '\n';
    }
    return;
  }
  std::string layout = s.tp > 1 ? fmt::format(", model split over {} GPUs", s.tp) : "";
  if (s.replicas > 1) {
    layout += fmt::format(", {} replicas each serving 1/{} of the load; figures are one replica's", s.replicas,
                          s.replicas);
  }
  fmt::print(out, "InferSave simulation: {} on {} ({}{}), engine {}\n", ctx.model->name, s.instance, s.gpus, layout,
             ctx.engine->name);
  fmt::print(out, "  workload  {}\n", s.description);
  fmt::print(out, "  KV cache  {} tokens, up to {} sequences at once\n\n", s.kv_capacity_tokens, s.max_sequences);
  fmt::print(out, "  {:<5} {:>10} {:>10} {:>10} {:>10}\n", "", "mean", "p50", "p90", "p99");
  for (auto [name, st] : {std::pair<const char*, const LatencyStats*>{"TTFT", &r.ttft}, {"TPOT", &r.tpot},
                          {"E2E", &r.e2e}}) {
    fmt::print(out, "  {:<5} {:>10} {:>10} {:>10} {:>10}\n", name, Ms(st->mean_s), Ms(st->p50_s), Ms(st->p90_s),
               Ms(st->p99_s));
  }
  const double rps = r.makespan_s > 0 ? static_cast<double>(r.requests.size()) / r.makespan_s : 0;
  fmt::print(out, "\n  served {} requests in {:.1f} s: {:.3g} requests/s, {:.0f} output tok/s, {:.0f} tok/s in all\n",
             r.requests.size(), r.makespan_s, rps, r.output_tokens_per_s, r.total_tokens_per_s);
  if (s.replicas > 1) {
    fmt::print(out, "  the instance ({} replicas): {:.3g} requests/s, {:.0f} output tok/s, {:.0f} tok/s in all\n",
               s.replicas, rps * s.replicas, r.output_tokens_per_s * s.replicas, r.total_tokens_per_s * s.replicas);
  }
  fmt::print(out, "  completion ratio {:.2f}{}; {} preemptions; {} iterations\n", r.completion_ratio,
             r.completion_ratio < kMinCompletionRatio ? " (the queue grows: the offered load is above capacity)" : "",
             r.preemptions, r.iterations);
  if (s.fraction_meeting) fmt::print(out, "  {:.1f}% of requests meet every objective\n", *s.fraction_meeting * 100);
  fmt::print(out, "  accuracy: {}\n", s.accuracy);
}

}  // namespace infersave
