// libFuzzer target: ParseWorkloadFile on arbitrary bytes (no files beside it: referenced files fail to
// open): a workload or an Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "infersave/serving_workload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto workload = infersave::ParseWorkloadFile(text, "fuzz.json", "/nonexistent-fuzz-dir");
  if (!workload.ok() && workload.error().message().empty()) std::abort();
  return 0;
}
