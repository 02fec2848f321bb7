#include "engine/state/user_state.h"

#include <algorithm>

namespace claimmap {

void effective_groups(const UserState& user, std::vector<GroupId>* out) {
  out->clear();
  if (user.suspended) return;
  // mapped is sorted by group, so its groups come out sorted; merge with manual.
  size_t m = 0, n = 0;
  while (m < user.mapped.size() || n < user.manual.size()) {
    GroupId next;
    if (n == user.manual.size() || (m < user.mapped.size() && user.mapped[m].group < user.manual[n])) {
      next = user.mapped[m++].group;
    } else {
      next = user.manual[n++];
    }
    if (out->empty() || out->back() != next) out->push_back(next);
  }
}

void effective_roles(const CompiledConfig& config, const UserState& user, const std::vector<GroupId>& groups,
                     std::vector<RoleId>* out) {
  out->clear();
  if (user.suspended) return;
  for (GroupId g : groups) {
    const auto& roles = config.group(g).roles;
    out->insert(out->end(), roles.begin(), roles.end());
  }
  out->insert(out->end(), user.direct_roles.begin(), user.direct_roles.end());
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

}  // namespace claimmap
