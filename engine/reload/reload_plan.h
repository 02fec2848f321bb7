// How user state moves from one compiled config to the next (docs/spec.md
// §7): the old→new translation of every group, role and mapping id, built
// once per reload from the two configs by the rules of
// engine/reload/reload_rules.h, and the conversion of one user by it.
//
// A plan is immutable once built and shared by every thread that converts a
// shard (the reload itself, or an event that reaches a shard first).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "engine/config/compiled_config.h"
#include "engine/state/user_state.h"
#include "engine/sync/delta_explain.h"

namespace claimmap {

struct ReloadPlan {
  std::shared_ptr<const CompiledConfig> from, to;
  // Indexed by the old id: the new id's index, or kNoIndex when it is gone.
  std::vector<uint32_t> group_to;
  std::vector<uint32_t> role_to;
  std::vector<uint32_t> mapping_to;  // kNoIndex also when the mapping changed or is inactive now
  // Indexed by the old group id: its role names differ in the new config.
  std::vector<bool> group_roles_changed;
  // Every id keeps its index and nothing is dropped or changed: converting a
  // shard is only a matter of stamping its new version.
  bool identity = false;
  // `--explain` (docs/spec.md §17): each user's delta carries its explain.
  bool explain = false;
};

ReloadPlan build_reload_plan(std::shared_ptr<const CompiledConfig> from, std::shared_ptr<const CompiledConfig> to);

// A user's reload line (docs/spec.md §7): names as their config spells them — the
// old config's for what is removed or revoked, the new one's for what is
// granted. Views into the plan's configs.
struct UserReloadDelta {
  std::vector<std::string_view> groups_removed, roles_granted, roles_revoked;
  std::string explain;  // the explain object when the plan's `explain` is set
  bool empty() const { return groups_removed.empty() && roles_granted.empty() && roles_revoked.empty(); }
};

// Thread-owned scratch for convert_user.
struct ReloadScratch {
  UserState next;
  std::vector<std::string_view> before_groups, after_groups, before_roles, after_roles;
  // The ids behind those names: the old config's and the new one's.
  std::vector<GroupId> before_group_ids, after_group_ids;
  std::vector<RoleId> before_role_ids, after_role_ids;
  // For an explain (docs/spec.md §17): the roles changed, and their groups.
  std::vector<RoleId> granted_ids, revoked_ids;
  RoleSources role_sources;
  std::vector<std::string_view> sources;
};

// Converts `user` from the plan's old ids to its new ones, dropping what the
// new config no longer justifies. Returns whether the stored record must be
// rewritten. `delta` gets the change of effective groups and roles (empty
// for a suspended user, who holds nothing either way).
bool convert_user(const ReloadPlan& plan, UserState& user, ReloadScratch& scratch, UserReloadDelta* delta);

}  // namespace claimmap
