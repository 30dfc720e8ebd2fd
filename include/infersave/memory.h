// GPU memory need and KV cache offloading (paper Table II, Algorithm 1;
// method.md section 3).
#pragma once

#include "infersave/engine.h"
#include "infersave/hardware.h"
#include "infersave/model.h"
#include "infersave/workload.h"

namespace infersave {

// Which formulas size the activations: the paper's Table II
// (2 x (L_in + L_out) x BS x h1, no byte factor) or this project's prefill
// workspace model (hidden states, MLP intermediate, attention scores unless
// fused, logits; method.md section 3).
enum class MemoryStyle { kPaper, kWorkspace };

// Memory on one GPU of a model replica sharded over `tp` GPUs (tensor
// parallelism: weights, KV heads and activations split), bytes.
struct MemoryBreakdown {
  double weights_bytes = 0;       // Mem_model = parameters x b
  double kv_bytes = 0;            // Mem_KV for the whole batch at full context
  double kv_per_layer_bytes = 0;  // Mem_KV of the largest layer (a full-attention one)
  double layer_weight_bytes = 0;  // weights / n: what streaming one layer moves
  double activation_bytes = 0;    // Mem_activation (peak transient)
  double reserve_bytes = 0;       // engine runtime reserve (CUDA context, ...)
  double budget_bytes = 0;        // usable GPU memory: utilization x GPU memory
  double base_bytes() const { return weights_bytes + activation_bytes + reserve_bytes; }
  // Mem_avail: what is left for the KV cache; negative when even the base does not fit.
  double available_bytes() const { return budget_bytes - base_bytes(); }
};

// Bytes per parameter of each part of a model whose weights are stored as
// `weights`. 16- and 32-bit formats store everything alike. Quantised formats
// store the linear layers they cover (the checkpoint's quantization_config
// when it is the same format, else every decoder linear layer) and keep the
// embeddings, LM head, norms, routers, biases and vision tower in 16 bits,
// as AWQ, GPTQ, FP8 and MXFP4 checkpoints and vLLM's online FP8 do.
struct WeightBytesPerParam {
  double attention = 2;
  double dense_mlp = 2;
  double experts = 2;
  double lm_head = 2;
  double other = 2;  // embeddings, norms, routers, biases, vision tower
  bool attention_quantized = false;
  bool dense_mlp_quantized = false;
  bool experts_quantized = false;
};
WeightBytesPerParam WeightFormat(const ModelConfig& model, Precision weights);
// Bytes of all the model's weights stored as `weights` (one copy, unsharded).
double WeightBytes(const ModelConfig& model, const ParameterCount& params, Precision weights);

// KV-cache bytes of one token in one layer on one GPU of a `tp` split: K and
// V of the GPU's KV heads, or the MLA latent (kv_lora_rank + qk_rope_head_dim
// values, replicated on every GPU, as vLLM's MLA backends keep it).
double KvBytesPerTokenLayer(const ModelConfig& model, int tp, double bytes_per_value);
// KV-cache bytes one sequence of `context` tokens holds on one GPU: every
// full-attention layer holds the whole context, every windowed layer at most
// its window (the engine reserves the whole chunk of a chunked layer).
double KvBytesPerSequence(const ModelConfig& model, int64_t context, int tp, double bytes_per_value);

MemoryBreakdown ComputeMemory(const ModelConfig& model, const ParameterCount& params,
                              const Workload& workload, const EngineProfile& engine,
                              double gpu_memory_bytes, double gpu_memory_utilization,
                              MemoryStyle style, int tp = 1);

// Whether a model can be split over `tp` GPUs: the attention heads divide
// evenly, and the KV heads divide evenly or are replicated (tp a multiple of
// them), as vLLM and TensorRT-LLM require.
bool ValidTensorParallel(const ModelConfig& model, int tp);
// KV heads each GPU holds under `tp`-way tensor parallelism.
int64_t KvHeadsPerGpu(const ModelConfig& model, int tp);

// Outcome of Algorithm 1 for one GPU.
enum class Placement {
  kFits,       // everything on the GPU: C_off = 0
  kOffload,    // C_off > 0 of the KV cache lives in CPU memory
  kCannotRun,  // see OffloadDecision::blocker
};

enum class OffloadBlocker {
  kNone,
  kWeightsDoNotFit,       // budget < Mem_model (+ activations + reserve)
  kNoRoomForOneLayer,     // Mem_avail < one layer's KV
  kOffloadDisabled,       // --offload none, and the KV does not fit
  kEngineCannotOffload,   // the engine keeps all KV on the GPU
  kFixedRatioTooSmall,    // --offload RATIO below what the GPU needs
  kHostMemoryTooSmall,    // the offloaded part does not fit in host memory
};

struct OffloadDecision {
  Placement placement = Placement::kFits;
  OffloadBlocker blocker = OffloadBlocker::kNone;
  double ratio = 0;           // C_off, rounded up to the engine's step
  // Weight offloading (FlexGen-style), when the weights themselves do not fit:
  // the fraction kept on the GPU (rounded down to the engine's step); the
  // rest is streamed from CPU memory every forward pass.
  double weight_gpu_fraction = 1;
  double host_weight_bytes = 0;
  double required_ratio = 0;  // the smallest C_off the GPU memory allows
  double host_kv_bytes = 0;   // C_off x Mem_KV
  double kv_space_bytes = 0;  // GPU memory left for the KV cache (after any streamed weights)
  double host_available_bytes = 0;  // host memory minus the engine's host reserve
  double host_reserve_bytes = 0;    // what the engine keeps for itself on the host
};

enum class OffloadMode { kAuto, kNone, kFixed };

// Algorithm 1 for one replica, extended with weight offloading: when the
// weights leave no room for one layer's KV cache and the engine can stream
// weights, as many weights as fit stay on the GPU (streaming a byte of
// weights saves more transfer per step than a byte of KV), double-buffered
// for one layer, and the KV cache is placed in what remains. `fixed_ratio` is
// used with OffloadMode::kFixed (KV only). `host_memory_bytes` is the host
// memory available to this replica. OffloadMode::kNone disables both.
OffloadDecision DecideOffload(const MemoryBreakdown& memory, const EngineProfile& engine,
                              OffloadMode mode, double fixed_ratio, double host_memory_bytes);

}  // namespace infersave
