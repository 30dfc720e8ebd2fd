// Table, JSON and CSV reports of plans and predictions.
#include "infersave/report.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "io/csv.h"
#include "report/format_util.h"
#include "io/text.h"

namespace infersave {
namespace {

using Json = nlohmann::ordered_json;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string OffloadText(const Evaluation& e) {
  if (!e.can_run) return "-";
  return fmt::format("{:.0f}%", e.offload.ratio * 100);
}

std::string GpusText(const Instance& i) { return fmt::format("{}x{}", i.gpu_count, i.gpu.name); }

// ", model split over 4 GPUs (tensor parallel), 2 replicas" or "".
std::string LayoutText(const Evaluation& e) {
  std::string text;
  if (e.tp > 1) text += fmt::format(", model split over {} GPUs (tensor parallel)", e.tp);
  if (e.replicas > 1) text += fmt::format(", {} replicas{}", e.replicas, e.tp == 1 ? " (one per GPU)" : "");
  return text;
}

using report_util::Round;

std::string PhaseNote(const PhaseCtcf& c) {
  if (!c.calibrated) return "";
  std::string points = c.points > 0 ? fmt::format("{} run{}", c.points, c.points == 1 ? "" : "s") : "unknown runs";
  std::string error = c.median_ape_pct >= 0 ? fmt::format(", median error {:.0f}%", c.median_ape_pct)
                                            : ", error not measured";
  return points + error;
}

}  // namespace

std::string CurrentDate() {
  const auto now = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day ymd{now};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::optional<int> DaysBetween(std::string_view from, std::string_view to) {
  auto parse = [](std::string_view d) -> std::optional<std::chrono::sys_days> {
    int y = 0;
    unsigned m = 0, day = 0;
    if (d.size() != 10 || d[4] != '-' || d[7] != '-') return std::nullopt;
    if (std::sscanf(std::string(d).c_str(), "%4d-%2u-%2u", &y, &m, &day) != 3) return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{day}};
    if (!ymd.ok()) return std::nullopt;
    return std::chrono::sys_days{ymd};
  };
  auto a = parse(from), b = parse(to);
  if (!a || !b) return std::nullopt;
  return static_cast<int>((*b - *a).count());
}

Result<OutputFormat> ParseOutputFormat(std::string_view text) {
  std::string t = io::ToLower(io::Trim(text));
  if (t == "table") return OutputFormat::kTable;
  if (t == "json") return OutputFormat::kJson;
  if (t == "csv") return OutputFormat::kCsv;
  return InvalidArgument(fmt::format("unknown format {} (expected table, json or csv)", io::Quote(text)));
}

std::string AccuracyNote(const Evaluation& e, const Plan& plan, const ReportContext& ctx) {
  if (!e.can_run) return "";
  return CtcfAccuracyNote(e.ctcf, e.instance->gpu.name, plan.perf_model, ctx);
}

// The error band a prediction can expect (Calibration::ExpectedError): null
// when no calibration file is in use or nothing was measured to go by.
nlohmann::ordered_json report_util::ExpectedErrorJson(const Ctcf& ctcf, const std::string& gpu, const ReportContext& ctx) {
  if (!ctx.calibration) return nlohmann::ordered_json();
  const ErrorBand band =
      ctx.calibration->ExpectedError(gpu, ctx.engine->name, ctcf.calibrated());
  if (band.median_pct < 0 && band.p90_pct < 0) return nlohmann::ordered_json();
  return nlohmann::ordered_json{{"median_pct", band.median_pct < 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(band.median_pct)},
              {"p90_pct", band.p90_pct < 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(band.p90_pct)},
              {"basis", band.basis}};
}

std::string CtcfAccuracyNote(const Ctcf& ctcf, const std::string& gpu, std::string_view perf_model,
                             const ReportContext& ctx) {
  const std::string& engine = ctx.engine->name;
  if (ctcf.calibrated()) {
    std::string from = ctx.calibration ? ctx.calibration->source : "calibration";
    const std::string& carried = !ctcf.decode.carried_from.empty() ? ctcf.decode.carried_from : ctcf.prefill.carried_from;
    if (!carried.empty()) from += fmt::format(", fitted on {} of the same silicon", carried);
    if (ctcf.prefill.calibrated && ctcf.decode.calibrated && ctcf.prefill.points == ctcf.decode.points &&
        ctcf.prefill.median_ape_pct == ctcf.decode.median_ape_pct) {
      return fmt::format("calibrated ({}) on {} with {}: {}", from, gpu, engine, PhaseNote(ctcf.decode));
    }
    return fmt::format("calibrated ({}) on {} with {}: prefill {}; decode {}", from, gpu, engine,
                       ctcf.prefill.calibrated ? PhaseNote(ctcf.prefill) : "uncalibrated",
                       ctcf.decode.calibrated ? PhaseNote(ctcf.decode) : "uncalibrated");
  }
  if (ctx.calibration) {
    if (const GroupAccuracy* g = ctx.calibration->FindGroup(gpu, engine)) {
      return fmt::format("uncalibrated {} model, measured on {} runs of {} with {}: median error {:.0f}%, p90 {:.0f}%{}",
                         perf_model, g->runs, g->gpu, g->engine, g->uncalibrated_median_pct, g->uncalibrated_p90_pct,
                         g->calibrated_median_pct >= 0 ? " (no correction beat it under cross-validation)" : "");
    }
  }
  std::string note = fmt::format("uncalibrated {} model: no measurements for {} with {}", perf_model, gpu, engine);
  if (ctx.calibration) {
    auto it = ctx.calibration->uncalibrated_by_engine.find(io::ToLower(engine));
    if (it != ctx.calibration->uncalibrated_by_engine.end() && it->second.runs > 0) {
      note += fmt::format(" (on {} measured {} runs on other GPUs its median error was {:.0f}%)", it->second.runs,
                          engine, it->second.median_ape_pct);
    }
  }
  return note;
}

const char* LibraryVersion() { return INFERSAVE_VERSION; }

namespace {

// Every scalar of a row, nested fields joined by '.', in document order.
void Flatten(const Json& j, const std::string& prefix, std::vector<std::pair<std::string, const Json*>>& out) {
  for (const auto& [key, value] : j.items()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) {
      Flatten(value, path, out);
    } else {
      out.emplace_back(path, &value);
    }
  }
}

std::string CsvCell(const Json* v) {
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return io::CsvField(v->get<std::string>());
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v->is_array()) return io::CsvField(v->dump());
  return v->dump();
}

}  // namespace

void report_util::WriteCsvRows(std::ostream& out, const std::vector<Json>& rows, const std::vector<CsvColumn>& leading) {
  std::vector<std::vector<std::pair<std::string, const Json*>>> flat(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) Flatten(rows[r], "", flat[r]);
  std::vector<CsvColumn> columns = leading;
  std::vector<std::string> taken;
  for (const CsvColumn& c : leading) taken.push_back(c.path);
  for (const auto& fields : flat) {
    for (const auto& [path, value] : fields) {
      if (std::find(taken.begin(), taken.end(), path) != taken.end()) continue;
      taken.push_back(path);
      columns.push_back(CsvColumn{path, path});
    }
  }
  for (size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << io::CsvField(columns[c].name);
  out << '\n';
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c) out << ',';
      if (columns[c].path == "#rank") {
        out << r + 1;
        continue;
      }
      const Json* value = nullptr;
      for (const auto& [path, v] : flat[r]) {
        if (path == columns[c].path) {
          value = v;
          break;
        }
      }
      out << CsvCell(value);
    }
    out << '\n';
  }
}

namespace {

Json EvaluationJson(const Evaluation& e, const Plan& plan, const ReportContext& plan_ctx) {
  Json j;
  const Instance& i = *e.instance;
  // The candidate's own engine (plans may search several).
  ReportContext ctx = plan_ctx;
  if (e.engine) ctx.engine = e.engine;
  j["instance"] = i.name;
  j["gpu"] = i.gpu.name;
  j["gpu_count"] = i.gpu_count;
  j["gpu_peer_to_peer"] = i.gpu.peer_to_peer;
  j["tensor_parallel"] = e.tp;
  j["replicas"] = e.replicas;
  report_util::VariantJson(j, e);
  j["batch_size"] = e.batch_size;
  j["instances"] = e.instances;
  report_util::PriceJson(j, e.usd_per_hour, i.usd_per_hour, e.spot, e.priced);
  j["feasible"] = e.can_run;
  j["meets_slo"] = e.can_run && e.meets_slo;
  j["within_price_cap"] = e.within_price_cap;
  std::string reason = RejectionText(e, plan.options);
  j["rejected_because"] = reason.empty() ? Json() : Json(reason);
  if (e.can_run) {
    j["offload_ratio"] = Round(e.offload.ratio, 4);
    j["weight_offload_ratio"] = Round(1 - e.offload.weight_gpu_fraction, 4);
    j["predicted_tps"] = Round(e.tps, 2);
    j["predicted_output_tps"] = Round(e.output_tps, 2);
    j["prefill_s"] = Round(e.timing.prefill_s, 6);
    j["decode_s_per_token"] = Round(e.timing.decode_s_per_token(), 6);
    j["batch_total_s"] = Round(e.timing.total_s, 6);
    j["job_hours"] = Round(e.job_hours, 6);
    j["billed_hours"] = Round(e.billed_hours, 6);
    j["job_cost_usd"] = Round(e.job_cost_usd, 4);
    j["cost_efficiency"] = Round(e.cost_efficiency, 1);
    j["calibrated"] = e.ctcf.calibrated();
    j["accuracy"] = AccuracyNote(e, plan, ctx);
    j["expected_error"] = report_util::ExpectedErrorJson(e.ctcf, e.instance->gpu.name, ctx);
    report_util::ConfidenceJson(j, e);
  } else {
    for (const char* k : {"offload_ratio", "weight_offload_ratio", "predicted_tps", "predicted_output_tps", "prefill_s", "decode_s_per_token",
                          "batch_total_s", "job_hours", "billed_hours", "job_cost_usd",
                          "cost_efficiency"}) {
      j[k] = nullptr;
    }
    j["calibrated"] = false;
    j["accuracy"] = nullptr;
  }
  Json mem;
  mem["gpu_memory_gib"] = Round(i.gpu.memory_bytes / kGiB, 3);
  mem["usable_gib"] = Round(e.memory.budget_bytes / kGiB, 3);
  mem["weights_gib"] = Round(e.memory.weights_bytes / kGiB, 3);
  mem["kv_cache_gib"] = Round(e.memory.kv_bytes / kGiB, 3);
  mem["activations_gib"] = Round(e.memory.activation_bytes / kGiB, 3);
  mem["reserve_gib"] = Round(e.memory.reserve_bytes / kGiB, 3);
  mem["kv_on_host_gib"] = Round(e.offload.host_kv_bytes / kGiB, 3);
  mem["weights_on_host_gib"] = Round(e.offload.host_weight_bytes / kGiB, 3);
  mem["host_memory_gib"] = Round(i.host_memory_bytes / kGiB, 3);
  j["memory_per_gpu"] = mem;
  return j;
}

Json OptionalEvaluation(const std::optional<Evaluation>& e, const Plan& plan, const ReportContext& ctx) {
  return e ? EvaluationJson(*e, plan, ctx) : Json();
}

Json OptionalNumber(const std::optional<double>& v) { return v ? Json(Round(*v, 2)) : Json(); }

Json InputsJson(const Plan& plan, const ReportContext& ctx) {
  const PlanOptions& o = plan.options;
  Json in;
  in["model"] = {{"name", ctx.model->name},
                 {"family", std::string(FamilyName(ctx.model->family))},
                 {"parameters", plan.params.total},
                 {"weight_precision", std::string(PrecisionName(o.workload.weight_precision))},
                 {"kv_precision", std::string(PrecisionName(o.workload.kv_precision))}};
  in["workload"] = {{"batch_size", o.workload.batch_size},
                    {"input_len", o.workload.input_len},
                    {"output_len", o.workload.output_len},
                    {"requests", o.workload.requests}};
  in["slo"] = {{"tps", o.slo_tps > 0 ? Json(o.slo_tps) : Json()},
               {"headroom_pct", o.slo_headroom_pct},
               {"tps_counts", "input+output tokens"}};
  in["max_usd_per_hour"] = std::isfinite(o.max_usd_per_hour) ? Json(o.max_usd_per_hour) : Json();
  in["billing"] = std::string(BillingName(o.billing));
  in["pace"] = std::string(PaceName(o.slo_tps > 0 ? o.pace : Pace::kMax));
  in["perf_model"] = plan.perf_model;
  in["engine"] = plan.engine;
  in["offload"] = o.offload_mode == OffloadMode::kAuto ? Json("auto")
                  : o.offload_mode == OffloadMode::kNone ? Json("none")
                                                         : Json(o.offload_ratio);
  in["calibration"] = ctx.calibration ? Json(ctx.calibration->source) : Json();
  in["confidence"] = o.min_confidence > 0 ? Json(o.min_confidence) : Json();
  in["searched"] = plan.searched.empty() ? Json() : Json(plan.searched);
  in["deadline_s"] = o.deadline_s ? Json(*o.deadline_s) : Json();
  auto age = DaysBetween(plan.catalog_as_of, ctx.today);
  in["catalog"] = {{"name", plan.catalog},
                   {"as_of", plan.catalog_as_of.empty() ? Json() : Json(plan.catalog_as_of)},
                   {"age_days", age ? Json(*age) : Json()},
                   {"instances", plan.candidates.size()},
                   {"prices", o.spot ? "spot" : "on-demand"}};
  return in;
}

void WritePlanJson(std::ostream& out, const Plan& plan, const ReportContext& ctx) {
  Json doc;
  doc["schema_version"] = kJsonSchemaVersion;
  doc["context"] = report_util::ContextJson(plan.catalog, plan.catalog_as_of, ctx);
  doc["inputs"] = InputsJson(plan, ctx);
  doc["recommendation"] = OptionalEvaluation(plan.recommendation, plan, ctx);
  if (plan.recommendation) {
    doc["recommendation"]["pick_flips_at_error_pct"] =
        plan.pick_flips_at_error_pct ? Json(*plan.pick_flips_at_error_pct) : Json();
  }
  Json candidates = Json::array();
  for (const Evaluation& e : plan.candidates) candidates.push_back(EvaluationJson(e, plan, ctx));
  doc["candidates"] = candidates;
  doc["baselines"] = {{"max_performance", OptionalEvaluation(plan.max_performance, plan, ctx)},
                      {"no_offload", OptionalEvaluation(plan.no_offload, plan, ctx)}};
  doc["savings_pct"] = {{"vs_max_performance", OptionalNumber(plan.savings_vs_max_performance_pct)},
                        {"vs_no_offload", OptionalNumber(plan.savings_vs_no_offload_pct)}};
  Json frontier = Json::array();
  for (const Evaluation& e : plan.frontier) {
    Json f{{"instance", e.instance->name}, {"tensor_parallel", e.tp}, {"batch_size", e.batch_size},
           {"instances", e.instances}};
    report_util::VariantJson(f, e);
    f["job_cost_usd"] = Round(e.job_cost_usd, 4);
    f["job_hours"] = Round(e.job_hours, 6);
    frontier.push_back(f);
  }
  doc["frontier"] = frontier;
  doc["warnings"] = report_util::WarningsWithPriceAge(plan.warnings, plan.catalog_as_of, ctx.today);
  out << doc.dump(2) << '\n';
}

// The CSV columns of a plan, in the order scripts read them since schema
// version 1; the rest of each candidate's JSON follows them.
const std::vector<report_util::CsvColumn> kPlanCsvColumns = {
    {"rank", "#rank"}, {"instance", "instance"}, {"gpu", "gpu"}, {"gpu_count", "gpu_count"},
    {"tensor_parallel", "tensor_parallel"}, {"replicas", "replicas"}, {"usd_per_hour", "usd_per_hour"},
    {"feasible", "feasible"}, {"meets_slo", "meets_slo"}, {"within_price_cap", "within_price_cap"},
    {"offload_ratio", "offload_ratio"}, {"predicted_tps", "predicted_tps"},
    {"predicted_output_tps", "predicted_output_tps"}, {"prefill_s", "prefill_s"},
    {"decode_s_per_token", "decode_s_per_token"}, {"job_hours", "job_hours"}, {"billed_hours", "billed_hours"},
    {"job_cost_usd", "job_cost_usd"}, {"calibrated", "calibrated"}, {"rejected_because", "rejected_because"},
    {"price_basis", "price_basis"}, {"on_demand_usd_per_hour", "on_demand_usd_per_hour"}};

using report_util::Money;

std::string Hours(double h) { return h < 10 ? fmt::format("{:.2f} h", h) : fmt::format("{:.1f} h", h); }

void WritePlanHeader(std::ostream& out, const Plan& plan, const ReportContext& ctx) {
  const PlanOptions& o = plan.options;
  const Workload& w = o.workload;
  fmt::print(out, "{}\n", report_util::PlanTitle("plan", *ctx.model, plan.params, w, plan.catalog, plan.catalog_as_of,
                                                  ctx.today, o.spot));
  fmt::print(out, "  workload   batch {} x ({} in + {} out) tokens, {} requests\n", w.batch_size, w.input_len,
             w.output_len, w.requests);
  std::string slo = o.slo_tps > 0 ? fmt::format(">= {:g} tok/s (input + output)", o.slo_tps) : "none";
  if (o.slo_tps > 0 && o.slo_headroom_pct > 0) slo += fmt::format(" + {:g}% headroom", o.slo_headroom_pct);
  if (o.deadline_s) slo = fmt::format("done within {} (a fleet per instance type)", Hours(*o.deadline_s / 3600));
  fmt::print(out, "  objective  {}; price cap {}; billing {}; job paced at {}\n", slo,
             std::isfinite(o.max_usd_per_hour) ? fmt::format("${:.2f}/h", o.max_usd_per_hour) : "none",
             BillingName(o.billing),
             o.pace == Pace::kSlo && o.slo_tps > 0 ? "the SLO rate" : "full speed");
  std::string offload = o.offload_mode == OffloadMode::kAuto   ? "auto"
                        : o.offload_mode == OffloadMode::kNone ? "none"
                                                               : fmt::format("{:.0f}%", o.offload_ratio * 100);
  fmt::print(out, "  model      {} performance model, engine {}, KV offload {}, calibration {}\n", plan.perf_model,
             plan.engine, offload, ctx.calibration ? ctx.calibration->source : "none");
}

void WriteBaseline(std::ostream& out, const char* label, const std::optional<Evaluation>& base,
                   const std::optional<double>& savings) {
  if (!base) {
    fmt::print(out, "  vs {}: none can run the job\n", label);
    return;
  }
  fmt::print(out, "  vs {} ({}, {:.0f} tok/s, {}): {}\n", label, base->instance->name, base->tps,
             Money(base->job_cost_usd), savings ? fmt::format("{:.1f}% cheaper", *savings) : "-");
}

void WritePlanTable(std::ostream& out, const Plan& plan, const ReportContext& ctx) {
  WritePlanHeader(out, plan, ctx);
  out << '\n';
  if (plan.recommendation) {
    const Evaluation& r = *plan.recommendation;
    if (r.instances > 1) {
      fmt::print(out, "Recommendation: {} x {} ({}) at {}/h each, {}/h in all\n", r.instances, r.instance->name,
                 GpusText(*r.instance), Money(r.usd_per_hour), Money(r.usd_per_hour * static_cast<double>(r.instances)));
    } else {
      fmt::print(out, "Recommendation: {} ({}) at {}/h\n", r.instance->name, GpusText(*r.instance),
                 Money(r.usd_per_hour));
    }
    std::string offload = r.offload.ratio > 0 ? fmt::format("KV offload {:.0f}% to CPU memory", r.offload.ratio * 100)
                                              : std::string("no KV offload");
    if (r.offload.weight_gpu_fraction < 1) {
      offload += fmt::format(", {:.0f}% of the weights streamed from CPU memory",
                             (1 - r.offload.weight_gpu_fraction) * 100);
    }
    if (!plan.searched.empty() && r.engine) {
      fmt::print(out, "  chose {} weights, {} KV cache, engine {}, batch {} per replica (searched {})\n",
                 PrecisionName(r.weights), PrecisionName(r.kv_cache), r.engine->name, r.batch_size, plan.searched);
    }
    std::string replicas = LayoutText(r);
    fmt::print(out, "  predicted {:.0f} tok/s ({:.0f} output tok/s), {}{}\n", r.tps, r.output_tps, offload, replicas);
    if (r.instances > 1) {
      fmt::print(out, "  job {} on each of {} instances -> billed {} each, cost {} in all\n", Hours(r.job_hours),
                 r.instances, Hours(r.billed_hours), Money(r.job_cost_usd));
    } else {
      fmt::print(out, "  job {} -> billed {}, cost {}\n", Hours(r.job_hours), Hours(r.billed_hours),
                 Money(r.job_cost_usd));
    }
    fmt::print(out, "  accuracy: {}\n", AccuracyNote(r, plan, ctx));
    fmt::print(out, "  confidence: {}\n", report_util::ConfidenceLine(r, plan.pick_flips_at_error_pct));
    WriteBaseline(out, "Max-Performance", plan.max_performance, plan.savings_vs_max_performance_pct);
    WriteBaseline(out, "No-offload", plan.no_offload, plan.savings_vs_no_offload_pct);
  } else {
    fmt::print(out, "No instance meets the constraints.\n");
  }

  int qualifying = 0;
  size_t name_width = 15;  // wide enough for every instance name (Azure's are long)
  size_t gpus_width = 9;
  for (const Evaluation& e : plan.candidates) {
    qualifying += e.qualifies() ? 1 : 0;
    name_width = std::max(name_width, e.instance->name.size());
    gpus_width = std::max(gpus_width, GpusText(*e.instance).size());
  }
  if (qualifying > 0) {
    const int shown = std::min(qualifying, std::max(ctx.top, 1));
    fmt::print(out, "\nTop {} of {} that meet the objective:\n", shown, qualifying);
    fmt::print(out, "  {:>4}  {:<{}} {:<{}} {:>8} {:>7} {:>8} {:>9} {:>10} {:>8} {:>8} {:>9}\n", "rank", "instance",
               name_width, "GPUs", gpus_width, "$/h", "offload", "tok/s", "prefill", "decode/tok", "job", "billed",
               "job cost");
    for (int k = 0; k < shown; ++k) {
      const Evaluation& e = plan.candidates[static_cast<size_t>(k)];
      fmt::print(out, "  {:>4}  {:<{}} {:<{}} {:>8} {:>7} {:>8.0f} {:>7.2f} s {:>7.1f} ms {:>8} {:>8} {:>9}\n", k + 1,
                 e.instance->name, name_width, GpusText(*e.instance), gpus_width, Money(e.usd_per_hour),
                 OffloadText(e), e.tps,
                 e.timing.prefill_s, e.timing.decode_s_per_token() * 1e3, Hours(e.job_hours),
                 Hours(e.billed_hours), Money(e.job_cost_usd));
    }
  }
  if (ctx.frontier) {
    fmt::print(out, "\nPareto frontier, job cost against job time ({}):\n", plan.frontier.size());
    for (const Evaluation& e : plan.frontier) {
      fmt::print(out, "  {:<{}} {:>3} x {:<{}} {:>9} {:>8}  {} weights, {} KV, {}, batch {}\n", e.instance->name,
                 name_width, e.instances, GpusText(*e.instance), gpus_width, Money(e.job_cost_usd), Hours(e.job_hours),
                 PrecisionName(e.weights), PrecisionName(e.kv_cache), e.engine ? e.engine->name : plan.engine,
                 e.batch_size);
    }
  }
  const size_t rejected = plan.candidates.size() - static_cast<size_t>(qualifying);
  if (rejected > 0) {
    fmt::print(out, "\nNot chosen ({}):\n", rejected);
    for (const Evaluation& e : plan.candidates) {
      if (e.qualifies()) continue;
      fmt::print(out, "  {:<{}} {:<{}} {}\n", e.instance->name, name_width, GpusText(*e.instance), gpus_width,
                 RejectionText(e, plan.options));
    }
  }
  for (const std::string& w : report_util::WarningsWithPriceAge(plan.warnings, plan.catalog_as_of, ctx.today)) {
    fmt::print(out, "\nwarning: {}\n", w);
  }
}

}  // namespace

void WritePlan(std::ostream& out, const Plan& plan, const ReportContext& ctx, OutputFormat format) {
  switch (format) {
    case OutputFormat::kJson:
      WritePlanJson(out, plan, ctx);
      return;
    case OutputFormat::kCsv: {
      std::vector<Json> rows;
      for (const Evaluation& e : plan.candidates) rows.push_back(EvaluationJson(e, plan, ctx));
      report_util::WriteCsvRows(out, rows, kPlanCsvColumns);
      return;
    }
    case OutputFormat::kTable:
      WritePlanTable(out, plan, ctx);
      return;
  }
}

void WritePrediction(std::ostream& out, const Evaluation& e, const Plan& plan, const ReportContext& ctx,
                     OutputFormat format) {
  if (format == OutputFormat::kJson) {
    Json doc;
    doc["schema_version"] = kJsonSchemaVersion;
    doc["context"] = report_util::ContextJson(plan.catalog, plan.catalog_as_of, ctx);
    doc["inputs"] = InputsJson(plan, ctx);
    Json p = EvaluationJson(e, plan, ctx);
    if (e.can_run) {
      p["timing"] = {{"prefill_s", Round(e.timing.prefill_s, 6)},
                     {"prefill_compute_s", Round(e.timing.prefill_compute_s, 6)},
                     {"prefill_offload_write_s", Round(e.timing.prefill_offload_write_s, 6)},
                     {"decode_steps", e.timing.decode_steps},
                     {"decode_total_s", Round(e.timing.decode_total_s, 6)},
                     {"decode_first_step_s", Round(e.timing.decode_first_step_s, 6)},
                     {"decode_last_step_s", Round(e.timing.decode_last_step_s, 6)},
                     {"decode_fetch_total_s", Round(e.timing.decode_fetch_total_s, 6)},
                     {"batch_total_s", Round(e.timing.total_s, 6)}};
      auto phase = [](const PhaseCtcf& c) {
        return Json{{"calibrated", c.calibrated}, {"alpha", c.alpha}, {"beta_s", c.beta_s}, {"points", c.points}};
      };
      p["ctcf"] = {{"prefill", phase(e.ctcf.prefill)}, {"decode", phase(e.ctcf.decode)}};
    }
    doc["prediction"] = p;
    doc["warnings"] = plan.warnings;
    out << doc.dump(2) << '\n';
    return;
  }
  if (format == OutputFormat::kCsv) {
    report_util::WriteCsvRows(out, {EvaluationJson(e, plan, ctx)}, kPlanCsvColumns);
    return;
  }
  const Instance& i = *e.instance;
  const MemoryBreakdown& m = e.memory;
  WritePlanHeader(out, plan, ctx);
  fmt::print(out, "\n{} ({}, {} vCPUs, {:.0f} GiB host memory) at {}/h\n", i.name, GpusText(i), i.vcpus,
             i.host_memory_bytes / kGiB, Money(i.usd_per_hour));
  fmt::print(out, "\nMemory per GPU                        GiB\n");
  fmt::print(out, "  GPU memory                    {:>10.2f}\n", i.gpu.memory_bytes / kGiB);
  fmt::print(out, "  usable ({:>3.0f}%)                 {:>10.2f}\n",
             m.budget_bytes / i.gpu.memory_bytes * 100, m.budget_bytes / kGiB);
  fmt::print(out, "  weights                       {:>10.2f}\n", m.weights_bytes / kGiB);
  fmt::print(out, "  activations (peak)            {:>10.2f}\n", m.activation_bytes / kGiB);
  fmt::print(out, "  runtime reserve               {:>10.2f}\n", m.reserve_bytes / kGiB);
  fmt::print(out, "  left for the KV cache         {:>10.2f}\n", m.available_bytes() / kGiB);
  fmt::print(out, "  KV cache of the batch         {:>10.2f}\n", m.kv_bytes / kGiB);
  if (e.can_run) {
    fmt::print(out, "  KV offloaded to CPU memory    {:>10.2f}  ({:.0f}%; host memory usable per GPU {:.1f} GiB)\n",
               e.offload.host_kv_bytes / kGiB, e.offload.ratio * 100, e.offload.host_available_bytes / kGiB);
    if (e.offload.weight_gpu_fraction < 1) {
      fmt::print(out, "  weights kept in CPU memory    {:>10.2f}  ({:.0f}%, streamed every forward pass)\n",
                 e.offload.host_weight_bytes / kGiB, (1 - e.offload.weight_gpu_fraction) * 100);
    }
  }
  if (!e.can_run || !e.within_price_cap) {
    fmt::print(out, "\nNot runnable as asked: {}\n", RejectionText(e, plan.options));
    if (!e.can_run) return;
  }
  const Timing& t = e.timing;
  std::string layout;
  if (e.tp > 1) {
    layout = fmt::format(" (tensor parallel over {} GPUs{})", e.tp,
                         e.instance->gpu.peer_to_peer ? "" : "; no GPU peer-to-peer: all-reduces through host memory");
  }
  fmt::print(out, "\nTime for one batch of {} requests on one replica{}\n", plan.options.workload.batch_size, layout);
  fmt::print(out, "  prefill (time to first token)  {:>9.3f} s   (compute {:.3f} s, host transfers {:.3f} s)\n",
             t.prefill_s, t.prefill_compute_s, t.prefill_offload_write_s);
  fmt::print(out, "  decode per token               {:>9.2f} ms  (first step {:.2f} ms, last {:.2f} ms)\n",
             t.decode_s_per_token() * 1e3, t.decode_first_step_s * 1e3, t.decode_last_step_s * 1e3);
  if (t.decode_fetch_total_s > 0) {
    fmt::print(out, "  host transfers (KV, weights)   {:>9.3f} s over {} steps\n", t.decode_fetch_total_s,
               t.decode_steps);
  }
  fmt::print(out, "  total                          {:>9.3f} s\n", t.total_s);
  fmt::print(out, "\nThroughput ({} replica{} of {} GPU{})\n", e.replicas, e.replicas == 1 ? "" : "s", e.tp,
             e.tp == 1 ? "" : "s");
  fmt::print(out, "  {:.1f} tok/s input + output (eq. 1), {:.1f} output tok/s\n", e.tps, e.output_tps);
  if (plan.options.slo_tps > 0) {
    fmt::print(out, "  SLO {:g} tok/s: {}\n", plan.options.slo_tps,
               e.meets_slo ? "met" : RejectionText(e, plan.options));
  }
  fmt::print(out, "\nCost of {} requests\n", plan.options.workload.requests);
  fmt::print(out, "  job {} -> billed {} ({}) -> {}\n", Hours(e.job_hours), Hours(e.billed_hours),
             BillingName(plan.options.billing), Money(e.job_cost_usd));
  fmt::print(out, "\naccuracy: {}\n", AccuracyNote(e, plan, ctx));
  for (const std::string& w : plan.warnings) fmt::print(out, "warning: {}\n", w);
}

namespace {

// The row models of the list documents: one JSON row each, which the JSON
// and the CSV both print.
Json ModelRow(const ModelConfig& m) {
  const ParameterCount p = CountParameters(m);
  return {{"name", m.name},
          {"family", std::string(FamilyName(m.family))},
          {"parameters", p.total},
          {"active_parameters", p.active_per_token},
          {"layers", m.num_layers},
          {"hidden_size", m.hidden_size},
          {"intermediate_size", m.intermediate_size},
          {"attention_heads", m.num_heads},
          {"kv_heads", m.num_kv_heads},
          {"experts", m.num_experts},
          {"context_len", m.max_position_embeddings},
          {"source", m.source}};
}

Json InstanceRow(const Instance& i) {
  return {{"instance", i.name},
          {"gpu", i.gpu.name},
          {"gpu_count", i.gpu_count},
          {"gpu_memory_gib", Round(i.gpu.memory_bytes / kGiB, 3)},
          {"vcpus", i.vcpus},
          {"host_memory_gib", Round(i.host_memory_bytes / kGiB, 3)},
          {"usd_per_hour", i.usd_per_hour},
          {"spot_usd_per_hour", i.spot_usd_per_hour ? Json(*i.spot_usd_per_hour) : Json()},
          {"region", i.region},
          {"as_of", i.as_of},
          {"price_as_of", i.price_date().empty() ? Json() : Json(i.price_date())},
          {"host_arch", i.host_arch}};
}

Json EngineRow(const EngineProfile& e) {
  return {{"name", e.name},
          {"description", e.description},
          {"default_calibration", e.default_calibration},
          {"prefill_compute_efficiency", e.prefill_compute_efficiency},
          {"decode_compute_efficiency", e.decode_compute_efficiency},
          {"memory_efficiency", e.memory_efficiency},
          {"host_link_efficiency", e.host_link_efficiency},
          {"supports_kv_offload", e.supports_kv_offload},
          {"fused_attention", e.fused_attention}};
}

// JSON ({"schema_version", <key>: rows} plus `extra`) or CSV of a list document.
template <typename T, typename RowFn>
bool WriteList(std::ostream& out, const std::vector<T>& items, RowFn row, OutputFormat format, const char* key,
               const std::vector<report_util::CsvColumn>& csv_leading, Json extra = Json::object()) {
  std::vector<Json> rows;
  for (const T& item : items) rows.push_back(row(item));
  if (format == OutputFormat::kJson) {
    Json doc{{"schema_version", kJsonSchemaVersion}};
    for (const auto& [k, v] : extra.items()) doc[k] = v;
    doc[key] = rows;
    out << doc.dump(2) << '\n';
    return true;
  }
  if (format == OutputFormat::kCsv) {
    report_util::WriteCsvRows(out, rows, csv_leading);
    return true;
  }
  return false;
}

}  // namespace

void WriteModels(std::ostream& out, const std::vector<ModelConfig>& models, OutputFormat format) {
  if (WriteList(out, models, ModelRow, format, "models", {})) return;
  fmt::print(out, "{:<14} {:<8} {:>9} {:>7} {:>7} {:>7} {:>9} {:>8}\n", "model", "family", "params", "layers",
             "hidden", "heads", "kv heads", "context");
  for (const ModelConfig& m : models) {
    ParameterCount p = CountParameters(m);
    std::string params = fmt::format("{:.2f} B", static_cast<double>(p.total) / 1e9);
    fmt::print(out, "{:<14} {:<8} {:>9} {:>7} {:>7} {:>7} {:>9} {:>8}\n", m.name, FamilyName(m.family), params,
               m.num_layers, m.hidden_size, m.num_heads, m.num_kv_heads, m.max_position_embeddings);
  }
}

void WriteInstances(std::ostream& out, const Catalog& catalog, OutputFormat format) {
  // The CSV's columns of schema version 1 first (spot_usd_per_hour follows them).
  static const std::vector<report_util::CsvColumn> kCsv = {
      {"instance", "instance"}, {"gpu", "gpu"}, {"gpu_count", "gpu_count"}, {"gpu_memory_gib", "gpu_memory_gib"},
      {"vcpus", "vcpus"}, {"host_memory_gib", "host_memory_gib"}, {"usd_per_hour", "usd_per_hour"},
      {"region", "region"}, {"as_of", "as_of"}, {"price_as_of", "price_as_of"}, {"host_arch", "host_arch"}};
  if (WriteList(out, catalog.instances, InstanceRow, format, "instances", kCsv, Json{{"catalog", catalog.name}})) {
    return;
  }
  fmt::print(out, "catalog {}\n", catalog.name);
  size_t width = 16;
  for (const Instance& i : catalog.instances) width = std::max(width, i.name.size());
  fmt::print(out, "{:<{}} {:<10} {:>10} {:>6} {:>9} {:>10}  {:<12} {}\n", "instance", width, "GPUs", "GPU mem", "vCPUs",
             "host mem", "$/h", "region", "price as of");
  for (const Instance& i : catalog.instances) {
    fmt::print(out, "{:<{}} {:<10} {:>6.1f} GiB {:>6} {:>5.0f} GiB {:>10.4f}  {:<12} {}\n", i.name, width, GpusText(i),
               i.gpu.memory_bytes / kGiB, i.vcpus, i.host_memory_bytes / kGiB, i.usd_per_hour, i.region,
               i.price_date().empty() ? "undated" : i.price_date());
  }
}

void WriteEngines(std::ostream& out, const std::vector<EngineProfile>& engines, OutputFormat format) {
  // The CSV's columns of schema version 1 first; the other fields follow them.
  static const std::vector<report_util::CsvColumn> kCsv = {
      {"name", "name"}, {"default_calibration", "default_calibration"}, {"memory_efficiency", "memory_efficiency"},
      {"prefill_compute_efficiency", "prefill_compute_efficiency"}, {"supports_kv_offload", "supports_kv_offload"},
      {"description", "description"}};
  if (WriteList(out, engines, EngineRow, format, "engines", kCsv)) return;
  for (const EngineProfile& e : engines) {
    fmt::print(out, "{:<13} {}{}\n", e.name, e.description,
               e.default_calibration.empty() ? "" : fmt::format(" [calibration: {}]", e.default_calibration));
  }
}

}  // namespace infersave
