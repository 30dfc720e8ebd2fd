// Where the library's loaders get the files a request names (model configs,
// catalogs, engine profiles, calibrations, measurements, workload, trace and
// lengths files). Front ends inject one: the CLI reads the local file system
// (LocalFiles); a service refuses every path (NoFiles), so that a request can
// name shipped data or carry its files inline but never read a file of the
// server. Tests may supply files from memory.
#pragma once

#include <string>
#include <string_view>

#include "infersave/status.h"

namespace infersave {

class FileSource {
 public:
  virtual ~FileSource() = default;
  // The whole text of the file at `path`, or an error that names it.
  virtual Result<std::string> Read(std::string_view path) const = 0;
};

// Reads local files (at most 64 MiB each; see ReadTextFile in shipped.h).
const FileSource& LocalFiles();

// Refuses every path with kInvalidArgument ("file paths are not accepted
// here ...").
const FileSource& NoFiles();

}  // namespace infersave
