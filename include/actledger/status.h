// Status and Result<T>: how every fallible actledger function reports errors.
//
// A Status is a code, a human-readable message and, for input errors, the
// dotted path of the offending field. Codes map one-to-one to CLI exit codes
// and HTTP statuses (see ExitCode() and HttpStatus()).
//
//   Result<Record> r = ParseRecord(line, options);
//   if (!r.ok()) return r.status();
//   Use(*r);
//
// Thread safety: values; safe to copy between threads.
#ifndef ACTLEDGER_STATUS_H_
#define ACTLEDGER_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace actledger {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input: exit 3, HTTP 400
  kNotFound,            // exit 3, HTTP 404
  kFailedPrecondition,  // state conflict: exit 3, HTTP 409
  kPermissionDenied,    // exit 5, HTTP 403
  kUnauthenticated,     // exit 5, HTTP 401
  kResourceExhausted,   // too large / overloaded: exit 3, HTTP 413/429
  kDataLoss,            // tampering or corruption found: exit 1, HTTP 500
  kIoError,             // storage or I/O error: exit 4, HTTP 500
  kUnavailable,         // locked by another process, retry: exit 4, HTTP 503
  kInternal,            // bug or unexpected library failure: exit 4, HTTP 500
};

// Stable lowercase name used in JSON errors, e.g. "invalid_argument".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Dotted path of the field the error is about ("action.amount.value"), or
  // empty when the error is not about one field.
  const std::string& field() const { return field_; }

  // "invalid_argument: action.amount.value: must be a decimal string".
  std::string ToString() const;

  // The CLI exit code of PRODUCT.md section 6.
  int ExitCode() const;
  int HttpStatus() const;

  // Explicitly discards a status the caller has decided not to act on.
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string message, std::string field = {}) {
  return Status(StatusCode::kInvalidArgument, std::move(message),
                std::move(field));
}
inline Status NotFound(std::string message) {
  return Status(StatusCode::kNotFound, std::move(message));
}
inline Status FailedPrecondition(std::string message) {
  return Status(StatusCode::kFailedPrecondition, std::move(message));
}
inline Status PermissionDenied(std::string message) {
  return Status(StatusCode::kPermissionDenied, std::move(message));
}
inline Status DataLoss(std::string message) {
  return Status(StatusCode::kDataLoss, std::move(message));
}
inline Status IoError(std::string message) {
  return Status(StatusCode::kIoError, std::move(message));
}
inline Status Unavailable(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message));
}
inline Status Internal(std::string message) {
  return Status(StatusCode::kInternal, std::move(message));
}
inline Status ResourceExhausted(std::string message, std::string field = {}) {
  return Status(StatusCode::kResourceExhausted, std::move(message),
                std::move(field));
}

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit by design, so that `return value;` and `return NotFound(...);`
  // both work (as with absl::StatusOr).
  // NOLINTNEXTLINE(google-explicit-constructor)
  Result(T value) : value_(std::move(value)) {}
  // NOLINTNEXTLINE(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {
    assert(!status_.ok() && "Result constructed from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace actledger

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define ACTLEDGER_RETURN_IF_ERROR(expr) \
  do {                                  \
    ::actledger::Status _st = (expr);   \
    if (!_st.ok()) return _st;          \
  } while (0)

#define ACTLEDGER_CONCAT_INNER_(a, b) a##b
#define ACTLEDGER_CONCAT_(a, b) ACTLEDGER_CONCAT_INNER_(a, b)

// ACTLEDGER_ASSIGN_OR_RETURN(auto x, F()); returns F()'s status on error.
// NOLINTBEGIN(bugprone-macro-parentheses): `res` is a name and `lhs` a
// declaration; neither compiles in parentheses.
#define ACTLEDGER_ASSIGN_OR_RETURN(lhs, expr)                               \
  ACTLEDGER_ASSIGN_OR_RETURN_IMPL_(ACTLEDGER_CONCAT_(_res_, __LINE__), lhs, \
                                   expr)
#define ACTLEDGER_ASSIGN_OR_RETURN_IMPL_(res, lhs, expr) \
  auto res = (expr);                                     \
  if (!res.ok()) return res.status();                    \
  lhs = std::move(res).value()
// NOLINTEND(bugprone-macro-parentheses)

#endif  // ACTLEDGER_STATUS_H_
