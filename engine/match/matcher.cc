#include "engine/match/matcher.h"

#include <algorithm>

namespace claimmap {

bool MatchResult::is_indeterminate(const CompiledMapping& m) const {
  return std::find(indeterminate_claims.begin(), indeterminate_claims.end(), m.claim_index) !=
         indeterminate_claims.end();
}

namespace {

void add_grants(const DelimiterTable& table, std::string_view value, std::vector<MappedPair>* matched,
                uint64_t hash) {
  const DelimiterTable::Range* range = table.values.find(value, hash);
  if (range == nullptr) return;
  const auto* first = table.grants.data() + range->begin;
  matched->insert(matched->end(), first, first + range->count);
}

// Sorts (group, mapping) pairs as one 64-bit key each: a token that maps
// many groups sorts its pairs far faster than by comparing two fields.
void sort_pairs(std::vector<MappedPair>& pairs) {
  if (pairs.size() < 2 || std::is_sorted(pairs.begin(), pairs.end())) return;
  thread_local std::vector<uint64_t> keys;
  keys.resize(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    keys[i] = uint64_t{index_of(pairs[i].group)} << 32 | index_of(pairs[i].mapping);
  }
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0; i < pairs.size(); ++i) {
    pairs[i] = {GroupId{static_cast<uint32_t>(keys[i] >> 32)}, MappingId{static_cast<uint32_t>(keys[i])}};
  }
}

bool named_in_claim_names(const ClaimCaptures& claims, std::string_view name) {
  return std::find(claims.claim_names.begin(), claims.claim_names.end(), name) != claims.claim_names.end();
}

}  // namespace

void match_login(const CompiledConfig& config, const ParsedEvent& event, MatchResult* out) {
  out->matched.clear();
  out->indeterminate_claims.clear();
  out->overage.clear();
  const ClaimCaptures& claims = *event.claims;
  const CompiledProvider& provider = config.provider(event.provider);

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
      for (const auto& key : out->keys) add_grants(table, key.text, &out->matched, key.hash);
    }
  }
  sort_pairs(out->matched);
  out->matched.erase(std::unique(out->matched.begin(), out->matched.end()), out->matched.end());
  std::sort(out->overage.begin(), out->overage.end());
  out->overage.erase(std::unique(out->overage.begin(), out->overage.end()), out->overage.end());
}

}  // namespace claimmap
