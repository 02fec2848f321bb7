// The mappings of one (provider, claim, delimiter) that are not a plain exact
// value naming a fixed group (docs/spec.md §16): prefix, glob and regex
// patterns, and templates that name the group from the value.
//
// Compiled, not scanned: exact template values are in a hash table, prefixes
// in a hash table probed once per distinct prefix length, and globs and
// regexes in RE2::Sets bucketed by their literal head, found the same way
// (docs/matching.md says why RE2 and not Hyperscan, with figures). A
// candidate goes through each structure once, and only through the sets
// whose head it starts with, so a login's cost does not grow with the number
// of patterns; only the patterns that hit are run again, and only when a
// template reads their capture groups.
//
// Immutable once built; any number of threads may call hits() at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>
#include <re2/set.h>

#include "engine/common/flat_string_map.h"
#include "engine/common/ids.h"
#include "engine/config/match_kind.h"
#include "engine/match/group_template.h"

namespace claimmap {

class PatternTable {
 public:
  // One mapping of the table.
  struct Rule {
    MappingId mapping{};
    GroupId group{};             // when the group is fixed (no template)
    GroupTemplate group_template;  // when is_template()
    // A regex whose capture groups the template reads; null otherwise.
    std::shared_ptr<const re2::RE2> captures;
  };
  struct Entry {
    MatchKind kind = MatchKind::kExact;
    std::string value;  // the value, prefix, glob, or RE2 pattern as written
    Rule rule;
  };

  PatternTable();
  ~PatternTable();
  PatternTable(PatternTable&&) noexcept;
  PatternTable& operator=(PatternTable&&) noexcept;

  // Compiles the entries. Their patterns were checked when the config was
  // validated; false (with *error) only if RE2 cannot build the set.
  bool build(std::vector<Entry> entries, std::string* error);

  bool empty() const { return rules_.empty(); }
  const std::vector<Rule>& rules() const { return rules_; }

  // Appends to *hits the index (into rules()) of every rule `candidate`
  // matches, in no particular order. `set_scratch` is the caller's.
  void hits(std::string_view candidate, std::vector<int>* set_scratch, std::vector<uint32_t>* hits) const;

  size_t memory_bytes() const;

 private:
  struct Range {
    uint32_t begin, count;  // into rule_list_
  };
  std::vector<Rule> rules_;
  std::vector<uint32_t> rule_list_;
  FlatStringMap<Range> exact_;
  FlatStringMap<Range> prefixes_;
  std::vector<uint32_t> prefix_lengths_;  // distinct, ascending
  // Globs and regexes, one RE2::Set per literal head (the text all of a
  // pattern's matches start with); patterns without one share one bucket.
  struct SetBucket {
    std::unique_ptr<re2::RE2::Set> set;
    std::vector<Range> rules;           // by the set's pattern index
    std::vector<std::string> patterns;  // by the set's pattern index: the fallback's
  };
  void match_bucket(const SetBucket& bucket, std::string_view candidate, std::vector<int>* set_scratch,
                    std::vector<uint32_t>* hits) const;
  std::vector<SetBucket> buckets_;
  FlatStringMap<uint32_t> bucket_by_head_;
  std::vector<uint32_t> bucket_lengths_;  // distinct head lengths, ascending
  uint32_t unkeyed_bucket_ = kNoIndex;
  // The first two bytes of every prefix and head (and the first byte of
  // one-byte ones): a value that starts like none of them skips every probe
  // — most of a token's values, which no pattern is about.
  std::vector<uint64_t> lead2_;  // 65,536 bits once a key of two bytes or more is added
  uint64_t lead1_[4] = {0, 0, 0, 0};
  void add_lead(std::string_view key);
  bool may_start(std::string_view candidate) const;
  size_t pattern_bytes_ = 0;
};

// A mapping's regex as RE2 compiles it for matching and captures: UTF-8,
// errors as values (never logged). Null with *error set (RE2's message).
std::shared_ptr<const re2::RE2> compile_claim_regex(std::string_view pattern, std::string* error);

}  // namespace claimmap
