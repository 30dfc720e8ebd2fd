// Request traces from CSV (include/infersave/simulator.h).
#include "infersave/simulator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <utility>

#include "io/csv.h"
#include "io/text.h"

namespace infersave {

// ---- Trace ---------------------------------------------------------------------

namespace {

Result<int64_t> PositiveWholeNumber(const io::CellReader& cells, std::string_view column) {
  std::string_view text = cells.Text(column);
  std::optional<double> v = io::ParseNumber(text);
  if (!v || *v != std::floor(*v) || *v < 1 || *v > 9.0e15) {
    return InvalidInput(fmt::format("{}: expected a whole number >= 1, got {}", cells.Where(column), io::Quote(text)));
  }
  return static_cast<int64_t>(*v);
}

}  // namespace

Result<std::vector<Request>> ParseTrace(std::string_view csv_text, std::string_view source) {
  auto table = io::ParseCsv(csv_text, source);
  if (!table.ok()) return table.error();
  if (Status s = io::RequireColumns(*table, {"arrival_s", "prompt_tokens", "output_tokens"}); !s.ok()) {
    return s.error();
  }
  if (table->rows.empty()) return InvalidInput(fmt::format("{}: trace has no requests", source));
  std::vector<Request> out;
  out.reserve(table->rows.size());
  for (const io::CsvRecord& record : table->rows) {
    io::CellReader cells(*table, record);
    auto arrival = cells.Number("arrival_s", /*required=*/true, /*allow_zero=*/true);
    if (!arrival.ok()) return arrival.error();
    auto prompt = PositiveWholeNumber(cells, "prompt_tokens");
    if (!prompt.ok()) return prompt.error();
    auto output = PositiveWholeNumber(cells, "output_tokens");
    if (!output.ok()) return output.error();
    const double arrival_s = **arrival;
    if (!std::isfinite(arrival_s)) {
      return InvalidInput(fmt::format("{}: arrival time must be finite", cells.Where("arrival_s")));
    }
    if (!out.empty() && arrival_s < out.back().arrival_s) {
      return InvalidInput(fmt::format("{}: arrival time {} s is earlier than the previous row's {} s; the trace must "
                                      "be sorted by arrival time",
                                      cells.Where("arrival_s"), arrival_s, out.back().arrival_s));
    }
    out.push_back(Request{arrival_s, *prompt, *output});
  }
  return out;
}

}  // namespace infersave
