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
        if (inserted) patterns.emplace_back(std::move(pattern), std::vector<uint32_t>{});
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
  for (const auto& [prefix, list] : prefixes) prefix_lengths_.push_back(static_cast<uint32_t>(prefix.size()));
  std::sort(prefix_lengths_.begin(), prefix_lengths_.end());
  prefix_lengths_.erase(std::unique(prefix_lengths_.begin(), prefix_lengths_.end()), prefix_lengths_.end());

  if (!patterns.empty()) {
    RE2::Options o = claim_options();
    o.set_max_mem(kSetMaxMemory);
    set_ = std::make_unique<RE2::Set>(o, RE2::ANCHOR_BOTH);
    for (auto& [pattern, list] : patterns) {
      std::string add_error;
      if (set_->Add(pattern, &add_error) < 0) {
        *error = "pattern " + pattern + ": " + add_error;
        return false;
      }
      set_rules_.push_back({static_cast<uint32_t>(rule_list_.size()), static_cast<uint32_t>(list.size())});
      set_patterns_.push_back(pattern);
      rule_list_.insert(rule_list_.end(), list.begin(), list.end());
    }
    if (!set_->Compile()) {
      *error = "the patterns need more than " + std::to_string(kSetMaxMemory >> 20) + " MiB to compile together";
      return false;
    }
  }
  return true;
}

void PatternTable::hits(std::string_view candidate, std::vector<int>* set_scratch,
                        std::vector<uint32_t>* hits) const {
  auto add = [&](const Range& r) {
    hits->insert(hits->end(), rule_list_.begin() + r.begin, rule_list_.begin() + r.begin + r.count);
  };
  if (const Range* r = exact_.find(candidate)) add(*r);
  for (uint32_t length : prefix_lengths_) {
    if (length > candidate.size()) break;
    if (const Range* r = prefixes_.find(candidate.substr(0, length))) add(*r);
  }
  if (set_ != nullptr) {
    set_scratch->clear();
    const re2::StringPiece text(candidate.data(), candidate.size());
    RE2::Set::ErrorInfo info{RE2::Set::kNoError};
    if (set_->Match(text, set_scratch, &info)) {
      for (int i : *set_scratch) add(set_rules_[static_cast<size_t>(i)]);
    } else if (info.kind != RE2::Set::kNoError) {
      // The set's DFA ran out of memory (not seen at kSetMaxMemory, but a
      // silent "no match" would revoke memberships): each pattern on its
      // own, slowly and exactly.
      for (size_t i = 0; i < set_patterns_.size(); ++i) {
        std::string error;
        auto re = compile_claim_regex(set_patterns_[i], &error);
        if (re != nullptr && RE2::FullMatch(text, *re)) add(set_rules_[i]);
      }
    }
  }
}

size_t PatternTable::memory_bytes() const {
  return rules_.capacity() * sizeof(Rule) + rule_list_.capacity() * sizeof(uint32_t) + exact_.memory_bytes() +
         prefixes_.memory_bytes() + set_rules_.capacity() * sizeof(Range) + pattern_bytes_;
}

}  // namespace claimmap
