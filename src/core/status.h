// Errors as values. A Status is a category (closed enum) plus a human message; Result<T> is
// a T or a non-OK Status. Nothing in Carnet lets an exception cross a module boundary: a
// failure is returned, and the api layer maps the category to HTTP in one place.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace carnet {

enum class ErrorCode {
  kOk = 0,
  kInvalid,       // the caller's input is wrong (HTTP 400)
  kUnprocessable,  // well-formed, but breaks a rule of its content (422)
  kUnauthenticated,  // no or bad credentials (401)
  kForbidden,     // authenticated but not allowed (403)
  kNotFound,      // (404)
  kConflict,      // state conflict, duplicate (409)
  kPreconditionFailed,  // the caller's expected version is not the current one (412)
  kGone,          // existed, now deleted (410)
  kTooLarge,      // payload over a limit (413)
  kThrottled,     // too many attempts; back off (429)
  kUnavailable,   // a dependency is down or the service is shutting down (503)
  kBusy,          // transient contention: retry (503 with Retry-After)
  kCorrupt,       // stored data failed an integrity check (500, never shown as garbage)
  kInternal,      // a bug or an unexpected failure (500)
};

std::string_view error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  static Status invalid(std::string m) { return {ErrorCode::kInvalid, std::move(m)}; }
  static Status unprocessable(std::string m) { return {ErrorCode::kUnprocessable, std::move(m)}; }
  static Status unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
  static Status forbidden(std::string m) { return {ErrorCode::kForbidden, std::move(m)}; }
  static Status not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
  static Status precondition_failed(std::string m) { return {ErrorCode::kPreconditionFailed, std::move(m)}; }
  static Status gone(std::string m) { return {ErrorCode::kGone, std::move(m)}; }
  static Status too_large(std::string m) { return {ErrorCode::kTooLarge, std::move(m)}; }
  static Status throttled(std::string m) { return {ErrorCode::kThrottled, std::move(m)}; }
  static Status unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Status busy(std::string m) { return {ErrorCode::kBusy, std::move(m)}; }
  static Status corrupt(std::string m) { return {ErrorCode::kCorrupt, std::move(m)}; }
  static Status internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

  bool is_ok() const { return code_ == ErrorCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "not_found: no such space" — for logs and CLI output.
  std::string to_string() const;

  // Returns a copy whose message is prefixed with context ("opening store: ...").
  Status with_context(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// A value or an error. REQUIRES: a Result built from a Status is never built from an OK one.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {}  // NOLINT

  bool is_ok() const { return data_.index() == 0; }
  explicit operator bool() const { return is_ok(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // The error; OK when the result holds a value.
  Status status() const { return is_ok() ? Status::ok() : std::get<1>(data_); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace carnet

// Propagates a non-OK Status from an expression returning Status.
#define CARNET_RETURN_IF_ERROR(expr)        \
  do {                                      \
    ::carnet::Status carnet_status_ = (expr); \
    if (!carnet_status_.is_ok()) return carnet_status_; \
  } while (0)
