// Error codes and field references (include/infersave/status.h).
#include "infersave/status.h"

namespace infersave {

namespace {
// Field references are wrapped in two ASCII control characters that no
// message text contains, so rendering never touches anything else.
constexpr char kFieldOpen = '\x1e';
constexpr char kFieldClose = '\x1f';
}  // namespace

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kInvalidInput: return "invalid_input";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kCancelled: return "cancelled";
  }
  return "internal";
}

std::string FieldRef(std::string_view field_path) {
  std::string ref(1, kFieldOpen);
  ref.append(field_path);
  ref.push_back(kFieldClose);
  return ref;
}

std::string RenderFieldRefs(std::string_view text, const std::function<std::string(std::string_view)>& name_of) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find(kFieldOpen, pos);
    const size_t close = open == std::string_view::npos ? open : text.find(kFieldClose, open + 1);
    if (close == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, open - pos));
    out.append(name_of(text.substr(open + 1, close - open - 1)));
    pos = close + 1;
  }
  return out;
}

Error InvalidField(std::string_view field_path, std::string_view message) {
  std::string text = FieldRef(field_path);
  text.push_back(' ');
  text.append(message);
  return Error(ErrorCode::kInvalidArgument, std::move(text), std::string(field_path));
}

std::string Error::message() const {
  return RenderFieldRefs(text_, [](std::string_view path) { return std::string(path); });
}

}  // namespace infersave
