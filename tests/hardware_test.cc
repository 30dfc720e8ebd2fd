// Tests for the GPU table, precisions and SkyPilot-format catalogs
// (include/infersave/hardware.h), and for the shipped GPU table and catalogs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "infersave/hardware.h"
#include "infersave/shipped.h"

namespace infersave {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

constexpr const char* kGpuHeader =
    "name,aliases,architecture,memory_gib,memory_gbps,fp32_tflops,fp16_tflops,h2d_gbps,d2h_gbps\n";

// Two GPUs with values from data/gpus.csv (T4 and A10G rows).
const std::string kGpus = std::string(kGpuHeader) +
                          "T4,Tesla T4;Tesla-T4,turing,16,320,8.1,65,15.75,15.75\n"
                          "A10G,,ampere,24,600,31.52,70,31.5,31.5\n";

GpuTable MustParseGpus(std::string_view csv, std::string_view source = "gpus.csv") {
  auto table = ParseGpuTable(csv, source);
  EXPECT_TRUE(table.ok()) << table.error().message();
  return table.ok() ? *table : GpuTable{};
}

std::string GpuError(std::string_view csv, std::string_view source = "gpus.csv") {
  auto table = ParseGpuTable(csv, source);
  if (table.ok()) {
    ADD_FAILURE() << "expected an error for: " << csv;
    return "";
  }
  EXPECT_EQ(table.error().code(), ErrorCode::kInvalidInput);
  return table.error().message();
}

// ---- Precision ------------------------------------------------------------------

TEST(HardwarePrecisionTest, ParsesEverySpelling) {
  struct Case {
    const char* text;
    Precision expected;
  };
  for (const Case& c : {Case{"fp32", Precision::kFp32}, Case{"float32", Precision::kFp32},
                        Case{"fp16", Precision::kFp16}, Case{"float16", Precision::kFp16},
                        Case{"half", Precision::kFp16}, Case{"FP16", Precision::kFp16},
                        Case{" bf16 ", Precision::kBf16}, Case{"bfloat16", Precision::kBf16},
                        Case{"fp8", Precision::kFp8}, Case{"float8", Precision::kFp8},
                        Case{"INT8", Precision::kInt8}, Case{"int4", Precision::kInt4}}) {
    SCOPED_TRACE(c.text);
    auto p = ParsePrecision(c.text);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ(*p, c.expected);
  }
}

TEST(HardwarePrecisionTest, UnknownPrecision) {
  for (const char* text : {"fp64", "", "16"}) {
    auto p = ParsePrecision(text);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(p.error().message(), "unknown precision \"" + std::string(text) +
                                       "\" (expected fp32, fp16, bf16, fp8, int8, int4 or fp4)");
  }
}

TEST(HardwarePrecisionTest, NamesAndBytes) {
  EXPECT_EQ(PrecisionName(Precision::kFp32), "fp32");
  EXPECT_EQ(PrecisionName(Precision::kFp16), "fp16");
  EXPECT_EQ(PrecisionName(Precision::kBf16), "bf16");
  EXPECT_EQ(PrecisionName(Precision::kFp8), "fp8");
  EXPECT_EQ(PrecisionName(Precision::kInt8), "int8");
  EXPECT_EQ(PrecisionName(Precision::kInt4), "int4");
  EXPECT_EQ(BytesPerValue(Precision::kFp32), 4.0);
  EXPECT_EQ(BytesPerValue(Precision::kFp16), 2.0);
  EXPECT_EQ(BytesPerValue(Precision::kBf16), 2.0);
  EXPECT_EQ(BytesPerValue(Precision::kFp8), 1.0);
  EXPECT_EQ(BytesPerValue(Precision::kInt8), 1.0);
  EXPECT_EQ(BytesPerValue(Precision::kInt4), 0.5);
  // Every name parses back to its precision.
  for (int i = 0; i < kNumPrecisions; ++i) {
    auto p = static_cast<Precision>(i);
    auto back = ParsePrecision(PrecisionName(p));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, p);
  }
}

// ---- GPU table ----------------------------------------------------------------------

TEST(GpuTableTest, ParsesValuesInSiUnits) {
  GpuTable t = MustParseGpus(kGpus);
  ASSERT_EQ(t.gpus().size(), 2u);
  const GpuSpec& t4 = t.gpus()[0];
  EXPECT_EQ(t4.name, "T4");
  EXPECT_EQ(t4.aliases, (std::vector<std::string>{"Tesla T4", "Tesla-T4"}));
  EXPECT_EQ(t4.architecture, "turing");
  EXPECT_EQ(t4.memory_bytes, 16 * kGiB);
  EXPECT_EQ(t4.memory_bytes_per_s, 320e9);
  EXPECT_DOUBLE_EQ(t4.Flops(Precision::kFp32), 8.1e12);
  EXPECT_DOUBLE_EQ(t4.Flops(Precision::kFp16), 65e12);
  EXPECT_EQ(t4.Flops(Precision::kBf16), 0.0);  // column absent: unsupported
  EXPECT_EQ(t4.Flops(Precision::kInt8), 0.0);
  EXPECT_DOUBLE_EQ(t4.h2d_bytes_per_s, 15.75e9);
  EXPECT_DOUBLE_EQ(t4.d2h_bytes_per_s, 15.75e9);
  EXPECT_EQ(t4.gpu_link_bytes_per_s, 0.0);
  EXPECT_TRUE(t.gpus()[1].aliases.empty());
}

TEST(GpuTableTest, FindByNameOrAliasIgnoringCase) {
  GpuTable t = MustParseGpus(kGpus);
  for (const char* name : {"T4", "t4", "Tesla T4", "tesla t4", "TESLA-T4", " t4 "}) {
    SCOPED_TRACE(name);
    const GpuSpec* g = t.Find(name);
    ASSERT_NE(g, nullptr);
    EXPECT_EQ(g->name, "T4");
  }
  ASSERT_NE(t.Find("a10g"), nullptr);
  EXPECT_EQ(t.Find("a10g")->name, "A10G");
  EXPECT_EQ(t.Find("T5"), nullptr);
  EXPECT_EQ(t.Find("Tesla"), nullptr);
  EXPECT_EQ(t.Find("A10"), nullptr);
  EXPECT_EQ(t.Find(""), nullptr);
  EXPECT_EQ(GpuTable().Find("T4"), nullptr);
}

TEST(GpuTableTest, OptionalColumns) {
  GpuTable t = MustParseGpus(
      "name,memory_gib,memory_gbps,fp32_tflops,fp16_tflops,bf16_tflops,fp8_tflops,int8_tops,int4_tops,"
      "h2d_gbps,d2h_gbps,host_link,gpu_link,gpu_link_gbps,compute_source,as_of\n"
      "H100,80,3350,67,989.4,989.4,1978.9,1978.9,,63,63,PCIe 5.0 x16,NVLink4,900,datasheet,2026-11-26\n");
  const GpuSpec& h = t.gpus()[0];
  EXPECT_DOUBLE_EQ(h.Flops(Precision::kBf16), 989.4e12);
  EXPECT_DOUBLE_EQ(h.Flops(Precision::kFp8), 1978.9e12);
  EXPECT_DOUBLE_EQ(h.Flops(Precision::kInt8), 1978.9e12);
  EXPECT_EQ(h.Flops(Precision::kInt4), 0.0);
  EXPECT_EQ(h.host_link, "PCIe 5.0 x16");
  EXPECT_EQ(h.gpu_link, "NVLink4");
  EXPECT_DOUBLE_EQ(h.gpu_link_bytes_per_s, 900e9);
  EXPECT_EQ(h.source, "datasheet");
  EXPECT_EQ(h.as_of, "2026-11-26");
  EXPECT_TRUE(h.aliases.empty());
  EXPECT_EQ(h.architecture, "");
}

TEST(GpuTableTest, MissingRequiredColumn) {
  EXPECT_EQ(GpuError("name,memory_gib,memory_gbps,fp32_tflops,fp16_tflops,h2d_gbps\nT4,16,320,8.1,65,15.75\n"),
            "gpus.csv:1: missing required column 'd2h_gbps'");
  EXPECT_EQ(GpuError("gpu,memory_gib,memory_gbps,fp32_tflops,fp16_tflops,h2d_gbps,d2h_gbps\n"
                     "T4,16,320,8.1,65,15.75,15.75\n"),
            "gpus.csv:1: missing required column 'name'");
}

TEST(GpuTableTest, DuplicateGpu) {
  EXPECT_EQ(GpuError(kGpus + "T4,,turing,16,320,8.1,65,15.75,15.75\n"),
            "gpus.csv:4: column 'name': GPU \"T4\" is listed twice");
  // A name that is another row's alias is a duplicate too.
  EXPECT_EQ(GpuError(kGpus + "tesla t4,,turing,16,320,8.1,65,15.75,15.75\n"),
            "gpus.csv:4: column 'name': GPU \"tesla t4\" is listed twice");
  // An alias that is another row's name or alias is ambiguous.
  EXPECT_EQ(GpuError(kGpus + "L4,a10g,ada,24,300,30.3,121,31.5,31.5\n"),
            "gpus.csv:4: column 'aliases': alias \"a10g\" already names GPU \"A10G\"");
  EXPECT_EQ(GpuError(kGpus + "L4,Tesla-T4,ada,24,300,30.3,121,31.5,31.5\n"),
            "gpus.csv:4: column 'aliases': alias \"Tesla-T4\" already names GPU \"T4\"");
}

TEST(GpuTableTest, BadCells) {
  EXPECT_EQ(GpuError(std::string(kGpuHeader) + ",,turing,16,320,8.1,65,15.75,15.75\n"),
            "gpus.csv:2: column 'name': missing value");
  EXPECT_EQ(GpuError(std::string(kGpuHeader) + "T4,,turing,sixteen,320,8.1,65,15.75,15.75\n"),
            "gpus.csv:2: column 'memory_gib': expected a number, got \"sixteen\"");
  EXPECT_EQ(GpuError(std::string(kGpuHeader) + "T4,,turing,16,320,8.1,,15.75,15.75\n"),
            "gpus.csv:2: column 'fp16_tflops': missing value");
  EXPECT_EQ(GpuError(std::string(kGpuHeader) + "T4,,turing,16,0,8.1,65,15.75,15.75\n"),
            "gpus.csv:2: column 'memory_gbps': expected a positive number, got 0");
}

TEST(GpuTableTest, NoRows) {
  EXPECT_EQ(GpuError(kGpuHeader), "gpus.csv: no GPU rows");
  EXPECT_EQ(GpuError(""), "gpus.csv: empty file: expected a header row");
}

// ---- Catalogs ------------------------------------------------------------------------

constexpr const char* kCatalogHeader =
    "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,"
    "AvailabilityZone\n";

class CatalogTest : public ::testing::Test {
 protected:
  GpuTable gpus_ = MustParseGpus(kGpus);

  Catalog MustParse(const std::string& rows, std::string_view source = "cat.csv",
                    const char* header = kCatalogHeader) {
    auto catalog = ParseCatalog(std::string(header) + rows, source, gpus_);
    EXPECT_TRUE(catalog.ok()) << catalog.error().message();
    return catalog.ok() ? *catalog : Catalog{};
  }
  std::string Error(const std::string& rows, const char* header = kCatalogHeader) {
    auto catalog = ParseCatalog(std::string(header) + rows, "cat.csv", gpus_);
    if (catalog.ok()) {
      ADD_FAILURE() << "expected an error for: " << rows;
      return "";
    }
    EXPECT_EQ(catalog.error().code(), ErrorCode::kInvalidInput);
    return catalog.error().message();
  }
};

TEST_F(CatalogTest, SkyPilotRowWithPythonDictGpuInfo) {
  // As in SkyPilot's AWS vms.csv: GpuInfo is a Python dict literal.
  Catalog c = MustParse(
      "g5.xlarge,A10G,1,4,16,\"{'Gpus': [{'Name': 'A10G', 'Manufacturer': 'NVIDIA', 'Count': 1, "
      "'MemoryInfo': {'SizeInMiB': 22888}}], 'TotalGpuMemoryInMiB': 22888}\",1.006,0.4097,us-east-1,"
      "us-east-1a\n");
  EXPECT_EQ(c.name, "cat.csv");
  ASSERT_EQ(c.instances.size(), 1u);
  const Instance& i = c.instances[0];
  EXPECT_EQ(i.name, "g5.xlarge");
  EXPECT_EQ(i.gpu.name, "A10G");
  EXPECT_EQ(i.gpu_count, 1);
  EXPECT_EQ(i.vcpus, 4);
  EXPECT_EQ(i.host_memory_bytes, 16 * kGiB);
  EXPECT_DOUBLE_EQ(i.usd_per_hour, 1.006);
  ASSERT_TRUE(i.spot_usd_per_hour.has_value());
  EXPECT_DOUBLE_EQ(*i.spot_usd_per_hour, 0.4097);
  EXPECT_EQ(i.region, "us-east-1");
  EXPECT_EQ(i.zone, "us-east-1a");
  EXPECT_EQ(i.line, 2);
  // One memory figure per GPU, whichever cloud sells it: the table's, not
  // the catalog's GpuInfo (issue 11).
  EXPECT_EQ(i.gpu.memory_bytes, 24 * kGiB);
  // Everything else comes from the GPU table.
  EXPECT_EQ(i.gpu.memory_bytes_per_s, 600e9);
  EXPECT_DOUBLE_EQ(i.gpu.Flops(Precision::kFp16), 70e12);
  EXPECT_EQ(c.other_region_rows, 0);
  EXPECT_EQ(c.as_of, "");
  EXPECT_EQ(c.Find("G5.XLARGE"), &c.instances[0]);
  EXPECT_EQ(c.Find("g5.2xlarge"), nullptr);
}

TEST_F(CatalogTest, JsonGpuInfoAndAliasAccelerator) {
  Catalog c = MustParse(
      "g4dn.12xlarge,Tesla T4,4,48,192,\"{\"\"Gpus\"\": [{\"\"Name\"\": \"\"T4\"\", \"\"Count\"\": 4, "
      "\"\"MemoryInfo\"\": {\"\"SizeInMiB\"\": 15360}}], \"\"TotalGpuMemoryInMiB\"\": 61440}\",3.912,,us-east-1,\n");
  const Instance& i = c.instances.at(0);
  EXPECT_EQ(i.gpu.name, "T4");  // resolved through the alias
  EXPECT_EQ(i.gpu_count, 4);
  EXPECT_EQ(i.gpu.memory_bytes, 16 * kGiB);  // the table's, not GpuInfo's 15360 MiB
  EXPECT_FALSE(i.spot_usd_per_hour.has_value());
}

TEST_F(CatalogTest, GpuInfoWithoutMemoryKeepsTableMemory) {
  Catalog c = MustParse(
      "a,A10G,1,4,16,,1,,r,\n"
      "b,A10G,1,4,16,A10G,1,,r,\n"                         // GCP style: a bare name
      "c,A10G,1,4,16,\"{'Gpus': []}\",1,,r,\n"
      "d,A10G,1,4,16,\"{'Gpus': [{'MemoryInfo': {'SizeInMiB': 0}}]}\",1,,r,\n"
      "e,A10G,1,4,16,{not json,1,,r,\n");
  ASSERT_EQ(c.instances.size(), 5u);
  for (const Instance& i : c.instances) {
    SCOPED_TRACE(i.name);
    EXPECT_EQ(i.gpu.memory_bytes, 24 * kGiB);
  }
}

TEST_F(CatalogTest, PriceDatesAndHostArchitecture) {
  const char* header =
      "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,"
      "AvailabilityZone,AsOf,PriceAsOf,HostArch\n";
  Catalog c = MustParse("a,T4,1,4,16,,1,,r,,2026-12-01,2026-01-21,arm64\nb,T4,1,4,16,,1,,r,,2026-12-01,,\n",
                        "cat.csv", header);
  ASSERT_EQ(c.instances.size(), 2u);
  EXPECT_EQ(c.instances[0].price_date(), "2026-01-21");
  EXPECT_EQ(c.instances[0].host_arch, "arm64");
  EXPECT_EQ(c.instances[1].price_date(), "");  // the column is there and empty: undated
  EXPECT_EQ(c.instances[1].host_arch, "x86_64");
  EXPECT_EQ(OldestPriceDate({&c.instances[0], nullptr}), "2026-01-21");
  EXPECT_EQ(OldestPriceDate({&c.instances[0], &c.instances[1]}), "");
  // Without a PriceAsOf column a row's AsOf dates its price.
  const char* dated = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,"
                      "Region,AvailabilityZone,AsOf\n";
  EXPECT_EQ(MustParse("a,T4,1,4,16,,1,,r,,2026-12-01\n", "cat.csv", dated).instances[0].price_date(), "2026-12-01");
  EXPECT_EQ(Error("a,T4,1,4,16,,1,,r,,2026-12-01,21/01/2026,\n", header),
            "cat.csv:2: column 'PriceAsOf': expected a date YYYY-MM-DD, got \"21/01/2026\"");
  EXPECT_EQ(Error("a,T4,1,4,16,,1,,r,,2026-12-01,,sparc\n", header),
            "cat.csv:2: column 'HostArch': expected x86_64 or arm64, got \"sparc\"");
}

TEST_F(CatalogTest, GpuPeerToPeerColumn) {
  const char* header =
      "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,"
      "AvailabilityZone,GpuP2P\n";
  Catalog c = MustParse("a,A10G,4,48,192,,5.672,,r,,no\nb,A10G,4,48,192,,5.672,,r,,YES\nc,A10G,4,48,192,,5.672,,r,,\n",
                        "cat.csv", header);
  ASSERT_EQ(c.instances.size(), 3u);
  EXPECT_FALSE(c.instances[0].gpu.peer_to_peer);
  EXPECT_TRUE(c.instances[1].gpu.peer_to_peer);
  EXPECT_TRUE(c.instances[2].gpu.peer_to_peer);  // unknown: assumed
  EXPECT_EQ(Error("a,A10G,4,48,192,,5.672,,r,,maybe\n", header),
            "cat.csv:2: column 'GpuP2P': expected yes or no (GPU peer-to-peer between the instance's GPUs), got "
            "\"maybe\"");
}

TEST(ShippedCatalogTest, AwsG5AndG6HaveNoGpuPeerToPeer) {
  GpuTable gpus = *LoadGpuTable("");
  Catalog aws = *LoadCatalog("aws", gpus);
  for (const char* name : {"g5.12xlarge", "g5.24xlarge", "g5.48xlarge", "g6.12xlarge", "g6.24xlarge", "g6.48xlarge"}) {
    SCOPED_TRACE(name);
    ASSERT_NE(aws.Find(name), nullptr);
    EXPECT_FALSE(aws.Find(name)->gpu.peer_to_peer);
  }
  EXPECT_TRUE(aws.Find("g6e.12xlarge")->gpu.peer_to_peer);  // no source either way: assumed
  EXPECT_TRUE(aws.Find("p4d.24xlarge")->gpu.peer_to_peer);  // NVLink
}

TEST_F(CatalogTest, CpuRowsAreSkipped) {
  Catalog c = MustParse(
      "m5.large,,,2,8,,0.096,,us-east-1,\n"
      "g4dn.xlarge,T4,1,4,16,,0.526,,us-east-1,\n"
      "c5.xlarge,,,4,8,,,,us-east-1,\n");
  ASSERT_EQ(c.instances.size(), 1u);
  EXPECT_EQ(c.instances[0].name, "g4dn.xlarge");
  EXPECT_EQ(c.instances[0].line, 3);
  EXPECT_EQ(c.other_region_rows, 0);
}

TEST_F(CatalogTest, OnlyCpuRows) {
  EXPECT_EQ(Error("m5.large,,,2,8,,0.096,,us-east-1,\n"),
            "cat.csv: no GPU instances (every row lacks an AcceleratorName)");
  EXPECT_EQ(Error(""), "cat.csv: no GPU instances (every row lacks an AcceleratorName)");
}

TEST_F(CatalogTest, UnknownAccelerator) {
  EXPECT_EQ(Error("g4dn.xlarge,T4,1,4,16,,0.526,,us-east-1,\ng9.xlarge,T5,1,4,16,,0.5,,us-east-1,\n"),
            "cat.csv:3: column 'AcceleratorName': unknown GPU \"T5\" (did you mean 'T4'?); add it to the GPU "
            "table");
  EXPECT_EQ(Error("trn1.2xlarge,Trainium,1,8,32,,1.34,,us-east-1,\n"),
            "cat.csv:2: column 'AcceleratorName': unknown GPU \"Trainium\"; add it to the GPU table");
}

TEST_F(CatalogTest, MissingPrice) {
  EXPECT_EQ(Error("g5.xlarge,A10G,1,4,16,,,,us-east-1,\n"),
            "cat.csv:2: column 'Price': missing on-demand price for g5.xlarge (USD per hour); fill it in or "
            "remove the row");
}

TEST_F(CatalogTest, NotANumberPrice) {
  EXPECT_EQ(Error("g5.xlarge,A10G,1,4,16,,n/a,,us-east-1,\n"),
            "cat.csv:2: column 'Price': expected a number, got \"n/a\"");
}

TEST_F(CatalogTest, NegativeAndZeroPrice) {
  EXPECT_EQ(Error("g5.xlarge,A10G,1,4,16,,-1.5,,us-east-1,\n"),
            "cat.csv:2: column 'Price': expected a positive number, got -1.5");
  EXPECT_EQ(Error("g5.xlarge,A10G,1,4,16,,0,,us-east-1,\n"),
            "cat.csv:2: column 'Price': expected a positive number, got 0");
  EXPECT_EQ(Error("g5.xlarge,A10G,1,4,16,,1,-0.2,us-east-1,\n"),
            "cat.csv:2: column 'SpotPrice': expected a positive number, got -0.2");
}

TEST_F(CatalogTest, AcceleratorCountMustBeWhole) {
  EXPECT_EQ(Error("g5.xlarge,A10G,1.5,4,16,,1,,us-east-1,\n"),
            "cat.csv:2: column 'AcceleratorCount': expected a whole number of GPUs (1 to 1024), got 1.5");
  EXPECT_EQ(Error("g5.xlarge,A10G,0.5,4,16,,1,,us-east-1,\n"),
            "cat.csv:2: column 'AcceleratorCount': expected a whole number of GPUs (1 to 1024), got 0.5");
  EXPECT_EQ(Error("g5.xlarge,A10G,2048,4,16,,1,,us-east-1,\n"),
            "cat.csv:2: column 'AcceleratorCount': expected a whole number of GPUs (1 to 1024), got 2048");
  EXPECT_EQ(Error("g5.xlarge,A10G,0,4,16,,1,,us-east-1,\n"),
            "cat.csv:2: column 'AcceleratorCount': expected a positive number, got 0");
  EXPECT_EQ(Error("g5.xlarge,A10G,,4,16,,1,,us-east-1,\n"),
            "cat.csv:2: column 'AcceleratorCount': missing value");
}

TEST_F(CatalogTest, HostMemoryRequired) {
  EXPECT_EQ(Error("g5.xlarge,A10G,1,4,,,1,,us-east-1,\n"), "cat.csv:2: column 'MemoryGiB': missing value");
}

TEST_F(CatalogTest, MissingInstanceType) {
  EXPECT_EQ(Error(",A10G,1,4,16,,1,,us-east-1,\n"), "cat.csv:2: column 'InstanceType': missing value");
}

TEST_F(CatalogTest, MissingRequiredColumn) {
  EXPECT_EQ(Error("g5.xlarge,A10G,1,16\n", "InstanceType,AcceleratorName,AcceleratorCount,MemoryGiB\n"),
            "cat.csv:1: missing required column 'Price'");
  EXPECT_EQ(Error("g5.xlarge,1,16,1\n", "InstanceType,AcceleratorCount,MemoryGiB,Price\n"),
            "cat.csv:1: missing required column 'AcceleratorName'");
}

TEST_F(CatalogTest, MinimalColumnsOnly) {
  Catalog c = MustParse("g5.xlarge,A10G,1,16,1.006\n", "min.csv",
                        "InstanceType,AcceleratorName,AcceleratorCount,MemoryGiB,Price\n");
  const Instance& i = c.instances.at(0);
  EXPECT_EQ(i.vcpus, 0);
  EXPECT_EQ(i.region, "");
  EXPECT_FALSE(i.spot_usd_per_hour.has_value());
  EXPECT_EQ(i.gpu.memory_bytes, 24 * kGiB);
}

constexpr const char* kOverrideHeader =
    "InstanceType,AcceleratorName,AcceleratorCount,MemoryGiB,Price,Source,AsOf,gpu.h2d_gbps,gpu.fp32_tflops,"
    "gpu.memory_gib\n";

TEST_F(CatalogTest, GpuColumnOverrides) {
  Catalog c = MustParse(
      "g4dn.xlarge,T4,1,16,0.71,paper,2025-04-16,6,8.24,\n"
      "g5.xlarge,A10G,1,16,1.466,paper,2025-05-01,,,20\n",
      "cat.csv", kOverrideHeader);
  ASSERT_EQ(c.instances.size(), 2u);
  const Instance& t4 = c.instances[0];
  EXPECT_EQ(t4.gpu.h2d_bytes_per_s, 6e9);           // overridden
  EXPECT_DOUBLE_EQ(t4.gpu.d2h_bytes_per_s, 15.75e9);  // not overridden
  EXPECT_DOUBLE_EQ(t4.gpu.Flops(Precision::kFp32), 8.24e12);
  EXPECT_EQ(t4.gpu.memory_bytes, 16 * kGiB);  // empty override keeps the table value
  EXPECT_EQ(t4.source, "paper");
  EXPECT_EQ(t4.as_of, "2025-04-16");
  const Instance& a10g = c.instances[1];
  EXPECT_DOUBLE_EQ(a10g.gpu.h2d_bytes_per_s, 31.5e9);
  EXPECT_DOUBLE_EQ(a10g.gpu.Flops(Precision::kFp32), 31.52e12);
  EXPECT_EQ(a10g.gpu.memory_bytes, 20 * kGiB);
  // The GPU table itself is unchanged.
  EXPECT_DOUBLE_EQ(gpus_.Find("T4")->h2d_bytes_per_s, 15.75e9);
  // The catalog's date is its oldest row's.
  EXPECT_EQ(c.as_of, "2025-04-16");
}

TEST_F(CatalogTest, OverrideBeatsGpuInfoMemory) {
  Catalog c = MustParse("g5.xlarge,A10G,1,16,1,\"{'Gpus': [{'MemoryInfo': {'SizeInMiB': 22888}}]}\",22\n",
                        "cat.csv", "InstanceType,AcceleratorName,AcceleratorCount,MemoryGiB,Price,GpuInfo,gpu.memory_gib\n");
  EXPECT_EQ(c.instances.at(0).gpu.memory_bytes, 22 * kGiB);
}

TEST_F(CatalogTest, UnknownOverrideColumn) {
  EXPECT_EQ(Error("g4dn.xlarge,T4,1,16,0.71,6\n",
                  "InstanceType,AcceleratorName,AcceleratorCount,MemoryGiB,Price,gpu.h2d_gbs\n"),
            "cat.csv:1: unknown override column 'gpu.h2d_gbs' (did you mean 'gpu.h2d_gbps'?)");
  EXPECT_EQ(Error("g4dn.xlarge,T4,1,16,0.71,x\n",
                  "InstanceType,AcceleratorName,AcceleratorCount,MemoryGiB,Price,gpu.name\n"),
            "cat.csv:1: unknown override column 'gpu.name'");
}

TEST_F(CatalogTest, BadOverrideValue) {
  EXPECT_EQ(Error("g4dn.xlarge,T4,1,16,0.71,,,fast,,\n", kOverrideHeader),
            "cat.csv:2: column 'gpu.h2d_gbps': expected a number, got \"fast\"");
  EXPECT_EQ(Error("g4dn.xlarge,T4,1,16,0.71,,,0,,\n", kOverrideHeader),
            "cat.csv:2: column 'gpu.h2d_gbps': expected a positive number, got 0");
}

TEST_F(CatalogTest, DuplicateInstanceInSameRegion) {
  EXPECT_EQ(Error("g4dn.xlarge,T4,1,4,16,,0.526,,us-east-1,\n"
                  "g5.xlarge,A10G,1,4,16,,1.006,,us-east-1,\n"
                  "G4DN.XLARGE,T4,1,4,16,,0.6,,us-east-1,\n"),
            "cat.csv:4: instance \"G4DN.XLARGE\" is listed twice (first on line 2)");
}

TEST_F(CatalogTest, DuplicateInstanceInSameRegionAfterAnotherRegion) {
  EXPECT_EQ(Error("g4dn.xlarge,T4,1,4,16,,0.526,,us-east-1,\n"
                  "g4dn.xlarge,T4,1,4,16,,0.587,,us-west-2,\n"
                  "g4dn.xlarge,T4,1,4,16,,0.6,,us-west-2,\n"),
            "cat.csv:4: instance \"g4dn.xlarge\" is listed twice (first on line 3)");
}

TEST_F(CatalogTest, SameInstanceInOtherRegionsKeepsTheFirst) {
  Catalog c = MustParse(
      "g4dn.xlarge,T4,1,4,16,,0.526,,us-east-1,us-east-1a\n"
      "g4dn.xlarge,T4,1,4,16,,0.587,,us-west-2,\n"
      "g4dn.xlarge,T4,1,4,16,,0.526,,us-east-1,us-east-1b\n"
      "g5.xlarge,A10G,1,4,16,,1.006,,us-east-1,\n");
  ASSERT_EQ(c.instances.size(), 2u);
  EXPECT_EQ(c.instances[0].region, "us-east-1");
  EXPECT_EQ(c.instances[0].zone, "us-east-1a");
  EXPECT_DOUBLE_EQ(c.instances[0].usd_per_hour, 0.526);
  EXPECT_EQ(c.instances[0].line, 2);
  EXPECT_EQ(c.instances[1].name, "g5.xlarge");
  EXPECT_EQ(c.other_region_rows, 2);
}

// ---- Shipped GPU table and catalogs ------------------------------------------------

class HardwareShippedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto gpus = LoadGpuTable("");
    ASSERT_TRUE(gpus.ok()) << gpus.error().message();
    gpus_ = *gpus;
  }
  const GpuSpec& Gpu(std::string_view name) {
    const GpuSpec* g = gpus_.Find(name);
    EXPECT_NE(g, nullptr) << name;
    static const GpuSpec kNone;
    return g ? *g : kNone;
  }
  GpuTable gpus_;
};

TEST_F(HardwareShippedTest, GpuTableRows) {
  std::vector<std::string> names;
  for (const GpuSpec& g : gpus_.gpus()) names.push_back(g.name);
  EXPECT_EQ(names, (std::vector<std::string>{"T4", "T4g", "A10G", "A10", "L4", "L40S", "A40", "V100",
                                             "V100-32GB", "A100", "A100-80GB", "H100", "H100-PCIe", "GH200",
                                             "H200", "A100-80GB-PCIe", "H100-NVL", "B200", "B300", "GB200", "H200-NVL", "GH200-144GB",
                                      "RTX-PRO-6000", "L40", "MI300X", "MI325X", "MI355X"}));
  for (const GpuSpec& g : gpus_.gpus()) {
    SCOPED_TRACE(g.name);
    EXPECT_GT(g.memory_bytes, 0);
    EXPECT_GT(g.memory_bytes_per_s, 0);
    EXPECT_GT(g.Flops(Precision::kFp16), g.Flops(Precision::kFp32));  // tensor cores beat CUDA cores
    EXPECT_GT(g.h2d_bytes_per_s, 0);
    EXPECT_GT(g.d2h_bytes_per_s, 0);
    EXPECT_FALSE(g.source.empty());
    EXPECT_EQ(g.as_of, "2026-11-26");
  }
}

TEST_F(HardwareShippedTest, DatasheetValues) {
  // NVIDIA T4 datasheet: 16 GB GDDR6, 320 GB/s, 65 TFLOPS mixed FP16, 8.1 TFLOPS FP32;
  // a process can allocate 15095 MiB of it (deviceQuery; nvidia-smi shows 15360 with ECC on).
  const GpuSpec& t4 = Gpu("T4");
  EXPECT_EQ(t4.memory_bytes, 15095 * kMiB);
  EXPECT_EQ(t4.memory_bytes_per_s, 320e9);
  EXPECT_DOUBLE_EQ(t4.Flops(Precision::kFp16), 65e12);
  EXPECT_DOUBLE_EQ(t4.Flops(Precision::kFp32), 8.1e12);
  EXPECT_EQ(t4.Flops(Precision::kBf16), 0.0);  // Turing has no BF16
  EXPECT_DOUBLE_EQ(t4.h2d_bytes_per_s, 15.75e9);  // PCIe 3.0 x16
  EXPECT_EQ(t4.host_link, "PCIe 3.0 x16");
  EXPECT_EQ(t4.architecture, "turing");
  // NVIDIA A100 40GB SXM: 1555 GB/s, 312 TFLOPS dense FP16/BF16, 19.5 FP32.
  const GpuSpec& a100 = Gpu("A100 (40GB)");
  EXPECT_EQ(a100.name, "A100");
  EXPECT_EQ(a100.memory_bytes, 39.39 * kGiB);  // "total capacity of 39.39 GiB" (PyTorch, TensorRT-LLM logs)
  EXPECT_EQ(a100.memory_bytes_per_s, 1555e9);
  EXPECT_DOUBLE_EQ(a100.Flops(Precision::kFp16), 312e12);
  EXPECT_DOUBLE_EQ(a100.Flops(Precision::kBf16), 312e12);
  EXPECT_DOUBLE_EQ(a100.Flops(Precision::kFp32), 19.5e12);
  EXPECT_EQ(a100.Flops(Precision::kFp8), 0.0);  // Ampere has no FP8
  EXPECT_DOUBLE_EQ(a100.gpu_link_bytes_per_s, 600e9);  // NVLink3
  // A100 80GB SXM: 2039 GB/s.
  EXPECT_EQ(Gpu("A100-80GB").memory_bytes_per_s, 2039e9);
  // NVIDIA H100 SXM: 989.4 TFLOPS dense FP16 (1979 sparse / 2), 1978.9 FP8, 3.35 TB/s.
  const GpuSpec& h100 = Gpu("h100-sxm");
  EXPECT_EQ(h100.name, "H100");
  EXPECT_DOUBLE_EQ(h100.Flops(Precision::kFp16), 989.4e12);
  EXPECT_NEAR(h100.Flops(Precision::kFp16), 989.5e12, 0.5e12);
  EXPECT_DOUBLE_EQ(h100.Flops(Precision::kFp8), 1978.9e12);
  EXPECT_EQ(h100.memory_bytes_per_s, 3350e9);
  EXPECT_EQ(h100.memory_bytes, 85045477376.0);  // deviceQuery: 81106 MiB (nvidia-smi 81559 - 454 reserved)
  EXPECT_DOUBLE_EQ(h100.h2d_bytes_per_s, 63e9);  // PCIe 5.0 x16
  // L4: 300 GB/s, 24 GB of which a process can allocate 23034 - 556 reserved = 22478 MiB.
  EXPECT_EQ(Gpu("L4").memory_bytes_per_s, 300e9);
  EXPECT_EQ(Gpu("L4").memory_bytes, 22478 * kMiB);
  EXPECT_EQ(Gpu("L4").tdp_w, 72);
  EXPECT_EQ(Gpu("L4").compute_capability, 8.9);
  // 2026 parts: B200 180 GB at 7.7 TB/s, 2250 dense BF16, 9000 dense FP4;
  // MI300X 192 GB at 5.3 TB/s, AMD, no CUDA compute capability.
  const GpuSpec& b200 = Gpu("B200");
  EXPECT_EQ(b200.memory_bytes, 178.4 * kGiB);  // SGLang's "/ 178.4 GiB" on SM100
  EXPECT_EQ(b200.memory_bytes_per_s, 7700e9);
  EXPECT_DOUBLE_EQ(b200.Flops(Precision::kBf16), 2250e12);
  EXPECT_DOUBLE_EQ(b200.Flops(Precision::kFp4), 9000e12);
  EXPECT_EQ(b200.compute_capability, 10.0);
  const GpuSpec& mi300x = Gpu("MI300X");
  EXPECT_EQ(mi300x.vendor, "amd");
  EXPECT_EQ(mi300x.memory_bytes, 196592 * kMiB);  // HIP totalGlobalMem
  EXPECT_EQ(mi300x.compute_capability, 0);
  EXPECT_EQ(Gpu("nvidia-b200").name, "B200");
  EXPECT_EQ(Gpu("Instinct MI300X").name, "MI300X");
}

TEST_F(HardwareShippedTest, AliasesResolve) {
  EXPECT_EQ(Gpu("Tesla T4").name, "T4");
  EXPECT_EQ(Gpu("t4g").name, "T4g");
  EXPECT_EQ(Gpu("V100 (16GB)").name, "V100");
  EXPECT_EQ(Gpu("V100-SXM2-32GB").name, "V100-32GB");
  EXPECT_EQ(Gpu("A100-SXM4-80GB").name, "A100-80GB");
  EXPECT_EQ(Gpu("H100 PCIe").name, "H100-PCIe");
  EXPECT_EQ(Gpu("H200-141GB").name, "H200");
}

TEST_F(HardwareShippedTest, AwsCatalog) {
  auto catalog = LoadCatalog("aws", gpus_);
  ASSERT_TRUE(catalog.ok()) << catalog.error().message();
  EXPECT_EQ(catalog->name, "aws");
  EXPECT_EQ(catalog->instances.size(), 45u);
  EXPECT_EQ(catalog->other_region_rows, 0);
  EXPECT_EQ(catalog->as_of, "2026-11-26");
  for (const Instance& i : catalog->instances) {
    SCOPED_TRACE(i.name);
    EXPECT_GT(i.usd_per_hour, 0);
    EXPECT_GE(i.gpu_count, 1);
    EXPECT_GT(i.host_memory_bytes, 0);
    EXPECT_EQ(i.region, "us-east-1");
  }
  const Instance* g4dn = catalog->Find("g4dn.xlarge");
  ASSERT_NE(g4dn, nullptr);
  EXPECT_DOUBLE_EQ(g4dn->usd_per_hour, 0.526);
  EXPECT_EQ(g4dn->gpu.name, "T4");
  EXPECT_EQ(g4dn->gpu.memory_bytes, 15095 * kMiB);
  EXPECT_EQ(g4dn->vcpus, 4);
  EXPECT_EQ(g4dn->host_memory_bytes, 16 * kGiB);
  EXPECT_EQ(g4dn->line, 2);
  const Instance* g5 = catalog->Find("g5.xlarge");
  ASSERT_NE(g5, nullptr);
  EXPECT_EQ(g5->gpu.memory_bytes, 22503 * kMiB);  // the CUDA total, not 24 GiB
  const Instance* p4d = catalog->Find("p4d.24xlarge");
  ASSERT_NE(p4d, nullptr);
  EXPECT_EQ(p4d->gpu.name, "A100");
  EXPECT_EQ(p4d->gpu_count, 8);
  // After AWS's June 2025 cut (instances.vantage.sh data of 2026-01-21).
  EXPECT_DOUBLE_EQ(p4d->usd_per_hour, 21.957642);
  EXPECT_EQ(p4d->price_date(), "2026-01-21");
  EXPECT_DOUBLE_EQ(catalog->Find("p5.48xlarge")->usd_per_hour, 55.04);
  const Instance* p5en = catalog->Find("p5en.48xlarge");
  EXPECT_DOUBLE_EQ(p5en->usd_per_hour, 63.296);
  EXPECT_DOUBLE_EQ(p5en->spot_usd_per_hour.value_or(0), 27.1988);
  EXPECT_EQ(p5en->price_date(), "2026-08-06");
  EXPECT_EQ(catalog->Find("p6-b200.48xlarge")->gpu.name, "B200");
  EXPECT_EQ(catalog->Find("p5.4xlarge")->gpu_count, 1);
  EXPECT_EQ(catalog->Find("p5e.48xlarge"), nullptr);  // omitted: no on-demand price
  EXPECT_EQ(g4dn->price_date(), "2026-01-21");
  // GCP's SkyPilot commit cannot be dated: its prices are undated.
  auto gcp = LoadCatalog("gcp", gpus_);
  ASSERT_TRUE(gcp.ok()) << gcp.error().message();
  EXPECT_EQ(gcp->Find("a2-highgpu-1g")->price_date(), "");
}

TEST_F(HardwareShippedTest, PaperCatalogIsTableIV) {
  auto catalog = LoadCatalog("paper", gpus_);
  ASSERT_TRUE(catalog.ok()) << catalog.error().message();
  ASSERT_EQ(catalog->instances.size(), 4u);
  struct Row {
    const char* instance;
    const char* gpu;
    double price;
    double pcie_gbps;
    double fp32_tflops;
    double memory_gib;
  };
  // arXiv 2504.11816v1 Table IV.
  const Row rows[] = {{"g4dn.xlarge", "T4", 0.71, 6, 8.24, 16},
                      {"g5.xlarge", "A10G", 1.466, 12, 31.52, 24},
                      {"g6.xlarge", "L4", 1.167, 12, 30.29, 24},
                      {"g6e.xlarge", "L40S", 2.699, 12, 91.61, 48}};
  for (size_t k = 0; k < 4; ++k) {
    const Instance& i = catalog->instances[k];
    SCOPED_TRACE(rows[k].instance);
    EXPECT_EQ(i.name, rows[k].instance);
    EXPECT_EQ(i.gpu.name, rows[k].gpu);
    EXPECT_DOUBLE_EQ(i.usd_per_hour, rows[k].price);
    EXPECT_EQ(i.gpu.h2d_bytes_per_s, rows[k].pcie_gbps * 1e9);
    EXPECT_EQ(i.gpu.d2h_bytes_per_s, rows[k].pcie_gbps * 1e9);
    EXPECT_DOUBLE_EQ(i.gpu.Flops(Precision::kFp32), rows[k].fp32_tflops * 1e12);
    EXPECT_EQ(i.gpu.memory_bytes, rows[k].memory_gib * kGiB);
    EXPECT_EQ(i.gpu_count, 1);
    EXPECT_EQ(i.as_of, "2025-04-16");
  }
  EXPECT_EQ(catalog->instances[0].gpu.h2d_bytes_per_s, 6e9);  // T4: 6 GB/s
  EXPECT_EQ(catalog->as_of, "2025-04-16");
}

TEST_F(HardwareShippedTest, CatalogNamesAreCaseInsensitive) {
  auto catalog = LoadCatalog("PAPER", gpus_);
  ASSERT_TRUE(catalog.ok()) << catalog.error().message();
  EXPECT_EQ(catalog->name, "paper");
  EXPECT_EQ(ShippedCatalogNames(), (std::vector<std::string>{"aws", "azure", "gcp", "paper"}));
}

TEST_F(HardwareShippedTest, UnknownCatalog) {
  auto catalog = LoadCatalog("awz", gpus_);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(catalog.error().message(),
            "unknown catalog 'awz' (did you mean 'aws'?) (shipped: aws, azure, gcp, paper; or give a path to a .csv file)");
  auto missing = LoadCatalog("/nonexistent-infersave-dir/cat.csv", gpus_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIo);
  EXPECT_EQ(missing.error().message(), "cannot read /nonexistent-infersave-dir/cat.csv: No such file or directory");
}

TEST_F(HardwareShippedTest, CatalogAndGpuTableFromFiles) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(::testing::TempDir()) / "infersave_hardware_test";
  fs::create_directories(dir);
  fs::path gpus_path = dir / "gpus.csv";
  fs::path cat_path = dir / "mine.csv";
  std::ofstream(gpus_path) << kGpus;
  std::ofstream(cat_path) << kCatalogHeader << "g4dn.xlarge,T4,1,4,16,,0.526,,us-east-1,\n";
  auto gpus = LoadGpuTable(gpus_path.string());
  ASSERT_TRUE(gpus.ok()) << gpus.error().message();
  EXPECT_EQ(gpus->gpus().size(), 2u);
  auto catalog = LoadCatalog(cat_path.string(), *gpus);
  ASSERT_TRUE(catalog.ok()) << catalog.error().message();
  EXPECT_EQ(catalog->name, cat_path.string());
  EXPECT_EQ(catalog->instances.size(), 1u);
  // Messages name the file.
  std::ofstream(cat_path) << kCatalogHeader << "g4dn.xlarge,T4,1,4,16,,n/a,,us-east-1,\n";
  auto bad = LoadCatalog(cat_path.string(), *gpus);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), cat_path.string() + ":2: column 'Price': expected a number, got \"n/a\"");
  fs::remove_all(dir);
}

TEST(HardwareReadTextFileTest, MissingFileAndDirectory) {
  auto missing = ReadTextFile("/nonexistent-infersave-dir/gpus.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIo);
  EXPECT_EQ(missing.error().message(), "cannot read /nonexistent-infersave-dir/gpus.csv: No such file or directory");

  namespace fs = std::filesystem;
  fs::path dir = fs::path(::testing::TempDir()) / "infersave_read_dir";
  fs::create_directories(dir);
  auto directory = ReadTextFile(dir.string());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().code(), ErrorCode::kIo);
  EXPECT_EQ(directory.error().message(), "cannot read " + dir.string() + ": it is a directory");

  auto gpus = LoadGpuTable(dir.string());
  ASSERT_FALSE(gpus.ok());
  EXPECT_EQ(gpus.error().message(), "cannot read " + dir.string() + ": it is a directory");
  fs::remove_all(dir);
}

TEST(HardwareReadTextFileTest, ReadsBytesExactly) {
  namespace fs = std::filesystem;
  fs::path path = fs::path(::testing::TempDir()) / "infersave_read_file.csv";
  const std::string body = "a,b\r\n1,\"x\ny\"\n\xEF\xBB\xBF";
  {
    std::ofstream out(path, std::ios::binary);
    out << body;
  }
  auto text = ReadTextFile(path.string());
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_EQ(*text, body);
  fs::remove(path);
}

}  // namespace
}  // namespace infersave
