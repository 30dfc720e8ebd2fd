// Vidur's per-operator profiling (GEMMs and all-reduces) as measurements of
// the roofline's operators (include/infersave/datasets.h).
#include "infersave/datasets.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <system_error>

#include "infersave/model.h"
#include "infersave/shipped.h"
#include "calibrate/dataset_io.h"
#include "io/csv.h"
#include "io/text.h"

namespace infersave {
namespace {

namespace fs = std::filesystem;
using dataset_io::JoinPath;
using dataset_io::PositiveNumber;
using dataset_io::ReadCsvFile;
using dataset_io::RequireFolder;
using dataset_io::WholeNumber;

// ---- Vidur -------------------------------------------------------------------------

// Vidur's device names -> GPU table names (assumptions in docs/validation-data.md).
const char* VidurGpu(std::string_view device) {
  if (device == "a100") return "A100-80GB";
  if (device == "h100") return "H100";
  if (device == "a40") return "A40";
  return nullptr;
}

// "<prefix><middle><suffix>" files in `dir`, sorted by name; the middles.
Result<std::vector<std::string>> VidurFiles(std::string_view data_dir, std::string_view prefix,
                                            std::string_view suffix) {
  if (Status s = RequireFolder(data_dir); !s.ok()) return s.error();
  const fs::path dir = fs::path(std::string(data_dir)) / "vidur";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return InvalidInput(fmt::format("validation data folder '{}' not found", dir.string()));
  }
  std::vector<std::string> middles;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > prefix.size() + suffix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      middles.push_back(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()));
    }
  }
  if (ec) return InvalidInput(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  std::sort(middles.begin(), middles.end());
  if (middles.empty()) {
    return InvalidInput(fmt::format("{}: no {}*{} files", dir.string(), prefix, suffix));
  }
  return middles;
}

// Splits "a--b--c" at "--".
std::vector<std::string> SplitDashes(std::string_view s) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (true) {
    size_t at = s.find("--", pos);
    parts.emplace_back(s.substr(pos, at == std::string_view::npos ? std::string_view::npos : at - pos));
    if (at == std::string_view::npos) break;
    pos = at + 2;
  }
  return parts;
}

Result<int64_t> DividedBy(const io::CellReader& cells, std::string_view what, int64_t value, int64_t divisor) {
  if (divisor <= 0 || value % divisor != 0) {
    return InvalidInput(fmt::format("{}: {} ({}) is not divisible by the tensor-parallel degree {}",
                                    cells.Where("num_tensor_parallel_workers"), what, value, divisor));
  }
  return value / divisor;
}


}  // namespace

Result<std::vector<GemmMeasurement>> LoadVidurGemms(std::string_view data_dir, const GpuTable& gpus) {
  constexpr std::string_view kPrefix = "vidur--compute--";
  constexpr std::string_view kSuffix = "--mlp.csv";
  auto files = VidurFiles(data_dir, kPrefix, kSuffix);
  if (!files.ok()) return files.error();
  static const char* kOps[] = {"attn_pre_proj", "attn_post_proj", "mlp_up_proj", "mlp_down_proj"};
  std::vector<GemmMeasurement> out;
  for (const std::string& middle : *files) {
    const std::string file_name = fmt::format("{}{}{}", kPrefix, middle, kSuffix);
    const std::string path = JoinPath(data_dir, "vidur/" + file_name);
    // <gpu>--<org>--<model>
    std::vector<std::string> parts = SplitDashes(middle);
    if (parts.size() < 2) return InvalidInput(fmt::format("{}: expected vidur--compute--<gpu>--<model>--mlp.csv", path));
    const char* gpu_name = VidurGpu(parts[0]);
    if (!gpu_name) return InvalidInput(fmt::format("{}: no GPU table name for Vidur's device '{}'", path, parts[0]));
    const GpuSpec* gpu = gpus.Find(gpu_name);
    if (!gpu) return InvalidInput(fmt::format("{}: GPU '{}' is not in the GPU table", path, gpu_name));
    std::string model = parts[1];
    for (size_t i = 2; i < parts.size(); ++i) model += "/" + parts[i];

    auto table = ReadCsvFile(LocalFiles(), path);
    if (!table.ok()) return table.error();
    std::vector<std::string_view> required = {"num_tokens", "num_tensor_parallel_workers", "n_head", "n_kv_head",
                                              "n_embd", "n_expanded_embd", "use_gated_mlp"};
    std::vector<std::string> medians;
    for (const char* op : kOps) medians.push_back(fmt::format("time_stats.{}.median", op));
    for (const std::string& c : medians) required.push_back(c);
    if (Status s = io::RequireColumns(*table, required); !s.ok()) return s.error();

    for (const io::CsvRecord& record : table->rows) {
      io::CellReader cells(*table, record);
      auto tokens = WholeNumber(cells, "num_tokens");
      if (!tokens.ok()) return tokens.error();
      auto tp = WholeNumber(cells, "num_tensor_parallel_workers");
      if (!tp.ok()) return tp.error();
      auto heads = WholeNumber(cells, "n_head");
      if (!heads.ok()) return heads.error();
      auto kv_heads = WholeNumber(cells, "n_kv_head");
      if (!kv_heads.ok()) return kv_heads.error();
      auto embd = WholeNumber(cells, "n_embd");
      if (!embd.ok()) return embd.error();
      auto expanded = WholeNumber(cells, "n_expanded_embd");
      if (!expanded.ok()) return expanded.error();
      const std::string gated_text = io::ToLower(cells.Text("use_gated_mlp"));
      if (gated_text != "true" && gated_text != "false") {
        return InvalidInput(fmt::format("{}: expected True or False, got {}", cells.Where("use_gated_mlp"),
                                        io::Quote(cells.Text("use_gated_mlp"))));
      }
      const bool gated = gated_text == "true";
      if (*embd % *heads != 0) {
        return InvalidInput(fmt::format("{}: n_embd {} is not a multiple of n_head {}", cells.Where("n_embd"), *embd,
                                        *heads));
      }
      const int64_t head_dim = *embd / *heads;
      // Vidur's shapes (vidur/profiling/mlp/mlp_impl.py): QKV and up are
      // column-parallel (output split over TP), O and down row-parallel (input split).
      auto qkv = DividedBy(cells, "(n_head + 2 n_kv_head) x head_dim", (*heads + 2 * *kv_heads) * head_dim, *tp);
      if (!qkv.ok()) return qkv.error();
      auto q = DividedBy(cells, "n_head x head_dim", *heads * head_dim, *tp);
      if (!q.ok()) return q.error();
      auto up = DividedBy(cells, "up-projection width", *expanded * (gated ? 2 : 1), *tp);
      if (!up.ok()) return up.error();
      auto down = DividedBy(cells, "n_expanded_embd", *expanded, *tp);
      if (!down.ok()) return down.error();
      const int64_t shapes[4][2] = {{*embd, *qkv}, {*q, *embd}, {*embd, *up}, {*down, *embd}};
      for (int i = 0; i < 4; ++i) {
        auto median_ms = PositiveNumber(cells, medians[i]);
        if (!median_ms.ok()) return median_ms.error();
        GemmMeasurement g;
        g.gpu = gpu->name;
        g.model = model;
        g.op = kOps[i];
        g.tokens = *tokens;
        g.k = shapes[i][0];
        g.n = shapes[i][1];
        g.tp = static_cast<int>(*tp);
        g.measured_s = *median_ms / 1000.0;
        g.source = fmt::format("{}:{}", file_name, record.line);
        out.push_back(std::move(g));
      }
    }
  }
  return out;
}

Result<std::vector<CollectiveMeasurement>> LoadVidurAllReduce(std::string_view data_dir, const GpuTable& gpus) {
  constexpr std::string_view kPrefix = "vidur--network--";
  constexpr std::string_view kSuffix = "--all_reduce.csv";
  auto files = VidurFiles(data_dir, kPrefix, kSuffix);
  if (!files.ok()) return files.error();
  std::vector<CollectiveMeasurement> out;
  for (const std::string& system : *files) {
    const std::string file_name = fmt::format("{}{}{}", kPrefix, system, kSuffix);
    const std::string path = JoinPath(data_dir, "vidur/" + file_name);
    const size_t underscore = system.find('_');
    const std::string device = system.substr(0, underscore);
    const char* gpu_name = VidurGpu(device);
    if (!gpu_name) return InvalidInput(fmt::format("{}: no GPU table name for Vidur's device '{}'", path, device));
    const GpuSpec* gpu = gpus.Find(gpu_name);
    if (!gpu) return InvalidInput(fmt::format("{}: GPU '{}' is not in the GPU table", path, gpu_name));

    auto table = ReadCsvFile(LocalFiles(), path);
    if (!table.ok()) return table.error();
    const char* kMedian = "time_stats.all_reduce.median";
    if (Status s = io::RequireColumns(*table, {kMedian, "rank", "num_workers", "size", "collective",
                                               "devices_per_node"});
        !s.ok()) {
      return s.error();
    }
    for (const io::CsvRecord& record : table->rows) {
      io::CellReader cells(*table, record);
      auto rank = cells.Number("rank", /*required=*/true, /*allow_zero=*/true);
      if (!rank.ok()) return rank.error();
      if (**rank != 0) continue;  // rank 0's timing only
      if (cells.Text("collective") != "all_reduce") continue;
      auto workers = WholeNumber(cells, "num_workers");
      if (!workers.ok()) return workers.error();
      auto per_node = WholeNumber(cells, "devices_per_node");
      if (!per_node.ok()) return per_node.error();
      if (*workers > *per_node) continue;  // spans nodes: over the network, not NVLink
      auto bytes = PositiveNumber(cells, "size");  // already bytes: Vidur records 2 x fp16 elements
      if (!bytes.ok()) return bytes.error();
      auto median_ms = PositiveNumber(cells, kMedian);
      if (!median_ms.ok()) return median_ms.error();
      CollectiveMeasurement c;
      c.system = system;
      c.gpu = gpu->name;
      c.collective = "all_reduce";
      c.gpus = static_cast<int>(*workers);
      c.bytes = *bytes;
      c.measured_s = *median_ms / 1000.0;
      c.source = fmt::format("{}:{}", file_name, record.line);
      out.push_back(std::move(c));
    }
  }
  return out;
}


}  // namespace infersave
