// Engine::who_has (docs/spec.md §7 who-has): one walk over the
// store, a shard at a time under its lock, keeping only the holders.
#include <algorithm>

#include "claimmap/engine.h"
#include "claimmap/query.h"
#include "engine/api/engine_impl.h"
#include "engine/common/json_text.h"
#include "engine/state/state_io.h"

namespace claimmap {
namespace {

// How `user` holds group `g`: the mappings that matched it and whether it
// was assigned by hand. False if it does not hold it.
bool path_of_group(const CompiledConfig& config, const UserState& user, GroupId g, AccessPath* path) {
  path->group = config.group(g).id;
  path->mapped.clear();
  path->manual = std::binary_search(user.manual.begin(), user.manual.end(), g);
  path->direct = false;
  for (const MappedPair& pair : user.mapped) {
    if (pair.group == g) path->mapped.emplace_back(config.mapping_id(pair.mapping));
  }
  return path->manual || !path->mapped.empty();
}

}  // namespace

Result<std::vector<AccessHolder>> Engine::who_has(const AccessQuery& query) const {
  const Impl& impl = *impl_;
  const auto version = impl.current_version_shared();
  const CompiledConfig& config = *version->config;

  // The roles asked about, sorted (ids sort like names), or the group.
  std::vector<RoleId> roles;
  GroupId group{};
  switch (query.kind) {
    case AccessQuery::Kind::kRole: {
      const std::optional<RoleId> r = config.find_role(query.name);
      if (!r) return Status(ErrorCode::kInvalidArgument, "no role \"" + query.name + "\" in the config");
      roles.push_back(*r);
      break;
    }
    case AccessQuery::Kind::kApp:
      for (uint32_t r = 0; r < config.roles.size(); ++r) {
        if (config.roles[r].app == query.name) roles.push_back(static_cast<RoleId>(r));
      }
      if (roles.empty()) return Status(ErrorCode::kInvalidArgument, "no app \"" + query.name + "\" in the config");
      break;
    case AccessQuery::Kind::kGroup: {
      const std::optional<GroupId> g = config.find_group(query.name);
      if (!g) return Status(ErrorCode::kInvalidArgument, "no group \"" + query.name + "\" in the config");
      group = *g;
      break;
    }
  }

  struct Found {
    ProviderKey provider;
    AccessHolder holder;
  };
  std::vector<Found> found;
  UserState user;
  std::vector<GroupId> groups;
  impl.for_each_current_shard([&](const ConfigVersion& v, LockedShard& shard) {
    const CompiledConfig& cfg = *v.config;
    shard.for_each_user([&](ProviderKey provider, std::string_view subject, UserHandle& handle) {
      handle.load(&user);
      if (user.suspended) return;  // a suspended user holds nothing (docs/spec.md §7)
      if (query.kind == AccessQuery::Kind::kGroup) {
        AccessPath path;
        if (!path_of_group(cfg, user, group, &path)) return;
        AccessHolder h;
        h.subject.assign(subject);
        h.via.push_back(std::move(path));
        found.push_back({provider, std::move(h)});
        return;
      }
      effective_groups(user, &groups);
      for (RoleId role : roles) {
        AccessHolder h;
        for (GroupId g : groups) {
          const auto& granted = cfg.group(g).roles;
          if (!std::binary_search(granted.begin(), granted.end(), role)) continue;
          AccessPath path;
          path_of_group(cfg, user, g, &path);
          h.via.push_back(std::move(path));
        }
        if (std::binary_search(user.direct_roles.begin(), user.direct_roles.end(), role)) {
          AccessPath direct;
          direct.direct = true;
          h.via.push_back(std::move(direct));
        }
        if (h.via.empty()) continue;
        h.subject.assign(subject);
        h.role = cfg.role(role).id;
        found.push_back({provider, std::move(h)});
      }
    });
  });

  ProviderNames names = impl.provider_names();
  for (Found& f : found) f.holder.provider = names(f.provider);
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    if (a.holder.provider != b.holder.provider) return a.holder.provider < b.holder.provider;
    if (a.holder.subject != b.holder.subject) return a.holder.subject < b.holder.subject;
    return a.holder.role < b.holder.role;
  });
  std::vector<AccessHolder> holders;
  holders.reserve(found.size());
  for (Found& f : found) holders.push_back(std::move(f.holder));
  return holders;
}

namespace {

void append_path(const AccessPath& path, std::string* out) {
  if (!path.group.empty()) {
    out->append("\"group\": ");
    json_text::append_quoted(*out, path.group);
  }
  if (!path.mapped.empty()) {
    out->append(", \"mapped\": [");
    for (size_t i = 0; i < path.mapped.size(); ++i) {
      if (i) out->append(", ");
      json_text::append_quoted(*out, path.mapped[i]);
    }
    out->push_back(']');
  }
  if (path.manual) out->append(", \"manual\": true");
}

}  // namespace

void append_ndjson(const AccessHolder& h, AccessQuery::Kind kind, std::string* out) {
  out->append("{\"provider\": ");
  json_text::append_quoted(*out, h.provider);
  out->append(", \"subject\": ");
  json_text::append_quoted(*out, h.subject);
  if (kind == AccessQuery::Kind::kGroup) {
    out->append(", ");
    if (!h.via.empty()) append_path(h.via.front(), out);
    out->append("}\n");
    return;
  }
  out->append(", \"role\": ");
  json_text::append_quoted(*out, h.role);
  out->append(", \"via\": [");
  for (size_t i = 0; i < h.via.size(); ++i) {
    if (i) out->append(", ");
    out->push_back('{');
    if (h.via[i].direct) {
      out->append("\"direct\": true");
    } else {
      append_path(h.via[i], out);
    }
    out->push_back('}');
  }
  out->append("]}\n");
}

}  // namespace claimmap
