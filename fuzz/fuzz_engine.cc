// libFuzzer target: ParseEngineProfiles on arbitrary bytes. It must return
// profiles that pass ValidateEngineProfile, or an Error; never throw or crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "infersave/engine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto engines = infersave::ParseEngineProfiles(text, "fuzz.json");
  if (engines.ok()) {
    if (engines->empty()) std::abort();
    for (const infersave::EngineProfile& e : *engines) {
      if (e.name.empty() || !infersave::ValidateEngineProfile(e, "fuzz.json").ok()) std::abort();
    }
  } else if (engines.error().message().empty()) {
    std::abort();
  }
  return 0;
}
