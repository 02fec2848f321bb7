// Applies one parsed event to the user store (docs/spec.md §5 sync at login, §6 pushes)
// and fills the Outcome with the delta of effective groups and roles.
//
// Thread-safe for different users; events of one user are serialised by its
// shard lock. A SyncScratch belongs to one thread.
#pragma once

#include <vector>

#include "engine/config/compiled_config.h"
#include "engine/parse/event_parser.h"
#include "engine/match/matcher.h"
#include "engine/sync/outcome.h"
#include "engine/state/user_store.h"

namespace claimmap {

struct SyncScratch {
  UserState user;  // the user being changed, decoded from the store
  std::vector<MappedPair> new_mapped;
  std::vector<GroupId> groups_before, groups_after;
  std::vector<RoleId> roles_before, roles_after;
};

// `event` must be ok(); `match` is the match of a login (unused for pushes);
// `user` is the event's user in the store, locked, with ids of `config`.
void apply_event(const CompiledConfig& config, const ParsedEvent& event, const MatchResult& match, UserHandle& user,
                 SyncScratch& scratch, Outcome* out);

// Fills out's deltas from the effective sets before (in scratch, taken by
// snapshot_effective) and after the change to `user`.
void snapshot_effective(const CompiledConfig& config, const UserState& user, SyncScratch& scratch);
void finish_delta(const CompiledConfig& config, const UserState* user_after, SyncScratch& scratch, Outcome* out);

}  // namespace claimmap
