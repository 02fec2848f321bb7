// Every user's state, sharded by hash of (provider, subject) so that logins of
// different users can be applied in parallel while each user's events are
// applied one at a time: a caller holds the user's shard lock while it reads
// and changes that user.
//
// Thread-safe: any number of threads may call with_user() at once.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/ids.h"
#include "engine/user_state.h"

namespace claimmap {

struct UserKey {
  ProviderId provider;
  std::string subject;
};

struct UserKeyView {
  ProviderId provider;
  std::string_view subject;
};

struct UserKeyHash {
  using is_transparent = void;
  size_t operator()(const UserKeyView& k) const noexcept {
    return std::hash<std::string_view>{}(k.subject) * 31 + index_of(k.provider);
  }
  size_t operator()(const UserKey& k) const noexcept { return (*this)(UserKeyView{k.provider, k.subject}); }
};

struct UserKeyEq {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const noexcept {
    return a.provider == b.provider && std::string_view(a.subject) == std::string_view(b.subject);
  }
};

class UserStore {
 public:
  static constexpr size_t kShardCount = 64;
  using Map = std::unordered_map<UserKey, UserState, UserKeyHash, UserKeyEq>;

  // The shard that holds (provider, subject), locked for the duration of the call:
  // f(Map& users_of_that_shard).
  template <typename F>
  decltype(auto) with_shard(ProviderId provider, std::string_view subject, F&& f) {
    Shard& shard = shards_[UserKeyHash{}(UserKeyView{provider, subject}) % kShardCount];
    std::lock_guard<std::mutex> lock(shard.mutex);
    return f(shard.users);
  }

  size_t size() const;
  // A copy of every user, sorted by provider then subject (for export).
  std::vector<std::pair<UserKey, UserState>> sorted_users() const;
  void clear();

 private:
  struct Shard {
    mutable std::mutex mutex;
    Map users;
  };
  std::array<Shard, kShardCount> shards_;
};

}  // namespace claimmap
