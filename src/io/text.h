// Small text utilities shared by the parsers: strict number parsing,
// case-insensitive comparison and "did you mean" suggestions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infersave::io {

// The whole string (after trimming spaces) as a finite number, or nullopt.
std::optional<double> ParseNumber(std::string_view text);
std::string_view Trim(std::string_view text);
// The lines of a text, without their "\n" or "\r\n" (views into it).
std::vector<std::string_view> SplitLines(std::string_view text);
std::string ToLower(std::string_view text);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// The candidate closest to `name` (case-insensitive edit distance), when it is
// close enough to be a plausible typo; "" otherwise.
std::string ClosestMatch(std::string_view name, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "".
std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates);

// Quotes a value for a message, cut to a readable length and with
// non-printable bytes escaped: "n/a" -> "\"n/a\"".
std::string Quote(std::string_view value);

}  // namespace infersave::io
