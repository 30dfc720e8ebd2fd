#include "io/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace infersave::io {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<double> ParseNumber(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// The text without the separators '-', '_', '.' and ' ', which users drop or
// add freely ("llama3-8b" for "llama-3.1-8b").
std::string WithoutSeparators(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '-' && c != '_' && c != '.' && c != ' ') out += c;
  }
  return out;
}

}  // namespace

std::string ClosestMatch(std::string_view name, const std::vector<std::string>& candidates) {
  std::string lowered = ToLower(name);
  std::string bare = WithoutSeparators(lowered);
  std::string best;
  size_t best_distance = static_cast<size_t>(-1);
  size_t best_bare_distance = static_cast<size_t>(-1);
  for (const std::string& c : candidates) {
    std::string lc = ToLower(c);
    size_t d = EditDistance(lowered, lc);
    // A name that is a prefix of a candidate (or the reverse) is a strong hint.
    if (lc.rfind(lowered, 0) == 0 || lowered.rfind(lc, 0) == 0) d = std::min<size_t>(d, 2);
    // Ties go to the candidate closest once separators are ignored, so that
    // "lama-3-8b" suggests "llama-3.1-8b" rather than "llama-2-7b" (both 3
    // edits away, but 2 and 3 edits without separators).
    size_t bare_d = EditDistance(bare, WithoutSeparators(lc));
    if (d < best_distance || (d == best_distance && bare_d < best_bare_distance)) {
      best_distance = d;
      best_bare_distance = bare_d;
      best = c;
    }
  }
  // Accept up to a third of the name's length in edits (at least 2).
  size_t limit = std::max<size_t>(2, lowered.size() / 3);
  return best_distance <= limit ? best : std::string();
}

std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates) {
  std::string match = ClosestMatch(name, candidates);
  return match.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", match);
}

std::string Quote(std::string_view value) {
  constexpr size_t kMax = 40;
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (value.size() > kMax) out += "...";
  out += '"';
  return out;
}

}  // namespace infersave::io
