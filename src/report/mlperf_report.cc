// `infersave validate --dataset mlperf`: the planner's predictions of MLPerf
// Inference results, grouped by scenario, GPU class and engine, per GPU, and
// the decision check (include/infersave/mlperf_report.h).
#include "infersave/mlperf_report.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <map>
#include <nlohmann/json.hpp>

#include "io/csv.h"

namespace infersave {
namespace {

using Json = nlohmann::ordered_json;

struct Group {
  std::vector<double> uncalibrated, calibrated;
};

Json Stats(const ErrorStats& s) {
  return Json{{"n", s.n}, {"median_ape_pct", s.median_ape_pct}, {"mape_pct", s.mape_pct}, {"bias_pct", s.bias_pct}};
}

std::string Cell(const ErrorStats& s) {
  if (s.n == 0) return "-";
  return fmt::format("{:.1f}% / {:.1f}% / {:+.1f}%", s.median_ape_pct, s.mape_pct, s.bias_pct);
}

}  // namespace

std::vector<MlperfGroupError> GroupMlperfErrors(const std::vector<MlperfPrediction>& predictions, bool by_gpu) {
  std::map<std::string, Group> groups;
  for (const MlperfPrediction& p : predictions) {
    const std::string key = by_gpu ? fmt::format("{} | {} | {}", p.result.scenario, p.result.gpu, p.result.engine)
                                   : fmt::format("{} | {} | {}", p.result.scenario, p.gpu_class, p.result.engine);
    Group& g = groups[key];
    g.uncalibrated.push_back(p.error_pct());
    if (p.calibrated_tps) {
      g.calibrated.push_back(100 * (*p.calibrated_tps - p.result.measured_tokens_per_s) /
                             p.result.measured_tokens_per_s);
    }
  }
  std::vector<MlperfGroupError> out;
  for (const auto& [key, g] : groups) {
    out.push_back({key, ComputeErrorStats(g.uncalibrated), ComputeErrorStats(g.calibrated)});
  }
  return out;
}

void WriteMlperfValidation(std::ostream& out, const MlperfData& data, const MlperfValidation& v,
                           const std::vector<MlperfDecision>& decisions, OutputFormat format) {
  const auto by_class = GroupMlperfErrors(v.predictions, false);
  const auto by_gpu = GroupMlperfErrors(v.predictions, true);
  int passed = 0;
  for (const MlperfDecision& d : decisions) passed += d.pass ? 1 : 0;
  if (format == OutputFormat::kCsv) {
    out << "version,submitter,system,benchmark,scenario,gpu,gpus,engine,weights,gpu_class,tp,replicas,batch,"
           "measured_tps,predicted_tps,error_pct,calibrated_tps,source\n";
    for (const MlperfPrediction& p : v.predictions) {
      const MlperfResult& r = p.result;
      fmt::print(out, "{},{},{},{},{},{},{},{},{},{},{},{},{},{:.2f},{:.2f},{:.2f},{},{}\n", r.version,
                 io::CsvField(r.submitter), io::CsvField(r.system), r.benchmark, r.scenario, r.gpu, r.gpus, r.engine,
                 PrecisionName(r.weights), io::CsvField(p.gpu_class), p.tp, p.replicas, p.batch,
                 r.measured_tokens_per_s, p.predicted_tps, p.error_pct(),
                 p.calibrated_tps ? fmt::format("{:.2f}", *p.calibrated_tps) : "", io::CsvField(r.source));
    }
    return;
  }
  if (format == OutputFormat::kJson) {
    Json groups = Json::array(), gpus = Json::array(), checks = Json::array(), skipped = Json::object();
    for (const auto& g : by_class) {
      groups.push_back({{"group", g.group}, {"uncalibrated", Stats(g.uncalibrated)}, {"calibrated", Stats(g.calibrated)}});
    }
    for (const auto& g : by_gpu) {
      gpus.push_back({{"group", g.group}, {"uncalibrated", Stats(g.uncalibrated)}, {"calibrated", Stats(g.calibrated)}});
    }
    for (const MlperfDecision& d : decisions) {
      checks.push_back({{"workload", d.workload},
                        {"gpu_types", d.gpu_types},
                        {"predicted_pick", d.predicted_pick},
                        {"measured_pick", d.measured_pick},
                        {"pick_cost_over_best_pct", d.pick_cost_over_best_pct},
                        {"pass", d.pass}});
    }
    for (const auto& [reason, n] : data.skipped) skipped[reason] = n;
    for (const auto& [reason, n] : v.unplaced) skipped[reason] = n;
    out << Json{{"schema_version", 1},
                {"dataset", "mlperf"},
                {"predicted", v.predictions.size()},
                {"by_gpu_class", groups},
                {"by_gpu", gpus},
                {"decision_check", {{"cases", decisions.size()}, {"passed", passed}, {"cases_detail", checks}}},
                {"skipped", skipped}}
                   .dump(2)
        << '\n';
    return;
  }
  fmt::print(out,
             "MLPerf Inference (v4.1, v5.1) Offline results: {} predicted of {} kept rows; error of the generated "
             "tokens/s of the whole system\n(median APE / MAPE / bias; calibrated = the engine's shipped calibration "
             "where it covers the GPU)\n\n",
             v.predictions.size(), data.rows.size());
  auto table = [&](const std::vector<MlperfGroupError>& rows, std::string_view head) {
    fmt::print(out, "  {:<52} {:>5}  {:<28} {}\n", head, "runs", "uncalibrated", "calibrated");
    for (const auto& g : rows) {
      fmt::print(out, "  {:<52} {:>5}  {:<28} {}\n", g.group, g.uncalibrated.n, Cell(g.uncalibrated),
                 Cell(g.calibrated));
    }
    fmt::print(out, "\n");
  };
  table(by_class, "scenario | GPU class | engine");
  table(by_gpu, "scenario | GPU | engine");
  fmt::print(out, "Decision check (cheapest GPU per generated token at the shipped prices): {} of {} cases pass\n",
             passed, decisions.size());
  for (const MlperfDecision& d : decisions) {
    fmt::print(out, "  {:<28} {} GPU types: predicted {}, measured {}; the predicted pick costs {:+.1f}% {}\n",
               d.workload, d.gpu_types, d.predicted_pick, d.measured_pick, d.pick_cost_over_best_pct,
               d.pass ? "pass" : "FAIL");
  }
  if (!data.assumed.empty()) fmt::print(out, "\nAssumed:\n");
  for (const auto& [what, n] : data.assumed) fmt::print(out, "  {:>4}  {}\n", n, what);
  fmt::print(out, "\nNot predicted:\n");
  for (const auto& [reason, n] : data.skipped) fmt::print(out, "  {:>4}  {}\n", n, reason);
  for (const auto& [reason, n] : v.unplaced) fmt::print(out, "  {:>4}  {}\n", n, reason);
}

}  // namespace infersave
