// Formatting pieces shared by the reports (plans, online plans, validation).
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "infersave/model.h"
#include "infersave/report.h"
#include "infersave/workload.h"

namespace infersave::report_util {

// Rounds for JSON so that documents are stable and readable.
inline double Round(double v, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

// "$0.526" below ten dollars, "$12.34" above.
inline std::string Money(double usd) {
  return usd < 10 ? fmt::format("${:.3f}", usd) : fmt::format("${:.2f}", usd);
}

// The first line of a plan: "InferSave <kind>: model (N B params, formats)
// on catalog X (prices as of D, N days old)[, spot prices]".
inline std::string PlanTitle(std::string_view kind, const ModelConfig& model, const ParameterCount& params,
                             const Workload& w, std::string_view catalog, std::string_view as_of,
                             std::string_view today, bool spot) {
  std::string age;
  if (auto days = DaysBetween(as_of, today); days && *days >= 0) {
    age = fmt::format(", {} day{} old", *days, *days == 1 ? "" : "s");
  }
  const std::string formats = w.weight_precision == w.kv_precision
                                  ? std::string(PrecisionName(w.weight_precision))
                                  : fmt::format("{} weights, {} KV cache", PrecisionName(w.weight_precision),
                                                PrecisionName(w.kv_precision));
  return fmt::format("InferSave {}: {} ({:.2f} B params, {}) on catalog {}{}{}", kind, model.name,
                     static_cast<double>(params.total) / 1e9, formats, catalog,
                     as_of.empty() ? " (undated)" : fmt::format(" (prices as of {}{})", as_of, age),
                     spot ? ", spot prices" : "");
}

// Prices older than this are flagged in every plan (issue 11).
inline constexpr int kStalePriceDays = 90;

// The plan's warnings, plus one when the prices it relies on are more than
// kStalePriceDays old on `today`.
inline std::vector<std::string> WarningsWithPriceAge(const std::vector<std::string>& warnings,
                                                     std::string_view prices_as_of, std::string_view today) {
  std::vector<std::string> out = warnings;
  if (auto days = DaysBetween(prices_as_of, today); days && *days > kStalePriceDays) {
    out.push_back(fmt::format("prices: the plan relies on a price dated {}, {} days old (more than {}); check "
                              "the current price or refresh the catalog (scripts/refresh-catalog.py)",
                              prices_as_of, *days, kStalePriceDays));
  }
  return out;
}

// What a candidate's usd_per_hour is: the spot price when the plan asked for
// spot prices and the instance has one, otherwise the on-demand price.
inline const char* PriceBasis(bool spot_requested, bool priced) {
  return spot_requested && priced ? "spot" : "on-demand";
}

// The price fields of a candidate in JSON: the price the plan charged
// (usd_per_hour, which every cost in the row uses), its basis and the
// instance's on-demand price for comparison.
inline void PriceJson(nlohmann::ordered_json& j, double charged_usd_per_hour, double on_demand_usd_per_hour,
                      bool spot_requested, bool priced) {
  j["usd_per_hour"] = charged_usd_per_hour;
  j["price_basis"] = PriceBasis(spot_requested, priced);
  j["on_demand_usd_per_hour"] = on_demand_usd_per_hour;
}

// Every plan document's "context" block: which tool and version wrote it, on
// which day, from which catalog and prices (null where not known).
inline nlohmann::ordered_json ContextJson(std::string_view catalog, std::string_view prices_as_of,
                                          const ReportContext& ctx) {
  auto text_or_null = [](std::string_view v) {
    return v.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(std::string(v));
  };
  return {{"tool", "infersave"},
          {"version", LibraryVersion()},
          {"generated_on", text_or_null(ctx.today)},
          {"catalog", text_or_null(catalog)},
          {"prices_as_of", text_or_null(prices_as_of)}};
}

// A prediction's expected error band, {"median_pct", "p90_pct", "basis"}, or
// null (report.cc).
nlohmann::ordered_json ExpectedErrorJson(const Ctcf& ctcf, const std::string& gpu, const ReportContext& ctx);

// What runs on a candidate: its engine and formats (plans may search them).
inline void VariantJson(nlohmann::ordered_json& j, const Candidate& c) {
  if (c.engine) j["engine"] = c.engine->name;
  j["weights"] = std::string(PrecisionName(c.weights));
  j["kv_cache"] = std::string(PrecisionName(c.kv_cache));
}

// The confidence fields of a candidate (confidence.h): error_sigma_pct and
// slo_confidence, null when unknown.
inline void ConfidenceJson(nlohmann::ordered_json& j, const Candidate& c) {
  j["error_sigma_pct"] = c.error_sigma_pct >= 0 ? nlohmann::ordered_json(Round(c.error_sigma_pct, 1))
                                                : nlohmann::ordered_json();
  j["slo_confidence"] =
      c.slo_confidence ? nlohmann::ordered_json(Round(*c.slo_confidence, 4)) : nlohmann::ordered_json();
}

// One line on how sure the pick is, for the tables ("" when nothing is known).
inline std::string ConfidenceLine(const Candidate& pick, const std::optional<double>& flips_at_pct) {
  std::string line;
  if (pick.slo_confidence) {
    line = fmt::format("{:.0f}% likely to meet the objective (prediction error spread {:.1f}%)",
                       *pick.slo_confidence * 100, pick.error_sigma_pct);
  }
  const std::string flips = flips_at_pct ? fmt::format("the pick changes if every prediction is off by {:g}%",
                                                       *flips_at_pct)
                                         : "no uniform prediction error below 50% changes the pick";
  line += line.empty() ? flips : "; " + flips;
  return line + " (docs/confidence.md)";
}

// A CSV column taken from a document's row model (its JSON row): `path` is
// the field, nested fields joined by '.' ("at_target.ttft_at_percentile_ms");
// "#rank" is the row's 1-based position.
struct CsvColumn {
  std::string name;
  std::string path;
};

// The CSV view of a document's rows (issue 12: one row model per document):
// the `leading` columns first, in the order and under the names scripts
// already read, then every other field of the rows (nested ones flattened
// with '.'), so that the CSV says what the JSON says. Numbers are written as
// in the JSON, null as an empty cell, arrays as JSON text.
void WriteCsvRows(std::ostream& out, const std::vector<nlohmann::ordered_json>& rows,
                  const std::vector<CsvColumn>& leading);

}  // namespace infersave::report_util
