// Why a delta happened (docs/spec.md §17, `eval --explain`): the "explain"
// object of an ok result line — for each group added the mappings and the
// claim values that matched (or that it was assigned), for each group
// removed its reason, for each role granted or revoked its sources.
//
// Built only when a caller asks for it (StreamOptions::explain,
// DeltaOptions::explain): without the flag nothing here runs, and a line is
// byte for byte what it was without it.
//
// ExplainWriter renders the object from names; explain_event() feeds it from
// an event's ids (a login or a push), and convert_user() from a reload's two
// configs (engine/reload/reload_plan.cc). Stateless apart from the caller's
// scratch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/ids.h"
#include "engine/config/compiled_config.h"
#include "engine/sync/outcome.h"

namespace claimmap {

// Why a membership went (docs/spec.md §17).
enum class RemovalReason : uint8_t { kNoMatch, kMappingChanged, kGroupDeleted, kUnassigned, kSuspended, kDeleted };
std::string_view removal_reason_name(RemovalReason reason);

// Appends one explain object to `out`: `{"groups_added": {...},
// "groups_removed": {...}, "roles_granted": {...}, "roles_revoked": {...}}`.
// Call the adders member by member in that order, each member's keys in
// bytewise order (ids sort like names); the spans are sorted and unique.
// Group and role names come as JSON strings, quotes included (the config's
// quoted_id: appended as they are, no escaping pass over thousands of names
// a heavy login); mapping ids and values are quoted here.
// Members without entries, and empty or false fields, are left out;
// finish() writes nothing at all when nothing was added.
class ExplainWriter {
 public:
  explicit ExplainWriter(std::string* out) : out_(out) {}

  void group_added(std::string_view quoted_group, std::span<const std::string_view> mappings,
                   std::span<const std::string_view> values, bool manual);
  void group_removed(std::string_view quoted_group, RemovalReason reason);
  void role_granted(std::string_view quoted_role, std::span<const std::string_view> quoted_groups, bool direct);
  void role_revoked(std::string_view quoted_role, std::span<const std::string_view> quoted_groups, bool direct);
  // Closes the object; returns whether anything was written.
  bool finish();

 private:
  enum Member : int { kGroupsAdded, kGroupsRemoved, kRolesGranted, kRolesRevoked };
  void enter(Member member, std::string_view key);
  void role(Member member, std::string_view role, std::span<const std::string_view> groups, bool direct);

  std::string* out_;
  int member_ = -1;  // the member open, or -1 before the first
};

// What a user held on one side of an event, in one config's ids, sorted.
struct HeldSets {
  std::span<const GroupId> groups;        // effective groups (empty while suspended)
  std::span<const MappedPair> mapped;     // the mapped memberships, for groups added
  std::span<const GroupId> manual;        // for groups added
  std::span<const RoleId> direct;         // direct roles (empty while suspended)
};

// Which of a user's groups grant which roles, for a role's "groups" in an
// explain: one pass over the held groups' own role lists (a few each), not
// each role's granting groups searched for among the held ones (a Viewer
// role may be granted by 170 groups). Owned by one thread.
class RoleSources {
 public:
  // For `roles` (sorted) among the groups `held` (sorted) of `config`.
  void find(const CompiledConfig& config, std::span<const GroupId> held, std::span<const RoleId> roles);
  // The quoted names of the groups that grant `role`, the roles asked in
  // find()'s order (each once).
  void next(const CompiledConfig& config, RoleId role, std::vector<std::string_view>* quoted_names);

 private:
  std::vector<std::pair<RoleId, GroupId>> pairs_;  // (role, granting group), sorted
  std::vector<uint8_t> mark_;                      // by RoleId, all 0 between calls
  size_t at_ = 0;
};

// Scratch for explain_event, owned by one thread.
struct ExplainScratch {
  std::vector<std::string_view> names, values;
  RoleSources sources;
  std::vector<GroupId> before_groups, after_groups;  // for logins, mapped ∪ manual
};

// Sets o->explain for an event whose delta is in `o`: removals have `reason`;
// `values` are the login's matched values (empty for a push).
void explain_event(const CompiledConfig& config, const HeldSets& before, const HeldSets& after,
                   RemovalReason reason, std::span<const ValuedPair> values, ExplainScratch& scratch, Outcome* o);

// explain_event for a login that replaced the mapped set `before` by `after`
// (the user not suspended; manual groups and direct roles unchanged).
void explain_login(const CompiledConfig& config, std::span<const MappedPair> before, std::span<const MappedPair> after,
                   std::span<const GroupId> manual, std::span<const RoleId> direct, std::span<const ValuedPair> values,
                   ExplainScratch& scratch, Outcome* o);

// The removal reason of a push (unassign, suspend, delete; no_match for the rest).
RemovalReason removal_reason_of(EventKind kind);

}  // namespace claimmap
