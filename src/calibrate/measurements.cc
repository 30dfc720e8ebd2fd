// The measurements CSV (docs/calibration.md).
#include "infersave/measurements.h"

#include <fmt/format.h>

#include <cmath>

#include "io/csv.h"
#include "io/text.h"

namespace infersave {

std::optional<double> Measurement::MeasuredTotalSeconds() const {
  if (total_s) return total_s;
  if (throughput_tps && *throughput_tps > 0) {
    const double per_sequence = counts == TokensCounted::kOutput ? static_cast<double>(output_len)
                                                                 : static_cast<double>(input_len + output_len);
    return static_cast<double>(batch_size) * per_sequence / *throughput_tps;
  }
  return std::nullopt;
}

namespace {

const char* kValueColumns[] = {"prefill_s", "decode_s_per_token", "total_s", "throughput_tps"};

Result<int64_t> WholeNumber(const io::CellReader& cells, const char* column, int64_t min, int64_t max,
                            std::optional<int64_t> fallback) {
  std::string_view text = cells.Text(column);
  if (text.empty()) {
    if (fallback) return *fallback;
    return InvalidInput(fmt::format("{}: missing value", cells.Where(column)));
  }
  std::optional<double> v = io::ParseNumber(text);
  if (!v || *v != std::floor(*v) || *v < static_cast<double>(min) || *v > static_cast<double>(max)) {
    return InvalidInput(fmt::format("{}: expected a whole number from {} to {}, got {}", cells.Where(column), min, max,
                                    io::Quote(text)));
  }
  return static_cast<int64_t>(*v);
}

}  // namespace

Result<std::vector<Measurement>> ParseMeasurements(std::string_view csv_text, std::string_view source,
                                                   const Catalog* catalog) {
  auto table = io::ParseCsv(csv_text, source);
  if (!table.ok()) return table.error();
  if (Status s = io::RequireColumns(*table, {"engine", "model", "batch_size", "input_len", "output_len"}); !s.ok()) {
    return s.error();
  }
  const bool has_gpu = table->Column("gpu").has_value();
  const bool has_instance = table->Column("instance").has_value();
  if (!has_gpu && !has_instance) {
    return InvalidInput(fmt::format("{}:1: missing required column 'gpu' (or 'instance')", source));
  }
  bool any_value_column = false;
  for (const char* c : kValueColumns) any_value_column |= table->Column(c).has_value();
  if (!any_value_column) {
    return InvalidInput(fmt::format(
        "{}:1: no measured column: expected at least one of prefill_s, decode_s_per_token, total_s, throughput_tps",
        source));
  }

  std::vector<Measurement> rows;
  for (const io::CsvRecord& rec : table->rows) {
    io::CellReader cells(*table, rec);
    Measurement m;
    m.line = rec.line;
    m.source = fmt::format("{}:{}", source, rec.line);
    m.gpu = std::string(cells.Text("gpu"));
    if (m.gpu.empty()) {
      std::string_view instance = cells.Text("instance");
      if (instance.empty()) {
        return InvalidInput(fmt::format("{}: missing value (or give an 'instance')", cells.Where("gpu")));
      }
      const Instance* found = catalog ? catalog->Find(instance) : nullptr;
      if (!found) {
        return InvalidInput(fmt::format("{}: unknown instance {}{}", cells.Where("instance"), io::Quote(instance),
                                        catalog ? fmt::format(" in catalog {}", catalog->name) : ""));
      }
      m.gpu = found->gpu.name;
    }
    m.engine = std::string(cells.Text("engine"));
    m.model = std::string(cells.Text("model"));
    if (m.engine.empty()) return InvalidInput(fmt::format("{}: missing value", cells.Where("engine")));
    if (m.model.empty()) return InvalidInput(fmt::format("{}: missing value", cells.Where("model")));
    if (std::string_view p = cells.Text("precision"); !p.empty()) {
      auto precision = ParsePrecision(p);
      if (!precision.ok()) {
        return InvalidInput(fmt::format("{}: {}", cells.Where("precision"), precision.error().message()));
      }
      m.precision = *precision;
    }
    auto tp = WholeNumber(cells, "tp", 1, 1024, 1);
    if (!tp.ok()) return tp.error();
    m.tp = static_cast<int>(*tp);
    auto bs = WholeNumber(cells, "batch_size", 1, 1 << 20, std::nullopt);
    if (!bs.ok()) return bs.error();
    auto in = WholeNumber(cells, "input_len", 1, 1 << 24, std::nullopt);
    if (!in.ok()) return in.error();
    auto out = WholeNumber(cells, "output_len", 1, 1 << 24, std::nullopt);
    if (!out.ok()) return out.error();
    m.batch_size = *bs;
    m.input_len = *in;
    m.output_len = *out;

    std::optional<double>* targets[] = {&m.prefill_s, &m.decode_s_per_token, &m.total_s, &m.throughput_tps};
    bool any = false;
    for (size_t k = 0; k < 4; ++k) {
      auto v = cells.Number(kValueColumns[k], false);
      if (!v.ok()) return v.error();
      *targets[k] = *v;
      any |= v->has_value();
    }
    if (!any) {
      return InvalidInput(fmt::format(
          "{}:{}: no measured value: fill at least one of prefill_s, decode_s_per_token, total_s, throughput_tps",
          source, rec.line));
    }
    if (m.throughput_tps) {
      std::string counted = io::ToLower(cells.Text("tokens_counted"));
      if (counted == "input+output" || counted == "input_and_output") {
        m.counts = TokensCounted::kInputAndOutput;
      } else if (counted == "output") {
        m.counts = TokensCounted::kOutput;
      } else {
        return InvalidInput(fmt::format(
            "{}: expected \"input+output\" or \"output\" (which tokens throughput_tps counts), got {}",
            cells.Where("tokens_counted"), io::Quote(cells.Text("tokens_counted"))));
      }
    }
    if (std::string_view note = cells.Text("source"); !note.empty()) m.source = std::string(note);
    rows.push_back(std::move(m));
  }
  if (rows.empty()) return InvalidInput(fmt::format("{}: no measurement rows", source));
  return rows;
}

std::string MeasurementsToCsv(const std::vector<Measurement>& rows) {
  std::string out =
      "gpu,engine,model,precision,tp,batch_size,input_len,output_len,prefill_s,decode_s_per_token,total_s,"
      "throughput_tps,tokens_counted,source\n";
  auto num = [](const std::optional<double>& v) { return v ? fmt::format("{:.9g}", *v) : std::string(); };
  for (const Measurement& m : rows) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", io::CsvField(m.gpu), io::CsvField(m.engine),
                       io::CsvField(m.model), PrecisionName(m.precision), m.tp, m.batch_size, m.input_len,
                       m.output_len, num(m.prefill_s), num(m.decode_s_per_token), num(m.total_s),
                       num(m.throughput_tps),
                       m.throughput_tps ? (m.counts == TokensCounted::kOutput ? "output" : "input+output") : "",
                       io::CsvField(m.source));
  }
  return out;
}

}  // namespace infersave
