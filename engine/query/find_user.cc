// Engine::find_user and UserRecord::to_state_line: one user's record by name,
// read under the same shard-version check as an event (Impl::with_user_at),
// so it never shows a record half-converted by a reload.
#include <optional>

#include "claimmap/engine.h"
#include "claimmap/user.h"
#include "engine/api/engine_impl.h"
#include "engine/state/state_io.h"
#include "engine/state/user_state.h"

namespace claimmap {

std::optional<UserRecord> Engine::find_user(std::string_view provider, std::string_view subject) const {
  Worker& w = impl_->thread_worker();
  std::optional<UserRecord> record;
  impl_->with_current_user(w, provider, subject, [&](const ConfigVersion& v, UserHandle& handle) {
    if (!handle.exists()) return;
    const CompiledConfig& config = *v.config;
    UserState& user = w.sync.user;
    handle.load(&user);
    UserRecord& r = record.emplace();
    r.provider = std::string(provider);
    r.subject = std::string(subject);
    for (size_t i = 0; i < user.mapped.size(); ++i) {
      if (i == 0 || user.mapped[i - 1].group != user.mapped[i].group) {
        r.mapped.emplace_back(config.group(user.mapped[i].group).id, std::vector<std::string>{});
      }
      r.mapped.back().second.push_back(config.mapping(user.mapped[i].mapping).def.id);
    }
    for (GroupId g : user.manual) r.manual.push_back(config.group(g).id);
    for (RoleId role : user.direct_roles) r.direct_roles.push_back(config.role(role).id);
    r.has_iat = user.has_iat;
    r.last_iat = user.last_iat;
    r.suspended = user.suspended;
    effective_groups(user, &w.sync.groups_after);
    claimmap::effective_roles(config, user, w.sync.groups_after, &w.sync.roles_after);
    for (GroupId g : w.sync.groups_after) r.effective_groups.push_back(config.group(g).id);
    for (RoleId role : w.sync.roles_after) r.effective_roles.push_back(config.role(role).id);
  });
  return record;
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
