#include "engine/config/config_validator.h"

#include <algorithm>
#include <string>

#include "engine/common/json_text.h"
#include "engine/common/name_index.h"
#include "engine/common/parallel_pieces.h"
#include "engine/common/prefetch.h"
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
// finds a name through the section itself — or, with `compact`, through an
// array of views of the ids (16 bytes an id, where a def is ~90): a section
// looked up a million times at random (the groups) then costs a cache line
// of views, not of defs, and the staged lookup below can prefetch it.
template <typename Def>
class IdsOf {
 public:
  IdsOf(const std::vector<Def>& defs, const char* section, ConfigReport* report, bool compact = false) : defs_(defs) {
    if (compact) {
      names_.resize(defs.size());
      for (size_t i = 0; i < defs.size(); ++i) names_[i] = defs[i].id;
    }
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

  // A staged lookup (NameIndex's), for a compact index: tag an id and
  // prefetch its slot; later prefetch the view the slot points at, keeping
  // that position; later the id's bytes and the def (the caller reads a
  // group's stage next); then look it up with `at_tagged`.
  static uint32_t tag_of(std::string_view id) { return NameIndex::tag_of(id); }
  void prefetch_slot(uint32_t tag) const { index_.prefetch_tag(tag); }
  uint32_t prefetch_view(uint32_t tag) const {
    const uint32_t p = index_.candidate(tag);
    if (p != NameIndex::kAbsent) prefetch_line(&names_[p]);
    return p;
  }
  void prefetch_bytes(uint32_t p) const {
    if (p == NameIndex::kAbsent) return;
    prefetch_line(names_[p].data());
    prefetch_line(&defs_[p]);
  }
  uint32_t at_tagged(std::string_view id, uint32_t tag) const {
    return id.empty() ? NameIndex::kAbsent : index_.find_tagged(id, tag, name_of());
  }

 private:
  auto name_of() const {
    return [this](uint32_t i) { return names_.empty() ? std::string_view(defs_[i].id) : names_[i]; };
  }
  const std::vector<Def>& defs_;
  std::vector<std::string_view> names_;  // with `compact`: views of the defs' ids
  NameIndex index_;
};

}  // namespace

bool stage_in_scope(const ProviderDef& p, const std::string& stage) {
  return p.organization_scope ||
         std::find(p.scope_stages.begin(), p.scope_stages.end(), stage) != p.scope_stages.end();
}

namespace {

// Mapping i's references, pattern and scope; `p_at`: its provider's
// position in the model, `g_found` the position of the group its `group`
// names (NameIndex::kAbsent when unknown). Problems and counts go to `out`
// (one piece's report); result's entries for i are set.
void check_mapping(const ConfigModel& model, size_t i, uint32_t p_at, uint32_t g_found, ValidationResult* result,
                   ConfigReport* out) {
  const MappingDef& m = model.mappings[i];
  auto& errors = out->errors;
  // A template names its groups at each login (docs/spec.md §16): the
  // groups need not exist yet, and one out of scope is skipped then.
  const GroupTemplate group_template = GroupTemplate::parse(m.group);
  const uint32_t g_at = group_template.is_template() ? NameIndex::kAbsent : g_found;
  result->mapping_provider[i] = p_at;
  result->mapping_group[i] = g_at;
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
                            "mapping " + json_text::quoted(m.id), out);
    check_template(group_template, m.match, pattern, item_path("mappings", i), out);
  }
  if (p_at == NameIndex::kAbsent) return;
  ProviderMatchSummary& summary = out->match_summary[p_at];
  size_t* by_kind[] = {&summary.exact, &summary.prefix, &summary.glob, &summary.regex};
  ++*by_kind[static_cast<int>(m.match)];
  summary.templates += group_template.is_template();
  summary.never_match += pattern.never_matches;
  const ProviderDef& p = model.providers[p_at];
  if (p.type == ProviderType::kSaml && p.organization_scope) {
    errors.push_back({item_path("mappings", i, "provider"),
                      "group mapping isn't available for SAML providers with Organization scope"});
    return;
  }
  if (g_at == NameIndex::kAbsent) return;
  const GroupDef& g = model.groups[g_at];
  if (stage_in_scope(p, g.stage)) return;
  if (p.type == ProviderType::kSaml) {
    errors.push_back({item_path("mappings", i, "group"),
                      "group " + json_text::quoted(g.id) + " is in stage " + json_text::quoted(g.stage) +
                          ", outside the scope of SAML provider " + json_text::quoted(p.id)});
  } else {
    result->mapping_active[i] = 0;
    out->inactive_mappings.push_back(
        {item_path("mappings", i), "mapping " + json_text::quoted(m.id) + " is inactive: group " +
                                       json_text::quoted(g.id) + " is in stage " + json_text::quoted(g.stage) +
                                       ", outside the scope of provider " + json_text::quoted(p.id)});
  }
}

}  // namespace

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
  const IdsOf groups(model.groups, "groups", report, /*compact=*/true);
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

  result.mapping_active.assign(model.mappings.size(), 1);
  result.mapping_provider.resize(model.mappings.size());
  result.mapping_group.resize(model.mappings.size());
  // The mappings are checked in pieces on the caller's TBB arena's threads
  // (a million of them are a large config's longest check); each piece
  // reports into its own ConfigReport, merged in file order afterwards.
  constexpr size_t kPiece = 1 << 16;
  const size_t pieces = (model.mappings.size() + kPiece - 1) / kPiece;
  std::vector<ConfigReport> found(pieces);
  for_each_piece(pieces, [&](size_t k) {
    ConfigReport& out = found[k];
    out.match_summary.resize(model.providers.size());
    // Consecutive mappings nearly always name the same provider: the last
    // one is compared before the index is searched.
    std::string_view last_provider;
    uint32_t last_p_at = NameIndex::kAbsent;
    const size_t begin = k * kPiece;
    const size_t end = std::min(model.mappings.size(), (k + 1) * kPiece);
    // Each mapping's group among a large config's 250,000 is three misses
    // in a row (slot, view, bytes): they are started 12, 8 and 4 mappings
    // ahead, so that they overlap each other and the work between.
    constexpr size_t kSlot = 12, kView = 8, kBytes = 4, kRing = 16;
    uint32_t tags[kRing];
    // The position prefetch_view found, for prefetch_bytes (none for the
    // first kView mappings, whose views were not prefetched).
    uint32_t candidates[kRing];
    std::fill(std::begin(candidates), std::end(candidates), NameIndex::kAbsent);
    auto start = [&](size_t j) {
      tags[j % kRing] = groups.tag_of(model.mappings[j].group);
      groups.prefetch_slot(tags[j % kRing]);
    };
    for (size_t j = begin; j < std::min(end, begin + kSlot); ++j) start(j);
    for (size_t i = begin; i < end; ++i) {
      if (i + kSlot < end) start(i + kSlot);
      if (i + kView < end) candidates[(i + kView) % kRing] = groups.prefetch_view(tags[(i + kView) % kRing]);
      if (i + kBytes < end) groups.prefetch_bytes(candidates[(i + kBytes) % kRing]);
      const MappingDef& m = model.mappings[i];
      if (m.provider != last_provider || last_p_at == NameIndex::kAbsent) {
        last_provider = m.provider;
        last_p_at = providers.at(m.provider);
      }
      check_mapping(model, i, last_p_at, groups.at_tagged(m.group, tags[i % kRing]), &result, &out);
    }
  });
  for (ConfigReport& piece : found) {
    for (auto [to, from] : {std::pair{&report->errors, &piece.errors}, std::pair{&report->warnings, &piece.warnings},
                            std::pair{&report->inactive_mappings, &piece.inactive_mappings}}) {
      to->insert(to->end(), std::make_move_iterator(from->begin()), std::make_move_iterator(from->end()));
    }
    for (size_t p = 0; p < piece.match_summary.size(); ++p) {
      ProviderMatchSummary& sum = report->match_summary[p];
      const ProviderMatchSummary& add = piece.match_summary[p];
      sum.exact += add.exact, sum.prefix += add.prefix, sum.glob += add.glob, sum.regex += add.regex;
      sum.templates += add.templates, sum.never_match += add.never_match;
    }
  }
  return result;
}

}  // namespace claimmap
