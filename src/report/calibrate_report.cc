#include "infersave/calibrate_report.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "io/csv.h"
#include "io/text.h"
#include "report/format_util.h"

namespace infersave {
namespace {

using Json = nlohmann::ordered_json;

using report_util::Round;

Json StatsJson(const ErrorStats& s) {
  return Json{{"n", s.n},
              {"mape_pct", Round(s.mape_pct, 2)},
              {"median_ape_pct", Round(s.median_ape_pct, 2)},
              {"p90_ape_pct", Round(s.p90_ape_pct, 2)},
              {"bias_pct", Round(s.bias_pct, 2)}};
}

Json PhaseJson(const PhaseCtcf& c) {
  return c.calibrated ? Json{{"alpha", Round(c.alpha, 6)}, {"beta_s", Round(c.beta_s, 9)}} : Json();
}

// What a static and a serving fit both report, in this order.
template <typename Group>
Json FitJson(const Group& g, int runs) {
  Json j;
  j["gpu"] = g.gpu;
  j["engine"] = g.engine;
  j["runs"] = runs;
  j["fitted"] = g.fitted;
  j["refusal"] = g.refusal.empty() ? Json() : Json(g.refusal);
  j["prefill"] = g.fitted ? PhaseJson(g.params.prefill) : Json();
  j["decode"] = g.fitted ? PhaseJson(g.params.decode) : Json();
  j["error_uncalibrated"] = StatsJson(g.before);
  j["error_fitted_in_sample"] = g.fitted ? StatsJson(g.after) : Json();
  j["error_cross_validated"] = g.cross_validated ? StatsJson(*g.cross_validated) : Json();
  return j;
}

Json GroupJson(const GroupFit& g) {
  Json j = FitJson(g, g.points);
  j["folds"] = g.folds;
  j["warnings"] = g.warnings;
  return j;
}

Json SkippedJson(const CalibrationReport& r) {
  Json j = Json::object();
  for (const auto& [reason, count] : r.skipped) j[reason] = count;
  return j;
}

std::string StatsRow(const char* label, const ErrorStats& s) {
  return fmt::format("    {:<16} {:>6.1f} {:>7.1f} {:>6.1f} {:>+7.1f}\n", label, s.mape_pct, s.median_ape_pct,
                     s.p90_ape_pct, s.bias_pct);
}

std::string PhaseText(const char* name, const PhaseCtcf& c) {
  if (!c.calibrated) return fmt::format("{} not fitted", name);
  return fmt::format("{} alpha {:.3f} beta {:.4g} s", name, c.alpha, c.beta_s);
}

void WriteSkipped(std::ostream& out, const CalibrationReport& r) {
  int total = 0;
  for (const auto& [reason, count] : r.skipped) total += count;
  if (total == 0) return;
  fmt::print(out, "\nSkipped {} run{}:\n", total, total == 1 ? "" : "s");
  for (const auto& [reason, count] : r.skipped) fmt::print(out, "  {:>5}  {}\n", count, reason);
}

int UsableRows(const CalibrationReport& r) {
  int n = 0;
  for (const RowEvaluation& row : r.rows) n += row.usable ? 1 : 0;
  return n;
}

std::string_view ServingMetricName(Metric m) {
  switch (m) {
    case Metric::kPrefill: return "ttft_mean_s";
    case Metric::kDecodePerToken: return "tpot_mean_s";
    case Metric::kThroughput: return "throughput_tps";
    case Metric::kTotal: break;
  }
  return "?";
}

Json ServingJson(const ServingCalibrationReport& r) {
  Json groups = Json::array();
  for (const ServingGroupFit& g : r.groups) {
    Json j = FitJson(g, g.runs);
    j["values"] = g.values;
    j["loads"] = g.loads;
    j["parameters"] = g.parameters;
    j["shipped"] = g.shipped;
    j["warnings"] = g.warnings;
    groups.push_back(j);
  }
  Json runs = Json::array();
  for (const ServingRunFit& run : r.runs) {
    for (const ServingFitValue& v : run.values) {
      runs.push_back(Json{{"source", run.row->source},
                          {"gpu", run.gpu},
                          {"engine", run.row->engine},
                          {"model", run.row->model},
                          {"load", run.load},
                          {"metric", ServingMetricName(v.metric)},
                          {"measured", v.measured},
                          {"simulated_uncalibrated", v.uncalibrated},
                          {"simulated_calibrated", v.calibrated},
                          {"simulated_cross_validated", v.has_cross_validated ? Json(v.cross_validated) : Json()}});
    }
  }
  Json skipped = Json::object();
  for (const auto& [reason, count] : r.skipped) skipped[reason] = count;
  return Json{{"groups", groups}, {"runs", runs}, {"skipped", skipped}};
}

void WriteServingText(std::ostream& out, const ServingCalibrationReport& r) {
  fmt::print(out, "\nServing fit through the simulator: {} runs in {} GPU/engine groups\n", r.runs.size(),
             r.groups.size());
  for (const ServingGroupFit& g : r.groups) {
    fmt::print(out, "\n{} / {}: {} run{} at {} load{}", g.gpu, g.engine, g.runs, g.runs == 1 ? "" : "s", g.loads,
               g.loads == 1 ? "" : "s");
    if (!g.fitted) {
      fmt::print(out, ", not fitted: {}\n", g.refusal);
    } else {
      fmt::print(out, "; prefill alpha {:.3f}, decode alpha {:.3f}, step cost {:.3g} ms ({}){}\n",
                 g.params.prefill.alpha, g.params.decode.alpha, g.params.decode.beta_s * 1e3, g.parameters,
                 g.shipped ? "" : "; not shipped");
    }
    fmt::print(out, "    {:<16} {:>6} {:>7} {:>6} {:>7}\n", "error (%)", "MAPE", "median", "p90", "bias");
    out << StatsRow("uncalibrated", g.before);
    if (g.fitted) out << StatsRow("fitted", g.after);
    if (g.cross_validated) out << StatsRow("leave-load-out", *g.cross_validated);
    for (const std::string& w : g.warnings) fmt::print(out, "    warning: {}\n", w);
  }
  if (!r.runs.empty()) {
    fmt::print(out, "\n  {:<24} {:<14} {:>12} {:>12} {:>12} {:>12}\n", "load", "metric", "measured", "uncalibrated",
               "fitted", "held out");
    for (const ServingRunFit& run : r.runs) {
      for (const ServingFitValue& v : run.values) {
        fmt::print(out, "  {:<24} {:<14} {:>12.5g} {:>12.5g} {:>12.5g} {:>12}\n", run.gpu + ", " + run.load,
                   ServingMetricName(v.metric), v.measured, v.uncalibrated, v.calibrated,
                   v.has_cross_validated ? fmt::format("{:.5g}", v.cross_validated) : "-");
      }
    }
  }
  int total = 0;
  for (const auto& [reason, count] : r.skipped) total += count;
  if (total > 0) {
    fmt::print(out, "\nSkipped {} serving run{}:\n", total, total == 1 ? "" : "s");
    for (const auto& [reason, count] : r.skipped) fmt::print(out, "  {:>5}  {}\n", count, reason);
  }
}

// The JSON document both commands write: header fields, then the groups and
// the skipped runs.
void WriteReportJson(std::ostream& out, const CalibrationReport& report, Json header) {
  Json doc;
  doc["schema_version"] = kJsonSchemaVersion;
  for (auto& [key, value] : header.items()) doc[key] = value;
  doc["perf_model"] = report.calibration.perf_model;
  Json groups = Json::array();
  for (const GroupFit& g : report.groups) groups.push_back(GroupJson(g));
  doc["groups"] = groups;
  doc["skipped"] = SkippedJson(report);
  out << doc.dump(2) << '\n';
}

}  // namespace

void WriteCalibrationReport(std::ostream& out, const CalibrationReport& report, std::string_view source,
                            OutputFormat format, const ServingCalibrationReport* serving) {
  if (format == OutputFormat::kJson) {
    Json header{{"measurements", std::string(source)}};
    if (serving) header["serving"] = ServingJson(*serving);
    WriteReportJson(out, report, header);
    return;
  }
  if (format == OutputFormat::kCsv) {
    out << "gpu,engine,runs,fitted,alpha_prefill,beta_prefill_s,alpha_decode,beta_decode_s,mape_before_pct,"
           "median_ape_before_pct,mape_after_pct,median_ape_after_pct,cv_mape_pct,cv_median_ape_pct,cv_p90_ape_pct,"
           "cv_bias_pct,fit\n";
    for (const GroupFit& g : report.groups) {
      auto p = [&](const PhaseCtcf& c, bool beta) {
        return g.fitted && c.calibrated ? fmt::format("{:.6g}", beta ? c.beta_s : c.alpha) : std::string();
      };
      auto cv = [&](double ErrorStats::*f) {
        return g.cross_validated ? fmt::format("{:.2f}", (*g.cross_validated).*f) : std::string();
      };
      fmt::print(out, "{},{},{},{},{},{},{},{},{:.2f},{:.2f},{},{},{},{},{},{},{}\n", io::CsvField(g.gpu),
                 io::CsvField(g.engine), g.points, g.fitted, p(g.params.prefill, false), p(g.params.prefill, true),
                 p(g.params.decode, false), p(g.params.decode, true), g.before.mape_pct, g.before.median_ape_pct,
                 g.fitted ? fmt::format("{:.2f}", g.after.mape_pct) : "",
                 g.fitted ? fmt::format("{:.2f}", g.after.median_ape_pct) : "", cv(&ErrorStats::mape_pct),
                 cv(&ErrorStats::median_ape_pct), cv(&ErrorStats::p90_ape_pct), cv(&ErrorStats::bias_pct), "static");
    }
    for (const ServingGroupFit& g : serving ? serving->groups : std::vector<ServingGroupFit>{}) {
      auto p = [&](double v) { return g.fitted ? fmt::format("{:.6g}", v) : std::string(); };
      auto cv = [&](double ErrorStats::*f) {
        return g.cross_validated ? fmt::format("{:.2f}", (*g.cross_validated).*f) : std::string();
      };
      fmt::print(out, "{},{},{},{},{},{},{},{},{:.2f},{:.2f},{},{},{},{},{},{},serving\n", io::CsvField(g.gpu),
                 io::CsvField(g.engine), g.runs, g.fitted, p(g.params.prefill.alpha), p(g.params.prefill.beta_s),
                 p(g.params.decode.alpha), p(g.params.decode.beta_s), g.before.mape_pct, g.before.median_ape_pct,
                 g.fitted ? fmt::format("{:.2f}", g.after.mape_pct) : "",
                 g.fitted ? fmt::format("{:.2f}", g.after.median_ape_pct) : "", cv(&ErrorStats::mape_pct),
                 cv(&ErrorStats::median_ape_pct), cv(&ErrorStats::p90_ape_pct), cv(&ErrorStats::bias_pct));
    }
    return;
  }
  fmt::print(out, "CTCF fit of the {} model from {}: {} usable runs in {} GPU/engine groups\n",
             report.calibration.perf_model, source, UsableRows(report), report.groups.size());
  for (const GroupFit& g : report.groups) {
    fmt::print(out, "\n{} / {}: {} run{}", g.gpu, g.engine, g.points, g.points == 1 ? "" : "s");
    if (!g.fitted) {
      fmt::print(out, ", not fitted: {}\n", g.refusal);
    } else {
      fmt::print(out, "; {}; {}\n", PhaseText("prefill", g.params.prefill), PhaseText("decode", g.params.decode));
    }
    fmt::print(out, "    {:<16} {:>6} {:>7} {:>6} {:>7}\n", "error (%)", "MAPE", "median", "p90", "bias");
    out << StatsRow("uncalibrated", g.before);
    if (g.fitted) out << StatsRow("fitted", g.after);
    if (g.cross_validated) {
      out << StatsRow(g.folds == g.points ? "leave-one-out" : fmt::format("{}-fold CV", g.folds).c_str(),
                      *g.cross_validated);
    }
    for (const std::string& w : g.warnings) fmt::print(out, "    warning: {}\n", w);
  }
  WriteSkipped(out, report);
  if (serving) WriteServingText(out, *serving);
}

void WriteValidationReport(std::ostream& out, const CalibrationReport& report, std::string_view dataset,
                           std::string_view description, OutputFormat format,
                           const ServingCalibrationReport* serving) {
  if (format == OutputFormat::kJson) {
    Json header{{"dataset", std::string(dataset)}, {"description", std::string(description)}};
    if (serving) header["serving"] = ServingJson(*serving);
    WriteReportJson(out, report, header);
    return;
  }
  if (format == OutputFormat::kCsv) {
    out << "dataset,gpu,engine,rows,metric,mape_pct,median_ape_pct,p90_ape_pct,bias_pct,cv_mape_pct,"
           "cv_median_ape_pct,cv_p90_ape_pct,cv_bias_pct\n";
    for (const GroupFit& g : report.groups) {
      std::string metrics;
      for (const RowEvaluation& r : report.rows) {
        if (r.usable && r.gpu == g.gpu && io::ToLower(r.row->engine) == g.engine &&
            metrics.find(MetricName(r.metric)) == std::string::npos) {
          if (!metrics.empty()) metrics += '+';
          metrics += MetricName(r.metric);
        }
      }
      const ErrorStats& c = g.cross_validated ? *g.cross_validated : ErrorStats{};
      fmt::print(out, "{},{},{},{},{},{:.2f},{:.2f},{:.2f},{:.2f},{},{},{},{}\n", io::CsvField(dataset),
                 io::CsvField(g.gpu), io::CsvField(g.engine), g.points, metrics, g.before.mape_pct,
                 g.before.median_ape_pct, g.before.p90_ape_pct, g.before.bias_pct,
                 g.cross_validated ? fmt::format("{:.2f}", c.mape_pct) : "",
                 g.cross_validated ? fmt::format("{:.2f}", c.median_ape_pct) : "",
                 g.cross_validated ? fmt::format("{:.2f}", c.p90_ape_pct) : "",
                 g.cross_validated ? fmt::format("{:.2f}", c.bias_pct) : "");
    }
    for (const ServingGroupFit& g : serving ? serving->groups : std::vector<ServingGroupFit>{}) {
      const ErrorStats& c = g.cross_validated ? *g.cross_validated : ErrorStats{};
      fmt::print(out, "{},{},{},{},serving,{:.2f},{:.2f},{:.2f},{:.2f},{},{},{},{}\n", io::CsvField(dataset),
                 io::CsvField(g.gpu), io::CsvField(g.engine), g.runs, g.before.mape_pct, g.before.median_ape_pct,
                 g.before.p90_ape_pct, g.before.bias_pct,
                 g.cross_validated ? fmt::format("{:.2f}", c.mape_pct) : "",
                 g.cross_validated ? fmt::format("{:.2f}", c.median_ape_pct) : "",
                 g.cross_validated ? fmt::format("{:.2f}", c.p90_ape_pct) : "",
                 g.cross_validated ? fmt::format("{:.2f}", c.bias_pct) : "");
    }
    return;
  }
  fmt::print(out, "Validation of the {} model on {}: {} ({} usable runs)\n", report.calibration.perf_model, dataset,
             description, UsableRows(report));
  if (report.groups.empty() && serving) {  // serving runs only
    WriteSkipped(out, report);
    WriteServingText(out, *serving);
    return;
  }
  fmt::print(out, "Absolute percentage error of each run's measured quantity; calibrated = CTCF fitted by k-fold\n"
                  "cross-validation within the GPU/engine group (no run is scored by a fit that saw it).\n\n");
  fmt::print(out, "  {:<10} {:<13} {:>5}   {:>31}   {:>31}\n", "", "", "", "uncalibrated", "calibrated (cross-validated)");
  fmt::print(out, "  {:<10} {:<13} {:>5}   {:>6} {:>7} {:>6} {:>8}   {:>6} {:>7} {:>6} {:>8}\n", "GPU", "engine",
             "runs", "MAPE", "median", "p90", "bias", "MAPE", "median", "p90", "bias");
  for (const GroupFit& g : report.groups) {
    fmt::print(out, "  {:<10} {:<13} {:>5}   {:>6.1f} {:>7.1f} {:>6.1f} {:>+8.1f}   ", g.gpu, g.engine, g.points,
               g.before.mape_pct, g.before.median_ape_pct, g.before.p90_ape_pct, g.before.bias_pct);
    if (g.cross_validated) {
      const ErrorStats& c = *g.cross_validated;
      fmt::print(out, "{:>6.1f} {:>7.1f} {:>6.1f} {:>+8.1f}\n", c.mape_pct, c.median_ape_pct, c.p90_ape_pct,
                 c.bias_pct);
    } else {
      fmt::print(out, "{:>31}\n", g.fitted ? "too few runs to cross-validate" : "not fitted");
    }
  }
  WriteSkipped(out, report);
  if (serving) WriteServingText(out, *serving);
}

void WriteOperatorReport(std::ostream& out, const std::vector<OperatorErrorRow>& rows, std::string_view title,
                         OutputFormat format) {
  if (format == OutputFormat::kJson) {
    Json list = Json::array();
    for (const OperatorErrorRow& r : rows) {
      list.push_back(Json{{"group", r.group},
                          {"range", r.range},
                          {"error", StatsJson(r.error)},
                          {"median_measured_s", r.median_measured_s},
                          {"median_predicted_s", r.median_predicted_s}});
    }
    out << Json{{"schema_version", kJsonSchemaVersion}, {"title", std::string(title)}, {"rows", list}}.dump(2)
        << '\n';
    return;
  }
  if (format == OutputFormat::kCsv) {
    out << "group,range,n,mape_pct,median_ape_pct,p90_ape_pct,bias_pct,median_measured_s,median_predicted_s\n";
    for (const OperatorErrorRow& r : rows) {
      fmt::print(out, "{},{},{},{:.2f},{:.2f},{:.2f},{:.2f},{:.6g},{:.6g}\n", io::CsvField(r.group),
                 io::CsvField(r.range), r.error.n, r.error.mape_pct, r.error.median_ape_pct, r.error.p90_ape_pct,
                 r.error.bias_pct, r.median_measured_s, r.median_predicted_s);
    }
    return;
  }
  fmt::print(out, "{}\n\n", title);
  fmt::print(out, "  {:<34} {:<18} {:>6} {:>7} {:>7} {:>8} {:>12} {:>12}\n", "operator", "range", "runs", "median",
             "p90", "bias", "measured", "predicted");
  for (const OperatorErrorRow& r : rows) {
    fmt::print(out, "  {:<34} {:<18} {:>6} {:>6.1f}% {:>6.1f}% {:>+7.1f}% {:>9.1f} us {:>9.1f} us\n", r.group, r.range,
               r.error.n, r.error.median_ape_pct, r.error.p90_ape_pct, r.error.bias_pct, r.median_measured_s * 1e6,
               r.median_predicted_s * 1e6);
  }
}

void WriteRowDump(std::ostream& out, const CalibrationReport& report) {
  out << "source,gpu,engine,model,tp,batch_size,input_len,output_len,metric,measured,predicted_uncalibrated,"
         "predicted_fitted,predicted_cross_validated,usable,offloaded,skip_reason\n";
  for (const RowEvaluation& r : report.rows) {
    const Measurement& m = *r.row;
    fmt::print(out, "{},{},{},{},{},{},{},{},{},{:.6g},{},{},{},{},{},{}\n", io::CsvField(m.source),
               io::CsvField(m.gpu), io::CsvField(m.engine), io::CsvField(m.model), m.tp, m.batch_size, m.input_len,
               m.output_len, MetricName(r.metric), r.measured,
               r.usable ? fmt::format("{:.6g}", r.predicted_uncalibrated) : "",
               r.usable && r.calibrated ? fmt::format("{:.6g}", r.predicted_calibrated) : "",
               r.usable && r.cross_validated ? fmt::format("{:.6g}", r.predicted_cross_validated) : "", r.usable,
               r.offloaded, io::CsvField(r.skip_reason));
  }
}

}  // namespace infersave
