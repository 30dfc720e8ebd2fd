// Reading the public datasets' files (src/calibrate/dataset_io.h).
#include "calibrate/dataset_io.h"


#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <system_error>

#include "infersave/model.h"
#include "infersave/shipped.h"
#include "io/csv.h"
#include "io/text.h"


namespace infersave::dataset_io {

namespace fs = std::filesystem;

// ---- Reading files -----------------------------------------------------------

std::string JoinPath(std::string_view dir, std::string_view relative) {
  return (fs::path(std::string(dir)) / fs::path(std::string(relative))).string();
}

Status RequireFolder(std::string_view dir) {
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(fs::path(std::string(dir)), ec)) {
    return InvalidInput(fmt::format("validation data folder '{}' not found", dir));
  }
  return Status::Ok();
}

namespace {

// Appends empty fields to unquoted lines that have fewer fields than the
// header (Argonne's TTFT file leaves the last column off its last rows), so
// that the strict CSV parser accepts them; line numbers are unchanged.
std::string PadShortRows(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 64);
  size_t header_commas = std::string_view::npos;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t newline = text.find('\n', pos);
    const size_t end = newline == std::string_view::npos ? text.size() : newline;
    std::string_view line = text.substr(pos, end - pos);
    const bool cr = !line.empty() && line.back() == '\r';
    if (cr) line.remove_suffix(1);
    const size_t commas = static_cast<size_t>(std::count(line.begin(), line.end(), ','));
    out.append(line);
    if (header_commas == std::string_view::npos) {
      header_commas = commas;
    } else if (!io::Trim(line).empty() && line.find('"') == std::string_view::npos && commas < header_commas) {
      out.append(header_commas - commas, ',');
    }
    if (cr) out.push_back('\r');
    if (newline != std::string_view::npos) out.push_back('\n');
    pos = end + 1;
  }
  return out;
}

// Quotes unquoted fields that contain a double quote (the FlexGen file has
// 'compression (README says only "with Compression"; ...)' bare), which the
// strict CSV parser rejects. Well-formed CSV passes through unchanged.
std::string QuoteBareQuotes(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  size_t i = 0;
  while (i < text.size()) {
    // At the start of a field.
    if (text[i] == '"') {
      // A quoted field: copy through its closing quote ("" is an escaped quote).
      out.push_back(text[i++]);
      while (i < text.size()) {
        const char c = text[i++];
        out.push_back(c);
        if (c == '"') {
          if (i < text.size() && text[i] == '"') {
            out.push_back(text[i++]);
          } else {
            break;
          }
        }
      }
    }
    const size_t end = text.find_first_of(",\r\n", i);
    std::string_view field = text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (field.find('"') != std::string_view::npos) {
      out.push_back('"');
      for (char c : field) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
      }
      out.push_back('"');
    } else {
      out.append(field);
    }
    if (end == std::string_view::npos) break;
    out.push_back(text[end]);
    i = end + 1;
  }
  return out;
}

// pandas writes its row index as a first column with an empty name (Vidur's
// network files); the CSV parser needs every column named.
std::string NameIndexColumn(std::string text) {
  if (!text.empty() && text.front() == ',') text.insert(0, "index");
  return text;
}

}  // namespace

// Reads a third-party CSV file, repairing the quirks above.
Result<io::CsvTable> ReadCsvFile(const FileSource& files, const std::string& path, bool pad_short_rows) {
  auto text = files.Read(path);
  if (!text.ok()) return text.error();
  std::string_view raw = *text;
  if (raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);  // UTF-8 byte order mark
  const std::string body = pad_short_rows ? PadShortRows(raw) : std::string(raw);
  return io::ParseCsv(NameIndexColumn(QuoteBareQuotes(body)), path);
}

// A positive whole number.
Result<int64_t> WholeNumber(const io::CellReader& cells, std::string_view column) {
  auto v = cells.Number(column, /*required=*/true);
  if (!v.ok()) return v.error();
  const double x = **v;
  if (x != std::floor(x) || x > 1e15) {
    return InvalidInput(fmt::format("{}: expected a whole number, got {}", cells.Where(column),
                                    io::Quote(cells.Text(column))));
  }
  return static_cast<int64_t>(x);
}

Result<double> PositiveNumber(const io::CellReader& cells, std::string_view column) {
  auto v = cells.Number(column, /*required=*/true);
  if (!v.ok()) return v.error();
  return **v;
}


}  // namespace infersave::dataset_io
