// libFuzzer target: ParseModelConfig on arbitrary bytes. It must return a
// value or an Error, never throw or crash; an accepted config must have the
// dimensions the rest of the library relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "infersave/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto model = infersave::ParseModelConfig(text, "fuzz.json");
  if (model.ok()) {
    const infersave::ModelConfig& m = *model;
    if (m.num_layers < 1 || m.hidden_size < 1 || m.num_heads < 1 || m.num_kv_heads < 1 || m.head_dim < 1 ||
        m.vocab_size < 1 || m.max_position_embeddings < 1 || m.experts_per_token > m.num_experts) {
      std::abort();
    }
    (void)infersave::CountParameters(m);
  } else if (model.error().message().empty()) {
    std::abort();
  }
  return 0;
}
