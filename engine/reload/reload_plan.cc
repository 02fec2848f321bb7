#include "engine/reload/reload_plan.h"

#include <algorithm>

#include "engine/reload/reload_rules.h"
#include "engine/sync/delta_explain.h"

namespace claimmap {

ReloadPlan build_reload_plan(std::shared_ptr<const CompiledConfig> from, std::shared_ptr<const CompiledConfig> to) {
  ReloadPlan plan;
  const CompiledConfig& a = *from;
  const CompiledConfig& b = *to;
  bool identity = a.groups.size() == b.groups.size() && a.roles.size() == b.roles.size() &&
                  a.mappings.size() == b.mappings.size();

  plan.role_to.resize(a.roles.size(), kNoIndex);
  for (uint32_t r = 0; r < a.roles.size(); ++r) {
    if (auto kept = surviving_role(b, a.roles[r].id)) plan.role_to[r] = index_of(*kept);
    identity = identity && plan.role_to[r] == r;
  }

  plan.group_to.resize(a.groups.size(), kNoIndex);
  plan.group_roles_changed.resize(a.groups.size(), false);
  for (uint32_t g = 0; g < a.groups.size(); ++g) {
    auto kept = surviving_group(b, a.groups[g].id);
    if (!kept) {
      identity = false;
      continue;
    }
    plan.group_to[g] = index_of(*kept);
    identity = identity && plan.group_to[g] == g;
    // Role ids are interned in name order in both configs, so the two sorted
    // id lists name the same roles exactly when they match name by name.
    const auto& old_roles = a.groups[g].roles;
    const auto& new_roles = b.group(*kept).roles;
    bool same = old_roles.size() == new_roles.size();
    for (size_t i = 0; same && i < old_roles.size(); ++i) same = a.role(old_roles[i]).id == b.role(new_roles[i]).id;
    plan.group_roles_changed[g] = !same;
    identity = identity && same;
  }

  plan.mapping_to.resize(a.mappings.size(), kNoIndex);
  for (uint32_t m = 0; m < a.mappings.size(); ++m) {
    const CompiledMapping& old = a.mappings[m];
    if (!old.active) {
      // An inactive mapping justified nothing; the same one still inactive
      // changes nothing either.
      const std::optional<MappingId> same = b.find_mapping(a.mapping_id(old));
      identity = identity && same && index_of(*same) == m && !b.mapping(*same).active &&
                 b.mapping_def(*same) == a.mapping_def(old);
      continue;
    }
    const MappingView def = a.mapping_def(old);
    const MappingIdentity id{def.id, def.provider, def.group, def.claim, def.value, def.delimiter, def.match};
    if (auto kept = surviving_mapping(b, id)) plan.mapping_to[m] = index_of(*kept);
    identity = identity && plan.mapping_to[m] == m;
    // A template's memberships also depend on which groups are in its
    // provider's scope (a group's stage, the provider's scope): a change
    // there must reach the users (docs/spec.md §16).
    if (identity && old.is_template) {
      identity = a.provider(old.provider).group_in_scope == b.provider(b.mapping(MappingId{m}).provider).group_in_scope;
    }
  }
  plan.identity = identity;
  plan.from = std::move(from);
  plan.to = std::move(to);
  return plan;
}

namespace {

// The names of a user's effective groups and roles under `config`, sorted
// (ids are interned in name order, so id order is name order).
void effective_names(const CompiledConfig& config, const UserState& user, std::vector<GroupId>* group_ids,
                     std::vector<RoleId>* role_ids, std::vector<std::string_view>* groups,
                     std::vector<std::string_view>* roles) {
  effective_groups(user, group_ids);
  effective_roles(config, user, *group_ids, role_ids);
  groups->clear();
  roles->clear();
  for (GroupId g : *group_ids) groups->push_back(config.group(g).id);
  for (RoleId r : *role_ids) roles->push_back(config.role(r).id);
}

// The explain of a user's reload line (docs/spec.md §17): a group removed
// went with its group (group_deleted) or with the mappings that justified it
// (mapping_changed); a role's sources are the old config's before, the new
// one's after.
void explain_reload(const ReloadPlan& plan, const UserState& before, const UserState& after, ReloadScratch& s,
                    UserReloadDelta* delta) {
  delta->explain.clear();
  ExplainWriter w(&delta->explain);
  const CompiledConfig& from = *plan.from;
  const CompiledConfig& to = *plan.to;
  for (GroupId g : s.before_group_ids) {
    if (!std::binary_search(delta->groups_removed.begin(), delta->groups_removed.end(), from.group(g).id)) continue;
    w.group_removed(from.group(g).quoted_id, plan.group_to[index_of(g)] == kNoIndex ? RemovalReason::kGroupDeleted
                                                                              : RemovalReason::kMappingChanged);
  }
  // The roles granted and revoked, as ids of their side's config (the
  // delta names them; ids sort like names).
  s.granted_ids.clear();
  for (RoleId r : s.after_role_ids) {
    if (std::binary_search(delta->roles_granted.begin(), delta->roles_granted.end(), to.role(r).id)) s.granted_ids.push_back(r);
  }
  s.revoked_ids.clear();
  for (RoleId r : s.before_role_ids) {
    if (std::binary_search(delta->roles_revoked.begin(), delta->roles_revoked.end(), from.role(r).id)) s.revoked_ids.push_back(r);
  }
  s.role_sources.find(to, s.after_group_ids, s.granted_ids);
  for (RoleId r : s.granted_ids) {
    s.role_sources.next(to, r, &s.sources);
    w.role_granted(to.role(r).quoted_id, s.sources,
                   std::binary_search(after.direct_roles.begin(), after.direct_roles.end(), r));
  }
  s.role_sources.find(from, s.before_group_ids, s.revoked_ids);
  for (RoleId r : s.revoked_ids) {
    s.role_sources.next(from, r, &s.sources);
    w.role_revoked(from.role(r).quoted_id, s.sources,
                   std::binary_search(before.direct_roles.begin(), before.direct_roles.end(), r));
  }
  w.finish();
}

template <typename T>
void difference(const std::vector<T>& a, const std::vector<T>& b, std::vector<T>* out) {
  out->clear();
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(*out));
}

}  // namespace

bool convert_user(const ReloadPlan& plan, UserState& user, ReloadScratch& s, UserReloadDelta* delta) {
  delta->groups_removed.clear();
  delta->roles_granted.clear();
  delta->roles_revoked.clear();
  delta->explain.clear();
  UserState& next = s.next;
  next.mapped.clear();
  next.manual.clear();
  next.direct_roles.clear();
  next.last_iat = user.last_iat;
  next.has_iat = user.has_iat;
  next.suspended = user.suspended;

  bool dropped = false;
  bool roles_changed = false;
  for (const MappedPair& pair : user.mapped) {
    const uint32_t m = plan.mapping_to[index_of(pair.mapping)];
    if (m == kNoIndex) {
      dropped = true;
      continue;
    }
    // A kept mapping grants the same group (by id), under its new index; a
    // template's group must still exist and be in scope.
    const uint32_t g = plan.group_to[index_of(pair.group)];
    if (g == kNoIndex || !membership_survives(*plan.to, static_cast<MappingId>(m), static_cast<GroupId>(g))) {
      dropped = true;
      continue;
    }
    next.mapped.push_back({static_cast<GroupId>(g), static_cast<MappingId>(m)});
    roles_changed = roles_changed || plan.group_roles_changed[index_of(pair.group)];
  }
  for (GroupId g : user.manual) {
    const uint32_t to = plan.group_to[index_of(g)];
    if (to == kNoIndex) {
      dropped = true;
      continue;
    }
    next.manual.push_back(static_cast<GroupId>(to));
    roles_changed = roles_changed || plan.group_roles_changed[index_of(g)];
  }
  for (RoleId r : user.direct_roles) {
    const uint32_t to = plan.role_to[index_of(r)];
    if (to == kNoIndex) {
      dropped = true;
      continue;
    }
    next.direct_roles.push_back(static_cast<RoleId>(to));
  }
  // Translation keeps name order, so the vectors stay sorted; a mapping's
  // pair sorts by its group first, and groups keep their order too.
  std::sort(next.mapped.begin(), next.mapped.end());

  const bool rewrite = next.mapped != user.mapped || next.manual != user.manual ||
                       next.direct_roles != user.direct_roles;
  if (!user.suspended && (dropped || roles_changed)) {
    effective_names(*plan.from, user, &s.before_group_ids, &s.before_role_ids, &s.before_groups, &s.before_roles);
    effective_names(*plan.to, next, &s.after_group_ids, &s.after_role_ids, &s.after_groups, &s.after_roles);
    difference(s.before_groups, s.after_groups, &delta->groups_removed);
    difference(s.after_roles, s.before_roles, &delta->roles_granted);
    difference(s.before_roles, s.after_roles, &delta->roles_revoked);
    if (plan.explain && !delta->empty()) explain_reload(plan, user, next, s, delta);
  }
  if (rewrite) {
    user.mapped.swap(next.mapped);
    user.manual.swap(next.manual);
    user.direct_roles.swap(next.direct_roles);
  }
  return rewrite;
}

}  // namespace claimmap
