// The data shipped inside the binary (data/: model configs, GPU table,
// catalogs, engine profiles, calibrations), and loaders that take either a
// shipped name or a path to a user's file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/calibration.h"
#include "infersave/engine.h"
#include "infersave/file_source.h"
#include "infersave/hardware.h"
#include "infersave/model.h"
#include "infersave/status.h"

namespace infersave {

struct ShippedFile {
  std::string_view path;  // relative to data/, e.g. "models/opt-2.7b.json"
  std::string_view text;
};

// Every shipped file, sorted by path.
const std::vector<ShippedFile>& ShippedFiles();
std::optional<std::string_view> ShippedText(std::string_view path);

std::vector<std::string> ShippedModelNames();
std::vector<std::string> ShippedCatalogNames();
std::vector<std::string> ShippedEngineNames();
std::vector<std::string> ShippedCalibrationNames();

// Reads a whole text file (at most 64 MiB). Errors say which file and why.
Result<std::string> ReadTextFile(const std::string& path);

// The one rule, for every loader, that tells a file path from a shipped or
// built-in name: an argument is a path when it contains '/' or ends in .json
// or .csv (any case). "runs.csv" and "./runs.csv" are both files; "aws" and
// "llama-3.1-8b" are names.
bool IsPathArgument(std::string_view arg);

// A shipped name (case-insensitive) or, when IsPathArgument(argument), a
// file read through `files` (NoFiles() refuses paths). Unknown names fail
// with kNotFound and a "did you mean" hint.
Result<ModelConfig> LoadModel(std::string_view name_or_path, const FileSource& files = LocalFiles());
// "" = shipped data/gpus.csv
Result<GpuTable> LoadGpuTable(std::string_view path, const FileSource& files = LocalFiles());
Result<Catalog> LoadCatalog(std::string_view name_or_path, const GpuTable& gpus, std::string_view region = "",
                            const FileSource& files = LocalFiles());
Result<EngineProfile> LoadEngine(std::string_view name_or_path, const FileSource& files = LocalFiles());
Result<Calibration> LoadCalibration(std::string_view name_or_path, const FileSource& files = LocalFiles());

}  // namespace infersave
