// Continuous-batching simulator (include/infersave/simulator.h).
#include "infersave/simulator.h"

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

// ---- Length distributions ----------------------------------------------------

LengthDistribution LengthDistribution::Fixed(int64_t tokens) {
  LengthDistribution d;
  d.kind = Kind::kFixed;
  d.fixed_tokens = tokens;
  return d;
}

LengthDistribution LengthDistribution::Uniform(int64_t lo_tokens, int64_t hi_tokens) {
  LengthDistribution d;
  d.kind = Kind::kUniform;
  d.lo_tokens = lo_tokens;
  d.hi_tokens = hi_tokens;
  return d;
}

LengthDistribution LengthDistribution::Normal(double mean_tokens, double sd_tokens) {
  LengthDistribution d;
  d.kind = Kind::kNormal;
  d.mean_tokens = mean_tokens;
  d.sd_tokens = sd_tokens;
  return d;
}

LengthDistribution LengthDistribution::Empirical(std::vector<int64_t> values_tokens) {
  LengthDistribution d;
  d.kind = Kind::kEmpirical;
  d.values_tokens = std::move(values_tokens);
  return d;
}

namespace {

// ---- Portable samplers on top of mt19937_64 -----------------------------------

// Uniform in [0, 1) with 53 random bits.
double Uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Uniform in (0, 1]: safe to take the log of.
double UniformOpen0(std::mt19937_64& rng) { return 1.0 - Uniform01(rng); }

// Uniform integer in [0, range) without modulo bias (rejection). range >= 1.
uint64_t UniformIndex(std::mt19937_64& rng, uint64_t range) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  const uint64_t limit = max - (max % range + 1) % range;  // accept [0, limit]; limit + 1 is a multiple of range
  uint64_t x = rng();
  while (x > limit) x = rng();
  return x % range;
}

// Standard normal by the Box-Muller transform (one of the pair is used).
double StandardNormal(std::mt19937_64& rng) {
  constexpr double kTwoPi = 6.283185307179586476925;
  const double u1 = UniformOpen0(rng);
  const double u2 = Uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

// Exponential with mean 1, by inversion.
double StandardExponential(std::mt19937_64& rng) { return -std::log(UniformOpen0(rng)); }

// Gamma(shape, scale 1) by Marsaglia and Tsang (2000); for shape < 1 it uses
// Gamma(shape + 1) x U^(1 / shape).
double StandardGamma(std::mt19937_64& rng, double shape) {
  if (shape < 1) {
    const double g = StandardGamma(rng, shape + 1);
    return g * std::pow(UniformOpen0(rng), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0;
    double v = 0;
    do {
      x = StandardNormal(rng);
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = UniformOpen0(rng);
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

int64_t SampleLength(std::mt19937_64& rng, const LengthDistribution& d) {
  switch (d.kind) {
    case LengthDistribution::Kind::kFixed:
      return d.fixed_tokens;
    case LengthDistribution::Kind::kUniform:
      return d.lo_tokens + static_cast<int64_t>(UniformIndex(rng, static_cast<uint64_t>(d.hi_tokens - d.lo_tokens) + 1));
    case LengthDistribution::Kind::kNormal:
      for (;;) {  // mean >= 1 is validated, so each draw is accepted with probability >= 1/2
        const double x = std::round(d.mean_tokens + d.sd_tokens * StandardNormal(rng));
        if (x >= 1) return static_cast<int64_t>(std::min(x, 9.0e15));
      }
    case LengthDistribution::Kind::kEmpirical:
      return d.values_tokens[UniformIndex(rng, d.values_tokens.size())];
  }
  return 1;
}

Status ValidateLength(const LengthDistribution& d, std::string_view what) {
  switch (d.kind) {
    case LengthDistribution::Kind::kFixed:
      if (d.fixed_tokens < 1) {
        return InvalidArgument(fmt::format("{} length: fixed length must be >= 1 token, got {}", what, d.fixed_tokens));
      }
      return Status::Ok();
    case LengthDistribution::Kind::kUniform:
      if (d.lo_tokens < 1) {
        return InvalidArgument(fmt::format("{} length: uniform lower bound must be >= 1 token, got {}", what,
                                           d.lo_tokens));
      }
      if (d.hi_tokens < d.lo_tokens) {
        return InvalidArgument(fmt::format("{} length: uniform upper bound {} is below the lower bound {}", what,
                                           d.hi_tokens, d.lo_tokens));
      }
      return Status::Ok();
    case LengthDistribution::Kind::kNormal:
      if (!std::isfinite(d.mean_tokens) || d.mean_tokens < 1) {
        return InvalidArgument(fmt::format("{} length: normal mean must be >= 1 token, got {}", what, d.mean_tokens));
      }
      if (!std::isfinite(d.sd_tokens) || d.sd_tokens < 0) {
        return InvalidArgument(fmt::format("{} length: normal standard deviation must be >= 0, got {}", what,
                                           d.sd_tokens));
      }
      return Status::Ok();
    case LengthDistribution::Kind::kEmpirical:
      if (d.values_tokens.empty()) {
        return InvalidArgument(fmt::format("{} length: empirical distribution has no values", what));
      }
      for (size_t i = 0; i < d.values_tokens.size(); ++i) {
        if (d.values_tokens[i] < 1) {
          return InvalidArgument(fmt::format("{} length: empirical value #{} must be >= 1 token, got {}", what, i + 1,
                                             d.values_tokens[i]));
        }
      }
      return Status::Ok();
  }
  return InvalidArgument(fmt::format("{} length: unknown distribution", what));
}

}  // namespace

Result<std::vector<Request>> GenerateRequests(const WorkloadSpec& spec) {
  if (!std::isfinite(spec.rate_per_s) || spec.rate_per_s <= 0) {
    return InvalidArgument(fmt::format("arrival rate must be > 0 requests/s, got {}", spec.rate_per_s));
  }
  if (spec.arrival == ArrivalProcess::kGamma && (!std::isfinite(spec.gamma_cv) || spec.gamma_cv <= 0)) {
    return InvalidArgument(
        fmt::format("gamma arrival coefficient of variation must be > 0, got {}", spec.gamma_cv));
  }
  if (spec.num_requests < 1) {
    return InvalidArgument(fmt::format("number of requests must be >= 1, got {}", spec.num_requests));
  }
  if (Status s = ValidateLength(spec.prompt, "prompt"); !s.ok()) return s.error();
  if (Status s = ValidateLength(spec.output, "output"); !s.ok()) return s.error();

  std::mt19937_64 rng(spec.seed);
  const double mean_gap_s = 1.0 / spec.rate_per_s;
  // Gamma with shape k and scale theta has mean k theta and cv 1 / sqrt(k).
  const double gamma_shape = spec.arrival == ArrivalProcess::kGamma ? 1.0 / (spec.gamma_cv * spec.gamma_cv) : 1.0;
  std::vector<Request> out;
  out.reserve(static_cast<size_t>(spec.num_requests));
  double t_s = 0;
  for (int64_t i = 0; i < spec.num_requests; ++i) {
    // Draw order per request is fixed (gap, prompt, output) so a seed pins the sequence.
    const double gap_s = spec.arrival == ArrivalProcess::kPoisson
                             ? mean_gap_s * StandardExponential(rng)
                             : mean_gap_s / gamma_shape * StandardGamma(rng, gamma_shape);
    t_s += gap_s;
    Request r;
    r.arrival_s = t_s;
    r.prompt_tokens = SampleLength(rng, spec.prompt);
    r.output_tokens = SampleLength(rng, spec.output);
    out.push_back(r);
  }
  return out;
}

// ---- Trace ---------------------------------------------------------------------

namespace {

Result<int64_t> PositiveWholeNumber(const io::CellReader& cells, std::string_view column) {
  std::string_view text = cells.Text(column);
  std::optional<double> v = io::ParseNumber(text);
  if (!v || *v != std::floor(*v) || *v < 1 || *v > 9.0e15) {
    return InvalidInput(fmt::format("{}: expected a whole number >= 1, got {}", cells.Where(column), io::Quote(text)));
  }
  return static_cast<int64_t>(*v);
}

}  // namespace

Result<std::vector<Request>> ParseTrace(std::string_view csv_text, std::string_view source) {
  auto table = io::ParseCsv(csv_text, source);
  if (!table.ok()) return table.error();
  if (Status s = io::RequireColumns(*table, {"arrival_s", "prompt_tokens", "output_tokens"}); !s.ok()) {
    return s.error();
  }
  if (table->rows.empty()) return InvalidInput(fmt::format("{}: trace has no requests", source));
  std::vector<Request> out;
  out.reserve(table->rows.size());
  for (const io::CsvRecord& record : table->rows) {
    io::CellReader cells(*table, record);
    auto arrival = cells.Number("arrival_s", /*required=*/true, /*allow_zero=*/true);
    if (!arrival.ok()) return arrival.error();
    auto prompt = PositiveWholeNumber(cells, "prompt_tokens");
    if (!prompt.ok()) return prompt.error();
    auto output = PositiveWholeNumber(cells, "output_tokens");
    if (!output.ok()) return output.error();
    const double arrival_s = **arrival;
    if (!std::isfinite(arrival_s)) {
      return InvalidInput(fmt::format("{}: arrival time must be finite", cells.Where("arrival_s")));
    }
    if (!out.empty() && arrival_s < out.back().arrival_s) {
      return InvalidInput(fmt::format("{}: arrival time {} s is earlier than the previous row's {} s; the trace must "
                                      "be sorted by arrival time",
                                      cells.Where("arrival_s"), arrival_s, out.back().arrival_s));
    }
    out.push_back(Request{arrival_s, *prompt, *output});
  }
  return out;
}

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

// Nearest-rank percentile of sorted, non-empty samples: sorted[r - 1] with
// r = ceil(pct/100 * n) clamped to [1, n]. pct * n / 100 carries float error
// (99.9 is not exact in binary), so a tolerance of 1e-9 (relative 1e-12 for
// large products) is taken off before the ceil: 90% of 10 is rank 9, not 10,
// and 16.1% of 1000 is 161 though 16.1 x 1000 / 100 = 161.00000000000003.
// Genuine fractional parts are far larger (multiples of 0.01 for whole-number
// pct, 0.001 for one decimal).
double NearestRankSorted(const std::vector<double>& sorted, double pct) {
  const double n = static_cast<double>(sorted.size());
  const double x = pct * n / 100;
  const double r = std::ceil(x - std::max(1e-9, 1e-12 * x));
  if (!(r >= 1)) return sorted.front();  // also NaN pct
  if (r >= n) return sorted.back();
  return sorted[static_cast<size_t>(r) - 1];
}

LatencyStats Summarize(std::vector<double> samples) {
  LatencyStats s;
  if (samples.empty()) return s;
  // Sorted once for the three percentiles (Percentile would sort each time).
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  s.count = static_cast<int64_t>(n);
  s.mean_s = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(n);
  s.p50_s = NearestRankSorted(samples, 50);
  s.p90_s = NearestRankSorted(samples, 90);
  s.p99_s = NearestRankSorted(samples, 99);
  return s;
}

// Offered-load stability (SimulationResult::completion_ratio): completions
// over arrivals in the window (t25, t_last], where t25 is the arrival of the
// request at the 25th percentile of arrival order and t_last the last one.
double CompletionRatio(const std::vector<double>& arrival_s, const std::vector<double>& finish_s) {
  std::vector<double> sorted = arrival_s;
  std::sort(sorted.begin(), sorted.end());
  const double t25_s = NearestRankSorted(sorted, 25);
  const double t_last_s = sorted.back();
  auto in_window = [&](double t_s) { return t25_s < t_s && t_s <= t_last_s; };
  const auto arrived = std::count_if(arrival_s.begin(), arrival_s.end(), in_window);
  const auto completed = std::count_if(finish_s.begin(), finish_s.end(), in_window);
  return arrived == 0 ? 1.0 : static_cast<double>(completed) / static_cast<double>(arrived);
}

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
    next_unsent_ = static_cast<size_t>(std::min<int64_t>(loop_->users, static_cast<int64_t>(n_)));
    for (size_t id = 0; id < next_unsent_; ++id) Send(0.0, id);
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
      if (loop_ != nullptr && next_unsent_ < n_) Send(now_s_ + loop_->think_s, next_unsent_++);
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
  result.ttft = Summarize(std::move(ttfts));
  result.tpot = Summarize(std::move(tpots));
  result.e2e = Summarize(std::move(e2es));
  result.makespan_s = last_finish_s - first_arrival_s_;
  if (result.makespan_s > 0) {
    result.output_tokens_per_s = output_tokens / result.makespan_s;
    result.total_tokens_per_s = total_tokens / result.makespan_s;
  }
  result.completion_ratio = CompletionRatio(arrival_s_, finish_s);
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
  return RunSimulation(requests, &loop, limits, step_time);
}

double Percentile(std::vector<double> samples, double pct) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  return NearestRankSorted(samples, pct);
}

double TtftPercentile(const SimulationResult& result, double pct) {
  std::vector<double> samples;
  samples.reserve(result.requests.size());
  for (const RequestMetrics& m : result.requests) samples.push_back(m.ttft_s);
  return Percentile(std::move(samples), pct);
}

double TpotPercentile(const SimulationResult& result, double pct) {
  std::vector<double> samples;
  for (const RequestMetrics& m : result.requests) {
    if (m.tpot_s) samples.push_back(*m.tpot_s);
  }
  return Percentile(std::move(samples), pct);
}

double FractionMeeting(const SimulationResult& result, double ttft_slo_s, double tpot_slo_s) {
  if (result.requests.empty()) return 0;
  size_t meeting = 0;
  for (const RequestMetrics& m : result.requests) {
    if (m.ttft_s <= ttft_slo_s && (!m.tpot_s || *m.tpot_s <= tpot_slo_s)) ++meeting;
  }
  return static_cast<double>(meeting) / static_cast<double>(result.requests.size());
}

}  // namespace infersave
