// The online half of the job request: the serving workload (generated or a
// trace, a workload file under the given fields) and the serving options.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "infersave/job.h"
#include "io/text.h"

namespace infersave {

namespace {

Error FieldError(std::string_view field, std::string_view what) {
  return Error(ErrorCode::kInvalidArgument, FieldRef(field) + ": " + std::string(what), std::string(field));
}

Result<ArrivalProcess> ParseArrival(const std::string& text, WorkloadSpec& spec) {
  const std::string a = io::ToLower(io::Trim(text));
  if (a == "poisson") return ArrivalProcess::kPoisson;
  if (a.rfind("gamma:", 0) == 0) {
    const std::optional<double> cv = io::ParseNumber(a.substr(6));
    if (!cv || !(*cv > 0) || !std::isfinite(*cv)) {
      return FieldError("arrival", fmt::format("gamma needs a coefficient of variation > 0, got {}", io::Quote(text)));
    }
    spec.gamma_cv = *cv;
    return ArrivalProcess::kGamma;
  }
  return FieldError("arrival", fmt::format("expected poisson or gamma:CV, got {}", io::Quote(text)));
}

// A length: the field's spec, else the workload file's, else the fixed
// input_len / output_len (also when that field is given explicitly).
Status ResolveLength(const JobRequest& r, const std::string& spec, const char* field, bool from_file,
                     const char* len_field, int64_t len, const FileSource& files, LengthDistribution& out) {
  if (!spec.empty()) {
    auto d = ParseLengthSpec(spec, FieldRef(field), files);
    if (!d.ok()) return d.error().AtField(field);
    out = std::move(d).value();
  } else if (!from_file || r.Given(len_field)) {
    out = LengthDistribution::Fixed(len);
  }
  return Status::Ok();
}

// The serving workload of the request (and its workload file), the request's
// fields taking precedence over the file.
Result<ServingWorkload> ResolveServingWorkload(const JobRequest& r, const FileSource& files) {
  if (!r.workload.empty() && !r.trace.empty()) {
    return FieldError("trace", fmt::format("give {} or {}, not both", FieldRef("workload"), FieldRef("trace")));
  }
  ServingWorkload w;
  if (!r.workload.empty()) {
    auto text = files.Read(r.workload);
    if (!text.ok()) return text.error().AtField("workload");
    auto parsed =
        ParseWorkloadFile(*text, r.workload, std::filesystem::path(r.workload).parent_path().string(), files);
    if (!parsed.ok()) return parsed.error().AtField("workload");
    w = std::move(parsed).value();
  }
  if (!r.trace.empty()) {
    auto text = files.Read(r.trace);
    if (!text.ok()) return text.error().AtField("trace");
    auto trace = ParseTrace(*text, r.trace);
    if (!trace.ok()) return trace.error().AtField("trace");
    w.trace = std::move(trace).value();
    w.trace_source = r.trace;
  }
  if (w.trace) {
    for (const char* field :
         {"prompt_tokens", "output_tokens", "arrival", "input_len", "output_len", "seed", "sim_requests"}) {
      if (r.Given(field)) {
        return InvalidField(field, "does not apply to a trace: it gives arrivals and lengths itself");
      }
    }
    return w;
  }
  const bool file = !r.workload.empty();
  if (r.Given("sim_requests") || !file) w.spec.num_requests = r.sim_requests;
  if (r.Given("seed") || !file) w.spec.seed = r.seed;
  if (Status s = ResolveLength(r, r.prompt_tokens, "prompt_tokens", w.prompt_given, "input_len", r.input_len, files,
                               w.spec.prompt);
      !s.ok()) {
    return s.error();
  }
  if (Status s = ResolveLength(r, r.output_tokens, "output_tokens", w.output_given, "output_len", r.output_len, files,
                               w.spec.output);
      !s.ok()) {
    return s.error();
  }
  if (r.Given("arrival") || !file) {
    auto arrival = ParseArrival(r.arrival, w.spec);
    if (!arrival.ok()) return arrival.error();
    w.spec.arrival = *arrival;
  }
  if (r.rate) {
    w.spec.rate_per_s = *r.rate;
    w.rate_given = true;
  }
  if (!(w.spec.rate_per_s > 0) || !std::isfinite(w.spec.rate_per_s)) {
    return InvalidField("rate", fmt::format("must be a positive number of requests/s, got {}", w.spec.rate_per_s));
  }
  if (!(w.spec.num_requests >= 1 && w.spec.num_requests <= 10'000'000)) {
    return InvalidField("sim_requests", fmt::format("must be between 1 and 10000000, got {}", w.spec.num_requests));
  }
  return w;
}

}  // namespace

Result<ServingJob> ResolveServingJob(const JobRequest& r, const Job& job, const FileSource& files) {
  ServingJob s;
  auto w = ResolveServingWorkload(r, files);
  if (!w.ok()) return w.error();
  s.workload = std::move(w).value();
  auto set = MaterializeWorkload(s.workload);
  if (!set.ok()) return set.error();
  s.set = std::move(set).value();
  ServingOptions& o = s.options;
  o.plan = job.options;
  o.requests = s.set.requests;
  o.requests_rate_per_s = s.set.rate_per_s;
  if (r.rate) {
    o.target_rate_per_s = *r.rate;
  } else if (s.workload.trace || s.workload.rate_given) {
    o.target_rate_per_s = s.set.rate_per_s;
  }
  // The batch default of slo_tps means nothing to a service: only a given one counts.
  o.slo_tps = r.Given("slo_tps") ? r.slo_tps : 0;
  if (r.slo_ttft_ms) o.slo.ttft_s = *r.slo_ttft_ms / 1000;
  if (r.slo_tpot_ms) o.slo.tpot_s = *r.slo_tpot_ms / 1000;
  o.slo.percentile = r.slo_percentile;
  o.description = DescribeWorkload(s.workload, s.set);
  if (r.max_tokens < 0 || r.max_tokens > kMaxSequenceTokens) {
    return InvalidField("max_tokens", fmt::format("must be between 0 and {}, got {}", kMaxSequenceTokens, r.max_tokens));
  }
  o.max_output_tokens = r.max_tokens;
  // A frontier asked for is complete: a pruned layout (costlier than the
  // pick by its bound) may still have the lower latency.
  o.exhaustive = r.exhaustive || r.frontier;
  if (Status st = ValidateServingOptions(o, job.engine); !st.ok()) return st.error();
  return s;
}

}  // namespace infersave
