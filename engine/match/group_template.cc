#include "engine/match/group_template.h"

namespace claimmap {

GroupTemplate GroupTemplate::parse(std::string_view group) {
  // Most groups are plain ids: one scan for a brace, nothing allocated.
  if (group.find('{') == std::string_view::npos) return GroupTemplate{};
  GroupTemplate t;
  std::string literal;
  bool any = false;
  for (size_t i = 0; i < group.size();) {
    int slot = -1;
    size_t length = 0;
    if (group.compare(i, 7, "{value}") == 0) {
      slot = 0, length = 7;
    } else if (group[i] == '{' && i + 2 < group.size() && group[i + 1] >= '1' && group[i + 1] <= '9' &&
               group[i + 2] == '}') {
      slot = group[i + 1] - '0', length = 3;
    }
    if (slot < 0) {
      literal.push_back(group[i++]);
      continue;
    }
    any = true;
    t.parts_.push_back({std::move(literal), static_cast<int8_t>(slot)});
    literal.clear();
    t.max_capture_ = std::max(t.max_capture_, slot);
    i += length;
  }
  if (!any) return GroupTemplate{};
  t.parts_.push_back({std::move(literal), -1});
  return t;
}

void GroupTemplate::render(std::string_view value, std::span<const std::string_view> captures,
                           std::string* out) const {
  out->clear();
  for (const Part& p : parts_) {
    out->append(p.literal);
    if (p.slot == 0) {
      out->append(value);
    } else if (p.slot > 0 && static_cast<size_t>(p.slot) <= captures.size()) {
      out->append(captures[p.slot - 1]);
    }
  }
}

}  // namespace claimmap
