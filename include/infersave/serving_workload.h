// Serving workloads as users write them: a JSON workload file, or compact
// length specifications on the command line (docs/serving.md).
//
// Workload file (every field optional except that a trace excludes the
// generator fields):
//   {
//     "rate_per_s": 20,                            // mean arrival rate, requests/s
//     "arrival": "poisson" | {"gamma_cv": 2.0},    // burstiness: cv > 1 burstier
//     "prompt_tokens": 512 | {"uniform": [128, 1024]} | {"normal": {"mean": 512, "sd": 128}}
//                      | {"empirical": [100, 250, ...]} | {"empirical_file": "lengths.txt"},
//     "output_tokens": (same forms),
//     "requests": 2000,                            // requests simulated per rate
//     "seed": 1,
//     "trace": "trace.csv"                         // instead of the generator
//   }
// Relative paths are resolved against the workload file's folder.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infersave/file_source.h"
#include "infersave/simulator.h"
#include "infersave/status.h"

namespace infersave {

// What a workload file or the flags describe.
struct ServingWorkload {
  WorkloadSpec spec;  // the generator (unused when `trace` is set)
  bool rate_given = false;
  std::optional<std::vector<Request>> trace;
  std::string trace_source;  // path of the trace, for reports
  bool prompt_given = false;
  bool output_given = false;
};

// A length distribution from its compact form: "512", "uniform:128:1024",
// "normal:512:128" (mean, sd), "file:lengths.txt" (one whole number per
// line; '#' starts a comment; read through `files`). Errors name `flag`.
Result<LengthDistribution> ParseLengthSpec(std::string_view text, std::string_view flag,
                                           const FileSource& files = LocalFiles());

// Reads the whole-number lengths of an empirical distribution.
Result<std::vector<int64_t>> ParseLengthsFile(std::string_view text, std::string_view source);

// Parses a workload file. `base_dir` resolves relative paths ("" = the
// current folder); the trace and lengths files it names are read through
// `files`. Unknown keys are errors with a suggestion.
Result<ServingWorkload> ParseWorkloadFile(std::string_view json_text, std::string_view source,
                                          std::string_view base_dir, const FileSource& files = LocalFiles());

// The requests a serving workload stands for, and their mean arrival rate
// (a trace's: requests - 1 over its span).
struct RequestSet {
  std::vector<Request> requests;
  double rate_per_s = 0;
};
Result<RequestSet> MaterializeWorkload(const ServingWorkload& workload);

// "normal(mean 512, sd 128)", "uniform 128-1024", "512", "empirical (300 values)".
std::string DescribeLengths(const LengthDistribution& d);
// One line: arrivals and lengths (or the trace), requests and seed.
std::string DescribeWorkload(const ServingWorkload& workload, const RequestSet& set);

}  // namespace infersave
