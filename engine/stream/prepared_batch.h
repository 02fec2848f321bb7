// The stateless half of processing a block of lines: each line parsed and,
// for a login, matched (docs/spec.md §3, §4), kept in flat arrays so that the
// stateful half (sync, in input order) can run later on another thread.
// Everything a line's result needs is copied out of the parser's scratch,
// which the next parse overwrites.
//
// Not thread-safe: one thread fills a batch, then one thread reads it. Reused
// from block to block, so the steady state allocates nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/compiled_config.h"
#include "engine/parse/event_parser.h"
#include "engine/match/matcher.h"

namespace claimmap {

class PreparedBatch {
 public:
  void clear();
  size_t size() const { return lines_.size(); }

  // Records a parsed event and, for an ok login, its match (and the match's
  // values, when it has them: `--explain`, copied, not the token).
  void add(uint64_t seq, const ParsedEvent& event, const MatchResult& match);
  // After the last add(): the values' views are set to their copies, which
  // no longer move. Before it, match(i).values is not valid.
  void seal();

  uint64_t seq(size_t i) const { return lines_[i].seq; }
  // Line i's user, when it is an event that will reach the user store.
  bool user_of(size_t i, ProviderId* provider, std::string_view* subject) const {
    const Line& line = lines_[i];
    if (line.error != ErrorCode::kOk) return false;
    *provider = line.provider;
    *subject = std::string_view(text_.data() + line.subject.begin, line.subject.end - line.subject.begin);
    return true;
  }
  // Rebuilds line i's event; its views point into this batch.
  void restore(size_t i, ParsedEvent* event) const;
  // Line i's match (empty unless an ok login), viewed in this batch.
  MatchView match(size_t i) const {
    const Line& line = lines_[i];
    return {std::span<const MappedPair>(matched_.data() + line.matched.begin, matched_.data() + line.matched.end),
            std::span<const uint32_t>(indeterminate_.data() + line.indeterminate.begin,
                                      indeterminate_.data() + line.indeterminate.end),
            std::span<const std::string_view>(overage_.data() + line.overage.begin, overage_.data() + line.overage.end),
            line.denied_rule,
            std::span<const ValuedPair>(values_.data() + line.values.begin, values_.data() + line.values.end)};
  }

 private:
  struct Range {
    uint32_t begin = 0, end = 0;
  };
  struct Line {
    uint64_t seq;
    ErrorCode error;
    bool kind_known, provider_known, subject_known, has_iat;
    EventKind kind;
    ProviderId provider;
    GroupId group;
    RoleId role;
    double iat;
    Range subject, message;  // into text_
    Range matched, indeterminate, overage, values;
    int32_t denied_rule;  // docs/spec.md §16; -1: none
  };
  Range add_text(std::string_view s);

  std::vector<Line> lines_;
  std::string text_;
  std::vector<MappedPair> matched_;
  std::vector<uint32_t> indeterminate_;
  std::vector<std::string_view> overage_;  // views into the compiled config
  // `--explain`: matched values; their text is in value_text_ at
  // value_at_, and their views are set by seal().
  std::vector<ValuedPair> values_;
  std::vector<Range> value_at_;
  std::string value_text_;
};

}  // namespace claimmap
