#include "engine/config/compiler.h"

#include <algorithm>

#include "engine/config/claim_path.h"
#include "engine/config/config_validator.h"
#include "engine/common/huge_pages.h"
#include "engine/common/json_text.h"
#include "engine/common/name_index.h"
#include "engine/common/prefetch.h"
#include "engine/match/glob.h"

namespace claimmap {

uint32_t CaptureTrie::insert(const std::vector<std::string>& tokens) {
  uint32_t node = kRoot;
  for (const std::string& token : tokens) {
    auto it = nodes[node].children.find(token);
    if (it != nodes[node].children.end()) {
      node = it->second;
      continue;
    }
    const auto next = static_cast<uint32_t>(nodes.size());
    nodes[node].children.emplace(token, next);
    nodes.emplace_back();
    node = next;
  }
  nodes[node].captured = true;
  return node;
}

void CaptureTrie::finish() {
  for (Node& n : nodes) {
    std::vector<std::pair<std::string_view, uint32_t>> entries(n.children.begin(), n.children.end());
    n.lookup.build(entries);
  }
}

namespace {

// Positions of `defs` sorted bytewise by id: the interning order.
// The ids are gathered as views next to their positions, so that a compare
// reads two adjacent entries, not two defs far apart; a section already in
// id order (as generated and exported configs are) is only checked.
template <typename Def>
std::vector<size_t> order_by_id(const std::vector<Def>& defs) {
  struct Keyed {
    unsigned __int128 head;  // the first 16 bytes, big-endian, zero-padded
    std::string_view id;
    size_t position;
  };
  // Ids differ in their first 16 bytes nearly always ("okta-0123456"): a
  // compare is then one integer compare, with no call to memcmp. Equal heads
  // fall back to the whole ids (zero padding cannot misorder them: "a" and
  // "a\0" have one head, and the ids decide).
  std::vector<Keyed> keyed(defs.size());
  for (size_t i = 0; i < defs.size(); ++i) {
    const std::string_view id = defs[i].id;
    unsigned __int128 head = 0;
    for (size_t b = 0; b < 16; ++b) head = head << 8 | (b < id.size() ? static_cast<unsigned char>(id[b]) : 0);
    keyed[i] = {head, id, i};
  }
  auto before = [](const Keyed& a, const Keyed& b) { return a.head != b.head ? a.head < b.head : a.id < b.id; };
  if (!std::is_sorted(keyed.begin(), keyed.end(), before)) std::sort(keyed.begin(), keyed.end(), before);
  std::vector<size_t> order(defs.size());
  for (size_t i = 0; i < keyed.size(); ++i) order[i] = keyed[i].position;
  return order;
}

size_t map_bytes(const boost::container::flat_map<std::string, uint32_t, std::less<>>& map) {
  size_t bytes = map.capacity() * sizeof(std::pair<std::string, uint32_t>);
  for (const auto& [key, value] : map) bytes += key.capacity() > 15 ? key.capacity() : 0;
  return bytes;
}

ClaimMatcher& matcher_for(CompiledProvider& provider, StringMap<uint32_t>& index_by_claim, std::string_view claim,
                          uint32_t* index) {
  // Found before any insert: emplace would build a node (and copy the claim)
  // for each of a million mappings only to drop it.
  if (auto it = index_by_claim.find(claim); it != index_by_claim.end()) {
    *index = it->second;
    return provider.claims[it->second];
  }
  *index = static_cast<uint32_t>(provider.claims.size());
  index_by_claim.emplace(std::string(claim), *index);
  return provider.claims.emplace_back();
}

// Groups one table's (value, pair) list by value — a value's pairs sorted,
// values in the order they first appear — into the table's grants and its
// value → range index. Linear: a NameIndex numbers the distinct values.
// The values are views into `text` (the config's mapping_text), which the
// index reads its keys from. False when a value grants more pairs than the
// index can count (ValueIndex::kMaxCount).
bool lay_out_values(std::string_view text, const std::vector<std::pair<std::string_view, MappedPair>>& values,
                    DelimiterTable* table) {
  std::vector<std::string_view> distinct;
  std::vector<uint32_t> value_of(values.size());
  std::vector<uint32_t> begin;  // counts, then starts
  NameIndex index;
  index.reserve(values.size());
  for (size_t e = 0; e < values.size(); ++e) {
    const auto next = static_cast<uint32_t>(distinct.size());
    const uint32_t d = index.insert(values[e].first, next, [&distinct](uint32_t k) { return distinct[k]; });
    if (d == next) {
      distinct.push_back(values[e].first);
      begin.push_back(0);
    }
    value_of[e] = d;
    ++begin[d];
  }
  std::vector<std::pair<std::string_view, DelimiterTable::Range>> entries(distinct.size());
  uint32_t at = 0;
  for (size_t d = 0; d < distinct.size(); ++d) {
    entries[d] = {distinct[d], DelimiterTable::Range{at, begin[d]}};
    at += begin[d];
    begin[d] = entries[d].second.begin;
  }
  table->grants.assign(values.size() + DelimiterTable::kGrantCopy, MappedPair{});
  for (size_t e = 0; e < values.size(); ++e) table->grants[begin[value_of[e]]++] = values[e].second;
  for (const auto& [value, range] : entries) {
    std::sort(table->grants.begin() + range.begin, table->grants.begin() + range.begin + range.count);
  }
  return table->values.build(text, entries);
}

// Numbers the distinct shapes (claim, delimiter, template text, match) of
// the mappings: consecutive mappings (in id order) nearly always share one,
// so the last is tried first and a key is only built when the shape changes.
class ShapeInterner {
 public:
  explicit ShapeInterner(std::vector<MappingShape>* shapes) : shapes_(shapes) {}

  uint32_t intern(std::string_view claim, std::string_view delimiter, std::string_view group_template,
                  MatchKind match) {
    if (last_ != kNoIndex) {
      const MappingShape& s = (*shapes_)[last_];
      if (s.match == match && s.claim == claim && s.delimiter == delimiter && s.group_template == group_template) {
        return last_;
      }
    }
    std::string key;
    for (std::string_view part : {claim, delimiter, group_template}) {
      key.append(std::to_string(part.size())).push_back(':');
      key.append(part);
    }
    key.push_back(static_cast<char>('0' + static_cast<int>(match)));
    auto [it, added] = index_.emplace(std::move(key), static_cast<uint32_t>(shapes_->size()));
    if (added) {
      shapes_->push_back({std::string(claim), std::string(delimiter), std::string(group_template), match});
    }
    return last_ = it->second;
  }

 private:
  std::vector<MappingShape>* shapes_;
  StringMap<uint32_t> index_;
  uint32_t last_ = kNoIndex;
};

DelimiterTable& table_for(ClaimMatcher& matcher, std::string_view delimiter) {
  for (auto& table : matcher.tables) {
    if (table.delimiter == delimiter) return table;
  }
  DelimiterTable& table = matcher.tables.emplace_back();
  table.delimiter = delimiter;
  return table;
}

}  // namespace

std::shared_ptr<const CompiledConfig> compile_config(ConfigModel model, const ValidationResult& validation,
                                                     ConfigReport report) {
  const std::vector<uint8_t>& mapping_active = validation.mapping_active;
  auto config = std::make_shared<CompiledConfig>();
  CompiledConfig& c = *config;

  // The model is consumed: its names are moved into the compiled tables,
  // which the name indexes then point into (no second copy of any id).
  c.roles.reserve(model.roles.size());
  c.role_index.reserve(model.roles.size());
  for (size_t i : order_by_id(model.roles)) {
    RoleDef& def = model.roles[i];
    std::string quoted = json_text::quoted(def.id);
    c.roles.push_back({std::move(def.id), std::move(def.app), std::move(quoted)});
    c.role_index.insert(c.roles.back().id, static_cast<uint32_t>(c.roles.size() - 1),
                        [&c](uint32_t r) { return std::string_view(c.roles[r].id); });
  }
  c.groups.reserve(model.groups.size());
  c.group_index.reserve(model.groups.size());
  std::vector<GroupId> group_of_model(model.groups.size());  // model position → compiled id
  for (size_t i : order_by_id(model.groups)) {
    group_of_model[i] = GroupId{static_cast<uint32_t>(c.groups.size())};
    GroupDef& def = model.groups[i];
    std::string quoted = json_text::quoted(def.id);
    CompiledGroup group{std::move(def.id), std::move(def.stage), {}, std::move(quoted)};
    group.roles.reserve(def.roles.size());
    for (const auto& role : def.roles) group.roles.push_back(*c.find_role(role));
    std::sort(group.roles.begin(), group.roles.end());
    c.groups.push_back(std::move(group));
    c.group_index.insert(c.groups.back().id, static_cast<uint32_t>(c.groups.size() - 1),
                         [&c](uint32_t g) { return std::string_view(c.groups[g].id); });
  }
  c.group_role_begin.reserve(c.groups.size() + 1);
  c.group_role_begin.push_back(0);
  std::vector<uint32_t> grants(c.roles.size() + 1, 0);
  for (const CompiledGroup& g : c.groups) {
    const size_t first = c.group_role_list.size();
    for (size_t k = 0; k < g.roles.size(); ++k) {
      if (k > 0 && g.roles[k] == g.roles[k - 1]) continue;  // a role listed twice
      c.group_role_list.push_back(g.roles[k]);
      ++grants[index_of(g.roles[k]) + 1];
    }
    c.group_role_begin.push_back(static_cast<uint32_t>(c.group_role_list.size()));
    c.max_group_roles = std::max(c.max_group_roles, static_cast<uint32_t>(c.group_role_list.size() - first));
  }
  for (size_t r = 0; r < c.roles.size(); ++r) grants[r + 1] += grants[r];
  c.role_group_begin = grants;
  c.role_group_list.resize(c.group_role_list.size());
  for (uint32_t g = 0; g < c.groups.size(); ++g) {  // groups in order: each role's list comes out sorted
    for (uint32_t k = c.group_role_begin[g]; k < c.group_role_begin[g + 1]; ++k) {
      c.role_group_list[grants[index_of(c.group_role_list[k])]++] = GroupId{g};
    }
  }
  c.group_role_list.resize(c.group_role_list.size() + CompiledConfig::kRoleCopy, RoleId{0});

  // The claims root always holds iss (to find a bare token's provider) and iat
  // (the stale guard), whatever the mappings read.
  c.iss_node = c.trie.insert({"iss"});
  c.iat_node = c.trie.insert({"iat"});
  // A provider with keys checks its tokens' exp, nbf and aud (docs/spec.md
  // §15); a config without keys reads no more of a token than before.
  if (std::any_of(model.providers.begin(), model.providers.end(), [](const ProviderDef& p) { return p.token.has_keys; })) {
    c.exp_node = c.trie.insert({"exp"});
    c.nbf_node = c.trie.insert({"nbf"});
    c.aud_node = c.trie.insert({"aud"});
  }
  std::vector<ProviderId> provider_of_model(model.providers.size());  // model position → compiled id
  for (size_t i : order_by_id(model.providers)) {
    const ProviderDef& def = model.providers[i];
    const ProviderId id{static_cast<uint32_t>(c.providers.size())};
    provider_of_model[i] = id;
    c.provider_by_id.emplace(def.id, id);
    if (def.has_issuer) c.provider_by_issuer.emplace(def.issuer, id);
    CompiledProvider provider;
    provider.def = def;
    provider.quoted_id = json_text::quoted(def.id);
    provider.subject_node = c.trie.insert({def.subject_claim});
    for (const RequireDef& rule : def.require) {
      CompiledRequirement& r = provider.require.emplace_back();
      r.def = rule;
      r.capture_node = c.trie.insert(parse_claim_path(rule.claim)->tokens);
      if (rule.match == MatchKind::kGlob || rule.match == MatchKind::kRegex) {
        std::string error;  // checked by the validator
        const std::string pattern = rule.match == MatchKind::kGlob ? *glob_to_regex(rule.value, &error) : rule.value;
        r.regex = compile_claim_regex(pattern, &error);
      }
    }
    c.providers.push_back(std::move(provider));
  }

  // Values are gathered per table first (views of the compiled mappings'
  // values), then grouped and laid out contiguously.
  struct PendingTable {
    std::vector<std::pair<std::string_view, MappedPair>> values;
    std::vector<PatternTable::Entry> patterns;  // docs/spec.md §16
  };
  std::vector<std::vector<std::vector<PendingTable>>> pending(c.providers.size());  // [provider][claim][table]

  std::vector<StringMap<uint32_t>> claim_index_by_provider(c.providers.size());
  std::vector<bool> names_groups(c.providers.size(), false);  // has an active template mapping
  const std::vector<size_t> mapping_order = order_by_id(model.mappings);
  // Reserved whole: the pending values are views into mapping_text, which
  // must not move.
  size_t text_bytes = 0;
  for (const MappingDef& def : model.mappings) text_bytes += def.id.size() + def.value.size();
  c.mapping_text.reserve(text_bytes);
  advise_huge_pages(c.mapping_text.data(), text_bytes);
  auto add_text = [&c](std::string_view s) {
    const TextRef r{static_cast<uint32_t>(c.mapping_text.size()), static_cast<uint32_t>(s.size())};
    c.mapping_text.append(s);
    return r;
  };
  ShapeInterner shapes(&c.mapping_shapes);
  c.mappings.reserve(model.mappings.size());
  advise_huge_pages(c.mappings.data(), c.mappings.capacity() * sizeof(CompiledMapping));
  c.mapping_index.reserve(model.mappings.size());
  constexpr size_t kAhead = 8;  // ids prefetched this many mappings ahead: the index's slots are a miss each
  for (size_t k = 0; k < mapping_order.size(); ++k) {
    const size_t i = mapping_order[k];
    if (k + kAhead < mapping_order.size()) c.mapping_index.prefetch(model.mappings[mapping_order[k + kAhead]].id);
    // A mapping's group, by its model position: a miss each among a large
    // config's groups (the mappings are visited in id order, not file order).
    if (k + kAhead / 2 < mapping_order.size()) {
      const uint32_t g = validation.mapping_group[mapping_order[k + kAhead / 2]];
      if (g < group_of_model.size()) prefetch_line(&group_of_model[g]);
    }
    const MappingId id{static_cast<uint32_t>(c.mappings.size())};
    const MappingDef& def = model.mappings[i];
    GroupTemplate group_template = GroupTemplate::parse(def.group);
    CompiledMapping& mapping = c.mappings.emplace_back();
    mapping.id = add_text(def.id);
    mapping.value = add_text(def.value);
    c.mapping_index.insert(def.id, index_of(id), [&c](uint32_t m) { return c.mapping_id(MappingId{m}); });
    mapping.provider = provider_of_model[validation.mapping_provider[i]];
    mapping.is_template = group_template.is_template();
    mapping.group = mapping.is_template ? GroupId{kNoIndex} : group_of_model[validation.mapping_group[i]];
    mapping.shape = shapes.intern(def.claim, def.delimiter, mapping.is_template ? std::string_view(def.group) : "",
                                  def.match);
    mapping.active = mapping_active[i];
    if (mapping.active) {
      CompiledProvider& provider = c.providers[index_of(mapping.provider)];
      ClaimMatcher& matcher =
          matcher_for(provider, claim_index_by_provider[index_of(mapping.provider)], def.claim, &mapping.claim_index);
      if (matcher.claim.empty()) {
        const ClaimPath path = *parse_claim_path(def.claim);
        matcher.claim = def.claim;
        matcher.top_level_name = path.tokens.front();
        matcher.capture_node = c.trie.insert(path.tokens);
      }
      DelimiterTable& table = table_for(matcher, def.delimiter);
      auto& claims = pending[index_of(mapping.provider)];
      if (claims.size() <= mapping.claim_index) claims.resize(mapping.claim_index + 1);
      auto& tables = claims[mapping.claim_index];
      const size_t table_index = static_cast<size_t>(&table - matcher.tables.data());
      if (tables.size() <= table_index) tables.resize(table_index + 1);
      if (def.match == MatchKind::kExact && !mapping.is_template) {
        tables[table_index].values.emplace_back(c.text(mapping.value), MappedPair{mapping.group, id});
      } else {
        PatternTable::Entry entry{def.match, std::string(def.value), {id, mapping.group, std::move(group_template), nullptr}};
        if (entry.rule.group_template.max_capture() > 0) {
          std::string error;  // checked by the validator
          entry.rule.captures = compile_claim_regex(def.value, &error);
        }
        if (mapping.is_template) names_groups[index_of(mapping.provider)] = true;
        tables[table_index].patterns.push_back(std::move(entry));
      }
    }
  }

  auto add_name = [&](const std::string& quoted) {
    const CompiledConfig::NameRef ref{static_cast<uint32_t>(c.name_blob.size()), static_cast<uint32_t>(quoted.size())};
    c.name_blob.append(quoted);
    c.name_blob.append(", ");  // the separator, written with the name; the last one becomes "]"
    return ref;
  };
  for (const CompiledGroup& g : c.groups) {
    c.group_names.push_back(add_name(g.quoted_id));
    c.longest_group_name = std::max(c.longest_group_name, c.group_names.back().size);
  }
  for (const CompiledRole& r : c.roles) {
    c.role_names.push_back(add_name(r.quoted_id));
    c.longest_role_name = std::max(c.longest_role_name, c.role_names.back().size);
  }
  c.name_blob.append(CompiledConfig::kNamePadding, '\0');

  c.bytes = sizeof(CompiledConfig);
  for (size_t p = 0; p < c.providers.size(); ++p) {
    for (size_t m = 0; m < c.providers[p].claims.size(); ++m) {
      for (size_t t = 0; t < c.providers[p].claims[m].tables.size(); ++t) {
        DelimiterTable& table = c.providers[p].claims[m].tables[t];
        auto table_error = [&](const std::string& what) {
          report.errors.push_back({"mappings", "provider " + json_text::quoted(c.providers[p].def.id) + ", claim " +
                                                   json_text::quoted(c.providers[p].claims[m].claim) + ": " + what});
        };
        if (!lay_out_values(c.mapping_text, pending[p][m][t].values, &table)) {
          table_error("one value grants more than " + std::to_string(ValueIndex::kMaxCount) + " mappings");
        }
        std::string error;
        if (!table.patterns.build(std::move(pending[p][m][t].patterns), &error)) table_error(error);
        c.bytes += table.values.memory_bytes() + table.grants.capacity() * sizeof(MappedPair) +
                   table.patterns.memory_bytes();
      }
    }
  }
  // Templates name groups at login time: which groups each such provider may grant.
  for (size_t p = 0; p < c.providers.size(); ++p) {
    if (!names_groups[p]) continue;
    CompiledProvider& provider = c.providers[p];
    provider.group_in_scope.assign(c.groups.size(), 0);
    const bool saml_org = provider.def.type == ProviderType::kSaml && provider.def.organization_scope;
    for (size_t g = 0; g < c.groups.size(); ++g) {
      provider.group_in_scope[g] = !saml_org && stage_in_scope(provider.def, c.groups[g].stage);
    }
  }
  c.trie.finish();
  for (const auto& node : c.trie.nodes) c.bytes += sizeof(node) + map_bytes(node.children) + node.lookup.memory_bytes();
  c.bytes += c.mappings.capacity() * sizeof(CompiledMapping) + c.mapping_text.capacity() + c.mapping_index.memory_bytes() +
             c.group_index.memory_bytes() + c.role_index.memory_bytes();

  report.stages = model.stages.size();
  report.providers = model.providers.size();
  report.roles = model.roles.size();
  report.groups = model.groups.size();
  report.mappings = model.mappings.size();
  report.active_mappings = static_cast<size_t>(std::count(mapping_active.begin(), mapping_active.end(), uint8_t{1}));
  c.report = std::move(report);
  return config;
}

}  // namespace claimmap
