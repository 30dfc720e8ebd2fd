// Continuous-batching simulator: the scheduler, its KV blocks and the
// iteration loop (include/infersave/simulator.h).
#include "infersave/simulator.h"
#include "serve/latency_stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <utility>

#include "io/csv.h"
#include "io/text.h"

namespace infersave {

// ---- Simulation ----------------------------------------------------------------

namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// KV blocks and windows: tokens' worth of KV a sequence of `tokens` tokens
// holds, and the most tokens a number of blocks holds (EngineLimits).
class KvBlocks {
 public:
  explicit KvBlocks(const EngineLimits& l)
      : block_(l.block_size_tokens),
        window_(l.window_kind != WindowKind::kNone && l.windowed_kv_share > 0 ? l.window_tokens : 0),
        share_(l.windowed_kv_share) {}
  int64_t For(int64_t tokens) const { return CeilDiv(Effective(tokens), block_); }
  int64_t TokensIn(int64_t blocks) const {
    const int64_t cap = blocks * block_;
    if (window_ <= 0 || cap <= window_) return cap;
    if (share_ >= 1) return std::numeric_limits<int64_t>::max() / 4;
    return window_ + static_cast<int64_t>(std::floor(static_cast<double>(cap - window_) / (1 - share_) + 1e-9));
  }

 private:
  int64_t Effective(int64_t tokens) const {
    if (window_ <= 0 || tokens <= window_) return tokens;
    return static_cast<int64_t>(
        std::ceil((1 - share_) * static_cast<double>(tokens) + share_ * static_cast<double>(window_) - 1e-9));
  }
  int64_t block_;
  int64_t window_;
  double share_;
};

// Scheduler state of one request.
struct Seq {
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
  int64_t generated_tokens = 0;  // output tokens produced so far
  int64_t kv_tokens = 0;         // tokens whose KV is in the cache (or swapped out)
  // Tokens to prefill before the next token is sampled: the prompt, or after
  // a recompute preemption prompt + generated. kv_tokens >= this means decoding.
  int64_t prefill_target_tokens = 0;
  int64_t blocks = 0;          // KV blocks held on the GPU
  int64_t swapped_blocks = 0;  // KV blocks held in host memory (kSwap)
  int64_t work_tokens = 0;     // tokens scheduled in the current iteration
  bool decoding_now = false;   // the scheduled work is a decode
  double first_token_s = -1;
  double finish_s = 0;
  int64_t preemptions = 0;

  bool Decoding() const { return kv_tokens >= prefill_target_tokens; }
};

Status ValidateLimits(const EngineLimits& l) {
  if (l.max_sequences < 1) {
    return InvalidArgument(fmt::format("max_sequences must be >= 1, got {}", l.max_sequences));
  }
  if (l.max_batched_tokens < l.max_sequences) {
    return InvalidArgument(fmt::format("max_batched_tokens ({}) must be >= max_sequences ({}) so every running "
                                       "sequence can decode each iteration",
                                       l.max_batched_tokens, l.max_sequences));
  }
  if (l.block_size_tokens < 1) {
    return InvalidArgument(fmt::format("block_size_tokens must be >= 1, got {}", l.block_size_tokens));
  }
  if (l.kv_blocks < 1) return InvalidArgument(fmt::format("kv_blocks must be >= 1, got {}", l.kv_blocks));
  if (!std::isfinite(l.swap_s_per_block) || l.swap_s_per_block < 0) {
    return InvalidArgument(fmt::format("swap_s_per_block must be >= 0 s, got {}", l.swap_s_per_block));
  }
  return Status::Ok();
}

// Checks every request before the run: finite arrivals (open loop), at least
// one prompt and one output token, and a KV peak that fits the cache alone.
Status ValidateRequests(const std::vector<Request>& requests, bool open_loop, const EngineLimits& limits,
                        const KvBlocks& kv) {
  for (size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    if (open_loop && !std::isfinite(r.arrival_s)) {  // closed loop ignores arrival_s
      return InvalidArgument(fmt::format("request #{}: arrival time must be finite, got {}", i + 1, r.arrival_s));
    }
    if (r.prompt_tokens < 1 || r.output_tokens < 1) {
      return InvalidArgument(fmt::format("request #{}: prompt and output must be >= 1 token, got {} and {}", i + 1,
                                         r.prompt_tokens, r.output_tokens));
    }
    // The KV peak is reached by the last decode: prompt + output - 1 tokens
    // (the last token is sampled, never fed back).
    const int64_t reserved = limits.reserve_full_request ? std::max(r.output_tokens, limits.reserved_output_tokens)
                                                         : r.output_tokens;
    const int64_t peak_blocks = kv.For(r.prompt_tokens + reserved - 1);
    if (peak_blocks > limits.kv_blocks) {
      return InvalidArgument(fmt::format(
          "request #{}: prompt {} + output {} tokens need {} KV blocks of {} tokens, but the cache holds only {}; it "
          "can never run",
          i + 1, r.prompt_tokens, r.output_tokens, peak_blocks, limits.block_size_tokens, limits.kv_blocks));
    }
  }
  return Status::Ok();
}

// The simulation behind Simulate (loop == nullptr: open loop, requests arrive
// at their arrival_s) and SimulateClosedLoop (arrivals generated by finishes):
// the engine's scheduler state between iterations. Arrivals, admission,
// preemption, the iteration's shape and completion are one method each.
//
// Both modes feed one FIFO of pending arrivals (time, request id),
// non-decreasing in time: open loop fills it with every request in arrival
// order up front; closed loop starts with min(users, n) requests at t = 0 and
// appends the next unsent request at finish + think_s each time one
// finishes, which keeps the FIFO sorted because now_s is monotone and think_s
// constant.
class Scheduler {
 public:
  Scheduler(const std::vector<Request>& requests, const ClosedLoop* loop, const EngineLimits& limits)
      : loop_(loop),
        limits_(limits),
        kv_(limits),
        n_(requests.size()),
        seqs_(n_),
        arrival_s_(n_, 0.0),
        next_unsent_(n_),
        free_blocks_(limits.kv_blocks) {
    for (size_t i = 0; i < n_; ++i) {
      seqs_[i].prompt_tokens = requests[i].prompt_tokens;
      seqs_[i].output_tokens = requests[i].output_tokens;
      seqs_[i].prefill_target_tokens = requests[i].prompt_tokens;
    }
    SeedArrivals(requests);
  }

  Result<SimulationResult> Run(const StepTimeFn& step_time);

 private:
  void Send(double t_s, size_t id) {
    arrival_s_[id] = t_s;
    pending_.emplace_back(t_s, id);
  }
  void SeedArrivals(const std::vector<Request>& requests);
  // Blocks a waiting sequence must find free to be admitted.
  int64_t AdmissionBlocks(const Seq& s) const;
  // Engines that do not mix phases run prefills alone, pausing every decode,
  // whenever a prompt is pending or a waiting request can start.
  bool PrefillOnly() const;
  void Preempt(size_t id);
  void ScheduleRunning(bool prefill_only);
  void AdmitWaiting(bool prefill_only);
  IterationShape Shape() const;
  void Complete();
  void CollectMetrics();

  const ClosedLoop* loop_;
  const EngineLimits& limits_;
  const KvBlocks kv_;
  const size_t n_;
  std::vector<Seq> seqs_;
  // Pending arrivals, (time, request id), in arrival order; arrival_s_[id] is
  // the request's arrival as simulated (its own for open loop, dynamic for
  // closed loop).
  std::deque<std::pair<double, size_t>> pending_;
  std::vector<double> arrival_s_;
  size_t next_unsent_;               // closed loop: the next request a client will send
  std::vector<double> scheduled_s_;  // paced closed loop: each request's own arrival
  // The earliest a closed-loop request may be sent (0 unless paced).
  double Scheduled(size_t id) const { return scheduled_s_.empty() ? 0.0 : scheduled_s_[id]; }
  std::deque<size_t> waiting_;       // arrived, not running; preempted ones go to the front
  std::vector<size_t> running_;      // in admission order: back() is the most recently admitted
  std::vector<size_t> scheduled_;    // sequences with work this iteration
  size_t finished_ = 0;
  int64_t free_blocks_;
  double first_arrival_s_ = 0;
  double now_s_ = 0;
  // This iteration's token budget, swap time and preemptions.
  int64_t budget_ = 0;
  double swap_time_s_ = 0;
  int64_t preempted_now_ = 0;
  SimulationResult result_;
};

void Scheduler::SeedArrivals(const std::vector<Request>& requests) {
  if (loop_ == nullptr) {
    // Arrival order; stable so that ties keep input order.
    std::vector<size_t> order(n_);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return requests[a].arrival_s < requests[b].arrival_s; });
    for (size_t id : order) Send(requests[id].arrival_s, id);
  } else {
    if (loop_->paced) {
      for (const Request& r : requests) scheduled_s_.push_back(r.arrival_s);
    }
    next_unsent_ = static_cast<size_t>(std::min<int64_t>(loop_->users, static_cast<int64_t>(n_)));
    for (size_t id = 0; id < next_unsent_; ++id) Send(Scheduled(id), id);
  }
  first_arrival_s_ = pending_.front().first;
  now_s_ = first_arrival_s_;
}

int64_t Scheduler::AdmissionBlocks(const Seq& s) const {
  const int64_t peak = s.prompt_tokens + std::max(s.output_tokens, limits_.reserved_output_tokens) - 1;
  const int64_t target = limits_.reserve_full_request ? peak
                         : s.Decoding()               ? s.kv_tokens + 1
                                                      : s.prefill_target_tokens;
  return std::max(kv_.For(target), s.swapped_blocks) - s.swapped_blocks;
}

bool Scheduler::PrefillOnly() const {
  if (limits_.mixed_batches) return false;
  for (size_t id : running_) {
    if (!seqs_[id].Decoding()) return true;
  }
  if (waiting_.empty() || static_cast<int64_t>(running_.size()) >= limits_.max_sequences) return false;
  const Seq& s = seqs_[waiting_.front()];
  return !s.Decoding() && s.swapped_blocks <= free_blocks_ && AdmissionBlocks(s) <= free_blocks_ - s.swapped_blocks;
}

void Scheduler::Preempt(size_t id) {
  Seq& s = seqs_[id];
  free_blocks_ += s.blocks;
  if (limits_.preemption == EngineLimits::Preemption::kSwap) {
    swap_time_s_ += static_cast<double>(s.blocks) * limits_.swap_s_per_block;
    s.swapped_blocks = s.blocks;
  } else {
    s.kv_tokens = 0;
    s.prefill_target_tokens = s.prompt_tokens + s.generated_tokens;
  }
  s.blocks = 0;
  s.work_tokens = 0;
  ++s.preemptions;
  ++preempted_now_;
  waiting_.push_front(id);
}

// Running sequences, oldest first. Decodes take one token each and are
// reserved budget first; partial prefills get what is left. When blocks run
// out, the most recently admitted sequence is preempted.
void Scheduler::ScheduleRunning(bool prefill_only) {
  int64_t decoders_left = 0;
  if (!prefill_only) {
    for (size_t id : running_) decoders_left += seqs_[id].Decoding() ? 1 : 0;
  }
  for (size_t i = 0; i < running_.size(); ++i) {
    const size_t id = running_[i];
    Seq& s = seqs_[id];
    const bool decoding = s.Decoding();
    if (decoding && prefill_only) continue;
    if (decoding) --decoders_left;
    const int64_t want = decoding ? 1 : std::min(s.prefill_target_tokens - s.kv_tokens, budget_ - decoders_left);
    if (want <= 0) continue;  // no budget left for this prefill chunk
    // Take the whole chunk if blocks allow; else what fits in free blocks
    // (decodes need their block, so a decode takes all or nothing).
    auto fit = [&]() {
      const int64_t need = kv_.For(s.kv_tokens + want) - s.blocks;
      if (need <= free_blocks_) return want;
      if (decoding) return int64_t{0};
      return std::min(want, kv_.TokensIn(s.blocks + free_blocks_) - s.kv_tokens);
    };
    int64_t take = fit();
    while (take <= 0) {
      const size_t victim = running_.back();
      running_.pop_back();
      if (seqs_[victim].Decoding()) decoders_left -= (victim == id) ? 0 : 1;
      Preempt(victim);
      if (victim == id) return;  // it was the last running sequence
      take = fit();
    }
    const int64_t blocks_after = kv_.For(s.kv_tokens + take);
    if (blocks_after > s.blocks) {
      free_blocks_ -= blocks_after - s.blocks;
      s.blocks = blocks_after;
    }
    s.work_tokens = take;
    s.decoding_now = decoding;
    budget_ -= take;
    scheduled_.push_back(id);
  }
}

// Waiting requests, FCFS, while budget, sequence slots and blocks allow
// (skipped after a preemption, as vLLM does, so victims do not bounce).
void Scheduler::AdmitWaiting(bool prefill_only) {
  const bool may_admit = limits_.mixed_batches || prefill_only;
  while (may_admit && preempted_now_ == 0 && !waiting_.empty() && budget_ > 0 &&
         static_cast<int64_t>(running_.size()) < limits_.max_sequences) {
    const size_t id = waiting_.front();
    Seq& s = seqs_[id];
    if (s.swapped_blocks > free_blocks_) break;
    const int64_t avail_blocks = free_blocks_ - s.swapped_blocks;
    const bool decoding = s.Decoding();
    // Admit only when the free blocks cover the whole remaining prefill (or
    // the decode's next token), as vLLM's can_allocate does; admitting on a
    // first chunk alone lets a recomputed victim grab the last free blocks
    // and be preempted again at once. With nothing running this always holds
    // (every request fits alone), so the loop cannot stall. With
    // reserve_full_request the whole KV peak is claimed now.
    const int64_t peak = s.prompt_tokens + std::max(s.output_tokens, limits_.reserved_output_tokens) - 1;
    if (AdmissionBlocks(s) > avail_blocks) break;
    const int64_t take = decoding ? 1 : std::min(s.prefill_target_tokens - s.kv_tokens, budget_);
    waiting_.pop_front();
    swap_time_s_ += static_cast<double>(s.swapped_blocks) * limits_.swap_s_per_block;  // swap in
    s.blocks = std::max(s.swapped_blocks, kv_.For(limits_.reserve_full_request ? peak : s.kv_tokens + take));
    s.swapped_blocks = 0;
    free_blocks_ -= s.blocks;
    s.work_tokens = take;
    s.decoding_now = decoding;
    budget_ -= take;
    running_.push_back(id);
    scheduled_.push_back(id);
  }
}

// What the scheduled work asks of the GPU in this iteration.
IterationShape Scheduler::Shape() const {
  IterationShape shape;
  for (size_t id : scheduled_) {
    const Seq& s = seqs_[id];
    if (s.decoding_now) {
      ++shape.decode_sequences;
      const int64_t context = s.prompt_tokens + s.generated_tokens;
      shape.decode_context_tokens += context;
      shape.decode_window_context_tokens += AttendedTokens(limits_.window_kind, limits_.window_tokens, context);
    } else {
      // A chunk of c tokens after k cached ones: each chunk token attends to
      // the k cached tokens and, causally, to the chunk up to itself.
      const int64_t c = s.work_tokens;
      const int64_t k = s.kv_tokens;
      shape.prefill_tokens += c;
      if (k + c >= s.prefill_target_tokens) ++shape.prefill_completions;
      shape.prefill_attention_pairs += static_cast<double>(c * k + c * (c + 1) / 2);
      shape.prefill_window_attention_pairs += CausalPairsUpTo(limits_.window_kind, limits_.window_tokens, k + c) -
                                              CausalPairsUpTo(limits_.window_kind, limits_.window_tokens, k);
    }
  }
  return shape;
}

// After the iteration (now_s_ is its end): cache the work done, sample the
// tokens of decodes and completed prefills, and retire finished requests.
void Scheduler::Complete() {
  bool any_finished = false;
  for (size_t id : scheduled_) {
    Seq& s = seqs_[id];
    s.kv_tokens += s.work_tokens;
    const bool token = s.decoding_now || s.kv_tokens == s.prefill_target_tokens;
    s.work_tokens = 0;
    if (!token) continue;
    ++s.generated_tokens;
    if (s.first_token_s < 0) s.first_token_s = now_s_;
    if (s.generated_tokens == s.output_tokens) {
      s.finish_s = now_s_;
      free_blocks_ += s.blocks;
      s.blocks = 0;
      ++finished_;
      any_finished = true;
      // Closed loop: the client of this request sends its next one.
      if (loop_ != nullptr && next_unsent_ < n_) {
        Send(std::max(now_s_ + loop_->think_s, Scheduled(next_unsent_)), next_unsent_);
        ++next_unsent_;
      }
    }
  }
  if (any_finished) {
    std::erase_if(running_, [&](size_t id) { return seqs_[id].generated_tokens == seqs_[id].output_tokens; });
  }
}

Result<SimulationResult> Scheduler::Run(const StepTimeFn& step_time) {
  while (finished_ < n_) {
    while (!pending_.empty() && pending_.front().first <= now_s_) {
      waiting_.push_back(pending_.front().second);
      pending_.pop_front();
    }
    if (running_.empty() && waiting_.empty()) {
      // Idle: jump to the next arrival. Closed loop always has one pending
      // here (each finish sends the next request while any is unsent).
      if (pending_.empty()) {  // cannot happen; guards the bookkeeping above
        return InternalError(fmt::format("simulator has no pending arrival at t = {} s with {} of {} requests "
                                         "finished",
                                         now_s_, finished_, n_));
      }
      now_s_ = pending_.front().first;
      continue;
    }

    swap_time_s_ = 0;
    preempted_now_ = 0;
    budget_ = limits_.max_batched_tokens;
    scheduled_.clear();
    const bool prefill_only = PrefillOnly();
    ScheduleRunning(prefill_only);
    AdmitWaiting(prefill_only);
    if (free_blocks_ < 0) {  // cannot happen; guards the bookkeeping above
      return InternalError(fmt::format("simulator over-allocated KV blocks at t = {} s", now_s_));
    }

    const IterationShape shape = Shape();
    if (shape.prefill_tokens == 0 && shape.decode_sequences == 0) {
      return InternalError(fmt::format("simulator made no progress at t = {} s ({} running, {} waiting)", now_s_,
                                       running_.size(), waiting_.size()));
    }
    const double dt_s = step_time(shape);
    if (!std::isfinite(dt_s) || dt_s < 0) {
      return InvalidArgument(fmt::format("step time must be finite and >= 0 s, got {} for {} prefill tokens and {} "
                                         "decoding sequences",
                                         dt_s, shape.prefill_tokens, shape.decode_sequences));
    }
    now_s_ += dt_s + swap_time_s_;
    ++result_.iterations;
    result_.preemptions += preempted_now_;
    Complete();
  }
  CollectMetrics();
  return std::move(result_);
}

// Per-request latencies and their summaries, throughput and completion ratio.
void Scheduler::CollectMetrics() {
  SimulationResult& result = result_;
  result.requests.resize(n_);
  std::vector<double> ttfts, tpots, e2es, finish_s;
  ttfts.reserve(n_);
  e2es.reserve(n_);
  finish_s.reserve(n_);
  double last_finish_s = first_arrival_s_;
  double output_tokens = 0;
  double total_tokens = 0;
  for (size_t i = 0; i < n_; ++i) {
    const Seq& s = seqs_[i];
    RequestMetrics& m = result.requests[i];
    m.arrival_s = arrival_s_[i];
    m.first_token_s = s.first_token_s;
    m.finish_s = s.finish_s;
    m.ttft_s = s.first_token_s - m.arrival_s;
    m.e2e_s = s.finish_s - m.arrival_s;
    if (s.output_tokens > 1) {
      m.tpot_s = (s.finish_s - s.first_token_s) / static_cast<double>(s.output_tokens - 1);
      tpots.push_back(*m.tpot_s);
    }
    m.preemptions = s.preemptions;
    ttfts.push_back(m.ttft_s);
    e2es.push_back(m.e2e_s);
    finish_s.push_back(s.finish_s);
    last_finish_s = std::max(last_finish_s, s.finish_s);
    output_tokens += static_cast<double>(s.output_tokens);
    total_tokens += static_cast<double>(s.output_tokens + s.prompt_tokens);
  }
  result.ttft = stats::Summarize(std::move(ttfts));
  result.tpot = stats::Summarize(std::move(tpots));
  result.e2e = stats::Summarize(std::move(e2es));
  result.makespan_s = last_finish_s - first_arrival_s_;
  if (result.makespan_s > 0) {
    result.output_tokens_per_s = output_tokens / result.makespan_s;
    result.total_tokens_per_s = total_tokens / result.makespan_s;
  }
  result.completion_ratio = stats::CompletionRatio(arrival_s_, finish_s);
}

Result<SimulationResult> RunSimulation(const std::vector<Request>& requests, const ClosedLoop* loop,
                                       const EngineLimits& limits, const StepTimeFn& step_time) {
  if (Status s = ValidateLimits(limits); !s.ok()) return s.error();
  if (!step_time) return InvalidArgument("step time function is empty");
  if (requests.empty()) return InvalidArgument("no requests to simulate");
  if (Status s = ValidateRequests(requests, loop == nullptr, limits, KvBlocks(limits)); !s.ok()) return s.error();
  return Scheduler(requests, loop, limits).Run(step_time);
}

}  // namespace

Result<SimulationResult> Simulate(const std::vector<Request>& requests, const EngineLimits& limits,
                                  const StepTimeFn& step_time) {
  return RunSimulation(requests, /*loop=*/nullptr, limits, step_time);
}

Result<SimulationResult> SimulateClosedLoop(const std::vector<Request>& requests, const ClosedLoop& loop,
                                            const EngineLimits& limits, const StepTimeFn& step_time) {
  if (loop.users < 1) return InvalidArgument(fmt::format("closed-loop users must be >= 1, got {}", loop.users));
  if (!std::isfinite(loop.think_s) || loop.think_s < 0) {
    return InvalidArgument(fmt::format("closed-loop think time must be finite and >= 0 s, got {}", loop.think_s));
  }
  if (loop.paced) {
    for (size_t i = 0; i < requests.size(); ++i) {
      if (!std::isfinite(requests[i].arrival_s) || requests[i].arrival_s < 0 ||
          (i > 0 && requests[i].arrival_s < requests[i - 1].arrival_s)) {
        return InvalidArgument(fmt::format("paced closed loop: request {} arrives at {} s; arrivals must be finite, "
                                           ">= 0 and sorted",
                                           i, requests[i].arrival_s));
      }
    }
  }
  return RunSimulation(requests, &loop, limits, step_time);
}

}  // namespace infersave
