// server/scim/scim_filter.h — the part of the SCIM filter grammar (RFC 7644
// §3.4.2.2) that ClaimMap answers exactly: equality terms joined by "and",
//
//   userName eq "alice@example.com"
//   id eq "marketing" and members eq "u1"
//
// Everything else the RFC allows (ne, co, sw, ew, pr, gt, ge, lt, le, "or",
// "not", parentheses, value paths in brackets, non-string values) is refused
// with a reason, so that a caller gets 400 invalidFilter and never a list
// that silently ignored part of its filter.
//
// Pure functions; no state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace claimmap::server::scim {

// One `attribute eq "value"` term. `attribute` is lower-cased (names are
// case-insensitive, RFC 7643 §2.1) with the core schema's URN prefix removed
// ("urn:ietf:params:scim:schemas:core:2.0:User:userName" → "username").
struct FilterTerm {
  std::string attribute;
  std::string value;  // the JSON string literal, unescaped
};

// Parses `filter` into its terms, all of which must hold. False, with a
// sentence in `*why`, for anything outside the subset above.
bool parse_filter(std::string_view filter, std::vector<FilterTerm>* terms, std::string* why);

// Lower-cases `name` and strips a leading core User or Group schema URN and
// its ':' (RFC 7644 §3.10: a fully qualified attribute name). A name under
// any other URN (an extension) is returned lower-cased, URN included.
std::string normalise_attribute(std::string_view name);

}  // namespace claimmap::server::scim
