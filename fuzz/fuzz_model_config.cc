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
        m.vocab_size < 1 || m.max_position_embeddings < 1 || m.experts_per_token > m.num_experts ||
        m.windowed_layers < 0 || m.windowed_layers > m.num_layers || m.moe_layers < 0 || m.moe_layers > m.num_layers ||
        (m.windowed_layers > 0 && m.window_tokens < 1)) {
      std::abort();
    }
    const infersave::ParameterCount c = infersave::CountParameters(m);
    if (c.total < c.decoder || c.active_per_token > c.total) std::abort();
  } else if (model.error().message().empty()) {
    std::abort();
  }
  return 0;
}
