// Loaders for shipped data and users' files.
#include "infersave/shipped.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

#include "io/text.h"

namespace infersave {

// Defined in the generated shipped_data.cc.
extern const ShippedFile kShippedFiles[];
extern const size_t kShippedFileCount;

const std::vector<ShippedFile>& ShippedFiles() {
  static const std::vector<ShippedFile> files = [] {
    std::vector<ShippedFile> v(kShippedFiles, kShippedFiles + kShippedFileCount);
    std::sort(v.begin(), v.end(), [](const ShippedFile& a, const ShippedFile& b) { return a.path < b.path; });
    return v;
  }();
  return files;
}

std::optional<std::string_view> ShippedText(std::string_view path) {
  for (const ShippedFile& f : ShippedFiles()) {
    if (f.path == path) return f.text;
  }
  return std::nullopt;
}

bool IsPathArgument(std::string_view arg) {
  auto ends = [&](std::string_view ext) {
    return arg.size() > ext.size() && io::EqualsIgnoreCase(arg.substr(arg.size() - ext.size()), ext);
  };
  return arg.find('/') != std::string_view::npos || ends(".json") || ends(".csv");
}

namespace {

// Names of shipped files in a folder with a given extension, without either.
std::vector<std::string> NamesIn(std::string_view folder, std::string_view ext) {
  std::vector<std::string> names;
  for (const ShippedFile& f : ShippedFiles()) {
    std::string_view p = f.path;
    if (p.substr(0, folder.size()) != folder || p.size() <= folder.size() + ext.size()) continue;
    if (p.substr(p.size() - ext.size()) != ext) continue;
    std::string_view stem = p.substr(folder.size(), p.size() - folder.size() - ext.size());
    if (stem.find('/') == std::string_view::npos) names.emplace_back(stem);
  }
  return names;
}

struct Text {
  std::string source;  // shipped name or the path, for messages
  std::string body;
};

// Resolves a shipped name in `folder` or reads a file.
Result<Text> Resolve(std::string_view arg, std::string_view what, std::string_view folder, std::string_view ext,
                     std::string_view list_command, const FileSource& files) {
  std::string_view trimmed = io::Trim(arg);
  if (trimmed.empty()) return InvalidArgument(fmt::format("empty {} name", what));
  if (IsPathArgument(trimmed)) {
    auto body = files.Read(trimmed);
    if (!body.ok()) return body.error();
    return Text{std::string(trimmed), std::move(body).value()};
  }
  std::vector<std::string> names = NamesIn(folder, ext);
  for (const std::string& name : names) {
    if (io::EqualsIgnoreCase(name, trimmed)) {
      return Text{name, std::string(*ShippedText(fmt::format("{}{}{}", folder, name, ext)))};
    }
  }
  // Few names are listed here; many are left to the command that lists them.
  std::string shipped = names.size() <= 6 || list_command.empty() ? fmt::format("shipped: {}", fmt::join(names, ", "))
                                           : fmt::format("`{}` lists the shipped ones", list_command);
  std::string name = io::Quote(trimmed);
  name = fmt::format("'{}'", std::string_view(name).substr(1, name.size() - 2));
  return NotFound(fmt::format("unknown {} {}{} ({}; or give a path to a {} file)", what, name,
                              io::DidYouMean(trimmed, names), shipped, ext));
}

}  // namespace

std::vector<std::string> ShippedModelNames() { return NamesIn("models/", ".json"); }
std::vector<std::string> ShippedCatalogNames() { return NamesIn("catalogs/", ".csv"); }
std::vector<std::string> ShippedCalibrationNames() { return NamesIn("calibrations/", ".json"); }

std::vector<std::string> ShippedEngineNames() {
  std::vector<std::string> names;
  auto engines = ParseEngineProfiles(*ShippedText("engines.json"), "engines.json");
  if (engines.ok()) {
    for (const EngineProfile& e : *engines) names.push_back(e.name);
  }
  return names;
}

Result<std::string> ReadTextFile(const std::string& path) {
  constexpr size_t kMaxBytes = size_t{64} << 20;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return IoError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) return IoError(fmt::format("cannot read {}: it is a directory", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::string body;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    body.append(buffer, static_cast<size_t>(in.gcount()));
    if (body.size() > kMaxBytes) {
      return InvalidInput(fmt::format("cannot read {}: larger than {} MiB", path, kMaxBytes >> 20));
    }
  }
  return body;
}

namespace {

class LocalFileSource final : public FileSource {
 public:
  Result<std::string> Read(std::string_view path) const override { return ReadTextFile(std::string(path)); }
};

class NoFileSource final : public FileSource {
 public:
  Result<std::string> Read(std::string_view path) const override {
    return InvalidArgument(fmt::format("file paths are not accepted here, got {} (name shipped data, or send the "
                                       "file's content)",
                                       io::Quote(path)));
  }
};

}  // namespace

const FileSource& LocalFiles() {
  static const LocalFileSource source;
  return source;
}

const FileSource& NoFiles() {
  static const NoFileSource source;
  return source;
}

Result<ModelConfig> LoadModel(std::string_view name_or_path, const FileSource& files) {
  auto text = Resolve(name_or_path, "model", "models/", ".json", "infersave models", files);
  if (!text.ok()) return text.error();
  auto model = ParseModelConfig(text->body, text->source);
  if (model.ok() && !IsPathArgument(io::Trim(name_or_path))) model->name = text->source;
  return model;
}

Result<GpuTable> LoadGpuTable(std::string_view path, const FileSource& files) {
  if (path.empty()) return ParseGpuTable(*ShippedText("gpus.csv"), "gpus.csv");
  auto body = files.Read(path);
  if (!body.ok()) return body.error();
  return ParseGpuTable(*body, path);
}

Result<Catalog> LoadCatalog(std::string_view name_or_path, const GpuTable& gpus, std::string_view region,
                            const FileSource& files) {
  auto text = Resolve(name_or_path, "catalog", "catalogs/", ".csv", "", files);
  if (!text.ok()) return text.error();
  auto catalog = ParseCatalog(text->body, text->source, gpus, region);
  if (catalog.ok()) catalog->name = text->source;
  return catalog;
}

Result<EngineProfile> LoadEngine(std::string_view name_or_path, const FileSource& files) {
  std::string_view arg = io::Trim(name_or_path);
  if (IsPathArgument(arg)) {
    auto body = files.Read(arg);
    if (!body.ok()) return body.error();
    auto engines = ParseEngineProfiles(*body, arg);
    if (!engines.ok()) return engines.error();
    if (engines->size() != 1) {
      return InvalidInput(fmt::format("{}: expected one engine profile, found {}", arg, engines->size()));
    }
    return engines->front();
  }
  auto engines = ParseEngineProfiles(*ShippedText("engines.json"), "engines.json");
  if (!engines.ok()) return engines.error();
  std::vector<std::string> names;
  for (const EngineProfile& e : *engines) {
    if (io::EqualsIgnoreCase(e.name, arg)) return e;
    names.push_back(e.name);
  }
  std::string quoted = io::Quote(arg);
  return NotFound(fmt::format("unknown engine '{}'{} (shipped: {}; or give a path to a .json profile)",
                              quoted.substr(1, quoted.size() - 2), io::DidYouMean(arg, names), fmt::join(names, ", ")));
}

Result<Calibration> LoadCalibration(std::string_view name_or_path, const FileSource& files) {
  auto text = Resolve(name_or_path, "calibration", "calibrations/", ".json", "", files);
  if (!text.ok()) return text.error();
  return ParseCalibration(text->body, text->source);
}

}  // namespace infersave
