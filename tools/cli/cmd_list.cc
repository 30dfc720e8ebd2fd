// `infersave models`, `infersave instances`, `infersave engines`.
#include <iostream>
#include <sstream>

#include "common.h"

namespace infersave::cli {

namespace {

int Print(const Status& status, const std::ostringstream& out) {
  if (!status.ok()) return ReportError(status.error());
  std::cout << out.str();
  std::cout.flush();
  return kExitOk;
}

}  // namespace

int RunModels(const std::string& format) {
  std::ostringstream out;
  return Print(WriteModelList(out, format), out);
}

int RunInstances(const std::string& catalog, const std::string& gpu_table, const std::string& format) {
  std::ostringstream out;
  return Print(WriteInstanceList(catalog, gpu_table, LocalFiles(), out, format), out);
}

int RunEngines(const std::string& format) {
  std::ostringstream out;
  return Print(WriteEngineList(out, format), out);
}

}  // namespace infersave::cli
