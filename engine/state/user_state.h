// One user's state (docs/spec.md §9): mapped memberships with provenance, manual
// memberships, direct roles, the highest iat applied, and suspension. All
// vectors are kept sorted (ids sort like names, engine/common/ids.h).
#pragma once

#include <vector>

#include "engine/config/compiled_config.h"
#include "engine/common/ids.h"

namespace claimmap {

struct UserState {
  std::vector<MappedPair> mapped;
  std::vector<GroupId> manual;
  std::vector<RoleId> direct_roles;
  double last_iat = 0;
  bool has_iat = false;
  bool suspended = false;
};

// Effective groups (mapped ∪ manual) and roles (their roles ∪ direct roles),
// sorted and unique; both empty while the user is suspended (docs/spec.md §1, §6).
void effective_groups(const UserState& user, std::vector<GroupId>* out);
void effective_roles(const CompiledConfig& config, const UserState& user, const std::vector<GroupId>& groups,
                     std::vector<RoleId>* out);

// Elements of sorted `after` missing from sorted `before` go to `added`, and
// the reverse to `removed`.
template <typename T>
void diff_sorted(const std::vector<T>& before, const std::vector<T>& after, std::vector<T>* added,
                 std::vector<T>* removed) {
  added->clear();
  removed->clear();
  size_t i = 0, j = 0;
  while (i < before.size() || j < after.size()) {
    if (j == after.size() || (i < before.size() && before[i] < after[j])) {
      removed->push_back(before[i++]);
    } else if (i == before.size() || after[j] < before[i]) {
      added->push_back(after[j++]);
    } else {
      ++i;
      ++j;
    }
  }
}

// Inserts into / erases from a sorted vector; returns whether it changed.
template <typename T>
bool insert_sorted(std::vector<T>& v, T value) {
  auto it = std::lower_bound(v.begin(), v.end(), value);
  if (it != v.end() && *it == value) return false;
  v.insert(it, value);
  return true;
}
template <typename T>
bool erase_sorted(std::vector<T>& v, T value) {
  auto it = std::lower_bound(v.begin(), v.end(), value);
  if (it == v.end() || !(*it == value)) return false;
  v.erase(it);
  return true;
}

}  // namespace claimmap
