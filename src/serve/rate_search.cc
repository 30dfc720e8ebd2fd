// The rate search of one replica (src/serve/rate_search.h).
#include "serve/rate_search.h"

#include <algorithm>
#include <cmath>

namespace infersave {

// Finds the highest sustainable rate of one replica; fills light, best,
// limited_by, max_rate_per_replica. Returns false when even light load
// misses an objective.
Result<bool> SearchRate(ReplicaSearch& search, const ServingOptions& o, ServingEvaluation& e) {
  // Light load: the first requests one at a time (arrivals far apart).
  const size_t light_n = std::min<size_t>(o.requests.size(), 100);
  std::vector<Request> alone(o.requests.begin(), o.requests.begin() + static_cast<std::ptrdiff_t>(light_n));
  for (size_t i = 0; i < alone.size(); ++i) alone[i].arrival_s = 1e7 * static_cast<double>(i);
  auto light = search.Run(alone, 0);
  if (!light.ok()) return light.error();
  e.light = *light;
  if (!search.LatencyOk(e.light)) {
    e.limited_by = search.Limit(e.light);
    return false;
  }
  // Capacity: every request at once; the rate at which the replica drains
  // them bounds what it can sustain.
  std::vector<Request> burst = o.requests;
  for (Request& r : burst) r.arrival_s = 0;
  auto drain = search.Run(burst, 0);
  if (!drain.ok()) return drain.error();
  double tokens = 0;
  for (const Request& r : o.requests) tokens += static_cast<double>(r.prompt_tokens + r.output_tokens);
  const double capacity = drain->total_tokens_per_s * static_cast<double>(o.requests.size()) / tokens;
  double lo = 0, hi = capacity * 1.25;
  OperatingPoint best = e.light;
  OperatingPoint fail;
  bool have_fail = false;
  for (int grow = 0; grow < 4; ++grow) {
    auto p = search.At(hi);
    if (!p.ok()) return p.error();
    if (!p->meets) {
      fail = *p;
      have_fail = true;
      break;
    }
    lo = hi;
    best = *p;
    hi *= 2;
  }
  if (have_fail) {
    const double floor_rate = capacity * 1e-4;
    for (int i = 0; i < 40 && hi - lo > o.rate_tolerance * hi && hi > floor_rate; ++i) {
      const double mid = lo > 0 ? 0.5 * (lo + hi) : 0.5 * hi;
      auto p = search.At(mid);
      if (!p.ok()) return p.error();
      if (p->meets) {
        lo = mid;
        best = *p;
      } else {
        hi = mid;
        fail = *p;
      }
    }
    e.limited_by = search.Limit(fail);
  } else {
    e.limited_by = "throughput";
  }
  e.best = best;
  e.max_rate_per_replica = lo;
  return lo > 0;
}

}  // namespace infersave
