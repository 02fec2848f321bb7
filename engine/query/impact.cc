// analyse_change (docs/spec.md §7 impact analysis): what `claimmap
// diff` and the server's dry run report before a config change is made.
#include "claimmap/impact.h"

#include <map>
#include <set>

#include "claimmap/stream.h"
#include "engine/api/engine_impl.h"
#include "engine/common/json_text.h"

namespace claimmap {
namespace {

// How many users hold each role and each app (by name), and each role's app.
struct Holders {
  std::map<std::string, uint64_t> roles, apps;
  std::map<std::string, std::string> app_of_role;
};

Holders count_holders(const Engine& engine) {
  Holders h;
  const Engine::Impl& impl = EngineAccess::impl(engine);
  std::vector<uint64_t> by_role;
  std::vector<GroupId> groups;
  std::vector<RoleId> roles;
  UserState user;
  const CompiledConfig* config = nullptr;
  impl.for_each_current_shard([&](const ConfigVersion& v, LockedShard& shard) {
    config = v.config.get();
    by_role.resize(config->roles.size());
    shard.for_each_user([&](ProviderKey, std::string_view, UserHandle& handle) {
      handle.load(&user);
      effective_groups(user, &groups);  // empty while suspended
      effective_roles(*config, user, groups, &roles);
      for (RoleId r : roles) ++by_role[index_of(r)];
      std::set<std::string_view> apps;
      for (RoleId r : roles) apps.insert(config->role(r).app);
      for (std::string_view app : apps) ++h.apps[std::string(app)];
    });
  });
  if (config == nullptr) return h;
  for (uint32_t r = 0; r < config->roles.size(); ++r) {
    h.app_of_role[config->roles[r].id] = config->roles[r].app;
    if (by_role[r] > 0) h.roles[config->roles[r].id] = by_role[r];
  }
  return h;
}

// "1 user", "2 users".
std::string users(uint64_t n) { return std::to_string(n) + (n == 1 ? " user" : " users"); }

uint64_t count_in(const std::map<std::string, uint64_t>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

}  // namespace

Result<ImpactReport> analyse_change(Engine& scratch, const Config& next, const std::string_view* replay,
                                    DeltaOptions delta_options) {
  ImpactReport report;
  const Holders before = count_holders(scratch);
  // The new config's roles, for the apps of roles a reload grants.
  std::map<std::string, std::string> new_app_of_role;
  for (const CompiledRole& r : ConfigAccess::compiled(next).roles) new_app_of_role[r.id] = r.app;

  Result<ReloadResult> reloaded = scratch.reload(next, delta_options);
  if (!reloaded.ok()) return reloaded.status();
  report.reload = std::move(reloaded.value().deltas);
  for (const Delta& d : report.reload) {
    ++report.users_affected;
    for (const std::string& g : d.groups_removed) ++report.groups_removed[g];
    for (const std::string& r : d.roles_revoked) {
      auto app = before.app_of_role.find(r);
      ++report.roles_revoked[app == before.app_of_role.end() ? r : app->second];
    }
    for (const std::string& r : d.roles_granted) ++report.roles_granted[new_app_of_role[r]];
  }

  if (replay != nullptr) {
    StreamOptions options;
    options.explain = delta_options.explain;
    StreamSummary summary;
    if (Status s = run_stream(scratch, *replay, &report.replay_output, options, &summary); !s.ok()) return s;
    report.replay_counters = summary.counters;
  }

  const Holders after = count_holders(scratch);
  for (const auto& [role, n] : before.roles) {
    if (count_in(after.roles, role) == 0) {
      report.lockouts.push_back({Lockout::Kind::kRole, role, before.app_of_role.at(role), n, 0});
    }
  }
  for (const auto& [app, n] : before.apps) {
    if (count_in(after.apps, app) == 0) report.lockouts.push_back({Lockout::Kind::kApp, "", app, n, 0});
  }
  return report;
}

std::string ImpactReport::to_ndjson() const {
  std::string out;
  for (const Delta& d : reload) append_ndjson(d, &out);
  out += replay_output;
  for (const Lockout& l : lockouts) {
    out.append(l.kind == Lockout::Kind::kRole ? "{\"lockout\": \"role\", \"role\": " : "{\"lockout\": \"app\"");
    if (l.kind == Lockout::Kind::kRole) json_text::append_quoted(out, l.role);
    out.append(", \"app\": ");
    json_text::append_quoted(out, l.app);
    out.append(", \"holders_before\": " + std::to_string(l.holders_before) +
               ", \"holders_after\": " + std::to_string(l.holders_after) + "}\n");
  }
  return out;
}

std::string ImpactReport::summary_text() const {
  std::string s = "users affected by the reload: " + std::to_string(users_affected) + "\n";
  uint64_t removed = 0, revoked = 0, granted = 0;
  for (const auto& [g, n] : groups_removed) removed += n;
  for (const auto& [a, n] : roles_revoked) revoked += n;
  for (const auto& [a, n] : roles_granted) granted += n;
  s += "group memberships removed: " + std::to_string(removed) + "\n";
  for (const auto& [g, n] : groups_removed) s += "  " + g + ": " + std::to_string(n) + "\n";
  s += "roles revoked: " + std::to_string(revoked) + ", granted: " + std::to_string(granted) + "\n";
  std::set<std::string> apps;
  for (const auto& [a, n] : roles_revoked) apps.insert(a);
  for (const auto& [a, n] : roles_granted) apps.insert(a);
  for (const std::string& a : apps) {
    s += "  app " + a + ": " + std::to_string(count_in(roles_revoked, a)) + " revoked, " +
         std::to_string(count_in(roles_granted, a)) + " granted\n";
  }
  if (replay_counters.events > 0) {
    s += "replay: " + std::to_string(replay_counters.events) + " events, " +
         std::to_string(replay_counters.groups_added) + " groups added, " +
         std::to_string(replay_counters.groups_removed) + " removed, " +
         std::to_string(replay_counters.roles_granted) + " roles granted, " +
         std::to_string(replay_counters.roles_revoked) + " revoked\n";
  }
  if (lockouts.empty()) {
    s += "no lockout: every role and app held before is still held by someone\n";
  }
  for (const Lockout& l : lockouts) {
    if (l.kind == Lockout::Kind::kRole) {
      s += "lockout: role " + l.role + " (app " + l.app + ") was held by " + users(l.holders_before) +
           " and would be held by nobody\n";
    } else {
      s += "lockout: app " + l.app + " was used by " + users(l.holders_before) + " and would be used by nobody\n";
    }
  }
  return s;
}

}  // namespace claimmap
