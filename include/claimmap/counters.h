// claimmap/counters.h — what a run of events did, counted from the engine's
// own outcomes (never from output text). `claimmap eval`'s summary, the
// simulator's report and the server's metrics all count with this type.
//
// A plain value: one per thread, then merge().
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "claimmap/delta.h"
#include "claimmap/status.h"

namespace claimmap {

struct EventCounters {
  uint64_t events = 0;  // results counted (reload lines included, see by_cause)
  uint64_t ok = 0, stale = 0, suspended = 0, errors = 0;
  uint64_t denied = 0;  // logins refused by a requirement (docs/spec.md §16): not errors
  std::array<uint64_t, kEventErrorCodeCount + 1> errors_by_code{};  // indexed by ErrorCode
  std::array<uint64_t, kCauseCount> by_cause{};                    // indexed by Cause
  uint64_t new_users = 0;
  uint64_t groups_added = 0, groups_removed = 0, roles_granted = 0, roles_revoked = 0;
  uint64_t overage_logins = 0;  // logins with an "overage" member

  void add(const Delta& delta);
  void merge(const EventCounters& other);
  // A few lines for a person: events by status, errors by code, deltas.
  std::string to_text() const;
};

}  // namespace claimmap
