// The serving validation report (table, JSON, CSV): the simulator against
// measured serving runs.
#include "infersave/serving_validation.h"

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

double Ape(double predicted, double measured) { return std::fabs(predicted - measured) / measured * 100; }

std::vector<std::string> Metrics(const ServingValidationReport& r) {
  std::vector<std::string> metrics;
  for (const ServingValidationRow& row : r.rows) {
    if (std::find(metrics.begin(), metrics.end(), row.metric) == metrics.end()) metrics.push_back(row.metric);
  }
  return metrics;
}

}  // namespace

void WriteServingValidation(std::ostream& out, const ServingValidationReport& r, OutputFormat format) {
  const bool in_sample = std::any_of(r.rows.begin(), r.rows.end(),
                                     [](const ServingValidationRow& row) { return row.calibration_in_sample; });
  if (format == OutputFormat::kCsv) {
    out << "source,gpu,model,engine,tp,users,input_len,output_len,metric,unit,measured,simulated,simulated_ape_pct,"
           "simulated_calibrated,simulated_calibrated_ape_pct,static_model,static_model_ape_pct\n";
    for (const ServingValidationRow& row : r.rows) {
      out << io::CsvField(row.source) << ',' << io::CsvField(row.gpu) << ',' << io::CsvField(row.model) << ','
          << io::CsvField(row.engine) << ',' << row.tp << ',' << row.users << ',' << row.input_len << ','
          << row.output_len << ',' << io::CsvField(row.metric) << ',' << row.unit << ','
          << fmt::format("{:.6g},{:.6g},{:.2f},{:.6g},{:.2f},{:.6g},{:.2f}", row.measured, row.simulated,
                         Ape(row.simulated, row.measured), row.simulated_calibrated,
                         Ape(row.simulated_calibrated, row.measured), row.static_model,
                         Ape(row.static_model, row.measured))
          << '\n';
    }
    return;
  }
  if (format == OutputFormat::kJson) {
    Json doc;
    doc["schema_version"] = kJsonSchemaVersion;
    doc["dataset"] = r.dataset;
    doc["description"] = r.description;
    Json summary = Json::object();
    for (const std::string& m : Metrics(r)) {
      summary[m] = Json{{"median_ape_pct_simulated", Round(MedianApe(r.rows, m, false), 2)},
                        {"median_ape_pct_simulated_calibrated", Round(MedianApe(r.rows, m, true), 2)},
                        {"median_ape_pct_static_model", Round(MedianApe(r.rows, m, false, true), 2)}};
    }
    doc["summary"] = summary;
    doc["calibration_in_sample"] = in_sample;
    Json rows = Json::array();
    for (const ServingValidationRow& row : r.rows) {
      rows.push_back(Json{{"source", row.source}, {"gpu", row.gpu}, {"model", row.model}, {"engine", row.engine},
                          {"tp", row.tp}, {"users", row.users}, {"metric", row.metric}, {"unit", row.unit},
                          {"measured", row.measured}, {"simulated", Round(row.simulated, 6)},
                          {"simulated_calibrated", Round(row.simulated_calibrated, 6)},
                          {"static_model", Round(row.static_model, 6)}});
    }
    doc["rows"] = rows;
    doc["skipped"] = r.skipped;
    out << doc.dump(2) << '\n';
    return;
  }
  fmt::print(out, "Continuous-batching simulator against {}: {}\n", r.dataset, r.description);
  fmt::print(out, "  {:<10} {:<14} {:>2} {:>5}  {:<17} {:>9} {:>9} {:>6} {:>9} {:>6} {:>9} {:>6}\n", "GPU", "model",
             "TP", "users", "metric", "measured", "simulated", "err", "calib.", "err", "static", "err");
  for (const ServingValidationRow& row : r.rows) {
    fmt::print(out, "  {:<10} {:<14} {:>2} {:>5}  {:<17} {:>9.4g} {:>9.4g} {:>5.0f}% {:>9.4g} {:>5.0f}% {:>9.4g} {:>5.0f}%\n",
               row.gpu, row.model, row.tp, row.users, row.metric + " (" + row.unit + ")", row.measured,
               row.simulated, Ape(row.simulated, row.measured), row.simulated_calibrated,
               Ape(row.simulated_calibrated, row.measured), row.static_model, Ape(row.static_model, row.measured));
  }
  out << "\nMedian absolute error:\n";
  for (const std::string& m : Metrics(r)) {
    size_t n = 0;
    for (const ServingValidationRow& row : r.rows) n += row.metric == m ? 1 : 0;
    fmt::print(out, "  {:<18} {} runs: simulated {:.1f}%, simulated + shipped calibration {:.1f}%{}, static-batch "
                    "model {:.1f}%\n",
               m, n, MedianApe(r.rows, m, false), MedianApe(r.rows, m, true), in_sample ? " (in-sample)" : "",
               MedianApe(r.rows, m, false, true));
  }
  if (in_sample) {
    out << "\nnote: the shipped 'public' calibration was fitted on these runs (static-batch model), so its column is "
           "not an out-of-sample error\n";
  }
  for (const auto& [reason, count] : r.skipped) fmt::print(out, "  skipped {}: {}\n", count, reason);
}

}  // namespace infersave
