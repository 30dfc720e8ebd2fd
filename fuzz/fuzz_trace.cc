// libFuzzer target: ParseTrace on arbitrary bytes: requests sorted by arrival with positive lengths,
// or an Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "infersave/simulator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto trace = infersave::ParseTrace(text, "fuzz.csv");
  if (trace.ok()) {
    for (size_t i = 0; i < trace->size(); ++i) {
      const infersave::Request& r = (*trace)[i];
      if (r.prompt_tokens < 1 || r.output_tokens < 1) std::abort();
      if (i > 0 && r.arrival_s < (*trace)[i - 1].arrival_s) std::abort();
    }
  } else if (trace.error().message().empty()) {
    std::abort();
  }
  return 0;
}
