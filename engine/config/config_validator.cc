#include "engine/config/config_validator.h"

#include <algorithm>
#include <string>

#include "engine/common/json_text.h"
#include "engine/common/name_index.h"
#include "engine/common/string_map.h"
#include "engine/config/pattern_checks.h"
#include "engine/match/group_template.h"

namespace claimmap {
namespace {

std::string item_path(const char* section, size_t i, const char* member = nullptr) {
  std::string p = std::string(section) + "[" + std::to_string(i) + "]";
  if (member) p += std::string(".") + member;
  return p;
}

// Indexes the ids of one section, reporting each repeat once with where it
// first appeared. The index holds positions, not copies of the ids: `at`
// finds a name through the section itself.
template <typename Def>
class IdsOf {
 public:
  IdsOf(const std::vector<Def>& defs, const char* section, ConfigReport* report) : defs_(defs) {
    index_.reserve(defs.size());
    for (size_t i = 0; i < defs.size(); ++i) {
      if (defs[i].id.empty()) continue;  // already reported as missing or invalid
      const uint32_t first = index_.insert(defs[i].id, static_cast<uint32_t>(i), name_of());
      if (first != i) {
        report->errors.push_back({item_path(section, i, "id"), "duplicate id " + json_text::quoted(defs[i].id) +
                                                                   " (first at " + item_path(section, first) + ")"});
      }
    }
  }
  // The position of the first def with this id, or NameIndex::kAbsent.
  uint32_t at(std::string_view id) const { return id.empty() ? NameIndex::kAbsent : index_.find(id, name_of()); }
  bool has(std::string_view id) const { return at(id) != NameIndex::kAbsent; }

 private:
  auto name_of() const {
    return [this](uint32_t i) { return std::string_view(defs_[i].id); };
  }
  const std::vector<Def>& defs_;
  NameIndex index_;
};

}  // namespace

bool stage_in_scope(const ProviderDef& p, const std::string& stage) {
  return p.organization_scope ||
         std::find(p.scope_stages.begin(), p.scope_stages.end(), stage) != p.scope_stages.end();
}

ValidationResult validate_config_model(const ConfigModel& model, ConfigReport* report) {
  ValidationResult result;
  auto& errors = report->errors;

  StringMap<size_t> stages;
  for (size_t i = 0; i < model.stages.size(); ++i) {
    if (!stages.emplace(model.stages[i], i).second) {
      errors.push_back({item_path("stages", i), "duplicate stage " + json_text::quoted(model.stages[i])});
    }
  }
  const IdsOf providers(model.providers, "providers", report);
  const IdsOf roles(model.roles, "roles", report);
  const IdsOf groups(model.groups, "groups", report);
  const IdsOf mappings(model.mappings, "mappings", report);

  StringMap<size_t> issuers;
  for (size_t i = 0; i < model.providers.size(); ++i) {
    const ProviderDef& p = model.providers[i];
    if (p.has_issuer) {
      auto [it, inserted] = issuers.emplace(p.issuer, i);
      if (!inserted) {
        errors.push_back({item_path("providers", i, "issuer"),
                          "same issuer as " + item_path("providers", it->second) + "; each issuer names one provider"});
      }
    }
    for (size_t s = 0; s < p.scope_stages.size(); ++s) {
      if (!stages.count(p.scope_stages[s])) {
        errors.push_back({item_path("providers", i, "scope") + "[" + std::to_string(s) + "]",
                          "unknown stage " + json_text::quoted(p.scope_stages[s])});
      }
    }
  }

  for (size_t i = 0; i < model.groups.size(); ++i) {
    const GroupDef& g = model.groups[i];
    if (!g.stage.empty() && !stages.count(g.stage)) {
      errors.push_back({item_path("groups", i, "stage"), "unknown stage " + json_text::quoted(g.stage)});
    }
    // A group lists a few roles: a repeat is found by looking back, and the
    // path is only built for an error (250k groups in a large config).
    for (size_t r = 0; r < g.roles.size(); ++r) {
      auto path = [&] { return item_path("groups", i, "roles") + "[" + std::to_string(r) + "]"; };
      if (!roles.has(g.roles[r])) {
        errors.push_back({path(), "unknown role " + json_text::quoted(g.roles[r])});
      } else if (std::find(g.roles.begin(), g.roles.begin() + static_cast<std::ptrdiff_t>(r), g.roles[r]) !=
                 g.roles.begin() + static_cast<std::ptrdiff_t>(r)) {
        errors.push_back({path(), "role " + json_text::quoted(g.roles[r]) + " listed twice"});
      }
    }
    if (g.roles.empty() && !g.id.empty()) {
      report->warnings.push_back({item_path("groups", i, "roles"), "group " + json_text::quoted(g.id) + " grants no roles"});
    }
  }

  // Per provider, in file order: how its mappings and rules match.
  report->match_summary.clear();
  for (size_t i = 0; i < model.providers.size(); ++i) {
    const ProviderDef& p = model.providers[i];
    ProviderMatchSummary summary;
    summary.provider = p.id;
    summary.require_rules = p.require.size();
    for (size_t r = 0; r < p.require.size(); ++r) {
      const RequireDef& rule = p.require[r];
      const std::string path = item_path("providers", i, "require") + "[" + std::to_string(r) + "]";
      if (rule.value.empty()) continue;  // already reported
      const PatternCheck check = check_pattern(rule.match, rule.value, rule.delimiter, path,
                                               "rule " + std::to_string(r) + " of provider " + json_text::quoted(p.id),
                                               report);
      summary.never_match += check.never_matches;
    }
    report->match_summary.push_back(std::move(summary));
  }

  result.mapping_active.assign(model.mappings.size(), true);
  result.mapping_provider.resize(model.mappings.size());
  result.mapping_group.resize(model.mappings.size());
  // Consecutive mappings nearly always name the same provider: the last one
  // is compared before the index is searched.
  std::string_view last_provider;
  uint32_t last_p_at = NameIndex::kAbsent;
  for (size_t i = 0; i < model.mappings.size(); ++i) {
    const MappingDef& m = model.mappings[i];
    if (m.provider != last_provider || last_p_at == NameIndex::kAbsent) {
      last_provider = m.provider;
      last_p_at = providers.at(m.provider);
    }
    const uint32_t p_at = last_p_at;
    // A template names its groups at each login (docs/spec.md §16): the
    // groups need not exist yet, and one out of scope is skipped then.
    const GroupTemplate group_template = GroupTemplate::parse(m.group);
    const uint32_t g_at = group_template.is_template() ? NameIndex::kAbsent : groups.at(m.group);
    result.mapping_provider[i] = p_at;
    result.mapping_group[i] = g_at;
    if (!m.provider.empty() && p_at == NameIndex::kAbsent) {
      errors.push_back({item_path("mappings", i, "provider"), "unknown provider " + json_text::quoted(m.provider)});
    }
    if (!m.group.empty() && !group_template.is_template() && g_at == NameIndex::kAbsent) {
      errors.push_back({item_path("mappings", i, "group"), "unknown group " + json_text::quoted(m.group)});
    }
    PatternCheck pattern;
    // Only a pattern, a delimiter or a template has anything to check: a
    // plain exact value (most of a large config) builds no path or name.
    if (!m.value.empty() && (m.match != MatchKind::kExact || !m.delimiter.empty() || group_template.is_template())) {
      pattern = check_pattern(m.match, std::string(m.value), std::string(m.delimiter), item_path("mappings", i),
                              "mapping " + json_text::quoted(m.id), report);
      check_template(group_template, m.match, pattern, item_path("mappings", i), report);
    }
    if (p_at != NameIndex::kAbsent) {
      ProviderMatchSummary& summary = report->match_summary[p_at];
      size_t* by_kind[] = {&summary.exact, &summary.prefix, &summary.glob, &summary.regex};
      ++*by_kind[static_cast<int>(m.match)];
      summary.templates += group_template.is_template();
      summary.never_match += pattern.never_matches;
    }
    if (p_at == NameIndex::kAbsent) continue;
    const ProviderDef& p = model.providers[p_at];
    if (p.type == ProviderType::kSaml && p.organization_scope) {
      errors.push_back({item_path("mappings", i, "provider"),
                        "group mapping isn't available for SAML providers with Organization scope"});
      continue;
    }
    if (g_at == NameIndex::kAbsent) continue;
    const GroupDef& g = model.groups[g_at];
    if (!stage_in_scope(p, g.stage)) {
      if (p.type == ProviderType::kSaml) {
        errors.push_back({item_path("mappings", i, "group"),
                          "group " + json_text::quoted(g.id) + " is in stage " + json_text::quoted(g.stage) +
                              ", outside the scope of SAML provider " + json_text::quoted(p.id)});
      } else {
        result.mapping_active[i] = false;
        report->inactive_mappings.push_back(
            {item_path("mappings", i), "mapping " + json_text::quoted(m.id) + " is inactive: group " +
                                           json_text::quoted(g.id) + " is in stage " + json_text::quoted(g.stage) +
                                           ", outside the scope of provider " + json_text::quoted(p.id)});
      }
    }
  }
  return result;
}

}  // namespace claimmap
