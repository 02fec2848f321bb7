// A mapping's `group` that names the group from the matched value
// (docs/spec.md §16): "{value}" is the candidate (or part) that matched,
// "{1}".."{9}" a regex's capture groups; the text around them is kept
// ("app-{1}"). Any other brace is literal text.
//
// A plain value type: parsed once when the config is compiled, then read by
// every thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace claimmap {

class GroupTemplate {
 public:
  // The template of `group`, or one with is_template() false when `group`
  // holds no placeholder (a fixed group id).
  static GroupTemplate parse(std::string_view group);

  bool is_template() const { return !parts_.empty(); }
  // The highest {N} used, 0 when none: a regex needs at least that many groups.
  int max_capture() const { return max_capture_; }
  // The group id for a match: `captures[i]` is capture group i+1 (an unset
  // group is empty). Replaces `*out`.
  void render(std::string_view value, std::span<const std::string_view> captures, std::string* out) const;

 private:
  struct Part {
    std::string literal;  // before the placeholder
    int8_t slot;          // -1: none (the tail), 0: {value}, 1..9: {N}
  };
  std::vector<Part> parts_;
  int max_capture_ = 0;
};

}  // namespace claimmap
