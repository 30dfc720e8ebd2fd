// The batch workload the planner sizes for (method.md sections 1-2).
#pragma once

#include <cstdint>
#include <string_view>

#include "infersave/hardware.h"
#include "infersave/model.h"
#include "infersave/status.h"

namespace infersave {

// Largest values accepted, so that no product of sizes can overflow or
// describe something no instance could hold. Beyond them a value is a typo.
inline constexpr int64_t kMaxBatchSize = 1 << 20;        // requests per batch
inline constexpr int64_t kMaxSequenceTokens = 1 << 24;   // input or output tokens
inline constexpr int64_t kMaxRequests = 1'000'000'000'000;

struct Workload {
  int64_t batch_size = 32;   // BS: requests processed together (per replica)
  int64_t input_len = 128;   // L_in: prompt tokens per request
  int64_t output_len = 512;  // L_out: generated tokens per request
  int64_t requests = 3000;   // R: requests in the job
  Precision weight_precision = Precision::kFp16;  // b for weights
  Precision kv_precision = Precision::kFp16;      // b for the KV cache

  int64_t context_len() const { return input_len + output_len; }
};

// Checks every field is in range and that L_in + L_out fits the model's
// context window. Fails with kInvalidArgument naming the field and the range.
Status ValidateWorkload(const Workload& workload, const ModelConfig& model);

}  // namespace infersave
