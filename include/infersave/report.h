// Presentation of plans and predictions as a table, JSON or CSV, written to
// any stream (the library computes; these functions only format).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/planner.h"
#include "infersave/status.h"

namespace infersave {

enum class OutputFormat { kTable, kJson, kCsv };
Result<OutputFormat> ParseOutputFormat(std::string_view text);

// Version of the JSON documents' layout; bumped on any incompatible change.
inline constexpr int kJsonSchemaVersion = 1;

// The library's version ("0.1.0"), as the project's CMake version.
const char* LibraryVersion();

// What the reports say about the inputs besides the plan itself.
struct ReportContext {
  const ModelConfig* model = nullptr;
  const EngineProfile* engine = nullptr;
  const Catalog* catalog = nullptr;
  const Calibration* calibration = nullptr;  // may be null
  int top = 3;  // qualifying instances listed in the table
  std::string today;  // YYYY-MM-DD, to print the catalog's age ("" = do not)
  bool frontier = false;  // tables list the Pareto frontier (JSON always has it)
};

// Today's date on the system clock (UTC), YYYY-MM-DD.
std::string CurrentDate();

// Days from `from` to `to` (both YYYY-MM-DD); nullopt when either is not a date.
std::optional<int> DaysBetween(std::string_view from, std::string_view to);

void WritePlan(std::ostream& out, const Plan& plan, const ReportContext& ctx, OutputFormat format);

// One instance's full breakdown (memory, offload, timing, cost).
void WritePrediction(std::ostream& out, const Evaluation& e, const Plan& plan, const ReportContext& ctx,
                     OutputFormat format);

void WriteModels(std::ostream& out, const std::vector<ModelConfig>& models, OutputFormat format);
void WriteInstances(std::ostream& out, const Catalog& catalog, OutputFormat format);
void WriteEngines(std::ostream& out, const std::vector<EngineProfile>& engines, OutputFormat format);

// How far off this prediction may be: what it was calibrated on, or that it
// was not ("uncalibrated roofline: no measurements for T4 with vllm").
std::string AccuracyNote(const Evaluation& e, const Plan& plan, const ReportContext& ctx);
// The same for any prediction made with `ctcf` on `gpu`.
std::string CtcfAccuracyNote(const Ctcf& ctcf, const std::string& gpu, std::string_view perf_model,
                             const ReportContext& ctx);

}  // namespace infersave
