// libFuzzer target: ParseLengthsFile and ParseLengthSpec on arbitrary bytes: positive token counts or
// an Error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "infersave/serving_workload.h"

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
  if (!spec.ok() && spec.error().message().empty()) std::abort();
  return 0;
}
