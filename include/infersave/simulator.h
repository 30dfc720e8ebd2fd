// Discrete-event simulator of continuous batching, as vLLM-class engines serve
// requests: iteration-level scheduling with chunked prefill, a paged KV cache
// of fixed-size blocks, and preemption (recompute or swap) under KV pressure.
//
// The time of one engine iteration is injected (StepTimeFn), so the simulator
// does not depend on a particular performance model. Workloads come from a
// seeded generator (GenerateRequests) or a CSV trace (ParseTrace), and are
// offered open loop (Simulate: at their arrival times) or by closed-loop
// clients (SimulateClosedLoop: each sends its next request after the last one
// finishes).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "infersave/model.h"
#include "infersave/status.h"

namespace infersave {

// ---- Requests --------------------------------------------------------------

// One request as it reaches the engine.
struct Request {
  double arrival_s = 0;       // arrival time, seconds from the start of the run
  int64_t prompt_tokens = 0;  // >= 1
  int64_t output_tokens = 0;  // tokens to generate, >= 1
};

// A distribution of token counts (prompt or output lengths). Every sample is a
// whole number >= 1.
struct LengthDistribution {
  enum class Kind {
    kFixed,      // always fixed_tokens
    kUniform,    // uniform over the integers [lo_tokens, hi_tokens]
    kNormal,     // normal(mean_tokens, sd_tokens) rounded to the nearest integer,
                 // resampled while < 1 (truncated to >= 1)
    kEmpirical,  // one of values_tokens, each equally likely
    kLogNormal,  // log-normal with mean mean_tokens and standard deviation
                 // sd_tokens, rounded, resampled while < 1 or > max_tokens
  };
  Kind kind = Kind::kFixed;
  int64_t fixed_tokens = 1;
  int64_t lo_tokens = 1;
  int64_t hi_tokens = 1;
  double mean_tokens = 1;
  double sd_tokens = 0;
  int64_t max_tokens = 0;  // kLogNormal: the longest length drawn; 0 = no cap
  std::vector<int64_t> values_tokens;

  static LengthDistribution Fixed(int64_t tokens);
  static LengthDistribution Uniform(int64_t lo_tokens, int64_t hi_tokens);
  static LengthDistribution Normal(double mean_tokens, double sd_tokens);
  static LengthDistribution Empirical(std::vector<int64_t> values_tokens);
  // Right-skewed lengths, as real prompts and answers are: the log-normal of
  // that mean and standard deviation (before the cap), capped at max_tokens
  // (0 = none) by drawing again.
  static LengthDistribution LogNormal(double mean_tokens, double sd_tokens, int64_t max_tokens = 0);
};

enum class ArrivalProcess {
  kPoisson,  // exponential inter-arrival times (coefficient of variation 1)
  kGamma,    // gamma inter-arrival times with coefficient of variation gamma_cv:
             // cv > 1 is burstier than Poisson, cv < 1 smoother
};

// A synthetic workload: arrivals at rate_per_s on average, and lengths.
struct WorkloadSpec {
  double rate_per_s = 1;  // mean arrival rate, requests/s, > 0
  ArrivalProcess arrival = ArrivalProcess::kPoisson;
  double gamma_cv = 1;  // inter-arrival coefficient of variation for kGamma, > 0
  LengthDistribution prompt = LengthDistribution::Fixed(128);
  LengthDistribution output = LengthDistribution::Fixed(128);
  int64_t num_requests = 1;  // >= 1
  uint64_t seed = 1;
};

// Checks a length distribution's parameters; `what` starts the message
// ("prompt length: ...").
Status ValidateLength(const LengthDistribution& d, std::string_view what);

// Draws num_requests requests, sorted by arrival (the first arrives one
// inter-arrival time after t = 0). Deterministic for a seed on every platform:
// it uses std::mt19937_64 and its own samplers, not <random>'s distributions.
// Fails (kInvalidArgument) on out-of-range parameters.
Result<std::vector<Request>> GenerateRequests(const WorkloadSpec& spec);

// Reads a CSV trace with columns arrival_s, prompt_tokens, output_tokens
// (other columns are ignored). Rows must be sorted by arrival_s; errors
// (kInvalidInput) name "source:line: column 'X'".
Result<std::vector<Request>> ParseTrace(std::string_view csv_text, std::string_view source);

// ---- Engine model ----------------------------------------------------------

// The work of one engine iteration.
struct IterationShape {
  int64_t prefill_tokens = 0;    // prompt tokens processed (all prefill chunks together)
  int64_t decode_sequences = 0;  // sequences generating one token each
  // Sum of the decoding sequences' context lengths in tokens (prompt + tokens
  // generated so far, the token being processed included).
  int64_t decode_context_tokens = 0;
  // Sum over the prefill chunks of this iteration of chunk_tokens x (tokens
  // already in that sequence's KV before the chunk + (chunk_tokens + 1) / 2),
  // i.e. the number of causal (query, key) pairs the chunks' attention
  // computes: a chunk of c tokens after k cached ones has c k + c (c + 1) / 2.
  // Exact (a whole number) while below 2^53.
  double prefill_attention_pairs = 0;
  // The same two sums for the model's windowed layers (EngineLimits::window_*):
  // the tokens each decoding sequence attends to there, and the chunks'
  // (query, key) pairs inside the window. Equal to the full sums without a window.
  int64_t decode_window_context_tokens = 0;
  // Prefill chunks that complete their prompt (each samples a first token).
  int64_t prefill_completions = 0;
  double prefill_window_attention_pairs = 0;
};

// Seconds one engine iteration of the given shape takes; must return a finite
// value >= 0.
using StepTimeFn = std::function<double(const IterationShape&)>;

// Scheduler and memory limits of the engine.
struct EngineLimits {
  // Token budget per iteration: prefill chunk tokens + one per decoding
  // sequence (vLLM's max_num_batched_tokens). >= max_sequences.
  int64_t max_batched_tokens = 2048;
  int64_t max_sequences = 256;  // running sequences at once (max_num_seqs), >= 1
  int64_t block_size_tokens = 16;  // tokens per KV cache block, >= 1
  int64_t kv_blocks = 0;           // KV cache capacity in blocks, >= 1
  // Windowed attention layers (sliding or chunked): they hold at most
  // window_tokens of a sequence's KV. A block is sized for one token of every
  // layer; `windowed_kv_share` of that is in windowed layers, so a sequence
  // of t > W tokens needs (1 - share) t + share W tokens' worth of blocks
  // (vLLM's hybrid allocator frees the blocks a window has left behind).
  WindowKind window_kind = WindowKind::kNone;
  int64_t window_tokens = 0;
  double windowed_kv_share = 0;  // [0, 1]
  enum class Preemption {
    kRecompute,  // drop the victim's KV; it prefills prompt + generated tokens again
    kSwap,       // copy the victim's KV blocks to host memory and back later
  };
  Preemption preemption = Preemption::kRecompute;
  // Seconds to copy one block out or in (kSwap); added to the iteration in
  // which the copy happens. >= 0.
  double swap_s_per_block = 0;
  // Admission reserves the request's whole KV peak (prompt + output - 1
  // tokens) at once, as TGI and TensorRT-LLM's GUARANTEED_NO_EVICT do: a
  // running sequence never needs another block, so nothing is preempted, and
  // fewer sequences run at once.
  bool reserve_full_request = false;
  // The output tokens a request asks for at most (its max_tokens), which an
  // engine reserving the whole request holds from admission; 0 = exactly the
  // tokens it will generate.
  int64_t reserved_output_tokens = 0;
  // Whether one iteration may hold prefill chunks and decodes together
  // (vLLM with chunked prefill, TensorRT-LLM in-flight batching). When false
  // (TGI 1.x, vLLM V0 without chunked prefill), an iteration runs either the
  // pending prefills alone, pausing every decode, or the decodes alone;
  // prefills go first.
  bool mixed_batches = true;
};

// ---- Results ---------------------------------------------------------------

struct RequestMetrics {
  double arrival_s = 0;
  double first_token_s = 0;  // end of the iteration that completed the prefill
  double finish_s = 0;       // end of the iteration that produced the last token
  double ttft_s = 0;         // first_token_s - arrival_s
  // (finish_s - first_token_s) / (output_tokens - 1); nullopt for 1 output token.
  std::optional<double> tpot_s;
  double e2e_s = 0;  // finish_s - arrival_s
  int64_t preemptions = 0;
};

// Summary of one latency over the requests where it is defined. Percentiles
// use the nearest-rank method: pX is the smallest sample such that at least
// X% of the samples are <= it, i.e. sorted[ceil(X/100 * n) - 1].
struct LatencyStats {
  int64_t count = 0;  // samples (0: every field below is 0)
  double mean_s = 0;
  double p50_s = 0;
  double p90_s = 0;
  double p99_s = 0;
};

struct SimulationResult {
  std::vector<RequestMetrics> requests;  // in the order of the input
  LatencyStats ttft;
  LatencyStats tpot;  // requests with >= 2 output tokens
  LatencyStats e2e;
  // First arrival to last finish, seconds.
  double makespan_s = 0;
  // Over the makespan (0 when the makespan is 0).
  double output_tokens_per_s = 0;
  double total_tokens_per_s = 0;  // input + output tokens
  int64_t preemptions = 0;
  int64_t iterations = 0;
  // Offered-load stability: requests completed between the arrival of the
  // request at the 25th percentile of arrival order (nearest rank) and the
  // last arrival, divided by the arrivals in the same window, both counted
  // over the half-open window (t25, t_last]; 1 when no request arrives in it.
  // A replica that keeps up completes about as many as arrive (ratio near 1);
  // an overloaded one falls behind (ratio about capacity / offered rate).
  double completion_ratio = 1;
};

// Runs the requests through an engine with the given limits. Requests need
// not be sorted (ties keep input order). Fails with kInvalidArgument on
// invalid limits or requests, a request whose KV peak (prompt + output - 1
// tokens) can never fit in kv_blocks, or a step time that is negative or not
// finite. Cost: O(n log n + iterations x running sequences).
Result<SimulationResult> Simulate(const std::vector<Request>& requests, const EngineLimits& limits,
                                  const StepTimeFn& step_time);

// Closed-loop clients: each of `users` clients sends one request, waits for
// its last token, waits think_s, then sends the next.
struct ClosedLoop {
  int64_t users = 1;  // >= 1
  double think_s = 0;  // seconds between a finish and the client's next request, finite, >= 0
  // Paced: a request is also not sent before its own arrival_s, so the
  // requests arrive at their times but at most `users` are in flight (a
  // request rate with a concurrency cap, as `vllm bench serve
  // --request-rate R --max-concurrency C` sends them). The requests must
  // then be sorted by arrival_s.
  bool paced = false;
};

// Runs the requests through the engine as closed-loop clients send them. The
// requests' prompt and output lengths are used in vector order; their
// arrival_s fields are ignored (and not validated) unless the loop is paced:
// the first min(users, n) requests arrive at t = 0 (paced: at their
// arrival_s), and each time a request finishes at time t, the next unsent one
// arrives at t + think_s (paced: or at its arrival_s, whichever is later). RequestMetrics.arrival_s holds that
// dynamic arrival; results are in the order of the input. With users >= n it
// equals Simulate with every arrival at 0. Fails like Simulate, and with
// kInvalidArgument on users < 1 or a think time that is negative or not finite.
Result<SimulationResult> SimulateClosedLoop(const std::vector<Request>& requests, const ClosedLoop& loop,
                                            const EngineLimits& limits, const StepTimeFn& step_time);

// Nearest-rank percentile, as in LatencyStats: sorted[ceil(pct/100 * n) - 1]
// with the rank clamped to [1, n] (so pct <= 0 gives the minimum and pct > 100
// the maximum); 0 for no samples. pct is meant to be in (0, 100] and may be
// fractional (99.9); the rank is computed so that a product that is a whole
// number in exact arithmetic (90% of 10) is not rounded up by float error.
double Percentile(std::vector<double> samples, double pct);

// Percentiles of the per-request TTFT and TPOT of a result (TPOT over the
// requests with >= 2 output tokens); 0 when there are no such requests.
double TtftPercentile(const SimulationResult& result, double pct);
double TpotPercentile(const SimulationResult& result, double pct);

// Fraction of the requests (0 when there are none) with TTFT <= ttft_slo_s and
// TPOT <= tpot_slo_s (a request with 1 output token needs only the TTFT).
double FractionMeeting(const SimulationResult& result, double ttft_slo_s, double tpot_slo_s);

}  // namespace infersave
