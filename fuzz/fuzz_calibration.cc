// libFuzzer target: ParseCalibration on arbitrary bytes. It must return a
// calibration or an Error, never throw or crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "infersave/calibration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cal = infersave::ParseCalibration(text, "fuzz.json");
  if (cal.ok()) {
    for (const infersave::CtcfEntry& e : cal->entries) {
      if (!(e.alpha > 0) || e.gpu.empty() || e.engine.empty()) std::abort();
      if (cal->Find(e.gpu, e.engine, e.phase) != &e) std::abort();
    }
  } else if (cal.error().message().empty()) {
    std::abort();
  }
  return 0;
}
