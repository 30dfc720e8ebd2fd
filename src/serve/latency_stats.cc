// Latency statistics of a simulation: nearest-rank percentiles, summaries,
// the completion ratio and the share of requests meeting objectives.
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

namespace stats {

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

}  // namespace stats

double Percentile(std::vector<double> samples, double pct) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  return stats::NearestRankSorted(samples, pct);
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
