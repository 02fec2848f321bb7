#include "engine/reload/reload_rules.h"

namespace claimmap {

std::optional<MappingId> surviving_mapping(const CompiledConfig& to, const MappingIdentity& old) {
  const std::optional<MappingId> found = to.find_mapping(old.id);
  if (!found) return std::nullopt;
  const CompiledMapping& m = to.mapping(*found);
  if (!m.active || to.provider(m.provider).def.id != old.provider) return std::nullopt;
  // A state line names the membership's group: a template's is any group it
  // may name (checked by membership_survives), a fixed mapping's its own.
  // (Each part is read only when compared: a large state's load asks this
  // for every membership, with only the id, provider and group known.)
  const MappingShape& shape = to.mapping_shapes[m.shape];
  auto group = [&] { return m.is_template ? std::string_view(shape.group_template) : std::string_view(to.group(m.group).id); };
  if (old.group_is_membership ? !m.is_template && group() != old.group : group() != old.group) return std::nullopt;
  if (old.match && shape.match != *old.match) return std::nullopt;
  if (old.claim && shape.claim != *old.claim) return std::nullopt;
  if (old.value && to.text(m.value) != *old.value) return std::nullopt;
  if (old.delimiter && shape.delimiter != *old.delimiter) return std::nullopt;
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
