#include "engine/user_store.h"

#include <algorithm>

namespace claimmap {

size_t UserStore::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    n += shard.users.size();
  }
  return n;
}

std::vector<std::pair<UserKey, UserState>> UserStore::sorted_users() const {
  std::vector<std::pair<UserKey, UserState>> users;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    users.insert(users.end(), shard.users.begin(), shard.users.end());
  }
  std::sort(users.begin(), users.end(), [](const auto& a, const auto& b) {
    return a.first.provider != b.first.provider ? a.first.provider < b.first.provider
                                                : a.first.subject < b.first.subject;
  });
  return users;
}

void UserStore::clear() {
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    shard.users.clear();
  }
}

}  // namespace claimmap
