#include "claimmap/status.h"

namespace claimmap {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kEventTooLarge: return "event_too_large";
    case ErrorCode::kMalformedJson: return "malformed_json";
    case ErrorCode::kDuplicateClaim: return "duplicate_claim";
    case ErrorCode::kNotAnObject: return "not_an_object";
    case ErrorCode::kInvalidEvent: return "invalid_event";
    case ErrorCode::kUnknownEventType: return "unknown_event_type";
    case ErrorCode::kUnknownProvider: return "unknown_provider";
    case ErrorCode::kInvalidToken: return "invalid_token";
    case ErrorCode::kUnknownKey: return "unknown_key";
    case ErrorCode::kInvalidSignature: return "invalid_signature";
    case ErrorCode::kWrongIssuer: return "wrong_issuer";
    case ErrorCode::kTokenExpired: return "token_expired";
    case ErrorCode::kTokenNotYetValid: return "token_not_yet_valid";
    case ErrorCode::kWrongAudience: return "wrong_audience";
    case ErrorCode::kUnsignedToken: return "unsigned_token";
    case ErrorCode::kMissingSubject: return "missing_subject";
    case ErrorCode::kUnknownUser: return "unknown_user";
    case ErrorCode::kUnknownGroup: return "unknown_group";
    case ErrorCode::kUnknownRole: return "unknown_role";
    case ErrorCode::kInvalidConfig: return "invalid_config";
    case ErrorCode::kInvalidState: return "invalid_state";
    case ErrorCode::kIoError: return "io_error";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  return std::string(error_code_name(code_)) + ": " + message_;
}

}  // namespace claimmap
