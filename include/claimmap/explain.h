// claimmap/explain.h — why a user holds what it holds (docs/spec.md §17):
// every effective group with its provenance, every effective role with the
// sources that grant it. What `claimmap explain` prints and
// `GET /v1/users/{provider}/{subject}?explain=1` returns.
//
// A plain value, copied out of the engine (Engine::explain_user).
#pragma once

#include <string>
#include <vector>

namespace claimmap {

struct UserExplanation {
  std::string provider, subject;
  bool suspended = false;  // then groups and roles are empty (docs/spec.md §6)

  struct Group {
    std::string id;
    std::vector<std::string> mapped;  // the mappings that justify it, sorted
    bool manual = false;
  };
  struct Role {
    std::string id;
    std::vector<std::string> groups;  // the effective groups that grant it, sorted
    bool direct = false;
  };
  std::vector<Group> groups;  // sorted by id
  std::vector<Role> roles;    // sorted by id

  // One JSON object and a newline: {"provider": P, "subject": S, ["suspended":
  // true, ]"groups": {G: {"mapped": [...], "manual": true}}, "roles": {R:
  // {"groups": [...], "direct": true}}}; members empty or false left out.
  std::string to_json() const;
};

}  // namespace claimmap
