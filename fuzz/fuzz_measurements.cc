// libFuzzer target: ParseMeasurements on arbitrary bytes: rows or an Error; an accepted row has a GPU,
// an engine, a model and at least one measured value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "infersave/measurements.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = infersave::ParseMeasurements(text, "fuzz.csv");
  if (rows.ok()) {
    for (const infersave::Measurement& m : *rows) {
      if (m.gpu.empty() || m.engine.empty() || m.model.empty()) std::abort();
      if (!m.prefill_s && !m.decode_s_per_token && !m.total_s && !m.throughput_tps) std::abort();
    }
  } else if (rows.error().message().empty()) {
    std::abort();
  }
  return 0;
}
