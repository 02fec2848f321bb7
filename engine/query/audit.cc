// Engine::audit (docs/spec.md §17): one walk over the store, a shard at a
// time under its lock, counting by id — never a copy of the state — then the
// findings from the counts and the config.
#include <algorithm>
#include <map>

#include "claimmap/audit.h"
#include "claimmap/engine.h"
#include "claimmap/lines.h"
#include "engine/api/engine_impl.h"
#include "engine/common/json_text.h"
#include "engine/state/user_state.h"

namespace claimmap {
namespace {

// What the walk counts, by id of the current config.
struct Usage {
  std::vector<uint8_t> mapping_used;     // justifies a membership, or matched a replay login
  std::vector<uint64_t> group_members;   // effective members
  std::vector<uint64_t> role_holders;    // effective holders
  std::vector<uint64_t> direct_holders;  // direct grants, suspended users included
  struct App {
    uint64_t holders = 0, manual = 0, direct = 0;
    ProviderKey provider{};
    std::string subject;  // the first holder
    std::vector<uint64_t> by_group;  // holders through each group, by GroupId
    std::vector<std::pair<std::string, std::string>> sample;  // (provider, subject), kept small
  };
  std::map<std::string, App, std::less<>> apps;  // by app name
};

// Keeps the first AppAccess::kHolderSample holders by (provider, subject):
// sorted and cut whenever it doubles, so it never grows with the users.
void keep_sample(std::vector<std::pair<std::string, std::string>>& sample, bool final) {
  constexpr size_t kKeep = AppAccess::kHolderSample;
  if (sample.size() < 2 * kKeep && !final) return;
  std::sort(sample.begin(), sample.end());
  if (sample.size() > kKeep) sample.resize(kKeep);
}

std::string inactive_reason(const CompiledConfig& config, const CompiledMapping& m) {
  const CompiledGroup& g = config.group(m.group);
  return "group " + json_text::quoted(g.id) + " is in stage " + json_text::quoted(g.stage) +
         ", outside the scope of provider " + json_text::quoted(config.mapping_def(m).provider);
}

}  // namespace

AuditReport Engine::audit(const std::string_view* replay) const {
  const Impl& impl = *impl_;
  const auto version = impl.current_version_shared();
  const CompiledConfig& config = *version->config;
  AuditReport report;
  Usage usage;
  usage.mapping_used.assign(config.mappings.size(), 0);
  usage.group_members.assign(config.groups.size(), 0);
  usage.role_holders.assign(config.roles.size(), 0);
  usage.direct_holders.assign(config.roles.size(), 0);
  report.replayed = replay != nullptr;
  if (replay != nullptr) {
    // The replay's logins are matched, never applied: a mapping one of them
    // matches is in use.
    Worker& w = impl.thread_worker();
    for (std::string_view rest = *replay; !rest.empty();) {
      const size_t end = rest.find('\n');
      const std::string_view line = line_content(rest.substr(0, end));
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
      if (is_blank_line(line)) continue;
      impl.prepare(*version, w, LineInput{w.pad(line)}, false);
      if (!w.event.ok()) {
        ++report.replay_refused;
        continue;
      }
      if (w.event.kind != EventKind::kLogin || w.match.denied_rule >= 0) continue;
      ++report.replay_logins;
      for (const MappedPair& pair : w.match.matched) usage.mapping_used[index_of(pair.mapping)] = 1;
    }
  }

  UserState user;
  std::vector<GroupId> groups;
  std::vector<RoleId> roles;
  std::vector<std::string_view> apps_held;
  ProviderNames names = impl.provider_names();
  std::vector<std::string> provider_name;  // by ProviderKey, filled as met
  for (const CompiledRole& r : config.roles) usage.apps[r.app].by_group.assign(config.groups.size(), 0);
  impl.for_each_current_shard([&](const ConfigVersion& v, LockedShard& shard) {
    const CompiledConfig& cfg = *v.config;
    shard.for_each_user([&](ProviderKey provider, std::string_view subject, UserHandle& handle) {
      handle.load(&user);
      ++report.users;
      for (const MappedPair& pair : user.mapped) usage.mapping_used[index_of(pair.mapping)] = 1;
      for (RoleId r : user.direct_roles) ++usage.direct_holders[index_of(r)];
      if (user.suspended) {
        ++report.suspended_users;  // holds nothing (docs/spec.md §6)
        return;
      }
      effective_groups(user, &groups);
      for (GroupId g : groups) ++usage.group_members[index_of(g)];
      claimmap::effective_roles(cfg, user, groups, &roles);
      apps_held.clear();
      for (RoleId r : roles) {
        ++usage.role_holders[index_of(r)];
        apps_held.push_back(cfg.role(r).app);
      }
      std::sort(apps_held.begin(), apps_held.end());
      apps_held.erase(std::unique(apps_held.begin(), apps_held.end()), apps_held.end());
      if (apps_held.empty()) return;
      const uint32_t key = static_cast<uint32_t>(provider);
      if (provider_name.size() <= key) provider_name.resize(key + 1);
      if (provider_name[key].empty()) provider_name[key] = names(provider);
      for (std::string_view app : apps_held) {
        Usage::App& a = usage.apps.find(app)->second;
        if (a.holders++ == 0) a.provider = provider, a.subject.assign(subject);
        a.sample.emplace_back(provider_name[key], std::string(subject));
        keep_sample(a.sample, false);
        bool manual = false, direct = false;
        for (GroupId g : groups) {
          bool grants = false;
          for (const RoleId* r = cfg.group_roles_begin(g); r != cfg.group_roles_end(g); ++r) {
            grants = grants || cfg.role(*r).app == app;
          }
          if (!grants) continue;
          ++a.by_group[index_of(g)];
          manual = manual || std::binary_search(user.manual.begin(), user.manual.end(), g);
        }
        for (RoleId r : user.direct_roles) direct = direct || cfg.role(r).app == app;
        a.manual += manual;
        a.direct += direct;
      }
    });
  });

  auto add = [&](const char* kind, const std::string& id) -> AuditFinding& {
    AuditFinding& f = report.findings.emplace_back();
    f.kind = kind;
    f.id = id;
    return f;
  };
  for (auto& [app, a] : usage.apps) {
    AppAccess& access = report.apps.emplace_back();
    access.app = app;
    access.holders = a.holders;
    access.manual_holders = a.manual;
    access.direct_holders = a.direct;
    for (size_t g = 0; g < a.by_group.size(); ++g) {
      if (a.by_group[g] > 0) access.groups.emplace_back(config.groups[g].id, a.by_group[g]);
    }
    keep_sample(a.sample, true);
    for (const auto& [p, subject] : a.sample) access.holder_sample.push_back(p + "/" + subject);
  }
  for (const auto& [app, a] : usage.apps) {
    if (a.holders != 1) continue;
    AuditFinding& f = add("app_single_holder", app);
    f.provider = names(a.provider);
    f.subject = a.subject;
  }
  for (size_t r = 0; r < config.roles.size(); ++r) {
    if (usage.direct_holders[r] > 0) add("direct_role", config.roles[r].id).holders = usage.direct_holders[r];
  }
  for (size_t g = 0; g < config.groups.size(); ++g) {
    if (usage.group_members[g] == 0) add("group_empty", config.groups[g].id);
  }
  for (size_t g = 0; g < config.groups.size(); ++g) {
    if (config.groups[g].roles.empty()) add("group_without_roles", config.groups[g].id);
  }
  for (const CompiledMapping& m : config.mappings) {
    if (!m.active) add("mapping_inactive", std::string(config.mapping_id(m))).reason = inactive_reason(config, m);
  }
  for (size_t m = 0; m < config.mappings.size(); ++m) {
    const MappingId id{static_cast<uint32_t>(m)};
    if (config.mapping(id).active && !usage.mapping_used[m]) add("mapping_unused", std::string(config.mapping_id(id)));
  }
  for (size_t r = 0; r < config.roles.size(); ++r) {
    if (usage.role_holders[r] == 0) add("role_unheld", config.roles[r].id);
  }
  // Kinds were added in name order, and ids are interned in name order
  // within each: already sorted by kind, then id.
  return report;
}

std::string AuditReport::to_ndjson() const {
  std::string out;
  for (const AuditFinding& f : findings) {
    out.append("{\"finding\": ");
    json_text::append_quoted(out, f.kind);
    const bool is_app = f.kind == "app_single_holder";
    const bool is_role = f.kind == "direct_role" || f.kind == "role_unheld";
    const bool is_group = f.kind == "group_empty" || f.kind == "group_without_roles";
    out.append(is_app ? ", \"app\": " : is_role ? ", \"role\": " : is_group ? ", \"group\": " : ", \"mapping\": ");
    json_text::append_quoted(out, f.id);
    if (is_app) {
      out.append(", \"provider\": ");
      json_text::append_quoted(out, f.provider);
      out.append(", \"subject\": ");
      json_text::append_quoted(out, f.subject);
    }
    if (f.kind == "direct_role") out.append(", \"holders\": " + std::to_string(f.holders));
    if (!f.reason.empty()) {
      out.append(", \"reason\": ");
      json_text::append_quoted(out, f.reason);
    }
    out.append("}\n");
  }
  return out;
}

std::string AuditReport::summary_text() const {
  std::map<std::string, uint64_t> by_kind;
  for (const AuditFinding& f : findings) ++by_kind[f.kind];
  std::string s = "audit: " + std::to_string(users) + " users (" + std::to_string(suspended_users) + " suspended)";
  if (replay_logins > 0) s += ", " + std::to_string(replay_logins) + " replay logins matched";
  s += "; " + std::to_string(findings.size()) + " findings\n";
  for (const auto& [kind, n] : by_kind) s += "  " + kind + ": " + std::to_string(n) + "\n";
  if (replay_refused > 0) {
    // Said aloud: a refused line matches nothing, so its mappings may be
    // reported unused (signed tokens past their exp: give --now).
    s += "replay: " + std::to_string(replay_refused) +
         " lines refused, matching nothing (an expired signed token needs --now)\n";
  }
  return s;
}

}  // namespace claimmap
