// Error values for the InferSave library. No exception crosses the public API:
// every fallible function returns a Status or a Result<T>.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace infersave {

// What kind of failure an Error is; the CLI maps it to an exit code.
enum class ErrorCode {
  kInvalidArgument,  // a value given by the caller (flag, option) is out of range: exit 2
  kInvalidInput,     // a file or its contents are malformed: exit 3
  kNotFound,         // a named model, instance, catalog or engine does not exist: exit 3
};

// A failure with a complete, user-facing message that already names the place
// ("catalog.csv:14: column 'Price': expected a number, got \"n/a\"").
class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_;
  std::string message_;
};

inline Error InvalidArgument(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}
inline Error InvalidInput(std::string message) {
  return Error(ErrorCode::kInvalidInput, std::move(message));
}
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
