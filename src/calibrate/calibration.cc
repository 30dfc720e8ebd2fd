// Calibration files: CTCF entries per (GPU, engine, phase) (method.md section 5).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "infersave/calibration.h"
#include "io/text.h"

namespace infersave {

using nlohmann::json;

std::string_view PhaseName(Phase phase) { return phase == Phase::kPrefill ? "prefill" : "decode"; }

const CtcfEntry* Calibration::Find(std::string_view gpu, std::string_view engine, Phase phase) const {
  for (const CtcfEntry& e : entries) {
    if (e.phase == phase && io::EqualsIgnoreCase(e.gpu, gpu) && io::EqualsIgnoreCase(e.engine, engine)) {
      return &e;
    }
  }
  return nullptr;
}

const CtcfEntry* Calibration::FindOrCarry(std::string_view gpu, std::string_view silicon, double memory_gbps,
                                          std::string_view engine, Phase phase, bool* carried) const {
  *carried = false;
  if (const CtcfEntry* own = Find(gpu, engine, phase)) return own;
  if (silicon.empty()) return nullptr;
  for (const CtcfEntry& e : entries) {
    if (!e.carries || e.phase != phase || !io::EqualsIgnoreCase(e.silicon, silicon) ||
        !io::EqualsIgnoreCase(e.engine, engine)) {
      continue;
    }
    if (phase == Phase::kDecode) {
      // Decode is bound by memory bandwidth, which differs between siblings.
      const double ratio = memory_gbps > 0 && e.memory_gbps > 0 ? std::max(memory_gbps, e.memory_gbps) /
                                                                     std::min(memory_gbps, e.memory_gbps)
                                                               : 2;
      if (ratio > 1.35) continue;
    }
    *carried = true;
    return &e;
  }
  return nullptr;
}

const GroupAccuracy* Calibration::FindGroup(std::string_view gpu, std::string_view engine) const {
  for (const GroupAccuracy& g : groups) {
    if (io::EqualsIgnoreCase(g.gpu, gpu) && io::EqualsIgnoreCase(g.engine, engine)) return &g;
  }
  return nullptr;
}

ErrorBand Calibration::ExpectedError(std::string_view gpu, std::string_view engine, bool calibrated) const {
  ErrorBand band;
  if (const GroupAccuracy* g = FindGroup(gpu, engine)) {
    if (calibrated && g->calibrated_median_pct >= 0) {
      band.median_pct = g->calibrated_median_pct;
      band.p90_pct = g->calibrated_p90_pct;
      band.basis = fmt::format("cross-validated on {} runs of {} with {}", g->runs, g->gpu, g->engine);
    } else {
      band.median_pct = g->uncalibrated_median_pct;
      band.p90_pct = g->uncalibrated_p90_pct;
      band.basis = fmt::format("uncalibrated model on {} runs of {} with {}", g->runs, g->gpu, g->engine);
    }
    return band;
  }
  // No run of this GPU: the engine's uncalibrated error elsewhere, the
  // widest band of its measured groups at the 90th percentile.
  int runs = 0;
  double p90 = -1;
  for (const GroupAccuracy& g : groups) {
    if (!io::EqualsIgnoreCase(g.engine, engine)) continue;
    runs += g.runs;
    p90 = std::max(p90, g.uncalibrated_p90_pct);
  }
  auto it = uncalibrated_by_engine.find(io::ToLower(engine));
  if (it != uncalibrated_by_engine.end() && it->second.runs > 0) {
    band.median_pct = it->second.median_ape_pct;
    band.p90_pct = p90;
    band.basis = fmt::format("uncalibrated model on {} runs of {} on other GPUs", it->second.runs, engine);
  } else if (runs > 0) {
    band.p90_pct = p90;
    band.basis = fmt::format("uncalibrated model on {} runs of {} on other GPUs", runs, engine);
  }
  return band;
}

namespace {

// "uncalibrated_error": {engine: {"runs", "median_ape_pct"}}.
Status ParseUncalibratedError(const json* unc, std::string_view source, Calibration& cal) {
  if (!unc->is_object()) {
    return InvalidInput(fmt::format("{}: field 'uncalibrated_error': expected an object of engines", source));
  }
  for (auto it = unc->begin(); it != unc->end(); ++it) {
    const json& v = it.value();
    auto runs = v.is_object() ? v.find("runs") : v.end();
    auto ape = v.is_object() ? v.find("median_ape_pct") : v.end();
    if (runs == v.end() || ape == v.end() || !runs->is_number_unsigned() || !ape->is_number() ||
        ape->get<double>() < 0 || runs->get<uint64_t>() > 1'000'000'000) {
      return InvalidInput(fmt::format(
          "{}: uncalibrated_error.{}: expected {{\"runs\": whole number, \"median_ape_pct\": number >= 0}}", source,
          it.key()));
    }
    cal.uncalibrated_by_engine[io::ToLower(it.key())] =
        UncalibratedError{static_cast<int>(runs->get<uint64_t>()), ape->get<double>()};
  }
  return Status::Ok();
}

// "groups": the measured accuracy of every GPU and engine.
Status ParseGroups(const json* groups, std::string_view source, Calibration& cal) {
  if (!groups->is_array()) return InvalidInput(fmt::format("{}: field 'groups': expected an array", source));
  for (size_t i = 0; i < groups->size(); ++i) {
    const json& g = (*groups)[i];
    const std::string where = fmt::format("{}: groups[{}]", source, i);
    if (!g.is_object() || !g.contains("gpu") || !g["gpu"].is_string() || !g.contains("engine") ||
        !g["engine"].is_string() || !g.contains("runs") || !g["runs"].is_number_unsigned()) {
      return InvalidInput(where + ": expected {\"gpu\", \"engine\", \"runs\", ...}");
    }
    GroupAccuracy a;
    a.gpu = g["gpu"].get<std::string>();
    a.engine = g["engine"].get<std::string>();
    a.runs = static_cast<int>(std::min<uint64_t>(g["runs"].get<uint64_t>(), 1'000'000'000));
    for (auto [key, field] : {std::pair{"uncalibrated_median_pct", &a.uncalibrated_median_pct},
                              std::pair{"uncalibrated_p90_pct", &a.uncalibrated_p90_pct},
                              std::pair{"calibrated_median_pct", &a.calibrated_median_pct},
                              std::pair{"calibrated_p90_pct", &a.calibrated_p90_pct}}) {
      auto v = g.find(key);
      if (v == g.end() || v->is_null()) continue;
      if (!v->is_number() || v->get<double>() < 0) {
        return InvalidInput(fmt::format("{}: field '{}': expected a percentage >= 0", where, key));
      }
      *field = v->get<double>();
    }
    a.shipped = g.value("shipped", false);
    a.uncalibrated_p90_pct = std::max(a.uncalibrated_p90_pct, a.uncalibrated_median_pct);
    cal.groups.push_back(std::move(a));
  }
  return Status::Ok();
}

// One of "entries": a CTCF for a GPU, engine and phase.
Result<CtcfEntry> ParseEntry(const json& item, const std::string& where) {
  if (!item.is_object()) return InvalidInput(where + ": expected an object");
  auto text = [&](const char* key) -> Result<std::string> {
    auto it = item.find(key);
    if (it == item.end() || !it->is_string() || it->get<std::string>().empty()) {
      return InvalidInput(fmt::format("{}: missing field '{}' (a string)", where, key));
    }
    return it->get<std::string>();
  };
  auto number = [&](const char* key, bool required, double fallback) -> Result<double> {
    auto it = item.find(key);
    if (it == item.end() || it->is_null()) {
      if (required) return InvalidInput(fmt::format("{}: missing field '{}' (a number)", where, key));
      return fallback;
    }
    if (!it->is_number() || !std::isfinite(it->get<double>())) {
      return InvalidInput(fmt::format("{}: field '{}': expected a number, got {}", where, key, io::Quote(it->dump())));
    }
    return it->get<double>();
  };
  CtcfEntry e;
  auto gpu = text("gpu");
  if (!gpu.ok()) return gpu.error();
  auto engine = text("engine");
  if (!engine.ok()) return engine.error();
  auto phase = text("phase");
  if (!phase.ok()) return phase.error();
  e.gpu = *gpu;
  e.engine = *engine;
  if (*phase == "prefill") {
    e.phase = Phase::kPrefill;
  } else if (*phase == "decode") {
    e.phase = Phase::kDecode;
  } else {
    return InvalidInput(fmt::format("{}: field 'phase': expected \"prefill\" or \"decode\", got {}", where, io::Quote(*phase)));
  }
  auto alpha = number("alpha", true, 1);
  if (!alpha.ok()) return alpha.error();
  auto beta = number("beta_s", true, 0);
  if (!beta.ok()) return beta.error();
  auto points = number("points", false, 0);
  if (!points.ok()) return points.error();
  auto error = number("median_ape_pct", false, -1);
  if (!error.ok()) return error.error();
  if (*points < 0 || *points != std::floor(*points) || *points > 1e9) {  // int cast below
    return InvalidInput(fmt::format("{}: field 'points': expected a whole number >= 0, got {}", where, *points));
  }
  if (*alpha <= 0) {
    return InvalidInput(fmt::format("{}: field 'alpha': expected a positive scale, got {} (a non-positive alpha "
                                    "would predict shorter times for more work)", where, *alpha));
  }
  if (*beta < 0) {
    return InvalidInput(fmt::format("{}: field 'beta_s': expected a fixed cost >= 0 seconds, got {} (a negative "
                                    "offset predicts negative times for small work)", where, *beta));
  }
  if (auto s = item.find("silicon"); s != item.end() && s->is_string()) e.silicon = s->get<std::string>();
  auto gbps = number("memory_gbps", false, 0);
  if (!gbps.ok()) return gbps.error();
  e.memory_gbps = *gbps;
  if (auto c = item.find("carries"); c != item.end()) {
    if (!c->is_boolean()) return InvalidInput(fmt::format("{}: field 'carries': expected true or false", where));
    e.carries = c->get<bool>();
  }
  e.alpha = *alpha;
  e.beta_s = *beta;
  e.points = static_cast<int>(*points);
  e.median_ape_pct = *error;
  return e;
}

}  // namespace

Result<Calibration> ParseCalibration(std::string_view json_text, std::string_view source) {
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidInput(fmt::format("{}: invalid calibration file: expected a JSON object with 'entries'", source));
  }
  Calibration cal;
  cal.source = std::string(source);
  auto model = doc.find("perf_model");
  if (model == doc.end() || !model->is_string()) {
    return InvalidInput(fmt::format("{}: missing field 'perf_model' (the model the fit was made against)", source));
  }
  cal.perf_model = model->get<std::string>();
  if (auto unc = doc.find("uncalibrated_error"); unc != doc.end()) {
    if (Status s = ParseUncalibratedError(&*unc, source, cal); !s.ok()) return s.error();
  }
  if (auto groups = doc.find("groups"); groups != doc.end()) {
    if (Status s = ParseGroups(&*groups, source, cal); !s.ok()) return s.error();
  }
  auto list = doc.find("entries");
  if (list == doc.end() || !list->is_array()) {
    return InvalidInput(fmt::format("{}: field 'entries': expected an array", source));
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = fmt::format("{}: entries[{}]", source, i);
    auto e = ParseEntry((*list)[i], where);
    if (!e.ok()) return e.error();
    if (cal.Find(e->gpu, e->engine, e->phase)) {
      return InvalidInput(fmt::format("{}: a second entry for GPU '{}', engine '{}', phase '{}'", where, e->gpu,
                                      e->engine, PhaseName(e->phase)));
    }
    cal.entries.push_back(std::move(e).value());
  }
  return cal;
}

}  // namespace infersave
