// Workload files and length specifications (include/infersave/serving_workload.h).
#include "infersave/serving_workload.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "infersave/shipped.h"
#include "infersave/workload.h"
#include "io/text.h"

namespace infersave {
namespace {

using nlohmann::json;

std::string Resolve(std::string_view path, std::string_view base_dir) {
  std::filesystem::path p{std::string(path)};
  if (p.is_absolute() || base_dir.empty()) return p.string();
  return (std::filesystem::path{std::string(base_dir)} / p).string();
}

// A whole number of tokens >= 1 (rejects 1.5, 0, -3, 1e30).
Result<int64_t> Tokens(std::string_view text, std::string_view where) {
  const std::optional<double> v = io::ParseNumber(text);
  if (!v || *v < 1 || *v != std::floor(*v) || *v > static_cast<double>(kMaxSequenceTokens)) {
    return InvalidArgument(fmt::format("{}: expected a whole number of tokens from 1 to {}, got {}", where,
                                       kMaxSequenceTokens, io::Quote(text)));
  }
  return static_cast<int64_t>(*v);
}

Result<int64_t> TokensJson(const json& v, std::string_view where) {
  if (!v.is_number()) return InvalidInput(fmt::format("{}: expected a number of tokens, got {}", where, v.dump()));
  auto t = Tokens(std::string_view(fmt::format("{}", v.get<double>())), where);
  if (!t.ok()) return InvalidInput(t.error().message());
  return t;
}

Result<double> Number(const json& v, std::string_view where, double lo_exclusive) {
  if (!v.is_number() || !(v.get<double>() > lo_exclusive) || !std::isfinite(v.get<double>())) {
    return InvalidInput(fmt::format("{}: expected a number > {:g}, got {}", where, lo_exclusive, v.dump()));
  }
  return v.get<double>();
}

Result<LengthDistribution> EmpiricalFromFile(std::string_view path, std::string_view where, const FileSource& files) {
  auto text = files.Read(path);
  if (!text.ok()) return text.error().In(where);
  auto values = ParseLengthsFile(*text, path);
  if (!values.ok()) return values.error();
  return LengthDistribution::Empirical(std::move(values).value());
}

// The "mean" (>= 1 token) and "sd" (>= 0) of a normal or log-normal length.
Result<std::pair<double, double>> MeanAndSdJson(const json& arg, const std::string& at) {
  auto mean = Number(arg["mean"], at + ".mean", 0);
  if (!mean.ok()) return mean.error();
  if (*mean < 1) return InvalidInput(fmt::format("{}.mean: expected >= 1 token, got {}", at, *mean));
  if (!arg["sd"].is_number() || !(arg["sd"].get<double>() >= 0) || !std::isfinite(arg["sd"].get<double>())) {
    return InvalidInput(fmt::format("{}.sd: expected a number >= 0, got {}", at, arg["sd"].dump()));
  }
  return std::pair{*mean, arg["sd"].get<double>()};
}

Result<LengthDistribution> LengthFromJson(const json& v, std::string_view where, std::string_view base_dir,
                                          const FileSource& files) {
  if (v.is_number()) {
    auto t = TokensJson(v, where);
    if (!t.ok()) return t.error();
    return LengthDistribution::Fixed(*t);
  }
  const std::vector<std::string> forms = {"fixed", "uniform", "normal", "lognormal", "empirical", "empirical_file"};
  if (!v.is_object() || v.size() != 1) {
    return InvalidInput(fmt::format("{}: expected a number of tokens or an object with one of {} (docs/serving.md), "
                                    "got {}",
                                    where, fmt::join(forms, ", "), v.dump()));
  }
  const std::string& kind = v.begin().key();
  const json& arg = v.begin().value();
  const std::string at = fmt::format("{}.{}", where, kind);
  if (kind == "fixed") {
    auto t = TokensJson(arg, at);
    if (!t.ok()) return t.error();
    return LengthDistribution::Fixed(*t);
  }
  if (kind == "uniform") {
    if (!arg.is_array() || arg.size() != 2) {
      return InvalidInput(fmt::format("{}: expected [lowest, highest] tokens, got {}", at, arg.dump()));
    }
    auto lo = TokensJson(arg[0], at + "[0]");
    if (!lo.ok()) return lo.error();
    auto hi = TokensJson(arg[1], at + "[1]");
    if (!hi.ok()) return hi.error();
    if (*hi < *lo) return InvalidInput(fmt::format("{}: highest {} is below lowest {}", at, *hi, *lo));
    return LengthDistribution::Uniform(*lo, *hi);
  }
  if (kind == "normal") {
    if (!arg.is_object() || !arg.contains("mean") || !arg.contains("sd") || arg.size() != 2) {
      return InvalidInput(fmt::format("{}: expected {{\"mean\": tokens, \"sd\": tokens}}, got {}", at, arg.dump()));
    }
    auto mean_sd = MeanAndSdJson(arg, at);
    if (!mean_sd.ok()) return mean_sd.error();
    return LengthDistribution::Normal(mean_sd->first, mean_sd->second);
  }
  if (kind == "lognormal") {
    const bool shape = arg.is_object() && arg.contains("mean") && arg.contains("sd") &&
                       arg.size() == (arg.contains("max") ? 3u : 2u);
    if (!shape) {
      return InvalidInput(fmt::format("{}: expected {{\"mean\": tokens, \"sd\": tokens}} and optionally \"max\": "
                                      "tokens, got {}",
                                      at, arg.dump()));
    }
    auto mean_sd = MeanAndSdJson(arg, at);
    if (!mean_sd.ok()) return mean_sd.error();
    int64_t max = 0;
    if (arg.contains("max")) {
      auto m = TokensJson(arg["max"], at + ".max");
      if (!m.ok()) return m.error();
      max = *m;
    }
    LengthDistribution d = LengthDistribution::LogNormal(mean_sd->first, mean_sd->second, max);
    if (Status s = ValidateLength(d, at); !s.ok()) return InvalidInput(s.error().message());
    return d;
  }
  if (kind == "empirical") {
    if (!arg.is_array() || arg.empty()) {
      return InvalidInput(fmt::format("{}: expected a non-empty array of token counts, got {}", at, arg.dump()));
    }
    std::vector<int64_t> values;
    for (size_t i = 0; i < arg.size(); ++i) {
      auto t = TokensJson(arg[i], fmt::format("{}[{}]", at, i));
      if (!t.ok()) return t.error();
      values.push_back(*t);
    }
    return LengthDistribution::Empirical(std::move(values));
  }
  if (kind == "empirical_file") {
    if (!arg.is_string()) return InvalidInput(fmt::format("{}: expected a file path, got {}", at, arg.dump()));
    return EmpiricalFromFile(Resolve(arg.get<std::string>(), base_dir), at, files);
  }
  return InvalidInput(fmt::format("{}: unknown length distribution '{}'{}", where, kind, io::DidYouMean(kind, forms)));
}

}  // namespace

Result<std::vector<int64_t>> ParseLengthsFile(std::string_view text, std::string_view source) {
  std::vector<int64_t> out;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = io::Trim(line);
    if (line.empty()) continue;
    auto t = Tokens(line, fmt::format("{}:{}", source, line_no));
    if (!t.ok()) return InvalidInput(t.error().message());
    out.push_back(*t);
  }
  if (out.empty()) return InvalidInput(fmt::format("{}: no lengths (expected one whole number per line)", source));
  return out;
}

namespace {

// MEAN (>= 1 token) and SD (>= 0) of a normal:MEAN:SD or lognormal:MEAN:SD form.
Result<std::pair<double, double>> MeanAndSd(const std::string& a, const std::string& b, std::string_view flag,
                                            std::string_view name) {
  const std::optional<double> mean = io::ParseNumber(a), sd = io::ParseNumber(b);
  if (!mean || !std::isfinite(*mean) || *mean < 1) {
    return InvalidArgument(fmt::format("{}: {} mean must be a number >= 1 token, got {}", flag, name, io::Quote(a)));
  }
  if (!sd || !std::isfinite(*sd) || *sd < 0) {
    return InvalidArgument(
        fmt::format("{}: {} standard deviation must be a number >= 0, got {}", flag, name, io::Quote(b)));
  }
  return std::pair{*mean, *sd};
}

}  // namespace

Result<LengthDistribution> ParseLengthSpec(std::string_view text, std::string_view flag, const FileSource& files) {
  const std::string t{io::Trim(text)};
  const size_t colon = t.find(':');
  const std::string usage = "expected N, uniform:LO:HI, normal:MEAN:SD, lognormal:MEAN:SD[:MAX] or file:PATH";
  if (colon == std::string::npos) {
    auto n = Tokens(t, flag);
    if (!n.ok()) return InvalidArgument(fmt::format("{} ({})", n.error().message(), usage));
    return LengthDistribution::Fixed(*n);
  }
  const std::string kind = io::ToLower(t.substr(0, colon));
  const std::string rest = t.substr(colon + 1);
  if (kind == "file") {
    auto d = EmpiricalFromFile(rest, flag, files);
    if (!d.ok()) return d.error();
    return d;
  }
  const size_t colon2 = rest.find(':');
  if ((kind != "uniform" && kind != "normal" && kind != "lognormal") || colon2 == std::string::npos) {
    return InvalidArgument(fmt::format("{}: {}, got {}", flag, usage, io::Quote(text)));
  }
  std::string a = rest.substr(0, colon2), b = rest.substr(colon2 + 1);
  if (kind == "lognormal") {
    std::string c;
    if (const size_t colon3 = b.find(':'); colon3 != std::string::npos) {
      c = b.substr(colon3 + 1);
      b = b.substr(0, colon3);
    }
    auto mean_sd = MeanAndSd(a, b, flag, "log-normal");
    if (!mean_sd.ok()) return mean_sd.error();
    int64_t max = 0;
    if (!c.empty()) {
      auto m = Tokens(c, std::string(flag) + " (longest)");
      if (!m.ok()) return m.error();
      max = *m;
    }
    LengthDistribution d = LengthDistribution::LogNormal(mean_sd->first, mean_sd->second, max);
    if (Status s = ValidateLength(d, flag); !s.ok()) return s.error();
    return d;
  }
  if (kind == "uniform") {
    auto lo = Tokens(a, std::string(flag) + " (lowest)");
    if (!lo.ok()) return lo.error();
    auto hi = Tokens(b, std::string(flag) + " (highest)");
    if (!hi.ok()) return hi.error();
    if (*hi < *lo) return InvalidArgument(fmt::format("{}: highest {} is below lowest {}", flag, *hi, *lo));
    return LengthDistribution::Uniform(*lo, *hi);
  }
  auto mean_sd = MeanAndSd(a, b, flag, "normal");
  if (!mean_sd.ok()) return mean_sd.error();
  return LengthDistribution::Normal(mean_sd->first, mean_sd->second);
}

Result<ServingWorkload> ParseWorkloadFile(std::string_view json_text, std::string_view source,
                                          std::string_view base_dir, const FileSource& files) {
  const json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidInput(fmt::format("{}: invalid JSON (expected a workload object, see docs/serving.md)", source));
  }
  const std::vector<std::string> keys = {"rate_per_s", "arrival", "prompt_tokens", "output_tokens",
                                         "requests",   "seed",    "trace"};
  ServingWorkload w;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    const std::string where = fmt::format("{}: {}", source, key);
    if (!key.empty() && key.front() == '_') continue;  // a note
    if (key == "rate_per_s") {
      auto r = Number(v, where, 0);
      if (!r.ok()) return r.error();
      w.spec.rate_per_s = *r;
      w.rate_given = true;
    } else if (key == "arrival") {
      if (v.is_string() && io::EqualsIgnoreCase(v.get<std::string>(), "poisson")) {
        w.spec.arrival = ArrivalProcess::kPoisson;
      } else if (v.is_object() && v.size() == 1 && v.contains("gamma_cv")) {
        auto cv = Number(v["gamma_cv"], where + ".gamma_cv", 0);
        if (!cv.ok()) return cv.error();
        w.spec.arrival = ArrivalProcess::kGamma;
        w.spec.gamma_cv = *cv;
      } else {
        return InvalidInput(fmt::format("{}: expected \"poisson\" or {{\"gamma_cv\": CV}}, got {}", where, v.dump()));
      }
    } else if (key == "prompt_tokens" || key == "output_tokens") {
      auto d = LengthFromJson(v, where, base_dir, files);
      if (!d.ok()) return d.error();
      (key == "prompt_tokens" ? w.spec.prompt : w.spec.output) = std::move(d).value();
      (key == "prompt_tokens" ? w.prompt_given : w.output_given) = true;
    } else if (key == "requests") {
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 10'000'000) {
        return InvalidInput(fmt::format("{}: expected a whole number from 1 to 10000000, got {}", where, v.dump()));
      }
      w.spec.num_requests = v.get<int64_t>();
    } else if (key == "seed") {
      if (!v.is_number_unsigned()) {
        return InvalidInput(fmt::format("{}: expected a whole number >= 0, got {}", where, v.dump()));
      }
      w.spec.seed = v.get<uint64_t>();
    } else if (key == "trace") {
      if (!v.is_string()) return InvalidInput(fmt::format("{}: expected a CSV file path, got {}", where, v.dump()));
      w.trace_source = Resolve(v.get<std::string>(), base_dir);
      auto text = files.Read(w.trace_source);
      if (!text.ok()) return text.error().In(where);
      auto trace = ParseTrace(*text, w.trace_source);
      if (!trace.ok()) return trace.error();
      w.trace = std::move(trace).value();
    } else {
      return InvalidInput(fmt::format("{}: unknown field '{}'{}", source, key, io::DidYouMean(key, keys)));
    }
  }
  if (w.trace && (w.prompt_given || w.output_given || doc.contains("arrival"))) {
    return InvalidInput(fmt::format("{}: a trace gives arrivals and lengths itself; drop 'arrival', 'prompt_tokens' "
                                    "and 'output_tokens' or the 'trace'",
                                    source));
  }
  return w;
}

Result<RequestSet> MaterializeWorkload(const ServingWorkload& w) {
  RequestSet set;
  if (w.trace) {
    if (w.trace->empty()) return InvalidInput(fmt::format("{}: the trace has no requests", w.trace_source));
    set.requests = *w.trace;
    const double span = set.requests.back().arrival_s - set.requests.front().arrival_s;
    if (set.requests.size() < 2 || !(span > 0)) {
      return InvalidInput(fmt::format("{}: a trace needs at least two requests at different times to have a rate",
                                      w.trace_source));
    }
    set.rate_per_s = static_cast<double>(set.requests.size() - 1) / span;
    return set;
  }
  auto requests = GenerateRequests(w.spec);
  if (!requests.ok()) return requests.error();
  set.requests = std::move(requests).value();
  set.rate_per_s = w.spec.rate_per_s;
  return set;
}

std::string DescribeLengths(const LengthDistribution& d) {
  switch (d.kind) {
    case LengthDistribution::Kind::kFixed:
      return fmt::format("{}", d.fixed_tokens);
    case LengthDistribution::Kind::kUniform:
      return fmt::format("uniform {}-{}", d.lo_tokens, d.hi_tokens);
    case LengthDistribution::Kind::kNormal:
      return fmt::format("normal(mean {:g}, sd {:g})", d.mean_tokens, d.sd_tokens);
    case LengthDistribution::Kind::kLogNormal:
      return d.max_tokens > 0 ? fmt::format("log-normal(mean {:g}, sd {:g}, at most {})", d.mean_tokens, d.sd_tokens,
                                            d.max_tokens)
                              : fmt::format("log-normal(mean {:g}, sd {:g})", d.mean_tokens, d.sd_tokens);
    case LengthDistribution::Kind::kEmpirical:
      return fmt::format("empirical ({} values)", d.values_tokens.size());
  }
  return "?";
}

std::string DescribeWorkload(const ServingWorkload& w, const RequestSet& set) {
  double prompt = 0, output = 0;
  for (const Request& r : set.requests) {
    prompt += static_cast<double>(r.prompt_tokens);
    output += static_cast<double>(r.output_tokens);
  }
  const double n = static_cast<double>(set.requests.size());
  if (w.trace) {
    return fmt::format("trace {} ({} requests at {:.3g} req/s; mean {:.0f} prompt + {:.0f} output tokens)",
                       w.trace_source, set.requests.size(), set.rate_per_s, prompt / n, output / n);
  }
  const std::string arrival = w.spec.arrival == ArrivalProcess::kPoisson
                                  ? std::string("Poisson arrivals")
                                  : fmt::format("gamma arrivals (cv {:g})", w.spec.gamma_cv);
  return fmt::format("{}; prompt tokens {} (mean {:.0f}), output tokens {} (mean {:.0f}); {} requests simulated per "
                     "rate, seed {}",
                     arrival, DescribeLengths(w.spec.prompt), prompt / n, DescribeLengths(w.spec.output), output / n,
                     set.requests.size(), w.spec.seed);
}

}  // namespace infersave
