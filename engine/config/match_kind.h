// How a mapping's (or a login requirement's) value is compared with a claim's
// candidates (docs/spec.md §16). Exact is §4's rule; the others are patterns.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace claimmap {

enum class MatchKind : uint8_t { kExact, kPrefix, kGlob, kRegex };
inline constexpr int kMatchKindCount = 4;

inline std::string_view match_kind_name(MatchKind k) {
  switch (k) {
    case MatchKind::kExact: return "exact";
    case MatchKind::kPrefix: return "prefix";
    case MatchKind::kGlob: return "glob";
    case MatchKind::kRegex: return "regex";
  }
  return "exact";
}

inline std::optional<MatchKind> parse_match_kind(std::string_view s) {
  if (s == "exact") return MatchKind::kExact;
  if (s == "prefix") return MatchKind::kPrefix;
  if (s == "glob") return MatchKind::kGlob;
  if (s == "regex") return MatchKind::kRegex;
  return std::nullopt;
}

}  // namespace claimmap
