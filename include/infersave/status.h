// Error values for the InferSave library. No exception crosses the public API:
// every fallible function returns a Status or a Result<T>.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace infersave {

// What kind of failure an Error is; front ends map it to an exit code or an
// HTTP status (the CLI: invalid argument 2, the others 3, internal 70).
enum class ErrorCode {
  kInvalidArgument,  // a value given by the caller (option, request field) is out of range
  kInvalidInput,     // a file or its contents are malformed
  kNotFound,         // a named model, instance, catalog or engine does not exist
  kIo,               // a file could not be read
  kInternal,         // a bug: an invariant of the library did not hold
  kCancelled,        // the caller stopped the work (a service's time limit)
};

const char* ErrorCodeName(ErrorCode code);  // "invalid_argument", "not_found", ...

// A reference to a field of the job request ("workload.batch_size") inside an
// error message. Front ends render it in their own terms: the CLI as its
// flag (--batch-size), a service as the JSON field; Error::message() keeps
// the field path.
std::string FieldRef(std::string_view field_path);

// Turns the FieldRef()s in `text` into name_of(field path).
std::string RenderFieldRefs(std::string_view text, const std::function<std::string(std::string_view)>& name_of);

// A failure with a complete, user-facing message that already names the place
// ("catalog.csv:14: column 'Price': expected a number, got \"n/a\"") or the
// request field it is about (field(): "workload.batch_size"; empty when it is
// about no single field).
class Error {
 public:
  Error(ErrorCode code, std::string message, std::string field = {})
      : code_(code), text_(std::move(message)), field_(std::move(field)) {}
  ErrorCode code() const { return code_; }
  // The message with request fields named by their paths.
  std::string message() const;
  // The message with request fields named by name_of(field path).
  std::string message(const std::function<std::string(std::string_view)>& name_of) const {
    return RenderFieldRefs(text_, name_of);
  }
  const std::string& field() const { return field_; }
  // The same error (code, field) with its message placed at `where`
  // ("w.json: trace: <message>").
  Error In(std::string_view where) const {
    return Error(code_, std::string(where) + ": " + text_, field_);
  }
  // The same error, about request field `field` (when it has none yet: an
  // error that names a field more precisely keeps it).
  Error AtField(std::string_view field) const {
    return Error(code_, text_, field_.empty() ? std::string(field) : field_);
  }

 private:
  ErrorCode code_;
  std::string text_;  // may hold FieldRef()s
  std::string field_;
};

inline Error InvalidArgument(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}
// An out-of-range value of one request field; `message` starts with a
// predicate ("must be between 1 and 4096, got 0") and is prefixed with the
// field's reference.
Error InvalidField(std::string_view field_path, std::string_view message);
inline Error IoError(std::string message) { return Error(ErrorCode::kIo, std::move(message)); }
inline Error InternalError(std::string message) { return Error(ErrorCode::kInternal, std::move(message)); }
inline Error InvalidInput(std::string message) {
  return Error(ErrorCode::kInvalidInput, std::move(message));
}
inline Error Cancelled(std::string message) { return Error(ErrorCode::kCancelled, std::move(message)); }
inline Error NotFound(std::string message) { return Error(ErrorCode::kNotFound, std::move(message)); }

// Either a value of type T or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  static Status Ok() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorCode::kInvalidInput, ""};
  bool ok_ = true;
};

}  // namespace infersave
