#include "io/csv.h"

#include <csv.h>

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace infersave::io {
namespace {

struct ParseState {
  std::vector<CsvRecord> records;
  CsvRecord current;
  int line = 1;             // physical line being fed to the parser
  bool record_open = false;
};

void OnField(void* data, size_t len, void* out) {
  auto* state = static_cast<ParseState*>(out);
  if (!state->record_open) {
    // A quoted first field may span lines; the callback comes on its last one.
    const char* begin = static_cast<const char*>(data);
    state->current.line = state->line - static_cast<int>(std::count(begin, begin + len, '\n'));
    state->record_open = true;
  }
  state->current.fields.emplace_back(static_cast<const char*>(data), len);
}

void OnRecord(int /*terminator*/, void* out) {
  auto* state = static_cast<ParseState*>(out);
  if (!state->record_open) return;  // libcsv reports blank lines as empty records
  state->records.push_back(std::move(state->current));
  state->current = CsvRecord{};
  state->record_open = false;
}

}  // namespace

std::optional<size_t> CsvTable::Column(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return std::nullopt;
}

Result<CsvTable> ParseCsv(std::string_view text, std::string_view source) {
  if (text.find('\0') != std::string_view::npos) {
    return InvalidInput(fmt::format("{}: not a CSV text file (contains NUL bytes)", source));
  }
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
    return InvalidInput(fmt::format("{}: cannot initialise the CSV parser", source));
  }
  // Tolerate a UTF-8 byte order mark (before a quoted header name, too).
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  ParseState state;
  // Feed one physical line at a time so every record knows where it starts.
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = (end == std::string_view::npos) ? text.size() : end + 1;
    size_t fed = csv_parse(&parser, text.data() + pos, end - pos, OnField, OnRecord, &state);
    if (fed != end - pos) {
      std::string reason = csv_strerror(csv_error(&parser));
      csv_free(&parser);
      return InvalidInput(fmt::format("{}:{}: malformed CSV: {}", source, state.line, reason));
    }
    pos = end;
    ++state.line;
  }
  --state.line;  // csv_fini completes the record on the last line fed
  if (csv_fini(&parser, OnField, OnRecord, &state) != 0) {
    std::string reason = csv_strerror(csv_error(&parser));
    csv_free(&parser);
    return InvalidInput(fmt::format("{}:{}: malformed CSV: {} (unterminated quoted field?)",
                                    source, state.line, reason));
  }
  csv_free(&parser);

  if (state.records.empty()) {
    return InvalidInput(fmt::format("{}: empty file: expected a header row", source));
  }
  CsvTable table;
  table.source = std::string(source);
  table.header = std::move(state.records.front().fields);
  std::set<std::string> seen;
  for (size_t i = 0; i < table.header.size(); ++i) {
    std::string& name = table.header[i];
    // Tolerate surrounding spaces in names.
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    if (name.empty()) {
      return InvalidInput(fmt::format("{}:1: header column {} has no name", source, i + 1));
    }
    if (!seen.insert(name).second) {
      return InvalidInput(fmt::format("{}:1: header column '{}' appears twice", source, name));
    }
  }
  for (size_t r = 1; r < state.records.size(); ++r) {
    CsvRecord& rec = state.records[r];
    if (rec.fields.size() != table.header.size()) {
      return InvalidInput(fmt::format("{}:{}: expected {} fields as in the header, got {}", source,
                                      rec.line, table.header.size(), rec.fields.size()));
    }
    table.rows.push_back(std::move(rec));
  }
  return table;
}

std::string CsvField(std::string_view value) {
  std::string out(value.size() * 2 + 2, '\0');
  size_t n = csv_write(out.data(), out.size(), value.data(), value.size());
  out.resize(n);
  // csv_write always quotes; keep plain fields plain for readability.
  if (value.find_first_of(",\"\r\n") == std::string_view::npos &&
      (value.empty() || (value.front() != ' ' && value.front() != '\t' && value.back() != ' ' &&
                         value.back() != '\t'))) {
    return std::string(value);
  }
  return out;
}

}  // namespace infersave::io

#include "io/text.h"

namespace infersave::io {

std::string_view CellReader::Text(std::string_view column) const {
  auto index = table_.Column(column);
  if (!index) return {};
  return Trim(record_.fields[*index]);
}

std::string CellReader::Where(std::string_view column) const {
  return fmt::format("{}:{}: column '{}'", table_.source, record_.line, column);
}

Result<std::optional<double>> CellReader::Number(std::string_view column, bool required,
                                                 bool allow_zero) const {
  std::string_view text = Text(column);
  if (text.empty()) {
    if (required) return InvalidInput(fmt::format("{}: missing value", Where(column)));
    return std::optional<double>();
  }
  std::optional<double> value = ParseNumber(text);
  if (!value) {
    return InvalidInput(fmt::format("{}: expected a number, got {}", Where(column), Quote(text)));
  }
  if (*value < 0 || (*value == 0 && !allow_zero)) {
    return InvalidInput(fmt::format("{}: expected a {} number, got {}", Where(column),
                                    allow_zero ? "non-negative" : "positive", text));
  }
  return value;
}

Status RequireColumns(const CsvTable& table, const std::vector<std::string_view>& columns) {
  for (std::string_view c : columns) {
    if (!table.Column(c)) {
      return InvalidInput(fmt::format("{}:1: missing required column '{}'", table.source, c));
    }
  }
  return Status::Ok();
}

}  // namespace infersave::io
