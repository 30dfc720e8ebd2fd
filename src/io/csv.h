// RFC 4180 CSV reading and writing on top of libcsv, with the line number of
// every record so that messages can say where.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/status.h"

namespace infersave::io {

struct CsvRecord {
  int line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

struct CsvTable {
  std::string source;
  std::vector<std::string> header;
  std::vector<CsvRecord> rows;  // data rows, header excluded; blank lines skipped

  // Index of a header column (case-sensitive), or nullopt.
  std::optional<size_t> Column(std::string_view name) const;
};

// Parses CSV text. Fails on malformed quoting, an empty input, a header with
// an empty or repeated name, or a row whose field count differs from the
// header's; messages are "source:line: ...".
Result<CsvTable> ParseCsv(std::string_view text, std::string_view source);

// Quotes a field for CSV output when it needs it.
std::string CsvField(std::string_view value);

}  // namespace infersave::io

namespace infersave::io {

// Reads typed cells of one record, with messages of the form
// "source:line: column 'Price': expected a number, got \"n/a\"".
class CellReader {
 public:
  CellReader(const CsvTable& table, const CsvRecord& record) : table_(table), record_(record) {}

  // The trimmed text of a column, "" when the column is absent.
  std::string_view Text(std::string_view column) const;
  // A number; nullopt when the cell is empty (or the column absent) and
  // `required` is false. Fails on non-numbers, and on values <= 0 (or < 0
  // when `allow_zero`).
  Result<std::optional<double>> Number(std::string_view column, bool required,
                                       bool allow_zero = false) const;
  // "source:line: column 'X'" for custom messages.
  std::string Where(std::string_view column) const;
  int line() const { return record_.line; }

 private:
  const CsvTable& table_;
  const CsvRecord& record_;
};

// Fails with "source:1: missing required column 'X'" when any is absent.
Status RequireColumns(const CsvTable& table, const std::vector<std::string_view>& columns);

}  // namespace infersave::io
