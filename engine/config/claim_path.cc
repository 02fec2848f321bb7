#include "engine/config/claim_path.h"

namespace claimmap {

std::optional<ClaimPath> parse_claim_path(std::string_view claim) {
  ClaimPath path;
  if (claim.empty() || claim.front() != '/') {
    path.tokens.emplace_back(claim);
    return path;
  }
  path.is_pointer = true;
  std::string token;
  for (size_t i = 1; i <= claim.size(); ++i) {
    if (i == claim.size() || claim[i] == '/') {
      path.tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    if (claim[i] != '~') {
      token.push_back(claim[i]);
      continue;
    }
    // RFC 6901 §3: "~0" is "~" and "~1" is "/"; any other "~" is an error.
    if (i + 1 >= claim.size() || (claim[i + 1] != '0' && claim[i + 1] != '1')) return std::nullopt;
    token.push_back(claim[i + 1] == '0' ? '~' : '/');
    ++i;
  }
  return path;
}

}  // namespace claimmap
