// Adapters that turn public measurements (../shared/validation-data) into
// Measurement rows with our semantics (docs/validation-data.md says, per source,
// what each column means and what is skipped and why).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/bench_files.h"
#include "infersave/file_source.h"
#include "infersave/hardware.h"
#include "infersave/measurements.h"
#include "infersave/status.h"

namespace infersave {

struct Dataset {
  std::string name;         // "argonne", or the measurements file's path
  std::string description;  // one line: what was measured, by whom
  std::vector<Measurement> rows;
  // Rows of the source not turned into measurements: reason -> count.
  std::map<std::string, int> skipped;
};

// Names of the built-in adapters, in a fixed order.
std::vector<std::string> DatasetNames();

// A built-in adapter by name, reading its files under `data_dir` (normally
// ../shared/validation-data), or by path (IsPathArgument, shipped.h) read
// through `files`: a benchmark tool's result file (bench_files.h, with
// `bench` supplying what it lacks) or a measurements CSV, whose `instance`
// column is looked up in `catalog` (null: such rows are errors). Unknown
// names fail with kNotFound and a hint; a missing data_dir with kInvalidInput.
Result<Dataset> LoadDataset(std::string_view name_or_path, std::string_view data_dir, const GpuTable& gpus,
                            const Catalog* catalog = nullptr, const FileSource& files = LocalFiles(),
                            const BenchDefaults& bench = {});

// One GEMM timing of Vidur's per-operator profiling.
struct GemmMeasurement {
  std::string gpu;        // GPU table name ("A100", "H100", "A40")
  std::string model;      // the profiled model, as Vidur names it
  std::string op;         // "attn_pre_proj", "attn_post_proj", "mlp_up_proj", "mlp_down_proj"
  int64_t tokens = 0;     // rows of the activation matrix
  int64_t k = 0;          // inner dimension
  int64_t n = 0;          // output columns (per TP shard)
  int tp = 1;
  double measured_s = 0;  // median time, seconds
  std::string source;
};

// Vidur's vidur--compute--<gpu>--<model>--mlp.csv files under data_dir.
Result<std::vector<GemmMeasurement>> LoadVidurGemms(std::string_view data_dir, const GpuTable& gpus);

// One collective timing of Vidur's network profiling.
struct CollectiveMeasurement {
  std::string system;     // "a100_dgx", "h100_pairwise_nvlink", ...
  std::string gpu;        // GPU table name
  std::string collective; // "all_reduce"
  int gpus = 0;           // participants
  double bytes = 0;       // message size
  double measured_s = 0;
  std::string source;
};

Result<std::vector<CollectiveMeasurement>> LoadVidurAllReduce(std::string_view data_dir, const GpuTable& gpus);

}  // namespace infersave
