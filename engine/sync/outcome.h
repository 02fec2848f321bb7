// What one event did (docs/spec.md §8), in interned ids: the delta_writer turns it into
// an output line, the public API into a claimmap::Delta. Owned by the thread
// that processes the event and reused from event to event (no allocation once
// its vectors have grown). `subject` views the parser's buffer or the store:
// valid until the owning thread's next event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/delta.h"
#include "claimmap/status.h"
#include "engine/parse/event_parser.h"
#include "engine/common/ids.h"

namespace claimmap {


struct Outcome : EventIdentity {
  uint64_t seq = 0;
  bool is_reload = false;  // cause "reload" (docs/spec.md §7)

  DeltaStatus status = DeltaStatus::kOk;  // the result's "status" (claimmap/delta.h)
  ErrorCode error = ErrorCode::kOk;
  std::string error_message;

  bool new_user = false;
  std::vector<GroupId> groups_added;
  std::vector<GroupId> groups_removed;
  std::vector<RoleId> roles_granted;
  std::vector<RoleId> roles_revoked;
  std::vector<std::string_view> overage;
  int32_t denied_rule = -1;  // status kDenied: the first requirement not met (docs/spec.md §16)
  // The "explain" object (docs/spec.md §17) when the caller asked for one and
  // the delta is not empty (engine/sync/delta_explain.h); empty otherwise.
  std::string explain;

  bool has_changes() const {
    return new_user || !groups_added.empty() || !groups_removed.empty() || !roles_granted.empty() ||
           !roles_revoked.empty();
  }

  // Resets for the next event, keeping the vectors' capacity.
  void reset(uint64_t next_seq) {
    seq = next_seq;
    static_cast<EventIdentity&>(*this) = EventIdentity{};
    is_reload = new_user = false;
    status = DeltaStatus::kOk;
    error = ErrorCode::kOk;
    error_message.clear();
    groups_added.clear();
    groups_removed.clear();
    roles_granted.clear();
    roles_revoked.clear();
    overage.clear();
    denied_rule = -1;
    explain.clear();
  }
};

}  // namespace claimmap
