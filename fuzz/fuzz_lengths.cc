// libFuzzer target: ParseLengthsFile and ParseLengthSpec on arbitrary bytes: positive token counts or
// an Error; a spec that parses draws a few requests (the samplers must neither hang nor give a
// length below 1).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "infersave/serving_workload.h"
#include "infersave/simulator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto lengths = infersave::ParseLengthsFile(text, "fuzz.txt");
  if (lengths.ok()) {
    for (int64_t n : *lengths) {
      if (n < 1) std::abort();
    }
  } else if (lengths.error().message().empty()) {
    std::abort();
  }
  auto spec = infersave::ParseLengthSpec(text, "--prompt-tokens");
  if (!spec.ok()) {
    if (spec.error().message().empty()) std::abort();
    return 0;
  }
  infersave::WorkloadSpec w;
  w.rate_per_s = 1;
  w.num_requests = 16;
  w.prompt = *spec;
  w.output = *spec;
  auto requests = infersave::GenerateRequests(w);
  if (!requests.ok()) {
    if (requests.error().message().empty()) std::abort();
    return 0;
  }
  for (const infersave::Request& r : *requests) {
    if (r.prompt_tokens < 1 || r.output_tokens < 1) std::abort();
  }
  return 0;
}
