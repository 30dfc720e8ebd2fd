// Performance models against hand calculations (method.md section 4).
#include "infersave/perf.h"

#include <gtest/gtest.h>

#include "perf/roofline_model.h"
#include "test_util.h"

namespace infersave {
namespace {

using testing::Model;

Workload Online() {
  Workload w;
  w.batch_size = 32;
  w.input_len = 128;
  w.output_len = 512;
  return w;
}

// The paper's g4dn.xlarge (Table IV): 8.24 TFLOPS, PCIe 6 GB/s each way.
GpuSpec PaperT4() {
  GpuSpec g;
  g.name = "T4";
  g.flops[static_cast<int>(Precision::kFp32)] = 8.24e12;
  g.flops[static_cast<int>(Precision::kFp16)] = 65e12;
  g.memory_bytes_per_s = 320e9;
  g.h2d_bytes_per_s = 6e9;
  g.d2h_bytes_per_s = 6e9;
  return g;
}

struct Fixture {
  ModelConfig model;
  ParameterCount params;
  Workload workload;
  GpuSpec gpu;
  EngineProfile engine;
  PredictInput Input(double offload = 0) {
    PredictInput in;
    in.model = &model;
    in.params = &params;
    in.workload = &workload;
    in.gpu = &gpu;
    in.engine = &engine;
    in.offload_ratio = offload;
    return in;
  }
};

Fixture Opt27bOnT4(EngineProfile engine) {
  Fixture f{Model("opt-2.7b"), {}, Online(), PaperT4(), std::move(engine)};
  f.params = CountParameters(f.model);
  return f;
}

TEST(PaperModelTest, Eqs4To6ByHand) {
  Fixture f = Opt27bOnT4(testing::IdealEngine());
  Timing t = MakePerfModel(PerfModelKind::kPaper)->Predict(f.Input());
  // Prefill per layer: 32 (8 128 2560^2 + 4 128 2560 10240) / 8.24e12
  //   + 4 32 128^2 2560 / 8.24e12 = 0.0781851 + 0.00065154 s; x 32 layers.
  EXPECT_NEAR(t.prefill_s, 32 * (644'245'094'400.0 + 5'368'709'120.0) / 8.24e12, 1e-9);
  EXPECT_NEAR(t.prefill_s, 2.52277, 1e-5);
  // Decode per layer: 32 (8 2560^2 + 4 2560 10240) / 8.24e12 + 4 32 384 2560 / 8.24e12,
  // plus the printed transfer (0 x 2 x 129 + 512) x 2560 x 2 x 32 / 6e9.
  const double step = 32 * ((5'033'164'800.0 + 125'829'120.0) / 8.24e12 + 83'886'080.0 / 6e9);
  EXPECT_NEAR(t.decode_first_step_s, step, 1e-12);
  EXPECT_NEAR(step, 0.467427, 1e-6);
  EXPECT_EQ(t.decode_steps, 511);
  EXPECT_NEAR(t.total_s, t.prefill_s + 511 * step, 1e-9);
  // Eq. 1: 32 x 640 / T_E2E.
  EXPECT_NEAR(t.tokens_per_s(f.workload), 20480 / t.total_s, 1e-9);
  EXPECT_NEAR(t.tokens_per_s(f.workload), 84.85, 0.01);
}

TEST(PaperModelTest, OffloadWriteOverlapsPrefillAndCtcfScalesCompute) {
  Fixture f = Opt27bOnT4(testing::IdealEngine());
  PredictInput in = f.Input(0.5);
  in.ctcf.prefill = PhaseCtcf{2.0, 0.1, true};
  Timing t = MakePerfModel(PerfModelKind::kPaper)->Predict(in);
  // Write per layer: 0.5 x 2 x 129 x 2560 x 2 x 32 / 6e9 = 3.5225 ms; x 32.
  EXPECT_NEAR(t.prefill_offload_write_s, 32 * 0.5 * 2 * 129 * 2560 * 2 * 32 / 6e9, 1e-12);
  EXPECT_NEAR(t.prefill_compute_s, 2 * 2.522773 + 0.1, 1e-5);
  EXPECT_DOUBLE_EQ(t.prefill_s, std::max(t.prefill_compute_s, t.prefill_offload_write_s));
}

TEST(SumMaxOfLinesTest, MatchesTheLoop) {
  struct Case {
    double a0, a1, b0, b1;
    int64_t c0, c1;
  };
  for (Case k : {Case{1, 2, 10, 1, 1, 30}, Case{10, 1, 1, 2, 1, 30}, Case{5, 0, 0, 1, 0, 4},
                 Case{0, 1, 5, 0, 0, 4}, Case{3, 1, 3, 1, 7, 9}, Case{0, 1, 100, 0.5, 10, 1000},
                 Case{2, 0.5, 0, 1, 4, 4}, Case{1, 1, 0, 2, 5, 2}}) {
    double loop = 0;
    for (int64_t c = k.c0; c <= k.c1; ++c) {
      loop += std::max(k.a0 + k.a1 * static_cast<double>(c), k.b0 + k.b1 * static_cast<double>(c));
    }
    EXPECT_NEAR(SumMaxOfLines(k.a0, k.a1, k.b0, k.b1, k.c0, k.c1), loop, 1e-9 * (1 + loop))
        << k.a0 << " " << k.a1 << " " << k.b0 << " " << k.b1 << " " << k.c0 << ".." << k.c1;
  }
}

TEST(RooflineTest, SmallBatchDecodeIsBoundByReadingWeightsAndKv) {
  // One sequence on an ideal engine: a decode step reads every weight once
  // and the KV of the context; the rest (activations, norms) is under 1%.
  Fixture f{Model("llama-2-7b"), {}, {}, PaperT4(), testing::IdealEngine()};
  f.params = CountParameters(f.model);
  f.workload.batch_size = 1;
  f.workload.input_len = 1000;
  f.workload.output_len = 2;
  Timing t = MakePerfModel(PerfModelKind::kRoofline)->Predict(f.Input());
  // Weights minus the input embedding table (a lookup, not a read of all of it).
  const double weights = (static_cast<double>(f.params.total) - 32000.0 * 4096) * 2;
  const double kv = 2.0 * 1001 * 32 * 4096 * 2;  // context 1001 tokens
  const double expected = (weights + kv) / 320e9;
  EXPECT_EQ(t.decode_steps, 1);
  EXPECT_NEAR(t.decode_total_s / expected, 1.0, 0.01);
}

TEST(RooflineTest, DecodeStepGrowsWithContext) {
  Fixture f = Opt27bOnT4(testing::IdealEngine());
  Timing t = MakePerfModel(PerfModelKind::kRoofline)->Predict(f.Input());
  // KV read per step grows by 32 seqs x 327,680 B per token of context.
  const double kv_per_token = 32.0 * 2 * 32 * 2560 * 2;
  EXPECT_NEAR(t.decode_last_step_s - t.decode_first_step_s, 510 * kv_per_token / 320e9, 1e-9);
  EXPECT_NEAR(t.decode_total_s, 511 * (t.decode_first_step_s + t.decode_last_step_s) / 2, 1e-9);
}

TEST(RooflineTest, OffloadFetchSerialAndOverlapped) {
  EngineProfile serial = testing::IdealEngine();
  serial.overlap_decode_offload = false;
  serial.overlap_prefill_offload = false;
  Fixture f = Opt27bOnT4(serial);
  auto model = MakePerfModel(PerfModelKind::kRoofline);
  Timing none = model->Predict(f.Input(0));
  Timing half = model->Predict(f.Input(0.5));
  // Fetch over all steps: 0.5 x 32 seqs x 327,680 B x sum of contexts 129..639 / 6e9,
  // plus writing back the new token's share each step.
  const double per_token = 32.0 * 2 * 2560 * 2 * 32;
  const double contexts = (129.0 + 639.0) * 511 / 2;
  const double fetch = 0.5 * per_token * (contexts + 511) / 6e9;
  EXPECT_NEAR(half.decode_fetch_total_s, fetch, 1e-9);
  EXPECT_NEAR(half.decode_total_s - none.decode_total_s, fetch, 1e-9);
  // Prefill writes 0.5 of the prompt's KV: 0.5 x 32 x 128 x 327,680 B / 6e9.
  EXPECT_NEAR(half.prefill_s - none.prefill_s, 0.5 * 32 * 128 * 327'680.0 / 6e9, 1e-9);

  // Overlapped, a step costs the slower of compute and fetch, never the sum.
  f.engine.overlap_decode_offload = true;
  Timing overlapped = model->Predict(f.Input(0.5));
  EXPECT_LT(overlapped.decode_total_s, half.decode_total_s);
  EXPECT_GE(overlapped.decode_total_s, std::max(none.decode_total_s, fetch) - 1e-9);
}

TEST(RooflineTest, CtcfScalesAndShifts) {
  Fixture f = Opt27bOnT4(testing::IdealEngine());
  auto model = MakePerfModel(PerfModelKind::kRoofline);
  Timing base = model->Predict(f.Input());
  PredictInput in = f.Input();
  in.ctcf.prefill = PhaseCtcf{1.5, 0.2, true};
  in.ctcf.decode = PhaseCtcf{2.0, 0.001, true};
  Timing cal = model->Predict(in);
  EXPECT_NEAR(cal.prefill_s, 1.5 * base.prefill_s + 0.2, 1e-9);
  EXPECT_NEAR(cal.decode_total_s, 2.0 * base.decode_total_s + 511 * 0.001, 1e-9);
}

TEST(RooflineTest, MixtureOfExpertsReadsOnlyActiveExpertsAtBatchOne) {
  Fixture f{Model("mixtral-8x7b"), {}, {}, PaperT4(), testing::IdealEngine()};
  f.params = CountParameters(f.model);
  f.workload.batch_size = 1;
  f.workload.input_len = 16;
  f.workload.output_len = 2;
  Timing t = MakePerfModel(PerfModelKind::kRoofline)->Predict(f.Input());
  // One token routes to 2 of 8 experts: about 12.9 B active parameters x 2 bytes
  // (minus the embedding lookup), far below the 46.7 B resident.
  const double active = (static_cast<double>(f.params.active_per_token) - 32000.0 * 4096) * 2;
  EXPECT_NEAR(t.decode_total_s / (active / 320e9), 1.0, 0.01);
}

TEST(RooflineTest, ComputeBoundPrefillFollowsFlops) {
  // 32 x 1024 tokens of OPT-2.7B: 2 x params x tokens dominate; at 65 TFLOPS
  // the prefill takes at least that long and not much more: the elementwise
  // kernels (norms, activation, rotary: about 51 k values of 2 bytes per token
  // and layer, 107 GB in all) add 0.33 s at the T4's 320 GB/s.
  Fixture f = Opt27bOnT4(testing::IdealEngine());
  f.workload.input_len = 1024;
  f.workload.output_len = 128;
  Timing t = MakePerfModel(PerfModelKind::kRoofline)->Predict(f.Input());
  const double linear_flops = 2.0 * (2'651'596'800.0 - 50272.0 * 2560 - 2050.0 * 2560) * 32 * 1024;
  EXPECT_GT(t.prefill_s, linear_flops / 65e12);
  const double elementwise_s = (8.0 * 2560 + 2 * 10240 + 2 * (2560 + 2560)) * 2 * 32 * 32 * 1024 / 320e9;
  EXPECT_LT(t.prefill_s, 1.05 * (linear_flops / 65e12 + elementwise_s));
}

}  // namespace
}  // namespace infersave
