// Generated request streams: length distributions, arrival processes and
// their portable samplers (include/infersave/simulator.h).
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

LengthDistribution LengthDistribution::LogNormal(double mean_tokens, double sd_tokens, int64_t max_tokens) {
  LengthDistribution d;
  d.kind = Kind::kLogNormal;
  d.mean_tokens = mean_tokens;
  d.sd_tokens = sd_tokens;
  d.max_tokens = max_tokens;
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
    case LengthDistribution::Kind::kLogNormal: {
      // ln X ~ N(mu, sigma^2) with E[X] = mean and sd(X) = sd.
      const double sigma2 = std::log1p((d.sd_tokens / d.mean_tokens) * (d.sd_tokens / d.mean_tokens));
      const double mu = std::log(d.mean_tokens) - sigma2 / 2;
      const double sigma = std::sqrt(sigma2);
      // Validation keeps the median at 1 token or more and max_tokens at or
      // above it, so each draw is accepted with probability >= 1/2.
      for (;;) {
        const double x = std::round(std::exp(mu + sigma * StandardNormal(rng)));
        if (x >= 1 && (d.max_tokens == 0 || x <= static_cast<double>(d.max_tokens))) {
          return static_cast<int64_t>(std::min(x, 9.0e15));
        }
      }
    }
  }
  return 1;
}


}  // namespace

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
    case LengthDistribution::Kind::kLogNormal: {
      if (!std::isfinite(d.mean_tokens) || d.mean_tokens < 1) {
        return InvalidArgument(fmt::format("{} length: log-normal mean must be >= 1 token, got {}", what,
                                           d.mean_tokens));
      }
      if (!std::isfinite(d.sd_tokens) || d.sd_tokens < 0) {
        return InvalidArgument(fmt::format("{} length: log-normal standard deviation must be >= 0, got {}", what,
                                           d.sd_tokens));
      }
      // Half the draws fall below the median: at least 1 token, and a cap at
      // or above it, keep the sampler's acceptance at 1/2 or more.
      const double median = d.mean_tokens / std::sqrt(1 + (d.sd_tokens / d.mean_tokens) * (d.sd_tokens / d.mean_tokens));
      if (median < 1) {
        return InvalidArgument(fmt::format("{} length: log-normal median must be >= 1 token, got {:.3g} (mean {}, sd {}: "
                                           "lower the standard deviation)",
                                           what, median, d.mean_tokens, d.sd_tokens));
      }
      if (d.max_tokens < 0 || (d.max_tokens != 0 && static_cast<double>(d.max_tokens) < median)) {
        return InvalidArgument(fmt::format("{} length: log-normal cap {} is below the median, {:.0f} tokens", what,
                                           d.max_tokens, median));
      }
      return Status::Ok();
    }
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

}  // namespace infersave
