// libFuzzer target: ParseGpuTable on arbitrary bytes: a GPU table or an Error; an accepted table's
// GPUs have positive memory and bandwidth and resolve by name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "infersave/hardware.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = infersave::ParseGpuTable(text, "fuzz.csv");
  if (table.ok()) {
    for (const infersave::GpuSpec& g : table->gpus()) {
      if (!(g.memory_bytes > 0) || !(g.memory_bytes_per_s > 0) || table->Find(g.name) == nullptr) std::abort();
    }
  } else if (table.error().message().empty()) {
    std::abort();
  }
  return 0;
}
