// GPUs and cloud instance catalogs, as data (method.md section 8).
#pragma once

#include <array>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/status.h"

namespace infersave {

// Numeric formats a GPU can compute in.
// kFp4 is a 4-bit float with block scales (MXFP4: 32 values share an 8-bit
// scale; NVFP4 runs on the same tensor cores).
enum class Precision { kFp32 = 0, kFp16, kBf16, kFp8, kInt8, kInt4, kFp4 };
inline constexpr int kNumPrecisions = 7;

std::string_view PrecisionName(Precision p);
// Bytes per value for weights or cache stored in this format (INT4: 0.5).
double BytesPerValue(Precision p);
// Bytes per weight as stored, quantisation scales included: INT4 is group-wise
// (AWQ/GPTQ, groups of 128 with an FP16 scale and zero point: 0.5 + 4/128);
// FP4 is MXFP4 (one 8-bit scale per 32 values: 0.5 + 1/32).
double BytesPerWeight(Precision p);
// The tensor-core format the matrix multiplies run in for weights stored as
// `weights`: FP8 runs FP8 x FP8 (W8A8, Ada and Hopper); INT8 and INT4 are
// weight-only (dequantised to FP16, as AWQ, GPTQ and bitsandbytes kernels do);
// FP4 runs on FP4 tensor cores; 16- and 32-bit formats run as themselves.
Precision ComputePrecision(Precision weights);
struct GpuSpec;
// The same for one GPU: FP4 weights on a GPU without FP4 tensor cores are
// dequantised to BF16 (weight-only, as vLLM's MXFP4 Marlin and Triton
// kernels do on Ampere and Hopper).
Precision ComputePrecision(Precision weights, const GpuSpec& gpu);
// Parses "fp16", "float16", "bf16", "bfloat16", "fp32", "fp8", "int8", "int4", "fp4" ("mxfp4").
Result<Precision> ParsePrecision(std::string_view text);

// One GPU model. Rates are peaks from the vendor datasheet (dense, no
// sparsity); achieved fractions live in the engine profile and calibration.
struct GpuSpec {
  std::string name;                  // canonical, as in SkyPilot's AcceleratorName ("T4")
  std::vector<std::string> aliases;  // other spellings that resolve to this GPU
  std::string architecture;          // "turing", "volta", "ampere", "ada", "hopper", "blackwell", "cdna3", ...
  std::string vendor = "nvidia";     // "nvidia" or "amd"
  std::string silicon;               // the die ("GA100", "GH100"): parts that share it may share a calibration
  std::string skypilot_name;         // SkyPilot's accelerator name ("A100-80GB", "RTXPRO6000"); "" = not in its catalog
  double compute_capability = 0;     // CUDA compute capability (7.5, 8.0, 9.0, 10.0, ...); 0 for AMD
  double tdp_w = 0;                  // board or module power limit, watts; 0 unknown
  // Measured dense matmul throughput over the datasheet peak (BF16, FP8);
  // 0 = not measured. Engine efficiencies are relative to H100 SXM's.
  double sustained_bf16_fraction = 0;
  double sustained_fp8_fraction = 0;
  // The factor on the engine's compute efficiency for GEMMs in `precision`
  // on this GPU: its sustained fraction over H100 SXM's (1 when unmeasured).
  double TensorScale(Precision precision) const;
  // GPU memory per GPU a process can allocate (usable_memory_gib, else the
  // nominal memory_gib): one figure whichever cloud sells the GPU.
  double memory_bytes = 0;
  double memory_bytes_per_s = 0;     // peak memory bandwidth
  // Peak dense FLOP/s (or OP/s for integers) per precision; 0 = not supported.
  // kFp32 is the CUDA-core rate; the others are tensor-core rates.
  std::array<double, kNumPrecisions> flops{};
  double h2d_bytes_per_s = 0;        // host-to-device link, per direction
  double d2h_bytes_per_s = 0;        // device-to-host link, per direction
  std::string host_link;             // "PCIe 4.0 x16"
  std::string gpu_link;              // "PCIe", "NVLink3", ...
  double gpu_link_bytes_per_s = 0;   // GPU-to-GPU, as the vendor quotes it
  // Whether the GPUs of an instance reach each other directly (CUDA
  // peer-to-peer over NVLink or PCIe). False where the instance is known to
  // lack it (the catalog's GpuP2P column): NCCL then stages every collective
  // through host memory. True when unknown.
  bool peer_to_peer = true;
  std::string source;                // where the values come from (summary)
  std::string as_of;                 // date the values were checked

  double Flops(Precision p) const { return flops[static_cast<int>(p)]; }
};

// A GPU table with case-insensitive lookup by name or alias.
class GpuTable {
 public:
  GpuTable() = default;
  explicit GpuTable(std::vector<GpuSpec> gpus) : gpus_(std::move(gpus)) {}
  const std::vector<GpuSpec>& gpus() const { return gpus_; }
  // nullptr when no GPU has that name or alias.
  const GpuSpec* Find(std::string_view name) const;

 private:
  std::vector<GpuSpec> gpus_;
};

// Parses the GPU table CSV (data/gpus.csv; columns in docs/formats.md).
// Errors name the source, line and column.
Result<GpuTable> ParseGpuTable(std::string_view csv_text, std::string_view source);

// One rentable instance type, joined to its GPU.
struct Instance {
  std::string name;              // InstanceType ("g4dn.xlarge")
  GpuSpec gpu;                   // the GPU table row, with the catalog's gpu.* overrides applied
  int gpu_count = 0;             // AcceleratorCount
  int vcpus = 0;
  double host_memory_bytes = 0;  // MemoryGiB
  double usd_per_hour = 0;       // Price (on-demand)
  std::optional<double> spot_usd_per_hour;  // SpotPrice, when the catalog has one
  std::string region;
  std::string zone;
  std::string host_arch = "x86_64";  // HostArch: "x86_64" or "arm64" (Graviton, Grace)
  std::string source;            // the row's Source column, if any
  std::string as_of;             // the row's AsOf column (when the row was read), if any
  // The date of the price itself: the row's PriceAsOf when the catalog has
  // that column (empty there: undated), else its AsOf.
  std::string price_as_of;
  const std::string& price_date() const { return price_as_of; }
  int line = 0;                  // line in the catalog file, for messages
};

struct Catalog {
  std::string name;    // shipped name or file path
  std::vector<Instance> instances;
  std::string as_of;   // oldest AsOf of any row ("" when the file has none)
  // Rows for an instance type already listed (other regions or zones); the
  // first row of each type is kept.
  int other_region_rows = 0;
  // nullptr when no instance has that name (case-insensitive).
  const Instance* Find(std::string_view instance_name) const;
};

// Parses a catalog in SkyPilot's column format (InstanceType, AcceleratorName,
// AcceleratorCount, vCPUs, MemoryGiB, GpuInfo, Price, SpotPrice, Region,
// AvailabilityZone), plus optional Source, AsOf and gpu.<column> overrides.
// Rows without an accelerator (CPU-only instances) are skipped. Every other
// row must name a GPU in `gpus` and carry a positive Price; errors name the
// source, line and column. With `region`, only that region's rows are kept
// (an error lists the catalog's regions when none match); without, the first
// row of each instance type is kept and the others are counted.
Result<Catalog> ParseCatalog(std::string_view csv_text, std::string_view source,
                             const GpuTable& gpus, std::string_view region = "");

// The oldest price date (Instance::price_date) of the given instances, null
// ones skipped; "" when none has one or any of them is undated.
std::string OldestPriceDate(std::initializer_list<const Instance*> instances);

// Prices that look wrong: far below what the same GPU costs elsewhere in the
// catalog (under a quarter of its median price per GPU-hour), under $0.05
// per GPU-hour, or a spot price above the on-demand one. One message each.
std::vector<std::string> CheckCatalogPrices(const Catalog& catalog);

}  // namespace infersave
