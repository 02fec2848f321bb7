// claimmap/delta.h — what one event (or a reload) did to one user (docs/spec.md §8).
//
// A Delta is a plain value owned by the caller. Names are the config's ids;
// every array is sorted bytewise.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/status.h"

namespace claimmap {

// The result's "status" member.
// kDenied: the login failed one of its provider's requirements (docs/spec.md §16).
enum class DeltaStatus : uint8_t { kOk, kStale, kSuspended, kDenied, kError };
// The result's "cause" member: the event's type, or a config reload.
// kUnknown: the line failed before its type could be told (no "cause").
enum class Cause : uint8_t { kUnknown, kLogin, kAssign, kUnassign, kGrant, kRevoke, kSuspend, kResume, kDelete, kReload };
inline constexpr int kCauseCount = static_cast<int>(Cause::kReload) + 1;

// Their spellings in output lines ("ok", "login", …; "" for Cause::kUnknown).
std::string_view delta_status_name(DeltaStatus status);
std::string_view cause_name(Cause cause);

struct Delta {
  uint64_t seq = 0;
  Cause cause = Cause::kUnknown;
  std::string provider;  // empty when not resolved
  std::string subject;   // empty when not read
  DeltaStatus status = DeltaStatus::kOk;
  Status error;          // the line's error when status is kError
  bool new_user = false;
  std::vector<std::string> groups_added;
  std::vector<std::string> groups_removed;
  std::vector<std::string> roles_granted;
  std::vector<std::string> roles_revoked;
  std::vector<std::string> overage;  // claims left out for size (docs/spec.md §4)
  int denied_rule = -1;              // status kDenied: the index of the first requirement not met
  // Why (docs/spec.md §17): the "explain" object as JSON text, when the
  // caller asked for it (DeltaOptions::explain, StreamOptions::explain) and
  // something changed; empty otherwise.
  std::string explain;

  bool ok() const { return status != DeltaStatus::kError; }
  bool has_changes() const {
    return new_user || !groups_added.empty() || !groups_removed.empty() || !roles_granted.empty() ||
           !roles_revoked.empty();
  }
};

// What a caller asks of the deltas it gets.
struct DeltaOptions {
  bool explain = false;  // fill Delta::explain (docs/spec.md §17)
};

// Appends `delta` as one NDJSON output line (docs/spec.md §8), newline included: the
// same bytes the engine's streams write for it.
void append_ndjson(const Delta& delta, std::string* out);

}  // namespace claimmap
