#include "engine/match/matcher.h"

#include <algorithm>
#include <bit>

#include <re2/re2.h>

#include "engine/common/padded_copy.h"
#include "engine/common/sort_pairs.h"

namespace claimmap {

bool MatchView::is_indeterminate(const CompiledMapping& m) const {
  return std::find(indeterminate_claims.begin(), indeterminate_claims.end(), m.claim_index) !=
         indeterminate_claims.end();
}

namespace {

// Appends the grants of `found` (`total` pairs) to `matched`: the vector
// grows once, and each value's grants are one fixed move when they fit.
void add_grants(const DelimiterTable& table, std::span<const DelimiterTable::Range> found, size_t total,
                std::vector<MappedPair>* matched) {
  constexpr size_t kCopy = DelimiterTable::kGrantCopy;
  const size_t at = matched->size();
  matched->resize(at + total + kCopy);
  MappedPair* p = matched->data() + at;
  for (const DelimiterTable::Range& range : found) {
    p = copy_padded<kCopy>(p, table.grants.data() + range.begin, range.count);
  }
  matched->resize(at + total);
}

// `--explain`: the grants of a value found, each with the value.
void add_valued_grants(const DelimiterTable& table, DelimiterTable::Range range, std::string_view value,
                       MatchResult* out) {
  for (uint32_t i = 0; i < range.count; ++i) out->values.push_back({table.grants[range.begin + i], value});
}

bool named_in_claim_names(const ClaimCaptures& claims, std::string_view name) {
  return std::find(claims.claim_names.begin(), claims.claim_names.end(), name) != claims.claim_names.end();
}

// Whether a requirement's pattern accepts one candidate (or part).
bool requirement_accepts(const CompiledRequirement& r, std::string_view candidate) {
  switch (r.def.match) {
    case MatchKind::kExact: return candidate == r.def.value;
    case MatchKind::kPrefix: return candidate.starts_with(r.def.value);
    case MatchKind::kGlob:
    case MatchKind::kRegex:
      return RE2::FullMatch(re2::StringPiece(candidate.data(), candidate.size()), *r.regex);
  }
  return false;
}

// The index of the first requirement no candidate meets, or -1. An absent
// claim (an overage one included) meets nothing.
int32_t first_unmet_requirement(const CompiledProvider& provider, const ClaimCaptures& claims) {
  for (size_t i = 0; i < provider.require.size(); ++i) {
    const CompiledRequirement& r = provider.require[i];
    bool met = false;
    claims.for_each_candidate(r.capture_node, [&](std::string_view candidate) {
      if (met) return;
      if (r.def.delimiter.empty()) {
        met = requirement_accepts(r, candidate);
      } else {
        for_each_part(candidate, r.def.delimiter, [&](std::string_view part) { met = met || requirement_accepts(r, part); });
      }
    });
    if (!met) return static_cast<int32_t>(i);
  }
  return -1;
}

// Adds the pairs of the pattern and template rules `candidate` hits: a
// fixed group as it is; a template's group named from the candidate (and the
// regex's captures), skipped when no such group exists or it is outside the
// provider's scope (docs/spec.md §16).
void add_pattern_grants(const CompiledConfig& config, const CompiledProvider& provider, const PatternTable& patterns,
                        std::string_view candidate, MatchResult* out) {
  out->rule_hits.clear();
  patterns.hits(candidate, &out->set_hits, &out->rule_hits);
  for (uint32_t i : out->rule_hits) {
    const PatternTable::Rule& rule = patterns.rules()[i];
    if (!rule.group_template.is_template()) {
      out->matched.push_back({rule.group, rule.mapping});
      if (out->want_values) out->values.push_back({{rule.group, rule.mapping}, candidate});
      continue;
    }
    std::string_view captures[9];
    int n = 0;
    if (rule.captures != nullptr) {
      // Only a template that reads {N} runs its regex again, for the groups.
      n = rule.group_template.max_capture();
      re2::StringPiece pieces[9];
      RE2::Arg args[9];
      const RE2::Arg* arg_ptrs[9];
      for (int k = 0; k < n; ++k) args[k] = &pieces[k], arg_ptrs[k] = &args[k];
      if (!RE2::FullMatchN(re2::StringPiece(candidate.data(), candidate.size()), *rule.captures, arg_ptrs, n)) continue;
      for (int k = 0; k < n; ++k) captures[k] = std::string_view(pieces[k].data(), pieces[k].size());
    }
    rule.group_template.render(candidate, std::span<const std::string_view>(captures, static_cast<size_t>(n)),
                               &out->group_name);
    const std::optional<GroupId> group = config.find_group(out->group_name);
    if (!group || !provider.group_in_scope[index_of(*group)]) continue;
    out->matched.push_back({*group, rule.mapping});
    if (out->want_values) out->values.push_back({{*group, rule.mapping}, candidate});
  }
}

}  // namespace

void match_login(const CompiledConfig& config, const ParsedEvent& event, MatchResult* out) {
  out->matched.clear();
  out->indeterminate_claims.clear();
  out->overage.clear();
  out->values.clear();
  const ClaimCaptures& claims = *event.claims;
  const CompiledProvider& provider = config.provider(event.provider);
  out->denied_rule = provider.require.empty() ? -1 : first_unmet_requirement(provider, claims);
  if (out->denied_rule >= 0) return;  // a denied login changes nothing

  for (uint32_t c = 0; c < provider.claims.size(); ++c) {
    const ClaimMatcher& matcher = provider.claims[c];
    const CaptureSlot& slot = claims.slot(matcher.capture_node);
    if (slot.kind == ValueKind::kAbsent) {
      // Overage: the claim was left out for size, not because the user is in
      // nothing. Only the absence of the top-level member counts.
      const bool top_level_absent =
          matcher.claim.front() != '/' ||
          claims.slot(config.trie.child(CaptureTrie::kRoot, matcher.top_level_name)).kind == ValueKind::kAbsent;
      if (claims.has_claim_names && top_level_absent && named_in_claim_names(claims, matcher.top_level_name)) {
        out->indeterminate_claims.push_back(c);
        out->overage.push_back(matcher.top_level_name);
      }
      continue;
    }
    if (slot.begin == slot.end) continue;  // null, object, empty array: no candidates
    for (const DelimiterTable& table : matcher.tables) {
      // Hash every candidate (or part) and prefetch its slot, then look them
      // up: a token's 20 to 200 group lookups overlap their cache misses.
      out->keys.clear();
      if (table.delimiter.empty()) {
        claims.for_each_candidate(matcher.capture_node, [&](std::string_view candidate) {
          out->keys.push_back({candidate, hash_bytes(candidate)});
        });
      } else {
        claims.for_each_candidate(matcher.capture_node, [&](std::string_view candidate) {
          for_each_part(candidate, table.delimiter,
                        [&](std::string_view part) { out->keys.push_back({part, hash_bytes(part)}); });
        });
      }
      for (const auto& key : out->keys) table.values.prefetch(key.hash);
      out->found.clear();
      size_t total = 0;
      for (const auto& key : out->keys) {
        DelimiterTable::Range range;
        if (table.values.find(key.text, key.hash, &range)) {
          out->found.push_back(range);
          total += range.count;
          if (out->want_values) add_valued_grants(table, range, key.text, out);  // a branch always taken the same way
        }
      }
      add_grants(table, out->found, total, &out->matched);
      if (!table.patterns.empty()) {
        for (const auto& key : out->keys) add_pattern_grants(config, provider, table.patterns, key.text, out);
      }
    }
  }
  sort_mapped_pairs(out->matched, config.groups.size());
  // A value given twice grants its pairs twice. Pairs compared as one word
  // each: the defaulted == compares field by field, with a branch between.
  static_assert(sizeof(MappedPair) == sizeof(uint64_t));
  auto same = [](const MappedPair& a, const MappedPair& b) {
    return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
  };
  out->matched.erase(std::unique(out->matched.begin(), out->matched.end(), same), out->matched.end());
  std::sort(out->overage.begin(), out->overage.end());
  out->overage.erase(std::unique(out->overage.begin(), out->overage.end()), out->overage.end());
  if (out->want_values) {
    std::sort(out->values.begin(), out->values.end());
    out->values.erase(std::unique(out->values.begin(), out->values.end(),
                                  [](const ValuedPair& a, const ValuedPair& b) {
                                    return a.pair == b.pair && a.value == b.value;
                                  }),
                      out->values.end());
  }
}

}  // namespace claimmap
