// Every user's state (SPEC §9), sharded by a hash of (provider, subject) so
// that events of different users apply in parallel while each user's events
// apply one at a time: with_user() holds the user's shard lock while the
// caller reads and changes that user through a UserHandle.
//
// Compact by design (issue 5: ≤ 128 bytes a user at 5 memberships): a shard is
// an open-addressing table of 8-byte slots, each a pointer to the user's
// record with 16 bits of its hash in the pointer's unused top bits; a record
// is one block from the shard's BlobArena holding a 20-byte header, the
// mapped pairs, manual groups, direct roles and the subject's bytes. Callers
// work on a decoded UserState (their own scratch, reused) and save it back.
//
// Thread-safe: any number of threads may call any method at once.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/state/blob_arena.h"
#include "engine/common/ids.h"
#include "engine/state/user_state.h"

namespace claimmap {

struct UserKey {
  ProviderId provider;
  std::string subject;
};

struct UserRecord;  // engine/state/user_store.cc

// One shard: its lock, its table and the memory of its records.
struct UserShard {
  std::mutex mutex;
  std::vector<uint64_t> slots;  // 0 empty, 1 deleted, else tag << 48 | record address
  size_t live = 0;
  size_t deleted = 0;
  BlobArena arena;
  // `slots`' address and size for prefetching without the lock: written under
  // the lock whenever `slots` is replaced. A reader may see a stale or
  // mismatched pair; that only wastes its prefetch, which never faults.
  std::atomic<const uint64_t*> slots_hint{nullptr};
  std::atomic<size_t> capacity_hint{0};
};

// A user's place in the store, valid only inside with_user().
class UserHandle {
 public:
  bool exists() const { return record_ != nullptr; }
  // The user's state, into caller-owned scratch. Requires exists().
  void load(UserState* out) const;
  // Creates the user, or replaces its state (in place when the sizes allow).
  void save(const UserState& state);
  // Forgets the user. Requires exists().
  void erase();

 private:
  friend class UserStore;
  UserHandle(UserShard& shard, uint64_t hash, ProviderId provider, std::string_view subject);

  UserShard& shard_;
  uint64_t hash_;
  ProviderId provider_;
  std::string_view subject_;
  size_t slot_ = 0;
  UserRecord* record_ = nullptr;
};

class UserStore {
 public:
  static constexpr size_t kShardCount = 64;

  UserStore();
  ~UserStore();
  UserStore(const UserStore&) = delete;
  UserStore& operator=(const UserStore&) = delete;

  // Calls f(UserHandle&) with the user's shard locked, and returns its result.
  template <typename F>
  decltype(auto) with_user(ProviderId provider, std::string_view subject, F&& f) {
    const uint64_t hash = user_hash(provider, subject);
    UserShard& shard = *shards_[hash % kShardCount];
    std::lock_guard<std::mutex> lock(shard.mutex);
    UserHandle handle(shard, hash, provider, subject);
    return f(handle);
  }

  // Hints for a caller that knows its next users ahead of time (the stream
  // pipeline): each starts a cache miss early so that it overlaps other work.
  // prefetch_slot() is lock-free; prefetch_record() takes the shard lock
  // briefly and is best after the slot's prefetch has had time to land.
  // Neither changes anything a caller can observe.
  void prefetch_slot(ProviderId provider, std::string_view subject) const;
  void prefetch_record(ProviderId provider, std::string_view subject);

  size_t size() const;
  // Bytes held for users: tables, record pages and large records.
  size_t memory_bytes() const;
  // A copy of every user, sorted by provider then subject (for export).
  std::vector<std::pair<UserKey, UserState>> sorted_users() const;
  void clear();

  static uint64_t user_hash(ProviderId provider, std::string_view subject);

 private:
  std::array<std::unique_ptr<UserShard>, kShardCount> shards_;
};

}  // namespace claimmap
