// Engine and GPU compatibility as data (issue 11): vendor builds, compute
// capability, ARM hosts, and the degraded FlashAttention-less path.
#include <gtest/gtest.h>

#include "infersave/planner.h"
#include "test_util.h"

namespace infersave {
namespace {

using testing::Engine;
using testing::MakeInstance;

TEST(CompatibilityTest, AmdGpusNeedTheRocmBuild) {
  const Instance mi300x = MakeInstance("nd-mi300x", "MI300X", 8, 50, "r");
  const Compatibility cuda = CheckCompatibility(Engine("vllm"), mi300x);
  EXPECT_FALSE(cuda.runs);
  EXPECT_EQ(cuda.reason,
            "engine 'vllm' has no build for AMD GPUs (MI300X); it runs on nvidia (the vllm-rocm engine profile runs on AMD GPUs)");
  EXPECT_TRUE(CheckCompatibility(Engine("vllm-rocm"), mi300x).runs);
  EXPECT_TRUE(CheckCompatibility(Engine("llamacpp"), mi300x).runs);
  EXPECT_FALSE(CheckCompatibility(Engine("vllm-rocm"), MakeInstance("p5", "H100", 8, 55, "r")).runs);
}

TEST(CompatibilityTest, ComputeCapabilityAndFlashAttention) {
  const Instance t4 = MakeInstance("g4dn.xlarge", "T4", 1, 0.526, "us-east-1");
  const Compatibility trt = CheckCompatibility(Engine("tensorrt-llm"), t4);
  EXPECT_FALSE(trt.runs);
  EXPECT_EQ(trt.reason, "engine 'tensorrt-llm' needs compute capability 8.0 or newer; T4 is 7.5");
  const Compatibility vllm = CheckCompatibility(Engine("vllm"), t4);
  EXPECT_TRUE(vllm.runs);
  EXPECT_TRUE(vllm.degraded);
  EXPECT_EQ(vllm.reason,
            "no FlashAttention on T4 (compute capability 7.5): engine 'vllm' runs a slower attention backend, "
            "predicted with unfused attention");
  const Compatibility a10g = CheckCompatibility(Engine("vllm"), MakeInstance("g5", "A10G", 1, 1, "r"));
  EXPECT_TRUE(a10g.runs);
  EXPECT_FALSE(a10g.degraded);
}

TEST(CompatibilityTest, ArmHostsWithOlderGpusHaveNoVllmBuild) {
  const Catalog aws = testing::ShippedCatalog("aws");
  const Instance* g5g = aws.Find("g5g.xlarge");
  ASSERT_NE(g5g, nullptr);
  EXPECT_EQ(g5g->host_arch, "arm64");
  EXPECT_EQ(aws.Find("g4dn.xlarge")->host_arch, "x86_64");
  const Compatibility c = CheckCompatibility(Engine("vllm"), *g5g);
  EXPECT_FALSE(c.runs);
  EXPECT_EQ(c.reason,
            "no prebuilt engine 'vllm' for an ARM (aarch64) host with a compute capability 7.5 GPU (T4g); its "
            "aarch64 builds target compute capability 9.0 and newer");
  EXPECT_TRUE(CheckCompatibility(Engine("llamacpp"), *g5g).runs);
}

TEST(CompatibilityTest, DegradedGpusArePredictedWithUnfusedAttention) {
  testing::OnlineJob job;
  job.model = testing::Model("llama-3.1-8b");
  job.options.workload.input_len = 4000;
  job.options.workload.output_len = 16;
  job.catalog.instances = {MakeInstance("a", "T4", 1, 1, "r"), MakeInstance("b", "T4", 1, 1, "r")};
  Evaluator evaluator(PlanContext{&job.model, &job.catalog, &job.engine, nullptr}, job.options);
  EXPECT_FALSE(evaluator.EngineFor(job.catalog.instances[0]).fused_attention);
  EXPECT_TRUE(job.engine.fused_attention);
  const Instance a100 = MakeInstance("c", "A100", 1, 1, "r");
  EXPECT_TRUE(evaluator.EngineFor(a100).fused_attention);
}

}  // namespace
}  // namespace infersave
