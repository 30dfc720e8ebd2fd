// libFuzzer target: ParseCatalog on arbitrary bytes, joined to the shipped
// GPU table. It must return a catalog or an Error, never throw or crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "infersave/hardware.h"
#include "infersave/shipped.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const infersave::GpuTable gpus = [] {
    auto table = infersave::LoadGpuTable("");
    if (!table.ok()) std::abort();
    return std::move(table).value();
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto catalog = infersave::ParseCatalog(text, "fuzz.csv", gpus);
  if (catalog.ok()) {
    if (catalog->instances.empty()) std::abort();
    for (const infersave::Instance& i : catalog->instances) {
      if (i.name.empty() || !(i.usd_per_hour > 0) || i.gpu_count < 1) std::abort();
      if (catalog->Find(i.name) == nullptr) std::abort();
    }
  } else if (catalog.error().message().empty()) {
    std::abort();
  }
  return 0;
}
