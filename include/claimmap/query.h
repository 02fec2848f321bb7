// claimmap/query.h — who has access to a role, an app or a group, and how
// (docs/spec.md §7 who-has). Engine::who_has answers it.
//
// Plain values owned by the caller.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace claimmap {

struct AccessQuery {
  enum class Kind { kRole, kApp, kGroup };
  Kind kind = Kind::kRole;
  std::string name;  // role id, app name or group id
};

// One way a user holds a role (or, for a group query, the group itself):
// through a group — mapped by these mappings and/or assigned by hand — or
// as a direct grant.
struct AccessPath {
  std::string group;                // empty for a direct grant
  std::vector<std::string> mapped;  // mapping ids, sorted
  bool manual = false;
  bool direct = false;
};

struct AccessHolder {
  std::string provider, subject;
  std::string role;  // role queries and app queries: the role held
  // Role and app queries: every path, sorted by group, a direct grant last.
  // Group queries: one path, the group's.
  std::vector<AccessPath> via;
};

// Appends one NDJSON line (newline included) in the shape of docs/spec.md §7.
void append_ndjson(const AccessHolder& holder, AccessQuery::Kind kind, std::string* out);

}  // namespace claimmap
