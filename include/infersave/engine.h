// Inference engine profiles: how efficiently an engine uses the hardware and
// how it moves data (method.md section 4, weakness 5). Shipped profiles live in
// data/engines.json, each value with the source of its default.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "infersave/hardware.h"
#include "infersave/status.h"

namespace infersave {

struct EngineProfile {
  std::string name;         // "flexgen", "vllm", ...
  std::string description;  // one line, for listings
  // What a deployment installs (`pip install ...`), pinned to the release
  // the profile's defaults describe; "" = the engine is not installed by pip.
  std::string pip_package;

  // Fraction of the GPU's peak tensor FLOP/s that large GEMMs reach in
  // prefill (many tokens) and decode (one token per sequence).
  double prefill_compute_efficiency = 0.6;
  double decode_compute_efficiency = 0.5;
  // Fraction of peak memory bandwidth reached when streaming weights and KV.
  double memory_efficiency = 0.8;
  // Fraction of the host link's per-direction peak reached by bulk copies.
  double host_link_efficiency = 0.8;
  // Fraction of the GPU-to-GPU link's per-direction peak that all-reduce
  // reaches (NCCL bus bandwidth / link peak).
  double collective_efficiency = 0.7;
  // Fixed cost of one all-reduce (launch, synchronisation, small-message
  // protocol), seconds; Vidur measures 20-40 us on NVLink systems.
  double collective_latency_s = 25e-6;
  // Fixed cost of one GEMM or attention kernel beyond its roofline time
  // (launch tail, wave quantisation), seconds; Vidur's small GEMMs show 3-6 us.
  double kernel_latency_s = 0;
  // Fixed time per transformer layer per forward pass (kernel launches,
  // framework work), seconds.
  double layer_overhead_s = 0;
  // Fixed time per forward pass (scheduling, sampling, Python), seconds.
  double step_overhead_s = 0;
  // Whether KV reads from and writes to CPU memory overlap computation
  // (FlexGen prefetches the next layer's cache while computing this one).
  bool overlap_prefill_offload = true;
  bool overlap_decode_offload = true;
  // Fused attention (FlashAttention-style) never materialises the L x L
  // score matrix and computes only the causal half.
  bool fused_attention = false;
  // Elementwise kernels per layer (fused residual-add + norm, rotary,
  // activation), each costing kernel_latency_s beyond its bytes.
  long elementwise_kernels = 4;
  // Added to collective_latency_s per GPU beyond two in an all-reduce.
  double collective_latency_per_gpu_s = 0;
  // All-reduce between GPUs without peer-to-peer access (GpuSpec::peer_to_peer
  // false): NCCL stages the data through host memory. Its bus bandwidth as a
  // fraction of the PCIe per-direction peak (replaces collective_efficiency),
  // and the factor on the fixed cost.
  double host_staged_collective_efficiency = 0.5;
  double host_staged_latency_factor = 1.2;
  // How gpu_memory_utilization bounds the KV cache: false = a fraction of the
  // whole GPU memory for everything (vLLM's gpu_memory_utilization); true = a
  // fraction of what the weights, activations and runtime leave
  // (TensorRT-LLM's kv_cache_free_gpu_mem_fraction).
  bool kv_fraction_of_free = false;
  // CPU work per sequence in every engine step (scheduling, sampling,
  // detokenisation), seconds; added to each decode step per sequence.
  double per_sequence_step_s = 0;
  // Decode attention: the fraction of peak bandwidth its kernel reads the KV
  // cache at, and its fixed cost per layer and step.
  double decode_attention_efficiency = 0.8;
  double decode_attention_latency_s = 4e-6;
  // Where the engine runs (issue 11; each value sourced in data/engines.json).
  std::vector<std::string> vendors = {"nvidia"};  // GPU vendors it has builds for
  double min_compute_capability = 0;         // NVIDIA GPUs below it cannot run it
  // Below this compute capability it runs without FlashAttention: predicted
  // with unfused attention (scores written to memory) and a warning.
  double fused_attention_min_compute_capability = 0;
  // On an ARM (aarch64) host, NVIDIA GPUs below this have no prebuilt engine.
  double arm_host_min_compute_capability = 0;
  // Prefill tokens processed per forward pass (chunked prefill); 0 = the
  // whole batch's prompts in one pass.
  long prefill_chunk_tokens = 0;
  // Granularity of the KV offload ratio (FlexGen places whole percents:
  // 0.01); 0 = continuous.
  double offload_step = 0.01;
  // Whether the engine can keep part of the KV cache in CPU memory.
  bool supports_kv_offload = true;
  // Whether the engine can keep part of the weights in CPU memory and stream
  // them to the GPU every forward pass (FlexGen; vLLM's --cpu-offload-gb).
  bool supports_weight_offload = false;
  // GPU memory the engine itself holds outside weights, KV and activations
  // (CUDA context, allocator slack, CUDA graphs), bytes.
  double runtime_reserve_bytes = 0;
  // Host memory kept free for the OS and the engine process, bytes.
  double host_reserve_bytes = 0;
  // Fraction of GPU memory the engine may use (vLLM's gpu_memory_utilization).
  double gpu_memory_utilization = 0.9;
  // Formats the engine can run weights and the KV cache in.
  std::vector<Precision> weight_formats = {Precision::kFp16, Precision::kBf16, Precision::kFp32};
  std::vector<Precision> kv_formats = {Precision::kFp16, Precision::kBf16, Precision::kFp32};
  // ---- Online serving (serving.h) ----
  // Whether the engine schedules requests iteration by iteration (continuous
  // batching); only such engines are planned for latency objectives.
  bool continuous_batching = false;
  // Sequences running at once (vLLM's max_num_seqs, TGI's
  // max_concurrent_requests, llama.cpp's --parallel slots), >= 1.
  long max_num_seqs = 256;
  // A larger default on GPUs with at least large_gpu_min_memory_gib of
  // memory (vLLM V1: 1024 on 70 GiB and more, except the A100); 0 = none.
  long max_num_seqs_large_gpu = 0;
  double large_gpu_min_memory_gib = 0;
  std::vector<std::string> large_gpu_exceptions;  // GPU names left at max_num_seqs
  // The engine's default for `gpu`: max_num_seqs_large_gpu on a large GPU, else max_num_seqs.
  long MaxSequences(const GpuSpec& gpu) const;
  // Tokens per KV cache block (vLLM's block_size), >= 1.
  long kv_block_tokens = 16;
  // When the KV cache runs out: true = swap the preempted sequence's blocks to
  // CPU memory over the host link, false = drop them and recompute.
  bool swap_preemption = false;
  // Whether admission reserves KV blocks for the whole request (prompt and
  // every output token) up front, as TGI and TensorRT-LLM's
  // GUARANTEED_NO_EVICT policy do: no preemption, fewer sequences at once.
  bool reserve_output_kv = false;
  // Whether an iteration mixes prefill chunks with decodes; when false,
  // prefills run alone and pause decoding (EngineLimits::mixed_batches).
  bool mixed_prefill_decode = true;
  // Shipped calibration applied when the user names none ("" = none).
  std::string default_calibration;
};

// Checks ranges (efficiencies in (0, 1], overheads >= 0, ...); the message
// names `source` and the field.
Status ValidateEngineProfile(const EngineProfile& engine, std::string_view source);

// Parses a JSON file holding either one profile object or {"engines": [...]}.
// Unknown keys are errors (a typo must not silently fall back to a default);
// keys starting with '_' are notes and are ignored.
Result<std::vector<EngineProfile>> ParseEngineProfiles(std::string_view json_text,
                                                       std::string_view source);

}  // namespace infersave
