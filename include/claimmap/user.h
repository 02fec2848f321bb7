// claimmap/user.h — one user's record as the engine holds it now: what
// `GET /v1/users/{provider}/{subject}` and the SCIM User resource show.
//
// A plain value, copied out of the engine: reading it holds no lock.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace claimmap {

struct UserRecord {
  std::string provider, subject;
  // Mapped memberships with provenance: group → the mappings that matched
  // it, both sorted bytewise.
  std::vector<std::pair<std::string, std::vector<std::string>>> mapped;
  std::vector<std::string> manual;        // manual memberships, sorted
  std::vector<std::string> direct_roles;  // sorted
  bool has_iat = false;
  double last_iat = 0;
  bool suspended = false;
  // Effective groups (mapped ∪ manual) and roles, sorted; empty while the
  // user is suspended (docs/spec.md §6).
  std::vector<std::string> effective_groups, effective_roles;

  // The user's state line (docs/spec.md §9), newline included: the same
  // bytes as the user's line of Engine::export_state().
  std::string to_state_line() const;
};

}  // namespace claimmap
