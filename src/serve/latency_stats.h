// Statistics the simulator and the reports share (src/serve/latency_stats.cc).
#pragma once

#include <vector>

#include "infersave/simulator.h"

namespace infersave::stats {

// Nearest-rank percentile of sorted, non-empty samples (see the .cc for the
// tolerance on pct * n / 100).
double NearestRankSorted(const std::vector<double>& sorted, double pct);

// Mean, p50, p90 and p99 of the samples.
LatencyStats Summarize(std::vector<double> samples);

// Completions over arrivals in the window (t25, t_last] of arrival order
// (SimulationResult::completion_ratio).
double CompletionRatio(const std::vector<double>& arrival_s, const std::vector<double>& finish_s);

}  // namespace infersave::stats
