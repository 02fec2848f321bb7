// Engine::explain_user (docs/spec.md §17): one user's effective groups and
// roles with what grants them, read like find_user under the shard-version
// check, so a record half-converted by a reload is never shown.
#include <algorithm>
#include <optional>

#include "claimmap/engine.h"
#include "claimmap/explain.h"
#include "engine/api/engine_impl.h"
#include "engine/common/json_text.h"
#include "engine/state/user_state.h"

namespace claimmap {

std::optional<UserExplanation> Engine::explain_user(std::string_view provider, std::string_view subject) const {
  Worker& w = impl_->thread_worker();
  std::optional<UserExplanation> result;
  impl_->with_current_user(w, provider, subject, [&](const ConfigVersion& v, UserHandle& handle) {
    if (!handle.exists()) return;
    const CompiledConfig& config = *v.config;
    UserState& user = w.sync.user;
    handle.load(&user);
    UserExplanation& e = result.emplace();
    e.provider = std::string(provider);
    e.subject = std::string(subject);
    e.suspended = user.suspended;
    if (user.suspended) return;
    // Ids are interned in name order: id order is the bytewise order of §17.
    effective_groups(user, &w.sync.groups_after);
    for (GroupId g : w.sync.groups_after) {
      UserExplanation::Group& group = e.groups.emplace_back();
      group.id = config.group(g).id;
      for (const MappedPair& pair : user.mapped) {
        if (pair.group == g) group.mapped.emplace_back(config.mapping_id(pair.mapping));
      }
      group.manual = std::binary_search(user.manual.begin(), user.manual.end(), g);
    }
    claimmap::effective_roles(config, user, w.sync.groups_after, &w.sync.roles_after);
    for (RoleId r : w.sync.roles_after) {
      UserExplanation::Role& role = e.roles.emplace_back();
      role.id = config.role(r).id;
      for (GroupId g : w.sync.groups_after) {
        if (std::binary_search(config.group_roles_begin(g), config.group_roles_end(g), r)) {
          role.groups.push_back(config.group(g).id);
        }
      }
      role.direct = std::binary_search(user.direct_roles.begin(), user.direct_roles.end(), r);
    }
  });
  return result;
}

namespace {

void append_names(const std::vector<std::string>& names, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out->append(", ");
    json_text::append_quoted(*out, names[i]);
  }
  out->push_back(']');
}

}  // namespace

std::string UserExplanation::to_json() const {
  std::string out = "{\"provider\": ";
  json_text::append_quoted(out, provider);
  out.append(", \"subject\": ");
  json_text::append_quoted(out, subject);
  if (suspended) out.append(", \"suspended\": true");
  out.append(", \"groups\": {");
  for (size_t i = 0; i < groups.size(); ++i) {
    const Group& g = groups[i];
    if (i) out.append(", ");
    json_text::append_quoted(out, g.id);
    out.append(": {");
    if (!g.mapped.empty()) out.append("\"mapped\": "), append_names(g.mapped, &out);
    if (g.manual) out.append(g.mapped.empty() ? "\"manual\": true" : ", \"manual\": true");
    out.push_back('}');
  }
  out.append("}, \"roles\": {");
  for (size_t i = 0; i < roles.size(); ++i) {
    const Role& r = roles[i];
    if (i) out.append(", ");
    json_text::append_quoted(out, r.id);
    out.append(": {");
    if (!r.groups.empty()) out.append("\"groups\": "), append_names(r.groups, &out);
    if (r.direct) out.append(r.groups.empty() ? "\"direct\": true" : ", \"direct\": true");
    out.push_back('}');
  }
  out.append("}}\n");
  return out;
}

}  // namespace claimmap
