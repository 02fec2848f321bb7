#include "engine/match/pattern_table.h"

#include <algorithm>

#include <re2/re2.h>
#include <re2/set.h>

#include "engine/common/string_map.h"
#include "engine/match/glob.h"

namespace claimmap {
namespace {

// The DFA memory of one table's set. RE2's default (8 MiB) runs out on a
// few thousand patterns, and RE2::Set has no slower fallback: a Match that
// runs out fails. Under 24 MiB a set of 10,000 patterns does not compile,
// under 192 MiB it compiles but its DFA cache thrashes (each new value
// costs tens of microseconds); the budget is a ceiling, not an allocation
// (docs/matching.md has the measurements).
constexpr int64_t kSetMaxMemory = int64_t{256} << 20;

RE2::Options claim_options() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingUTF8);
  o.set_log_errors(false);
  return o;
}

// Literal heads are cut here: longer ones add probes, not selectivity.
constexpr size_t kMaxHead = 32;

// The text every full match of `pattern` starts with: the common prefix of
// the bounds RE2 gives for its matches (any match s has min <= s <= max,
// so s starts with what min and max share). Empty when RE2 cannot say.
std::string regex_head(const std::string& pattern) {
  RE2 re(pattern, claim_options());
  std::string min, max;
  if (!re.ok() || !re.PossibleMatchRange(&min, &max, static_cast<int>(kMaxHead))) return "";
  size_t n = 0;
  while (n < min.size() && n < max.size() && n < kMaxHead && min[n] == max[n]) ++n;
  return min.substr(0, n);
}

}  // namespace

std::shared_ptr<const re2::RE2> compile_claim_regex(std::string_view pattern, std::string* error) {
  auto re = std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), claim_options());
  if (!re->ok()) {
    *error = re->error();
    return nullptr;
  }
  return re;
}

PatternTable::PatternTable() = default;
PatternTable::~PatternTable() = default;
PatternTable::PatternTable(PatternTable&&) noexcept = default;
PatternTable& PatternTable::operator=(PatternTable&&) noexcept = default;

bool PatternTable::build(std::vector<Entry> entries, std::string* error) {
  // Each key (an exact value, a prefix, a set pattern) gathers its rules.
  StringMap<std::vector<uint32_t>> exact, prefixes;
  std::vector<std::pair<std::string, std::vector<uint32_t>>> patterns;
  std::vector<std::string> pattern_heads;  // by patterns' index: the literal text every match starts with
  StringMap<size_t> pattern_index;
  for (Entry& e : entries) {
    const auto rule = static_cast<uint32_t>(rules_.size());
    rules_.push_back(std::move(e.rule));
    pattern_bytes_ += e.value.size();
    switch (e.kind) {
      case MatchKind::kExact: exact[e.value].push_back(rule); break;
      case MatchKind::kPrefix: prefixes[e.value].push_back(rule); break;
      case MatchKind::kGlob:
      case MatchKind::kRegex: {
        std::string pattern;
        if (e.kind == MatchKind::kGlob) {
          auto regex = glob_to_regex(e.value, error);
          if (!regex) return false;
          pattern = std::move(*regex);
        } else {
          pattern = std::move(e.value);
        }
        auto [it, inserted] = pattern_index.emplace(pattern, patterns.size());
        if (inserted) {
          pattern_heads.push_back(e.kind == MatchKind::kGlob ? glob_literal_text(e.value).substr(0, kMaxHead)
                                                            : regex_head(pattern));
          patterns.emplace_back(std::move(pattern), std::vector<uint32_t>{});
        }
        patterns[it->second].second.push_back(rule);
        break;
      }
    }
  }
  auto lay_out = [&](StringMap<std::vector<uint32_t>>& keys, FlatStringMap<Range>* map) {
    std::vector<std::pair<std::string_view, Range>> built;
    for (auto& [key, list] : keys) {
      std::sort(list.begin(), list.end());
      built.emplace_back(key, Range{static_cast<uint32_t>(rule_list_.size()), static_cast<uint32_t>(list.size())});
      rule_list_.insert(rule_list_.end(), list.begin(), list.end());
    }
    map->build(built);
  };
  lay_out(exact, &exact_);
  lay_out(prefixes, &prefixes_);
  for (const auto& [prefix, list] : prefixes) {
    prefix_lengths_.push_back(static_cast<uint32_t>(prefix.size()));
    add_lead(prefix);
  }
  std::sort(prefix_lengths_.begin(), prefix_lengths_.end());
  prefix_lengths_.erase(std::unique(prefix_lengths_.begin(), prefix_lengths_.end()), prefix_lengths_.end());

  // Globs and regexes, bucketed by the literal text every match starts
  // with: a bucket's set is small, so its DFA is small and quick to build
  // for a value never seen, and a value runs only the buckets whose text it
  // starts with (docs/matching.md).
  StringMap<uint32_t> bucket_of;
  std::vector<std::vector<size_t>> members;  // by bucket: indexes into patterns
  for (size_t i = 0; i < patterns.size(); ++i) {
    auto [it, inserted] = bucket_of.emplace(pattern_heads[i], static_cast<uint32_t>(members.size()));
    if (inserted) members.emplace_back();
    members[it->second].push_back(i);
  }
  std::vector<std::pair<std::string_view, uint32_t>> keyed;
  for (const auto& [head, b] : bucket_of) {
    SetBucket& bucket = buckets_.emplace_back();
    // RE2's default for a small set; more, up to kSetMaxMemory, for a large
    // one. A budget sized for 10,000 patterns on each of 10,000 one-pattern
    // sets makes the config load ten times slower.
    RE2::Options o = claim_options();
    o.set_max_mem(std::clamp<int64_t>(int64_t{32768} * static_cast<int64_t>(members[b].size()),
                                      int64_t{8} << 20, kSetMaxMemory));
    bucket.set = std::make_unique<RE2::Set>(o, RE2::ANCHOR_BOTH);
    for (size_t i : members[b]) {
      auto& [pattern, list] = patterns[i];
      std::string add_error;
      if (bucket.set->Add(pattern, &add_error) < 0) {
        *error = "pattern " + pattern + ": " + add_error;
        return false;
      }
      bucket.rules.push_back({static_cast<uint32_t>(rule_list_.size()), static_cast<uint32_t>(list.size())});
      bucket.patterns.push_back(pattern);
      rule_list_.insert(rule_list_.end(), list.begin(), list.end());
    }
    if (!bucket.set->Compile()) {
      *error = "the patterns need more than " + std::to_string(kSetMaxMemory >> 20) + " MiB to compile together";
      return false;
    }
    if (head.empty()) {
      unkeyed_bucket_ = static_cast<uint32_t>(buckets_.size() - 1);
    } else {
      keyed.emplace_back(head, static_cast<uint32_t>(buckets_.size() - 1));
      add_lead(head);
      bucket_lengths_.push_back(static_cast<uint32_t>(head.size()));
    }
  }
  bucket_by_head_.build(keyed);
  std::sort(bucket_lengths_.begin(), bucket_lengths_.end());
  bucket_lengths_.erase(std::unique(bucket_lengths_.begin(), bucket_lengths_.end()), bucket_lengths_.end());
  return true;
}

void PatternTable::hits(std::string_view candidate, std::vector<int>* set_scratch,
                        std::vector<uint32_t>* hits) const {
  auto add = [&](const Range& r) {
    hits->insert(hits->end(), rule_list_.begin() + r.begin, rule_list_.begin() + r.begin + r.count);
  };
  if (const Range* r = exact_.find(candidate)) add(*r);
  if (unkeyed_bucket_ != kNoIndex) match_bucket(buckets_[unkeyed_bucket_], candidate, set_scratch, hits);
  if (!may_start(candidate)) return;
  for (uint32_t length : prefix_lengths_) {
    if (length > candidate.size()) break;
    if (const Range* r = prefixes_.find(candidate.substr(0, length))) add(*r);
  }
  for (uint32_t length : bucket_lengths_) {
    if (length > candidate.size()) break;
    if (const uint32_t* b = bucket_by_head_.find(candidate.substr(0, length))) {
      match_bucket(buckets_[*b], candidate, set_scratch, hits);
    }
  }
}

void PatternTable::add_lead(std::string_view key) {
  const auto b0 = static_cast<unsigned char>(key[0]);
  if (key.size() == 1) {
    lead1_[b0 / 64] |= uint64_t{1} << (b0 % 64);
    return;
  }
  const unsigned lead = b0 << 8 | static_cast<unsigned char>(key[1]);
  if (lead2_.empty()) lead2_.assign(1024, 0);
  lead2_[lead / 64] |= uint64_t{1} << (lead % 64);
}

bool PatternTable::may_start(std::string_view candidate) const {
  if (candidate.empty()) return false;  // every prefix and head is at least one byte
  const auto b0 = static_cast<unsigned char>(candidate[0]);
  if (lead1_[b0 / 64] >> (b0 % 64) & 1) return true;
  if (candidate.size() < 2 || lead2_.empty()) return false;
  const unsigned lead = b0 << 8 | static_cast<unsigned char>(candidate[1]);
  return lead2_[lead / 64] >> (lead % 64) & 1;
}

void PatternTable::match_bucket(const SetBucket& bucket, std::string_view candidate, std::vector<int>* set_scratch,
                                std::vector<uint32_t>* hits) const {
  auto add = [&](const Range& r) {
    hits->insert(hits->end(), rule_list_.begin() + r.begin, rule_list_.begin() + r.begin + r.count);
  };
  set_scratch->clear();
  const re2::StringPiece text(candidate.data(), candidate.size());
  RE2::Set::ErrorInfo info{RE2::Set::kNoError};
  if (bucket.set->Match(text, set_scratch, &info)) {
    for (int i : *set_scratch) add(bucket.rules[static_cast<size_t>(i)]);
  } else if (info.kind != RE2::Set::kNoError) {
    // The set's DFA ran out of memory (not seen at kSetMaxMemory, but a
    // silent "no match" would revoke memberships): each pattern on its
    // own, slowly and exactly.
    for (size_t i = 0; i < bucket.patterns.size(); ++i) {
      std::string error;
      auto re = compile_claim_regex(bucket.patterns[i], &error);
      if (re != nullptr && RE2::FullMatch(text, *re)) add(bucket.rules[i]);
    }
  }
}

size_t PatternTable::memory_bytes() const {
  return rules_.capacity() * sizeof(Rule) + rule_list_.capacity() * sizeof(uint32_t) + exact_.memory_bytes() +
         prefixes_.memory_bytes() + bucket_by_head_.memory_bytes() + buckets_.capacity() * sizeof(SetBucket) + 2 * pattern_bytes_;
}

}  // namespace claimmap
