#include "engine/reload/reload_rules.h"

namespace claimmap {

std::optional<MappingId> surviving_mapping(const CompiledConfig& to, const MappingIdentity& old) {
  const std::optional<MappingId> found = to.find_mapping(old.id);
  if (!found) return std::nullopt;
  const CompiledMapping& m = to.mapping(*found);
  if (!m.active) return std::nullopt;
  const MappingView def = to.mapping_def(m);
  if (def.provider != old.provider) return std::nullopt;
  // A state line names the membership's group: a template's is any group it
  // may name (checked by membership_survives), a fixed mapping's its own.
  if (old.group_is_membership ? !m.is_template && def.group != old.group : def.group != old.group) {
    return std::nullopt;
  }
  if (old.match && def.match != *old.match) return std::nullopt;
  if (old.claim && def.claim != *old.claim) return std::nullopt;
  if (old.value && def.value != *old.value) return std::nullopt;
  if (old.delimiter && def.delimiter != *old.delimiter) return std::nullopt;
  return *found;
}

bool membership_survives(const CompiledConfig& to, MappingId kept, GroupId group) {
  const CompiledMapping& m = to.mapping(kept);
  if (!m.is_template) return group == m.group;
  return to.provider(m.provider).group_in_scope[index_of(group)] != 0;
}

std::optional<GroupId> surviving_group(const CompiledConfig& to, std::string_view group_id) {
  return to.find_group(group_id);
}

std::optional<RoleId> surviving_role(const CompiledConfig& to, std::string_view role_id) {
  return to.find_role(role_id);
}

}  // namespace claimmap
