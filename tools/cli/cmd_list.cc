// `infersave models`, `infersave instances`, `infersave engines`.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <iostream>

#include "common.h"
#include "infersave/shipped.h"

namespace infersave::cli {

int RunModels(const std::string& format_text) {
  auto format = ParseOutputFormat(format_text);
  if (!format.ok()) return ReportError(format.error());
  std::vector<ModelConfig> models;
  for (const std::string& name : ShippedModelNames()) {
    auto m = LoadModel(name);
    if (!m.ok()) return ReportError(m.error());
    models.push_back(std::move(m).value());
  }
  WriteModels(std::cout, models, *format);
  return kExitOk;
}

int RunInstances(const std::string& catalog_name, const std::string& gpu_table, const std::string& format_text) {
  auto format = ParseOutputFormat(format_text);
  if (!format.ok()) return ReportError(format.error());
  auto gpus = LoadGpuTable(gpu_table);
  if (!gpus.ok()) return ReportError(gpus.error());
  auto catalog = LoadCatalog(catalog_name, *gpus);
  if (!catalog.ok()) return ReportError(catalog.error());
  WriteInstances(std::cout, *catalog, *format);
  return kExitOk;
}

int RunEngines(const std::string& format_text) {
  auto format = ParseOutputFormat(format_text);
  if (!format.ok()) return ReportError(format.error());
  std::vector<EngineProfile> engines;
  for (const std::string& name : ShippedEngineNames()) {
    auto e = LoadEngine(name);
    if (!e.ok()) return ReportError(e.error());
    engines.push_back(std::move(e).value());
  }
  WriteEngines(std::cout, engines, *format);
  return kExitOk;
}

}  // namespace infersave::cli
