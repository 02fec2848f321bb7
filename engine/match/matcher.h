// Evaluates one login's captured claims against its provider's active mappings
// (docs/spec.md §4): which (group, mapping) pairs match, and which claims are
// indeterminate because the IdP left them out for size (overage).
//
// Stateless: reads only the compiled config and the parsed event. A MatchResult
// is scratch owned by the calling thread and reused from login to login.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/config/compiled_config.h"
#include "engine/parse/event_parser.h"

namespace claimmap {

// A match's results where they are kept: a MatchResult, or a block's
// PreparedBatch (engine/stream/prepared_batch.h), which the stream applies
// without copying them out again. Valid while what it views is unchanged.
struct MatchView {
  std::span<const MappedPair> matched;             // sorted, unique
  std::span<const uint32_t> indeterminate_claims;  // indexes into the provider's claims
  std::span<const std::string_view> overage;       // claim names, sorted, unique
  int32_t denied_rule = -1;  // the first login requirement not met (docs/spec.md §16); -1: none
  // With MatchResult::want_values: every matched pair with each value that
  // matched it, sorted (docs/spec.md §17); empty otherwise.
  std::span<const ValuedPair> values;

  bool is_indeterminate(const CompiledMapping& m) const;
};

struct MatchResult {
  std::vector<MappedPair> matched;             // sorted, unique
  std::vector<uint32_t> indeterminate_claims;  // indexes into the provider's claims
  std::vector<std::string_view> overage;       // claim names, sorted, unique
  int32_t denied_rule = -1;  // the first login requirement not met; -1: none (then nothing was matched)
  // Set by the caller to have `values` filled (`--explain`): the values view
  // the event's claims. Off, the match costs what it did without it.
  bool want_values = false;
  std::vector<ValuedPair> values;  // sorted, unique

  // Scratch: the values being looked up, with their hashes.
  struct Key {
    std::string_view text;
    uint64_t hash;
  };
  std::vector<Key> keys;
  std::vector<DelimiterTable::Range> found;  // the grants of the keys found
  std::vector<int> set_hits;                 // a pattern set's hits
  std::vector<uint32_t> rule_hits;           // a pattern table's rules hit
  std::string group_name;                    // a template's group id

  MatchView view() const { return {matched, indeterminate_claims, overage, denied_rule, values}; }
};

// Checks the provider's login requirements first (docs/spec.md §16): a login
// that fails one gets denied_rule and no matches.
void match_login(const CompiledConfig& config, const ParsedEvent& event, MatchResult* out);

// Calls f(part) for each part of `candidate` split on `delimiter`, trimmed of
// ASCII space and tab, empty parts dropped (docs/spec.md §4 step 3).
template <typename F>
void for_each_part(std::string_view candidate, std::string_view delimiter, F&& f) {
  size_t start = 0;
  for (;;) {
    const size_t end = candidate.find(delimiter, start);
    std::string_view part = candidate.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
    if (!part.empty()) f(part);
    if (end == std::string_view::npos) return;
    start = end + delimiter.size();
  }
}

}  // namespace claimmap
