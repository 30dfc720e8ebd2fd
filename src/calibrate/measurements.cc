// The measurements CSV (docs/calibration.md).
#include "infersave/measurements.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "infersave/serving_workload.h"

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

// The GPU (or catalog instance) a row ran on.
Status ParseHardware(const io::CellReader& cells, const Catalog* catalog, Measurement& m) {
  m.gpu = std::string(cells.Text("gpu"));
  std::string_view instance = cells.Text("instance");
  if (instance.empty()) {
    if (m.gpu.empty()) return InvalidInput(fmt::format("{}: missing value (or give an 'instance')", cells.Where("gpu")));
    return Status::Ok();
  }
  const Instance* found = catalog ? catalog->Find(instance) : nullptr;
  if (!found) {
    return InvalidInput(fmt::format("{}: unknown instance {}{}", cells.Where("instance"), io::Quote(instance),
                                    catalog ? fmt::format(" in catalog {}", catalog->name)
                                            : " (give a catalog that lists it, or a 'gpu')"));
  }
  m.instance = *found;
  m.gpu = found->gpu.name;
  return Status::Ok();
}

// A fraction in [0, 1]; nullopt when the cell is empty.
Result<std::optional<double>> Fraction(const io::CellReader& cells, const char* column) {
  std::string_view text = cells.Text(column);
  if (text.empty()) return std::optional<double>();
  std::optional<double> v = io::ParseNumber(text);
  if (!v || !(*v >= 0 && *v <= 1)) {
    return InvalidInput(
        fmt::format("{}: expected a fraction from 0 to 1, got {}", cells.Where(column), io::Quote(text)));
  }
  return v;
}

// The serving columns: request_rate (requests/s, or "inf"), concurrency,
// num_requests, input_dist, output_dist.
Status ParseServing(const io::CellReader& cells, Measurement& m) {
  if (std::string_view rate = cells.Text("request_rate"); !rate.empty()) {
    if (io::EqualsIgnoreCase(rate, "inf") || io::EqualsIgnoreCase(rate, "infinity")) {
      m.request_rate = std::numeric_limits<double>::infinity();
    } else {
      auto v = cells.Number("request_rate", true);
      if (!v.ok()) return v.error();
      m.request_rate = **v;
    }
  }
  if (!cells.Text("concurrency").empty()) {
    auto c = WholeNumber(cells, "concurrency", 1, 1 << 20, std::nullopt);
    if (!c.ok()) return c.error();
    m.concurrency = *c;
  }
  if (!m.serving()) {
    for (const char* column : {"num_requests", "input_dist", "output_dist"}) {
      if (!cells.Text(column).empty()) {
        return InvalidInput(fmt::format("{}: describes a serving run; give its request_rate or concurrency",
                                        cells.Where(column)));
      }
    }
    return Status::Ok();
  }
  auto n = WholeNumber(cells, "num_requests", 1, 1 << 24, std::nullopt);
  if (!n.ok()) return n.error();
  m.num_requests = *n;
  auto dist = [&](const char* column, std::optional<LengthDistribution>& out) -> Status {
    std::string_view text = cells.Text(column);
    if (text.empty() || text.starts_with("file:")) {
      if (!text.empty()) return InvalidInput(fmt::format("{}: a lengths file cannot be named here", cells.Where(column)));
      return Status::Ok();
    }
    auto d = ParseLengthSpec(text, column);
    if (!d.ok()) return InvalidInput(fmt::format("{}: {}", cells.Where(column), d.error().message()));
    out = *d;
    return Status::Ok();
  };
  if (Status s = dist("input_dist", m.input_dist); !s.ok()) return s;
  return dist("output_dist", m.output_dist);
}

// The measured values (at least one).
Status ParseValues(const io::CellReader& cells, std::string_view source, Measurement& m) {
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
        source, cells.line()));
  }
  if (m.serving() && m.total_s) {
    return InvalidInput(fmt::format("{}: a serving run has no single batch time; give throughput_tps instead",
                                    cells.Where("total_s")));
  }
  if (m.throughput_tps) {
    std::string counted = io::ToLower(cells.Text("tokens_counted"));
    if (counted == "input+output" || counted == "input_and_output") {
      m.counts = TokensCounted::kInputAndOutput;
    } else if (counted == "output") {
      m.counts = TokensCounted::kOutput;
    } else {
      return InvalidInput(
          fmt::format("{}: expected \"input+output\" or \"output\" (which tokens throughput_tps counts), got {}",
                      cells.Where("tokens_counted"), io::Quote(cells.Text("tokens_counted"))));
    }
  }
  return Status::Ok();
}

Result<Measurement> ParseRow(const io::CsvTable& table, const io::CsvRecord& rec, std::string_view source,
                             const Catalog* catalog) {
  io::CellReader cells(table, rec);
  Measurement m;
  m.line = rec.line;
  m.source = fmt::format("{}:{}", source, rec.line);
  if (Status s = ParseHardware(cells, catalog, m); !s.ok()) return s.error();
  m.engine = std::string(cells.Text("engine"));
  m.model = std::string(cells.Text("model"));
  if (m.engine.empty()) return InvalidInput(fmt::format("{}: missing value", cells.Where("engine")));
  if (m.model.empty()) return InvalidInput(fmt::format("{}: missing value", cells.Where("model")));
  if (std::string_view p = cells.Text("precision"); !p.empty()) {
    auto precision = ParsePrecision(p);
    if (!precision.ok()) return InvalidInput(fmt::format("{}: {}", cells.Where("precision"), precision.error().message()));
    m.precision = *precision;
  }
  auto tp = WholeNumber(cells, "tp", 1, 1024, 1);
  if (!tp.ok()) return tp.error();
  m.tp = static_cast<int>(*tp);
  if (m.instance && m.tp > m.instance->gpu_count) {
    return InvalidInput(fmt::format("{}: tp {} is more than the {} GPUs of {}", cells.Where("tp"), m.tp,
                                    m.instance->gpu_count, m.instance->name));
  }
  if (Status s = ParseServing(cells, m); !s.ok()) return s.error();
  // A serving run's batch is the engine's business: batch_size may be empty.
  auto bs = WholeNumber(cells, "batch_size", 1, 1 << 20, m.serving() ? std::optional<int64_t>(1) : std::nullopt);
  if (!bs.ok()) return bs.error();
  auto in = WholeNumber(cells, "input_len", 1, 1 << 24, std::nullopt);
  if (!in.ok()) return in.error();
  auto out = WholeNumber(cells, "output_len", 1, 1 << 24, std::nullopt);
  if (!out.ok()) return out.error();
  m.batch_size = *bs;
  m.input_len = *in;
  m.output_len = *out;
  for (auto [column, target] : {std::pair{"kv_offload", &m.kv_offload}, std::pair{"weight_offload", &m.weight_offload}}) {
    auto f = Fraction(cells, column);
    if (!f.ok()) return f.error();
    *target = *f;
  }
  if (Status s = ParseValues(cells, source, m); !s.ok()) return s.error();
  if (std::string_view note = cells.Text("source"); !note.empty()) m.source = std::string(note);
  return m;
}

}  // namespace

Result<std::vector<Measurement>> ParseMeasurements(std::string_view csv_text, std::string_view source,
                                                   const Catalog* catalog) {
  auto table = io::ParseCsv(csv_text, source);
  if (!table.ok()) return table.error();
  if (Status s = io::RequireColumns(*table, {"engine", "model", "input_len", "output_len"}); !s.ok()) {
    return s.error();
  }
  if (!table->Column("gpu") && !table->Column("instance")) {
    return InvalidInput(fmt::format("{}:1: missing required column 'gpu' (or 'instance')", source));
  }
  if (!table->Column("batch_size") && !table->Column("request_rate") && !table->Column("concurrency")) {
    return InvalidInput(fmt::format(
        "{}:1: missing required column 'batch_size' (or 'request_rate' / 'concurrency' for serving runs)", source));
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
    auto m = ParseRow(*table, rec, source, catalog);
    if (!m.ok()) return m.error();
    rows.push_back(std::move(m).value());
  }
  if (rows.empty()) return InvalidInput(fmt::format("{}: no measurement rows", source));
  return rows;
}

namespace {

// The compact form ParseLengthSpec reads ("" for none; empirical lists have
// no compact form and are written as their mean).
std::string LengthSpec(const std::optional<LengthDistribution>& d) {
  if (!d) return "";
  switch (d->kind) {
    case LengthDistribution::Kind::kFixed: return fmt::format("{}", d->fixed_tokens);
    case LengthDistribution::Kind::kUniform: return fmt::format("uniform:{}:{}", d->lo_tokens, d->hi_tokens);
    case LengthDistribution::Kind::kNormal: return fmt::format("normal:{:.9g}:{:.9g}", d->mean_tokens, d->sd_tokens);
    case LengthDistribution::Kind::kLogNormal:
      return d->max_tokens > 0 ? fmt::format("lognormal:{:.9g}:{:.9g}:{}", d->mean_tokens, d->sd_tokens, d->max_tokens)
                               : fmt::format("lognormal:{:.9g}:{:.9g}", d->mean_tokens, d->sd_tokens);
    case LengthDistribution::Kind::kEmpirical: {
      double sum = 0;
      for (int64_t v : d->values_tokens) sum += static_cast<double>(v);
      return d->values_tokens.empty() ? "" : fmt::format("{}", std::llround(sum / d->values_tokens.size()));
    }
  }
  return "";
}

}  // namespace

std::string MeasurementsToCsv(const std::vector<Measurement>& rows) {
  std::string out =
      "gpu,instance,engine,model,precision,tp,batch_size,input_len,output_len,kv_offload,weight_offload,"
      "request_rate,concurrency,num_requests,input_dist,output_dist,prefill_s,decode_s_per_token,total_s,"
      "throughput_tps,tokens_counted,source\n";
  auto num = [](const std::optional<double>& v) {
    if (!v) return std::string();
    return std::isinf(*v) ? std::string("inf") : fmt::format("{:.9g}", *v);
  };
  for (const Measurement& m : rows) {
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", io::CsvField(m.gpu),
        io::CsvField(m.instance ? m.instance->name : ""), io::CsvField(m.engine), io::CsvField(m.model),
        PrecisionName(m.precision), m.tp, m.serving() ? "" : fmt::format("{}", m.batch_size), m.input_len,
        m.output_len, num(m.kv_offload), num(m.weight_offload), num(m.request_rate),
        m.concurrency ? fmt::format("{}", *m.concurrency) : "", m.serving() ? fmt::format("{}", m.num_requests) : "",
        LengthSpec(m.input_dist), LengthSpec(m.output_dist), num(m.prefill_s), num(m.decode_s_per_token),
        num(m.total_s), num(m.throughput_tps),
        m.throughput_tps ? (m.counts == TokensCounted::kOutput ? "output" : "input+output") : "",
        io::CsvField(m.source));
  }
  return out;
}

}  // namespace infersave
