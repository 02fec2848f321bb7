// claimmap/status.h — errors as values.
//
// Every fallible call of the public API returns a Status or a Result<T>; no
// exception crosses the API for bad input. A Status is a code (the per-line
// codes of docs/spec.md §8, plus the codes of files and configs) and a message for a
// person. Status and Result are plain values: copy them, share them, no
// thread-safety concerns beyond those of std::string.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace claimmap {

enum class ErrorCode : uint8_t {
  kOk = 0,
  // Per event line (docs/spec.md §8). The order here is the order of precedence when
  // one line has several problems: the first applicable one is reported.
  kEventTooLarge,
  kMalformedJson,
  kDuplicateClaim,
  kNotAnObject,
  kInvalidEvent,
  kUnknownEventType,
  kUnknownProvider,
  // A signed token's checks, in the order they run (docs/spec.md §15).
  kInvalidToken,
  kUnknownKey,
  kInvalidSignature,
  kWrongIssuer,
  kTokenExpired,
  kTokenNotYetValid,
  kWrongAudience,
  kUnsignedToken,
  kMissingSubject,
  kUnknownUser,
  kUnknownGroup,
  kUnknownRole,
  // Whole-file outcomes.
  kInvalidConfig,  // the config has errors; ConfigReport lists them
  kInvalidState,   // a state file could not be loaded
  kIoError,        // reading or writing a file failed
  kInvalidArgument,
  kInternal,  // a bug in ClaimMap, e.g. a Result made from an OK status
};

inline constexpr int kEventErrorCodeCount = static_cast<int>(ErrorCode::kUnknownRole);

// The spelling used in output lines ("malformed_json", …).
std::string_view error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code: message", for logs and the CLI.
  std::string to_string() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
//
//   Result<Config> r = load_config_file(path);
//   if (!r.ok()) { report(r.status()); return; }
//   use(r.value());
//
// value() on a failed Result is a programming error: it prints the status and
// aborts, in every build type (never undefined behaviour).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}                    // NOLINT: implicit by design
  // A Result without a value needs a reason: an OK `status` is a bug in the
  // caller, turned into kInternal (as Abseil's StatusOr does), never a
  // Result that is neither a value nor an error.
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = Status(ErrorCode::kInternal, "Result made from an OK status");
  }
  Result(ErrorCode code, std::string message) : Result(Status(code, std::move(message))) {}

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & {
    check();
    return *value_;
  }
  const T& value() const& {
    check();
    return *value_;
  }
  T&& value() && {
    check();
    return std::move(*value_);
  }

 private:
  void check() const {
    if (value_.has_value()) return;
    std::fprintf(stderr, "claimmap: Result::value() called on an error: %s\n", status_.to_string().c_str());
    std::abort();
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace claimmap
