// Engine::find_user, Engine::for_each_user and UserRecord::to_state_line:
// one user's record by name, read under the same shard-version check as an
// event (Impl::with_user_at), so it never shows a record half-converted by a
// reload; or every user's, a shard at a time (Impl::for_each_current_shard).
#include <optional>

#include "claimmap/engine.h"
#include "claimmap/user.h"
#include "engine/api/engine_impl.h"
#include "engine/state/state_io.h"
#include "engine/state/user_state.h"

namespace claimmap {

namespace {

// `r` (cleared first, its vectors' room kept) from the user's state, names
// from `config`; `groups`, `roles`: scratch.
void fill_record(const CompiledConfig& config, std::string_view provider, std::string_view subject,
                 const UserState& user, std::vector<GroupId>* groups, std::vector<RoleId>* roles, UserRecord* record) {
  UserRecord& r = *record;
  r.provider.assign(provider);
  r.subject.assign(subject);
  r.mapped.clear();
  r.manual.clear();
  r.direct_roles.clear();
  r.effective_groups.clear();
  r.effective_roles.clear();
  for (size_t i = 0; i < user.mapped.size(); ++i) {
    if (i == 0 || user.mapped[i - 1].group != user.mapped[i].group) {
      r.mapped.emplace_back(config.group(user.mapped[i].group).id, std::vector<std::string>{});
    }
    r.mapped.back().second.emplace_back(config.mapping_id(user.mapped[i].mapping));
  }
  for (GroupId g : user.manual) r.manual.push_back(config.group(g).id);
  for (RoleId role : user.direct_roles) r.direct_roles.push_back(config.role(role).id);
  r.has_iat = user.has_iat;
  r.last_iat = user.last_iat;
  r.suspended = user.suspended;
  effective_groups(user, groups);
  claimmap::effective_roles(config, user, *groups, roles);
  for (GroupId g : *groups) r.effective_groups.push_back(config.group(g).id);
  for (RoleId role : *roles) r.effective_roles.push_back(config.role(role).id);
}

}  // namespace

std::optional<UserRecord> Engine::find_user(std::string_view provider, std::string_view subject) const {
  Worker& w = impl_->thread_worker();
  std::optional<UserRecord> record;
  impl_->with_current_user(w, provider, subject, [&](const ConfigVersion& v, UserHandle& handle) {
    if (!handle.exists()) return;
    handle.load(&w.sync.user);
    fill_record(*v.config, provider, subject, w.sync.user, &w.sync.groups_after, &w.sync.roles_after,
                &record.emplace());
  });
  return record;
}

void Engine::for_each_user(const std::function<void(const UserRecord&)>& visit) const {
  const Impl& impl = *impl_;
  ProviderNames names = impl.provider_names();
  std::vector<std::string> provider_name;  // by ProviderKey, looked up once each
  UserState user;
  std::vector<GroupId> groups;
  std::vector<RoleId> roles;
  UserRecord record;
  impl.for_each_current_shard([&](const ConfigVersion& v, LockedShard& shard) {
    shard.for_each_user([&](ProviderKey provider, std::string_view subject, UserHandle& handle) {
      const auto key = static_cast<uint32_t>(provider);
      if (provider_name.size() <= key) provider_name.resize(key + 1);
      if (provider_name[key].empty()) provider_name[key] = names(provider);
      handle.load(&user);
      fill_record(*v.config, provider_name[key], subject, user, &groups, &roles, &record);
      visit(record);
    });
  });
}

std::string UserRecord::to_state_line() const {
  UserNames names;
  names.provider = provider;
  names.subject = subject;
  for (const auto& [group, mappings] : mapped) {
    names.mapped.emplace_back(group, std::vector<std::string_view>(mappings.begin(), mappings.end()));
  }
  names.manual.assign(manual.begin(), manual.end());
  names.direct_roles.assign(direct_roles.begin(), direct_roles.end());
  names.has_iat = has_iat;
  names.last_iat = last_iat;
  names.suspended = suspended;
  std::string line;
  append_state_line(line, names);
  return line;
}

}  // namespace claimmap
