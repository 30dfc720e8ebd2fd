// Memory need and Algorithm 1 (method.md section 3), against hand-computed values.
#include "infersave/memory.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace infersave {
namespace {

using testing::Engine;
using testing::Model;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

Workload Online() {
  Workload w;
  w.batch_size = 32;
  w.input_len = 128;
  w.output_len = 512;
  w.requests = 3000;
  return w;
}

TEST(MemoryTest, Opt27bOnlineByHand) {
  ModelConfig m = Model("opt-2.7b");
  ParameterCount p = CountParameters(m);
  EngineProfile flexgen = Engine("flexgen");
  MemoryBreakdown mem = ComputeMemory(m, p, Online(), flexgen, 16 * kGiB, 0.9, MemoryStyle::kWorkspace);
  // 2,651,596,800 parameters x 2 bytes.
  EXPECT_DOUBLE_EQ(mem.weights_bytes, 5'303'193'600.0);
  // 2 x BS 32 x 640 tokens x 32 layers x (32 heads x 80) x 2 bytes.
  EXPECT_DOUBLE_EQ(mem.kv_bytes, 6'710'886'400.0);
  EXPECT_DOUBLE_EQ(mem.kv_per_layer_bytes, 209'715'200.0);
  // Prefill of 4096 tokens, unfused attention: (hidden 4x4096x2560 + QKV
  // 4096x7680 + MLP 2x4096x10240 + scores 2x32x32x128x128) x 2 bytes
  // + logits 32 x 50272 x 4 bytes.
  EXPECT_DOUBLE_EQ(mem.activation_bytes, 388'116'480.0);
  EXPECT_DOUBLE_EQ(mem.reserve_bytes, 0.5 * kGiB);
  EXPECT_DOUBLE_EQ(mem.budget_bytes, 0.9 * 16 * kGiB);
  EXPECT_DOUBLE_EQ(mem.available_bytes(), 0.9 * 16 * kGiB - 5'303'193'600.0 - 388'116'480.0 - 0.5 * kGiB);
}

TEST(MemoryTest, PaperStyleUsesHiddenSizeAndNoByteFactor) {
  ModelConfig m = Model("llama-3.1-8b");
  ParameterCount p = CountParameters(m);
  Workload w = Online();
  MemoryBreakdown paper = ComputeMemory(m, p, w, Engine("flexgen"), 24 * kGiB, 0.9, MemoryStyle::kPaper);
  MemoryBreakdown ours = ComputeMemory(m, p, w, Engine("flexgen"), 24 * kGiB, 0.9, MemoryStyle::kWorkspace);
  // Table II with h1 = 4096: 2 x 32 x 640 x 32 x 4096 x 2.
  EXPECT_DOUBLE_EQ(paper.kv_bytes, 10'737'418'240.0);
  // GQA: 8 KV heads x 128 = 1024 wide, a quarter of that.
  EXPECT_DOUBLE_EQ(ours.kv_bytes, 2'684'354'560.0);
  // 2 (L_in + L_out) BS h1, without a byte factor, and no reserve.
  EXPECT_DOUBLE_EQ(paper.activation_bytes, 2.0 * 640 * 32 * 4096);
  EXPECT_DOUBLE_EQ(paper.reserve_bytes, 0.0);
}

TEST(MemoryTest, FusedChunkedPrefillHasNoScoreMatrix) {
  ModelConfig m = Model("opt-2.7b");
  ParameterCount p = CountParameters(m);
  EngineProfile vllm = Engine("vllm");  // fused attention, 8192-token chunks
  Workload w = Online();
  w.input_len = 1024;
  w.output_len = 128;
  MemoryBreakdown mem = ComputeMemory(m, p, w, vllm, 24 * kGiB, 0.9, MemoryStyle::kWorkspace);
  // One 8192-token chunk: (4x8192x2560 + 8192x7680 + 2x8192x10240) x 2 + 32 x 50272 x 4.
  EXPECT_DOUBLE_EQ(mem.activation_bytes, (4.0 * 8192 * 2560 + 8192.0 * 7680 + 2.0 * 8192 * 10240) * 2 + 32.0 * 50272 * 4);
}

// A breakdown with round numbers: budget 10, base 6 (4 + 1 + 1), KV 8 in 8 layers.
MemoryBreakdown Round(double budget = 10) {
  MemoryBreakdown m;
  m.weights_bytes = 4;
  m.activation_bytes = 1;
  m.reserve_bytes = 1;
  m.budget_bytes = budget;
  m.kv_bytes = 8;
  m.kv_per_layer_bytes = 1;
  return m;
}

EngineProfile Steps(double step) {
  EngineProfile e = testing::IdealEngine();
  e.offload_step = step;
  return e;
}

TEST(OffloadTest, FitsEntirely) {
  OffloadDecision d = DecideOffload(Round(14), Steps(0.01), OffloadMode::kAuto, 0, 100);
  EXPECT_EQ(d.placement, Placement::kFits);
  EXPECT_EQ(d.ratio, 0);
  EXPECT_EQ(d.required_ratio, 0);
}

TEST(OffloadTest, OffloadsWhatDoesNotFitRoundedUpToTheEngineStep) {
  // 4.1 left for 8 of KV: C_off = 1 - 4.1 / 8 = 0.4875, FlexGen places 49%.
  OffloadDecision d = DecideOffload(Round(10.1), Steps(0.01), OffloadMode::kAuto, 0, 100);
  EXPECT_EQ(d.placement, Placement::kOffload);
  EXPECT_NEAR(d.required_ratio, 0.4875, 1e-12);
  EXPECT_NEAR(d.ratio, 0.49, 1e-12);
  EXPECT_NEAR(d.host_kv_bytes, 0.49 * 8, 1e-12);
  // Continuous placement keeps the exact ratio; an exact step is not bumped.
  EXPECT_NEAR(DecideOffload(Round(10.1), Steps(0), OffloadMode::kAuto, 0, 100).ratio, 0.4875, 1e-12);
  EXPECT_NEAR(DecideOffload(Round(10), Steps(0.01), OffloadMode::kAuto, 0, 100).ratio, 0.5, 1e-12);
}

TEST(OffloadTest, RejectionsCarryTheirReason) {
  EXPECT_EQ(DecideOffload(Round(5.9), Steps(0.01), OffloadMode::kAuto, 0, 100).blocker,
            OffloadBlocker::kWeightsDoNotFit);
  EXPECT_EQ(DecideOffload(Round(6.5), Steps(0.01), OffloadMode::kAuto, 0, 100).blocker,
            OffloadBlocker::kNoRoomForOneLayer);
  EXPECT_EQ(DecideOffload(Round(10), Steps(0.01), OffloadMode::kNone, 0, 100).blocker,
            OffloadBlocker::kOffloadDisabled);
  EngineProfile no_offload = Steps(0);
  no_offload.supports_kv_offload = false;
  EXPECT_EQ(DecideOffload(Round(10), no_offload, OffloadMode::kAuto, 0, 100).blocker,
            OffloadBlocker::kEngineCannotOffload);
  EXPECT_EQ(DecideOffload(Round(10), Steps(0.01), OffloadMode::kFixed, 0.3, 100).blocker,
            OffloadBlocker::kFixedRatioTooSmall);
  // 0.5 x 8 = 4 bytes offloaded, 3 of host memory.
  OffloadDecision host = DecideOffload(Round(10), Steps(0.01), OffloadMode::kAuto, 0, 3);
  EXPECT_EQ(host.blocker, OffloadBlocker::kHostMemoryTooSmall);
  EXPECT_EQ(host.placement, Placement::kCannotRun);
}

TEST(OffloadTest, HostReserveIsKeptFree) {
  EngineProfile e = Steps(0.01);
  e.host_reserve_bytes = 2;
  // 4 to offload, 6 - 2 = 4 usable: fits exactly.
  EXPECT_EQ(DecideOffload(Round(10), e, OffloadMode::kAuto, 0, 6).placement, Placement::kOffload);
  EXPECT_EQ(DecideOffload(Round(10), e, OffloadMode::kAuto, 0, 5.9).blocker, OffloadBlocker::kHostMemoryTooSmall);
}

TEST(OffloadTest, FixedRatioStillNeedsOneLayerOnTheGpu) {
  // 0.5 left, one layer's KV is 1: even with everything offloaded the layer
  // being computed has nowhere to go.
  EXPECT_EQ(DecideOffload(Round(6.5), Steps(0.01), OffloadMode::kFixed, 1.0, 100).blocker,
            OffloadBlocker::kNoRoomForOneLayer);
}

TEST(OffloadTest, FixedRatioAboveTheNeedIsUsedAsGiven) {
  OffloadDecision d = DecideOffload(Round(14), Steps(0.01), OffloadMode::kFixed, 0.25, 100);
  EXPECT_EQ(d.placement, Placement::kOffload);
  EXPECT_DOUBLE_EQ(d.ratio, 0.25);
}

TEST(OffloadTest, MoreGpuMemoryNeverMakesItInfeasible) {
  // Property: for budgets from too small to ample, once a placement exists it
  // keeps existing, and the offload ratio never grows.
  double last_ratio = 1.0;
  bool ran = false;
  for (double budget = 5; budget <= 16; budget += 0.25) {
    OffloadDecision d = DecideOffload(Round(budget), Steps(0.01), OffloadMode::kAuto, 0, 100);
    if (ran) EXPECT_NE(d.placement, Placement::kCannotRun) << budget;
    if (d.placement != Placement::kCannotRun) {
      EXPECT_LE(d.ratio, last_ratio + 1e-12) << budget;
      last_ratio = d.ratio;
      ran = true;
    }
  }
  EXPECT_TRUE(ran);
}

TEST(WorkloadTest, RangesAndContextWindow) {
  ModelConfig m = Model("opt-2.7b");
  Workload w = Online();
  EXPECT_TRUE(ValidateWorkload(w, m).ok());
  w.batch_size = 0;
  // The library names request fields by path (issue 12); front ends render them.
  EXPECT_EQ(ValidateWorkload(w, m).error().message(), "workload.batch_size must be between 1 and 1048576, got 0");
  EXPECT_EQ(ValidateWorkload(w, m).error().field(), "workload.batch_size");
  w.batch_size = 1'000'000'000'000;
  EXPECT_EQ(ValidateWorkload(w, m).error().message(),
            "workload.batch_size must be between 1 and 1048576, got 1000000000000");
  w = Online();
  w.input_len = 2000;
  const Error e = ValidateWorkload(w, m).error();
  EXPECT_EQ(e.message(),
            "workload.input_len 2000 + workload.output_len 512 = 2512 tokens exceeds opt-2.7b's context window of "
            "2048 tokens (max_position_embeddings)");
  EXPECT_EQ(e.message([](std::string_view path) { return "<" + std::string(path) + ">"; }),
            "<workload.input_len> 2000 + <workload.output_len> 512 = 2512 tokens exceeds opt-2.7b's context window of "
            "2048 tokens (max_position_embeddings)");
  EXPECT_EQ(e.field(), "workload.output_len");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_STREQ(ErrorCodeName(e.code()), "invalid_argument");
}

}  // namespace
}  // namespace infersave

namespace infersave {
namespace {

TEST(MemorySemanticsTest, TensorRtLlmTakesItsKvFractionOfWhatTheWeightsLeave) {
  const ModelConfig m = testing::Model("llama-3.1-8b");
  const ParameterCount p = CountParameters(m);
  Workload w;
  EngineProfile vllm = testing::Engine("vllm");
  EngineProfile trt = testing::Engine("tensorrt-llm");
  ASSERT_TRUE(trt.kv_fraction_of_free);
  ASSERT_FALSE(vllm.kv_fraction_of_free);
  const double gpu = 80.0 * (1 << 30);
  const MemoryBreakdown v = ComputeMemory(m, p, w, vllm, gpu, 0.9, MemoryStyle::kWorkspace);
  const MemoryBreakdown t = ComputeMemory(m, p, w, trt, gpu, 0.9, MemoryStyle::kWorkspace);
  // vLLM: 0.9 of the whole GPU, less what the weights and workspace take.
  EXPECT_DOUBLE_EQ(v.available_bytes(), 0.9 * gpu - v.base_bytes());
  // TensorRT-LLM: 0.9 of what they leave.
  EXPECT_DOUBLE_EQ(t.available_bytes(), 0.9 * (gpu - t.base_bytes()));
  EXPECT_GT(t.available_bytes(), v.available_bytes() + 0.09 * t.base_bytes() - 1);
}

}  // namespace
}  // namespace infersave
