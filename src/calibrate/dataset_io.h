// Reading the public datasets' files (src/calibrate/dataset_io.cc): paths,
// tolerant CSV reading, and the cell checks every adapter shares.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "infersave/file_source.h"
#include "infersave/status.h"
#include "io/csv.h"

namespace infersave::dataset_io {

std::string JoinPath(std::string_view dir, std::string_view relative);
// kInvalidInput naming the folder when it is not one.
Status RequireFolder(std::string_view dir);
// A CSV file of a dataset, repaired where the source is known to be loose
// (bare quotes, an unnamed index column; `pad_short_rows`: rows missing
// their last fields).
Result<io::CsvTable> ReadCsvFile(const FileSource& files, const std::string& path, bool pad_short_rows = false);
Result<int64_t> WholeNumber(const io::CellReader& cells, std::string_view column);
Result<double> PositiveNumber(const io::CellReader& cells, std::string_view column);

}  // namespace infersave::dataset_io
