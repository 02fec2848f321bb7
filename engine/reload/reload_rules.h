// The one rule for what of a user's state survives a change of config
// (docs/spec.md §7, §9). The reload plan applies it to every id of
// the old compiled config; loading saved state applies it to the names a
// state file holds. Both ask these functions, so a reload and a load under a
// changed config keep exactly the same things.
#pragma once

#include <optional>
#include <string_view>

#include "engine/common/ids.h"
#include "engine/config/compiled_config.h"

namespace claimmap {

// What is known of a mapping that justified a membership. A compiled config
// knows every field; a state file only the mapping's id, its group and the
// user's provider (the other fields are then null and not compared).
struct MappingIdentity {
  // `group`: the mapping's group as written (an id or a template); from a
  // state line, the membership's group (group_is_membership).
  std::string_view id, provider, group;
  // Absent where the source does not show them (a state line).
  std::optional<std::string_view> claim, value, delimiter;
  std::optional<MatchKind> match;
  bool group_is_membership = false;
};

// The mapping of `to` that keeps the memberships `old` justified: the one
// with the same id, if its provider, claim, value, delimiter, match and
// group are unchanged and it is active. Otherwise none: the memberships go.
// A template mapping's memberships also need membership_survives().
std::optional<MappingId> surviving_mapping(const CompiledConfig& to, const MappingIdentity& old);

// Whether a membership of group `group` (an id of `to`) justified by the
// kept mapping `kept` stays: always for a fixed group (it is the mapping's);
// for a template, when the group is in the scope of the mapping's provider
// (docs/spec.md §16). A group that no longer exists has no id to ask with.
bool membership_survives(const CompiledConfig& to, MappingId kept, GroupId group);

// A group or role survives by id; a group deleted takes all its
// memberships, mapped and manual, and a role deleted leaves every direct grant.
std::optional<GroupId> surviving_group(const CompiledConfig& to, std::string_view group_id);
std::optional<RoleId> surviving_role(const CompiledConfig& to, std::string_view role_id);

}  // namespace claimmap
