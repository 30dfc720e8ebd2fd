// Reports of online-serving plans (`plan --rate/--slo-ttft-ms/...`) and of
// single simulations (`simulate`), as a table, JSON or CSV.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "infersave/report.h"
#include "infersave/serving.h"

namespace infersave {

void WriteServingPlan(std::ostream& out, const ServingPlan& plan, const ServingOptions& options,
                      const ReportContext& ctx, OutputFormat format);

// One simulation of one replica, as `infersave simulate` prints it.
struct SimulationSummary {
  std::string instance;
  std::string gpus;  // "1xA10G"
  int tp = 1;
  // Model copies on the instance (gpu_count / tp); each serves 1/replicas of
  // the load, and `result` is one of them.
  int replicas = 1;
  std::string description;
  int64_t kv_capacity_tokens = 0;
  int64_t max_sequences = 0;
  std::vector<Request> requests;  // as simulated (CSV rows)
  SimulationResult result;
  std::optional<double> fraction_meeting;  // when objectives were given
  std::string accuracy;
};

// Table: latency percentiles and throughput; JSON: the same; CSV: one row per request.
void WriteSimulation(std::ostream& out, const SimulationSummary& summary, const ReportContext& ctx,
                     OutputFormat format);

}  // namespace infersave
