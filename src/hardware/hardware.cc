// GPU table and SkyPilot-format instance catalogs (method.md section 8).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "infersave/hardware.h"
#include "io/csv.h"
#include "io/text.h"

namespace infersave {

namespace {
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiga = 1e9;
constexpr double kTera = 1e12;
}  // namespace

std::string_view PrecisionName(Precision p) {
  switch (p) {
    case Precision::kFp32: return "fp32";
    case Precision::kFp16: return "fp16";
    case Precision::kBf16: return "bf16";
    case Precision::kFp8: return "fp8";
    case Precision::kInt8: return "int8";
    case Precision::kInt4: return "int4";
    case Precision::kFp4: return "fp4";
  }
  return "?";
}

double BytesPerValue(Precision p) {
  switch (p) {
    case Precision::kFp32: return 4;
    case Precision::kFp16:
    case Precision::kBf16: return 2;
    case Precision::kFp8:
    case Precision::kInt8: return 1;
    case Precision::kInt4:
    case Precision::kFp4: return 0.5;
  }
  return 2;
}

double BytesPerWeight(Precision p) {
  if (p == Precision::kInt4) return 0.5 + 4.0 / 128;
  if (p == Precision::kFp4) return 0.5 + 1.0 / 32;
  return BytesPerValue(p);
}

Precision ComputePrecision(Precision weights) {
  switch (weights) {
    case Precision::kFp32:
    case Precision::kBf16:
    case Precision::kFp8:
    case Precision::kFp4: return weights;
    default: return Precision::kFp16;
  }
}

Precision ComputePrecision(Precision weights, const GpuSpec& gpu) {
  if (weights == Precision::kFp4 && gpu.Flops(Precision::kFp4) <= 0) return Precision::kBf16;
  return ComputePrecision(weights);
}

Result<Precision> ParsePrecision(std::string_view text) {
  std::string t = io::ToLower(io::Trim(text));
  if (t == "fp32" || t == "float32") return Precision::kFp32;
  if (t == "fp16" || t == "float16" || t == "half") return Precision::kFp16;
  if (t == "bf16" || t == "bfloat16") return Precision::kBf16;
  if (t == "fp8" || t == "float8") return Precision::kFp8;
  if (t == "int8") return Precision::kInt8;
  if (t == "int4") return Precision::kInt4;
  if (t == "fp4" || t == "mxfp4") return Precision::kFp4;
  return InvalidArgument(fmt::format("unknown precision {} (expected fp32, fp16, bf16, fp8, int8, int4 or fp4)",
                                     io::Quote(text)));
}

const GpuSpec* GpuTable::Find(std::string_view name) const {
  std::string_view wanted = io::Trim(name);
  for (const GpuSpec& g : gpus_) {
    if (io::EqualsIgnoreCase(g.name, wanted)) return &g;
    for (const std::string& alias : g.aliases) {
      if (io::EqualsIgnoreCase(alias, wanted)) return &g;
    }
  }
  return nullptr;
}

namespace {

// The numeric GPU-table columns and where each lands in a GpuSpec. Shared by
// the GPU table and the catalog's gpu.<column> overrides.
struct NumericColumn {
  std::string_view name;
  double scale;
  bool required;
  double* (*field)(GpuSpec&);
};

const NumericColumn kNumericColumns[] = {
    {"memory_gib", kGiB, true, [](GpuSpec& g) { return &g.memory_bytes; }},
    {"memory_gbps", kGiga, true, [](GpuSpec& g) { return &g.memory_bytes_per_s; }},
    {"fp32_tflops", kTera, true, [](GpuSpec& g) { return &g.flops[static_cast<int>(Precision::kFp32)]; }},
    {"fp16_tflops", kTera, true, [](GpuSpec& g) { return &g.flops[static_cast<int>(Precision::kFp16)]; }},
    {"bf16_tflops", kTera, false, [](GpuSpec& g) { return &g.flops[static_cast<int>(Precision::kBf16)]; }},
    {"fp8_tflops", kTera, false, [](GpuSpec& g) { return &g.flops[static_cast<int>(Precision::kFp8)]; }},
    {"int8_tops", kTera, false, [](GpuSpec& g) { return &g.flops[static_cast<int>(Precision::kInt8)]; }},
    {"int4_tops", kTera, false, [](GpuSpec& g) { return &g.flops[static_cast<int>(Precision::kInt4)]; }},
    {"usable_memory_gib", kGiB, false, [](GpuSpec& g) { return &g.memory_bytes; }},
    {"fp4_tflops", kTera, false, [](GpuSpec& g) { return &g.flops[static_cast<int>(Precision::kFp4)]; }},
    {"h2d_gbps", kGiga, true, [](GpuSpec& g) { return &g.h2d_bytes_per_s; }},
    {"d2h_gbps", kGiga, true, [](GpuSpec& g) { return &g.d2h_bytes_per_s; }},
    {"gpu_link_gbps", kGiga, false, [](GpuSpec& g) { return &g.gpu_link_bytes_per_s; }},
};

const NumericColumn* FindNumericColumn(std::string_view name) {
  for (const NumericColumn& c : kNumericColumns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> SplitAliases(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = io::Trim(text.substr(start, end - start));
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

}  // namespace

Result<GpuTable> ParseGpuTable(std::string_view csv_text, std::string_view source) {
  auto table = io::ParseCsv(csv_text, source);
  if (!table.ok()) return table.error();
  std::vector<std::string_view> required = {"name"};
  for (const NumericColumn& c : kNumericColumns) {
    if (c.required) required.push_back(c.name);
  }
  if (Status s = io::RequireColumns(*table, required); !s.ok()) return s.error();

  std::vector<GpuSpec> gpus;
  for (const io::CsvRecord& rec : table->rows) {
    io::CellReader cells(*table, rec);
    GpuSpec g;
    g.name = std::string(cells.Text("name"));
    if (g.name.empty()) return InvalidInput(fmt::format("{}: missing value", cells.Where("name")));
    for (const NumericColumn& c : kNumericColumns) {
      auto value = cells.Number(c.name, c.required);
      if (!value.ok()) return value.error();
      if (*value) *c.field(g) = **value * c.scale;
    }
    for (const auto& [column, field] : {std::pair<const char*, double*>{"sustained_bf16_fraction", &g.sustained_bf16_fraction},
                                        {"sustained_fp8_fraction", &g.sustained_fp8_fraction}}) {
      auto fraction = cells.Number(column, false);
      if (!fraction.ok()) return fraction.error();
      if (*fraction && **fraction > 1) {
        return InvalidInput(fmt::format("{}: expected a fraction of the peak in (0, 1], got {}", cells.Where(column),
                                        **fraction));
      }
      if (*fraction) *field = **fraction;
    }
    auto power = cells.Number("tdp_w", false);
    if (!power.ok()) return power.error();
    if (*power) g.tdp_w = **power;
    auto capability = cells.Number("compute_capability", false);
    if (!capability.ok()) return capability.error();
    if (*capability) g.compute_capability = **capability;
    if (std::string_view vendor = cells.Text("vendor"); !vendor.empty()) {
      g.vendor = io::ToLower(vendor);
      if (g.vendor != "nvidia" && g.vendor != "amd") {
        return InvalidInput(fmt::format("{}: expected nvidia or amd, got {}", cells.Where("vendor"), io::Quote(vendor)));
      }
    }
    g.silicon = std::string(cells.Text("silicon"));
    g.skypilot_name = std::string(cells.Text("skypilot_name"));
    g.aliases = SplitAliases(cells.Text("aliases"));
    g.architecture = std::string(cells.Text("architecture"));
    g.host_link = std::string(cells.Text("host_link"));
    g.gpu_link = std::string(cells.Text("gpu_link"));
    g.source = std::string(cells.Text("compute_source"));
    g.as_of = std::string(cells.Text("as_of"));
    GpuTable so_far(gpus);
    if (so_far.Find(g.name)) {
      return InvalidInput(fmt::format("{}: GPU {} is listed twice", cells.Where("name"), io::Quote(g.name)));
    }
    for (const std::string& alias : g.aliases) {
      if (const GpuSpec* other = so_far.Find(alias); other || io::EqualsIgnoreCase(alias, g.name)) {
        if (!other) continue;  // an alias may repeat the row's own name
        return InvalidInput(fmt::format("{}: alias {} already names GPU {}", cells.Where("aliases"), io::Quote(alias),
                                        io::Quote(other->name)));
      }
    }
    gpus.push_back(std::move(g));
  }
  if (gpus.empty()) return InvalidInput(fmt::format("{}: no GPU rows", source));
  return GpuTable(std::move(gpus));
}

const Instance* Catalog::Find(std::string_view instance_name) const {
  for (const Instance& i : instances) {
    if (io::EqualsIgnoreCase(i.name, io::Trim(instance_name))) return &i;
  }
  return nullptr;
}

namespace {

bool IsIsoDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int month = (s[5] - '0') * 10 + (s[6] - '0');
  const int day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

std::vector<std::string> GpuNames(const GpuTable& gpus) {
  std::vector<std::string> names;
  for (const GpuSpec& g : gpus.gpus()) {
    names.push_back(g.name);
    names.insert(names.end(), g.aliases.begin(), g.aliases.end());
  }
  return names;
}

}  // namespace

Result<Catalog> ParseCatalog(std::string_view csv_text, std::string_view source,
                             const GpuTable& gpus, std::string_view region) {
  std::set<std::string> regions_seen;
  auto table = io::ParseCsv(csv_text, source);
  if (!table.ok()) return table.error();
  if (Status s = io::RequireColumns(
          *table, {"InstanceType", "AcceleratorName", "AcceleratorCount", "MemoryGiB", "Price"});
      !s.ok()) {
    return s.error();
  }
  // gpu.<column> overrides must name a numeric GPU-table column.
  std::vector<std::pair<std::string, const NumericColumn*>> overrides;
  for (const std::string& column : table->header) {
    if (column.rfind("gpu.", 0) != 0) continue;
    const NumericColumn* target = FindNumericColumn(std::string_view(column).substr(4));
    if (!target) {
      std::vector<std::string> known;
      for (const NumericColumn& c : kNumericColumns) known.push_back("gpu." + std::string(c.name));
      return InvalidInput(fmt::format("{}:1: unknown override column '{}'{}", source, column,
                                      io::DidYouMean(column, known)));
    }
    overrides.emplace_back(column, target);
  }

  const bool has_price_dates =
      std::find(table->header.begin(), table->header.end(), "PriceAsOf") != table->header.end();
  Catalog catalog;
  catalog.name = std::string(source);
  std::map<std::string, int> first_line;  // lower-cased instance name -> line
  std::map<std::string, int> place_line;  // lower-cased name, region and zone -> line
  for (const io::CsvRecord& rec : table->rows) {
    io::CellReader cells(*table, rec);
    std::string_view accelerator = cells.Text("AcceleratorName");
    if (accelerator.empty()) continue;  // a CPU-only instance type
    Instance inst;
    inst.line = rec.line;
    inst.name = std::string(cells.Text("InstanceType"));
    if (inst.name.empty()) {
      return InvalidInput(fmt::format("{}: missing value", cells.Where("InstanceType")));
    }
    const GpuSpec* gpu = gpus.Find(accelerator);
    if (!gpu) {
      return InvalidInput(fmt::format("{}: unknown GPU {}{}; add it to the GPU table",
                                      cells.Where("AcceleratorName"), io::Quote(accelerator),
                                      io::DidYouMean(accelerator, GpuNames(gpus))));
    }
    inst.gpu = *gpu;

    auto count = cells.Number("AcceleratorCount", true);
    if (!count.ok()) return count.error();
    if (**count != std::floor(**count) || **count > 1024) {
      return InvalidInput(fmt::format("{}: expected a whole number of GPUs (1 to 1024), got {}",
                                      cells.Where("AcceleratorCount"), cells.Text("AcceleratorCount")));
    }
    inst.gpu_count = static_cast<int>(**count);

    auto vcpus = cells.Number("vCPUs", false);
    if (!vcpus.ok()) return vcpus.error();
    if (*vcpus && **vcpus > 1e6) {  // beyond int range the cast below is undefined
      return InvalidInput(fmt::format("{}: expected at most 1000000 vCPUs, got {}", cells.Where("vCPUs"),
                                      cells.Text("vCPUs")));
    }
    inst.vcpus = *vcpus ? static_cast<int>(**vcpus) : 0;

    auto memory = cells.Number("MemoryGiB", true);
    if (!memory.ok()) return memory.error();
    inst.host_memory_bytes = **memory * kGiB;

    auto price = cells.Number("Price", true);
    if (!price.ok()) {
      if (cells.Text("Price").empty()) {
        return InvalidInput(fmt::format(
            "{}: missing on-demand price for {} (USD per hour); fill it in or remove the row",
            cells.Where("Price"), inst.name));
      }
      return price.error();
    }
    inst.usd_per_hour = **price;

    auto spot = cells.Number("SpotPrice", false);
    if (!spot.ok()) return spot.error();
    if (*spot) inst.spot_usd_per_hour = **spot;

    for (const auto& [column, target] : overrides) {
      auto value = cells.Number(column, false);
      if (!value.ok()) return value.error();
      if (*value) *target->field(inst.gpu) = **value * target->scale;
    }

    if (std::string_view p2p = cells.Text("GpuP2P"); !p2p.empty()) {
      const std::string v = io::ToLower(p2p);
      if (v != "yes" && v != "no") {
        return InvalidInput(fmt::format("{}: expected yes or no (GPU peer-to-peer between the instance's GPUs), got {}",
                                        cells.Where("GpuP2P"), io::Quote(p2p)));
      }
      inst.gpu.peer_to_peer = v == "yes";
    }

    inst.region = std::string(cells.Text("Region"));
    inst.zone = std::string(cells.Text("AvailabilityZone"));
    if (std::string_view arch = cells.Text("HostArch"); !arch.empty()) {
      const std::string a = io::ToLower(arch);
      if (a == "x86_64" || a == "amd64") {
        inst.host_arch = "x86_64";
      } else if (a == "arm64" || a == "aarch64") {
        inst.host_arch = "arm64";
      } else {
        return InvalidInput(fmt::format("{}: expected x86_64 or arm64, got {}", cells.Where("HostArch"), io::Quote(arch)));
      }
    }
    if (!inst.region.empty()) regions_seen.insert(inst.region);
    if (!region.empty() && !io::EqualsIgnoreCase(inst.region, io::Trim(region))) continue;
    inst.source = std::string(cells.Text("Source"));
    inst.as_of = std::string(cells.Text("AsOf"));
    inst.price_as_of = std::string(cells.Text(has_price_dates ? "PriceAsOf" : "AsOf"));
    for (const auto& [column, date] : {std::pair<const char*, const std::string*>{"AsOf", &inst.as_of},
                                       {"PriceAsOf", &inst.price_as_of}}) {
      if (!date->empty() && !IsIsoDate(*date)) {
        return InvalidInput(fmt::format("{}: expected a date YYYY-MM-DD, got {}", cells.Where(column), io::Quote(*date)));
      }
    }

    std::string key = io::ToLower(inst.name);
    // SkyPilot catalogs list a type once per region and zone; twice in the
    // same place is an error, in another place it is counted and skipped.
    std::string place = key + '\n' + inst.region + '\n' + inst.zone;
    if (auto it = place_line.find(place); it != place_line.end()) {
      return InvalidInput(fmt::format("{}:{}: instance {} is listed twice (first on line {})", source,
                                      rec.line, io::Quote(inst.name), it->second));
    }
    place_line.emplace(place, rec.line);
    if (first_line.count(key)) {
      catalog.other_region_rows += 1;  // keep the first
      continue;
    }
    first_line[key] = rec.line;
    if (!inst.as_of.empty() && (catalog.as_of.empty() || inst.as_of < catalog.as_of)) {
      catalog.as_of = inst.as_of;
    }
    catalog.instances.push_back(std::move(inst));
  }
  if (catalog.instances.empty() && !region.empty()) {
    std::vector<std::string> known(regions_seen.begin(), regions_seen.end());
    return InvalidInput(fmt::format("{}: no GPU instances in region '{}'{} (regions in this catalog: {})", source,
                                    io::Trim(region), io::DidYouMean(region, known),
                                    known.empty() ? "none named" : fmt::format("{}", fmt::join(known, ", "))));
  }
  if (catalog.instances.empty()) {
    return InvalidInput(fmt::format("{}: no GPU instances (every row lacks an AcceleratorName)", source));
  }
  return catalog;
}

std::vector<std::string> CheckCatalogPrices(const Catalog& catalog) {
  std::map<std::string, std::vector<double>> per_gpu;
  for (const Instance& i : catalog.instances) per_gpu[i.gpu.name].push_back(i.usd_per_hour / i.gpu_count);
  std::map<std::string, double> median;
  for (auto& [gpu, prices] : per_gpu) {
    std::sort(prices.begin(), prices.end());
    const size_t n = prices.size();
    median[gpu] = n % 2 ? prices[n / 2] : (prices[n / 2 - 1] + prices[n / 2]) / 2;
  }
  std::vector<std::string> out;
  for (const Instance& i : catalog.instances) {
    const double per_gpu_hour = i.usd_per_hour / i.gpu_count;
    const double typical = median[i.gpu.name];
    if (per_gpu_hour < 0.05) {
      out.push_back(fmt::format("{} (line {}): ${:.4f} per GPU-hour is implausibly low for a {}; check its Price",
                                i.name, i.line, per_gpu_hour, i.gpu.name));
    } else if (per_gpu_hour < 0.25 * typical) {
      out.push_back(fmt::format("{} (line {}): ${:.3f} per GPU-hour is under a quarter of the ${:.3f} a {} costs "
                                "elsewhere in this catalog; check its Price",
                                i.name, i.line, per_gpu_hour, typical, i.gpu.name));
    }
    if (i.spot_usd_per_hour && *i.spot_usd_per_hour > i.usd_per_hour) {
      out.push_back(fmt::format("{} (line {}): spot price ${:.3f}/h is above the on-demand ${:.3f}/h", i.name, i.line,
                                *i.spot_usd_per_hour, i.usd_per_hour));
    }
  }
  return out;
}

std::string OldestPriceDate(std::initializer_list<const Instance*> instances) {
  std::string oldest;
  for (const Instance* i : instances) {
    if (i == nullptr) continue;
    if (i->price_date().empty()) return "";
    if (oldest.empty() || i->price_date() < oldest) oldest = i->price_date();
  }
  return oldest;
}

// H100 SXM's measured matmul fractions (data/gpus.csv): the reference the
// engine profiles' efficiencies were set against.
constexpr double kReferenceBf16Fraction = 0.803;
constexpr double kReferenceFp8Fraction = 0.709;

double GpuSpec::TensorScale(Precision precision) const {
  const bool eight_bit = precision == Precision::kFp8 || precision == Precision::kFp4 || precision == Precision::kInt8;
  if (eight_bit && sustained_fp8_fraction > 0) return sustained_fp8_fraction / kReferenceFp8Fraction;
  if (sustained_bf16_fraction > 0) return sustained_bf16_fraction / kReferenceBf16Fraction;
  return 1;
}

}  // namespace infersave
