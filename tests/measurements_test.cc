// The measurements CSV (docs/calibration.md).
#include "infersave/measurements.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace infersave {
namespace {

constexpr const char* kHeader =
    "gpu,engine,model,precision,tp,batch_size,input_len,output_len,prefill_s,decode_s_per_token,total_s,"
    "throughput_tps,tokens_counted,source\n";

TEST(MeasurementsTest, ParsesEveryColumn) {
  auto rows = ParseMeasurements(std::string(kHeader) +
                                    "A100,vllm,llama-2-7b,fp16,2,16,128,128,0.05,0.012,1.6,2560,input+output,run 7\n"
                                    "H100,vllm,llama-2-7b,,,1,512,1,0.03,,,,,\n",
                                "m.csv");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  ASSERT_EQ(rows->size(), 2u);
  const Measurement& a = (*rows)[0];
  EXPECT_EQ(a.gpu, "A100");
  EXPECT_EQ(a.tp, 2);
  EXPECT_EQ(a.batch_size, 16);
  EXPECT_EQ(*a.prefill_s, 0.05);
  EXPECT_EQ(*a.decode_s_per_token, 0.012);
  EXPECT_EQ(*a.throughput_tps, 2560);
  EXPECT_EQ(a.counts, TokensCounted::kInputAndOutput);
  EXPECT_EQ(a.source, "run 7");
  const Measurement& b = (*rows)[1];
  EXPECT_EQ(b.tp, 1);                         // default
  EXPECT_EQ(b.precision, Precision::kFp16);  // default
  EXPECT_EQ(b.source, "m.csv:3");
  EXPECT_FALSE(b.MeasuredTotalSeconds());
}

TEST(MeasurementsTest, TotalFromThroughputFollowsWhatItCounts) {
  Measurement m;
  m.batch_size = 16;
  m.input_len = 128;
  m.output_len = 384;
  m.throughput_tps = 1024;
  m.counts = TokensCounted::kInputAndOutput;
  EXPECT_DOUBLE_EQ(*m.MeasuredTotalSeconds(), 16.0 * 512 / 1024);
  m.counts = TokensCounted::kOutput;
  EXPECT_DOUBLE_EQ(*m.MeasuredTotalSeconds(), 16.0 * 384 / 1024);
  m.total_s = 3.0;  // a measured total wins
  EXPECT_DOUBLE_EQ(*m.MeasuredTotalSeconds(), 3.0);
}

TEST(MeasurementsTest, OffloadAndServingColumns) {
  auto rows = ParseMeasurements(
      "gpu,engine,model,batch_size,input_len,output_len,kv_offload,weight_offload,request_rate,concurrency,"
      "num_requests,input_dist,output_dist,prefill_s,decode_s_per_token,throughput_tps,tokens_counted\n"
      "T4,flexgen,opt-6.7b,64,512,32,0.6,0,,,,,,,,210,output\n"
      "H100,vllm,llama-3.1-8b,,1024,128,,,8,,500,uniform:512:1536,,0.045,0.011,950,output\n"
      "H100,vllm,llama-3.1-8b,,1024,128,,,inf,16,200,,normal:128:20,,,3000,output\n",
      "m.csv");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  const Measurement& offload = (*rows)[0];
  EXPECT_FALSE(offload.serving());
  EXPECT_EQ(*offload.kv_offload, 0.6);
  EXPECT_EQ(*offload.weight_offload, 0);
  const Measurement& rate = (*rows)[1];
  EXPECT_TRUE(rate.serving());
  EXPECT_EQ(*rate.request_rate, 8);
  EXPECT_EQ(rate.num_requests, 500);
  ASSERT_TRUE(rate.input_dist);
  EXPECT_EQ(rate.input_dist->kind, LengthDistribution::Kind::kUniform);
  EXPECT_EQ(rate.input_dist->hi_tokens, 1536);
  EXPECT_FALSE(rate.output_dist);
  const Measurement& burst = (*rows)[2];
  EXPECT_TRUE(std::isinf(*burst.request_rate));
  EXPECT_EQ(*burst.concurrency, 16);
  EXPECT_EQ(burst.output_dist->kind, LengthDistribution::Kind::kNormal);
  // The CSV writer writes what the reader reads.
  auto again = ParseMeasurements(MeasurementsToCsv(*rows), "again.csv");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(*(*again)[0].kv_offload, 0.6);
  EXPECT_TRUE(std::isinf(*(*again)[2].request_rate));
  EXPECT_EQ((*again)[1].input_dist->lo_tokens, 512);
}

TEST(MeasurementsTest, BadOffloadAndServingCellsSayWhere) {
  const std::string head = "gpu,engine,model,batch_size,input_len,output_len,kv_offload,request_rate,num_requests,"
                           "input_dist,total_s,throughput_tps,tokens_counted\n";
  auto error = [&](const std::string& row) {
    auto r = ParseMeasurements(head + row + "\n", "m.csv");
    return r.ok() ? std::string("parsed") : r.error().message();
  };
  EXPECT_EQ(error("T4,flexgen,opt-6.7b,8,512,32,1.5,,,,1,,"),
            "m.csv:2: column 'kv_offload': expected a fraction from 0 to 1, got \"1.5\"");
  EXPECT_EQ(error("H100,vllm,llama-3.1-8b,,512,32,,-2,10,,,100,output"),
            "m.csv:2: column 'request_rate': expected a positive number, got -2");
  EXPECT_EQ(error("H100,vllm,llama-3.1-8b,,512,32,,4,,,,100,output"), "m.csv:2: column 'num_requests': missing value");
  EXPECT_EQ(error("H100,vllm,llama-3.1-8b,1,512,32,,,10,,1,,"),
            "m.csv:2: column 'num_requests': describes a serving run; give its request_rate or concurrency");
  EXPECT_EQ(error("H100,vllm,llama-3.1-8b,,512,32,,4,10,,2,,"),
            "m.csv:2: column 'total_s': a serving run has no single batch time; give throughput_tps instead");
  EXPECT_NE(error("H100,vllm,llama-3.1-8b,,512,32,,4,10,uniform:9,,100,output").find("column 'input_dist'"),
            std::string::npos);
}

TEST(MeasurementsTest, InstanceColumnNeedsACatalog) {
  Catalog catalog = testing::ShippedCatalog("aws");
  std::string text = "instance,engine,model,batch_size,input_len,output_len,total_s\ng5.xlarge,vllm,llama-2-7b,1,10,10,1\n";
  auto rows = ParseMeasurements(text, "m.csv", &catalog);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_EQ((*rows)[0].gpu, "A10G");
  EXPECT_EQ(ParseMeasurements(text, "m.csv").error().message(), "m.csv:2: column 'instance': unknown instance \"g5.xlarge\" (give a catalog that lists it, or a 'gpu')");
}

struct BadCase {
  std::string row;
  std::string message;
};

TEST(MeasurementsTest, MalformedRowsNameFileLineAndColumn) {
  const BadCase cases[] = {
      {"A100,vllm,llama-2-7b,fp16,1,0,128,128,,,1.0,,,", "m.csv:2: column 'batch_size': expected a whole number from 1 to 1048576, got \"0\""},
      {"A100,vllm,llama-2-7b,fp16,1,-4,128,128,,,1.0,,,", "m.csv:2: column 'batch_size': expected a whole number from 1 to 1048576, got \"-4\""},
      {"A100,vllm,llama-2-7b,fp16,1.5,4,128,128,,,1.0,,,", "m.csv:2: column 'tp': expected a whole number from 1 to 1024, got \"1.5\""},
      {"A100,vllm,llama-2-7b,fp16,1,4,128,128,,,n/a,,,", "m.csv:2: column 'total_s': expected a number, got \"n/a\""},
      {"A100,vllm,llama-2-7b,fp16,1,4,128,128,,,-2,,,", "m.csv:2: column 'total_s': expected a positive number, got -2"},
      {"A100,vllm,llama-2-7b,fp16,1,4,128,128,,,,,,", "m.csv:2: no measured value: fill at least one of prefill_s, decode_s_per_token, total_s, throughput_tps"},
      {"A100,vllm,llama-2-7b,fp16,1,4,128,128,,,,900,tokens,", "m.csv:2: column 'tokens_counted': expected \"input+output\" or \"output\" (which tokens throughput_tps counts), got \"tokens\""},
      {"A100,vllm,llama-2-7b,fp17,1,4,128,128,,,1,,,", "m.csv:2: column 'precision': unknown precision \"fp17\" (expected fp32, fp16, bf16, fp8, int8, int4 or fp4)"},
      {",vllm,llama-2-7b,fp16,1,4,128,128,,,1,,,", "m.csv:2: column 'gpu': missing value (or give an 'instance')"},
      {"A100,,llama-2-7b,fp16,1,4,128,128,,,1,,,", "m.csv:2: column 'engine': missing value"},
      {"A100,vllm,llama-2-7b,fp16,1,4,128", "m.csv:2: expected 14 fields as in the header, got 7"},
  };
  for (const BadCase& c : cases) {
    auto rows = ParseMeasurements(std::string(kHeader) + c.row + "\n", "m.csv");
    ASSERT_FALSE(rows.ok()) << c.row;
    EXPECT_EQ(rows.error().message(), c.message);
    EXPECT_EQ(rows.error().code(), ErrorCode::kInvalidInput);
  }
  EXPECT_EQ(ParseMeasurements("gpu,engine,model,batch_size,input_len,output_len\n", "m.csv").error().message(),
            "m.csv:1: no measured column: expected at least one of prefill_s, decode_s_per_token, total_s, "
            "throughput_tps");
  EXPECT_EQ(ParseMeasurements("engine,model,batch_size,input_len,output_len,total_s\n", "m.csv").error().message(),
            "m.csv:1: missing required column 'gpu' (or 'instance')");
  EXPECT_EQ(ParseMeasurements(kHeader, "m.csv").error().message(), "m.csv: no measurement rows");
}

TEST(MeasurementsTest, CsvRoundTrip) {
  auto rows = ParseMeasurements(std::string(kHeader) +
                                    "A100,vllm,llama-2-7b,bf16,2,16,128,128,0.05,0.012,1.6,2560,output,\"a, b\"\n",
                                "m.csv");
  ASSERT_TRUE(rows.ok());
  auto again = ParseMeasurements(MeasurementsToCsv(*rows), "again.csv");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ((*again)[0].precision, Precision::kBf16);
  EXPECT_EQ((*again)[0].counts, TokensCounted::kOutput);
  EXPECT_EQ((*again)[0].source, "a, b");
  EXPECT_EQ(*(*again)[0].decode_s_per_token, 0.012);
}

}  // namespace
}  // namespace infersave
