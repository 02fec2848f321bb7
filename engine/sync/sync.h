// Applies one parsed event to the user store (docs/spec.md §5 sync at login, §6 pushes)
// and fills the Outcome with the delta of effective groups and roles.
//
// A login's delta costs in proportion to what it changed. The
// common ends of the old and new mapped sets are skipped, and so are runs of
// identical pairs after a kept group; what is left is merged by group, or,
// when most of it changes, classified by marks by group. Only the roles of
// the groups added and removed are then looked at: marked in a per-thread
// array, and checked against the groups the user keeps through per-role
// group lists prepared at compile time (or, when that is cheaper, the kept
// groups' roles). Nobody's whole role set is rebuilt or sorted. A login
// reads and writes its user's record in place (UserHandle::view and
// save_login): an unchanged login of a 200-group user copies nothing.
//
// The delta of a login can also be taken later, off the store: with a
// DeferredLogins log set in the scratch, apply_event records the login's
// old and new mapped sets (and the manual groups and direct roles, which a
// login does not change) instead of computing the delta, and
// finish_deferred_login() computes it on any thread. The stream pipeline
// does so to keep its serial stage short.
//
// Thread-safe for different users; events of one user are serialised by its
// shard lock. A SyncScratch belongs to one thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/config/compiled_config.h"
#include "engine/parse/event_parser.h"
#include "engine/match/matcher.h"
#include "engine/sync/delta_explain.h"
#include "engine/sync/outcome.h"
#include "engine/state/user_store.h"

namespace claimmap {

// Logins whose delta is still to be computed, back to back in flat arrays.
// A login's new set is viewed where its match is kept (the caller keeps the
// match until the delta is taken), or copied when indeterminate memberships
// were merged into it. The old set is always copied: the login overwrites it.
struct DeferredLogins {
  struct Ref {
    uint32_t before = 0, before_end = 0;  // into mapped: the old set
    const MappedPair* next_view = nullptr;  // the new set, viewed: next_end pairs; or
    uint32_t next = 0, next_end = 0;        // into mapped, when not viewed
    uint32_t manual = 0, manual_end = 0;    // into manual
    uint32_t direct = 0, direct_end = 0;    // into direct
  };
  std::vector<MappedPair> mapped;
  std::vector<GroupId> manual;
  std::vector<RoleId> direct;
  void clear() {
    mapped.clear();
    manual.clear();
    direct.clear();
  }
};

// Scratch for the incremental delta. Every mark is zero between calls, or
// (group_marks) an older call's epoch.
struct DeltaScratch {
  std::vector<uint8_t> role_marks;    // by role index
  std::vector<uint32_t> group_marks;  // by group index: kept in the call whose epoch it holds
  uint32_t epoch = 0;
  std::vector<uint8_t> side_marks;  // by group index: in the old set (1), the new (2), both (3)
  std::vector<RoleId> touched;      // roles of the groups added, then of those removed
  // Kept groups of a login's middle, in place in the old mapped set: runs of
  // identical pairs, and single pairs.
  struct Run {
    uint32_t begin, end;
  };
  std::vector<Run> kept_runs;
  std::vector<uint32_t> kept_at;
  // Room for the results before they are copied out to the Outcome.
  std::vector<GroupId> added, removed;
  std::vector<RoleId> granted, revoked;
  template <typename T>
  static T* room(std::vector<T>& v, size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
  }
};

struct SyncScratch {
  UserState user;  // the user being changed, decoded from the store
  std::vector<MappedPair> new_mapped;
  std::vector<GroupId> groups_before, groups_after;
  std::vector<RoleId> roles_before, roles_after;
  DeltaScratch delta;
  // When set, a login that changes the mapped set is recorded here instead
  // of having its delta computed: apply_event then sets `deferred` and `ref`.
  // The match passed to apply_event must then outlive the delta (the
  // stream's PreparedBatch does).
  DeferredLogins* defer = nullptr;
  bool deferred = false;
  DeferredLogins::Ref ref;
  // `--explain` (docs/spec.md §17): apply_event sets Outcome::explain for
  // the deltas it computes (a deferred login's is set by
  // finish_deferred_login). A login's match must then carry its values.
  bool explain = false;
  ExplainScratch why;
  std::vector<RoleId> direct_before;  // a push's direct roles before it, when explaining
};

// `event` must be ok(); `match` is the match of a login (unused for pushes);
// `user` is the event's user in the store, locked, with ids of `config`.
void apply_event(const CompiledConfig& config, const ParsedEvent& event, const MatchView& match, UserHandle& user,
                 SyncScratch& scratch, Outcome* out);

// The delta of a login that replaced the mapped set `before` by `after`
// (sorted), for a user (not suspended) with manual groups `manual` and
// direct roles `direct` (sorted): out's group and role vectors.
void login_delta(const CompiledConfig& config, std::span<const MappedPair> before, std::span<const MappedPair> after,
                 std::span<const GroupId> manual, std::span<const RoleId> direct, DeltaScratch& scratch, Outcome* out);

// login_delta() of a login recorded in `log` (see DeferredLogins); with
// `why`, its explain too, from the login's matched `values`.
void finish_deferred_login(const CompiledConfig& config, const DeferredLogins& log, const DeferredLogins::Ref& ref,
                           DeltaScratch& scratch, Outcome* out, ExplainScratch* why = nullptr,
                           std::span<const ValuedPair> values = {});

// Fills out's deltas from the effective sets before (in scratch, taken by
// snapshot_effective) and after the change to `user`: the whole-set path
// of pushes, which may change everything at once (suspend, delete).
void snapshot_effective(const CompiledConfig& config, const UserState& user, SyncScratch& scratch);
void finish_delta(const CompiledConfig& config, const UserState* user_after, SyncScratch& scratch, Outcome* out);

}  // namespace claimmap
