// How a mapping names its claim (docs/spec.md §2): a claim that starts with "/" is a
// JSON Pointer (RFC 6901) into nested claims, any other is one top-level member
// name taken literally ("https://example.com/roles" is one name).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace claimmap {

struct ClaimPath {
  std::vector<std::string> tokens;  // unescaped; tokens[0] is the top-level name
  bool is_pointer = false;
};

// nullopt when `claim` is a pointer with a bad escape ("~" not followed by 0 or 1).
std::optional<ClaimPath> parse_claim_path(std::string_view claim);

}  // namespace claimmap
