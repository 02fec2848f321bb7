// Every user's state (docs/spec.md §9), sharded by a hash of (provider, subject) so
// that events of different users apply in parallel while each user's events
// apply one at a time: with_user() holds the user's shard lock while the
// caller reads and changes that user through a UserHandle.
//
// Compact by design (≤ 100 bytes a user at 5 memberships): a shard is
// an open-addressing table of 8-byte slots, each a pointer to the user's
// record with 16 bits of its hash in the pointer's unused top bits; a record
// is one block from the shard's BlobArena holding a 20-byte header, the
// mapped pairs, manual groups, direct roles and the subject's bytes — a
// GUID subject as its 16 bytes, not its 36 characters. Callers
// work on a decoded UserState (their own scratch, reused) and save it back.
//
// A shard also records the config version (epoch) its records' ids belong to:
// a reload converts shards one at a time, and whoever locks a shard first
// after a reload (the reload itself or an event) converts it
// (engine/reload/, engine/api/engine_impl.h).
//
// Thread-safe: any number of threads may call any method at once.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/state/blob_arena.h"
#include "engine/common/ids.h"
#include "engine/state/user_state.h"

namespace claimmap {

struct UserKey {
  ProviderKey provider;
  std::string subject;
};

struct PackedRecord;  // a user as the store packs it (engine/state/user_store.cc); not claimmap::UserRecord

// A shard's users: the table and the memory of the records. Held by pointer
// so that a whole state can be swapped in at once (UserStore::replace_all).
struct ShardTable {
  std::vector<uint64_t> slots;  // 0 empty, 1 deleted, else tag << 48 | record address
  size_t live = 0;
  size_t deleted = 0;
  BlobArena arena;
};

// One shard: its lock, its table and the config epoch of its records' ids.
struct UserShard {
  std::mutex mutex;
  std::unique_ptr<ShardTable> table = std::make_unique<ShardTable>();
  uint64_t config_epoch = 0;  // guarded by mutex
  size_t index = 0;           // in the store
  // The table's slots' address and size for prefetching without the lock:
  // written under the lock whenever they change. A reader may see a stale or
  // mismatched pair; that only wastes its prefetch, which never faults.
  std::atomic<const uint64_t*> slots_hint{nullptr};
  std::atomic<size_t> capacity_hint{0};
};

class UserHandle;

// A subject as a record keeps it (engine/state/user_store.cc): a GUID in
// canonical text (36 characters, one case) as its 16 bytes and the case to
// spell it in, any other subject as written. Made once a UserHandle, so
// that a login's lookup, save and insert share one encoding. `text` is the
// caller's, viewed.
struct StoredSubject {
  explicit StoredSubject(std::string_view subject);
  const char* data() const { return form == 0 ? text.data() : packed; }

  std::string_view text;
  uint8_t form = 0;  // 0 as written, 1 a lowercase GUID, 2 an uppercase one
  uint32_t size = 0;  // of the stored form
  char packed[16];
};

// A shard whose lock the caller holds: the config epoch of its records and a
// walk over its users. Valid only inside UserStore::with_shard() or the
// with_user() call whose handle gave it.
class LockedShard {
 public:
  uint64_t config_epoch() const { return shard_.config_epoch; }
  void set_config_epoch(uint64_t epoch) { shard_.config_epoch = epoch; }
  size_t size() const { return shard_.table->live; }
  size_t index() const { return shard_.index; }

  // Calls f(ProviderKey, std::string_view subject, UserHandle&) for every
  // user. f may load, save or erase that user through the handle (and only
  // that user); the subject view stays valid during the call.
  template <typename F>
  void for_each_user(F&& f);

 private:
  friend class UserStore;
  friend class UserHandle;
  explicit LockedShard(UserShard& shard) : shard_(shard) {}
  UserShard& shard_;
  std::string subject_;  // the current user's subject, copied out of its record
};

// A user's place in the store, valid only inside with_user().
class UserHandle {
 public:
  bool exists() const { return record_ != nullptr; }
  // The user's state, into caller-owned scratch. Requires exists().
  void load(UserState* out) const;
  // Creates the user, or replaces its state (in place when the sizes allow).
  void save(const UserState& state);

  // A login reads and changes only the mapped set and the iat: these work on
  // the record in place, without decoding the user into a UserState and
  // encoding it back (a user of 200 memberships is 1.6 KB each way).
  // view() requires exists(); the view is valid until the next save or erase.
  struct View {
    std::span<const MappedPair> mapped;
    std::span<const GroupId> manual;
    std::span<const RoleId> direct_roles;
    double last_iat = 0;
    bool has_iat = false;
    bool suspended = false;
  };
  View view() const;
  // Replaces the mapped set (when `mapped` is not null; it must not view the
  // record) and the iat, keeping the rest. Requires exists().
  void save_login(const std::span<const MappedPair>* mapped, bool has_iat, double last_iat);
  // Forgets the user. Requires exists().
  void erase();

  // The user's shard, locked (for converting it to a new config version).
  // Anything done to the shard may move records: call refresh() after.
  LockedShard shard() { return LockedShard(shard_); }
  void refresh();

 private:
  friend class UserStore;
  friend class LockedShard;
  UserHandle(UserShard& shard, uint64_t hash, ProviderKey provider, std::string_view subject);
  // Puts `next` (written, another block) in the user's slot: the old record
  // is freed, or the user is inserted.
  void replace_record(PackedRecord* next);

  UserShard& shard_;
  uint64_t hash_;
  ProviderKey provider_;
  StoredSubject subject_;
  size_t slot_ = 0;
  PackedRecord* record_ = nullptr;
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
  decltype(auto) with_user(ProviderKey provider, std::string_view subject, F&& f) {
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
  void prefetch_slot(ProviderKey provider, std::string_view subject) const;
  void prefetch_record(ProviderKey provider, std::string_view subject);

  // Calls f(LockedShard&) with shard `index` (< kShardCount) locked. (A
  // const store may be walked too: the lock is the shard's, not the store's.)
  template <typename F>
  decltype(auto) with_shard(size_t index, F&& f) const {
    UserShard& shard = *shards_[index];
    std::lock_guard<std::mutex> lock(shard.mutex);
    LockedShard locked(shard);
    return f(locked);
  }

  // Replaces every shard's users with `staged`'s at once, under all shard
  // locks (taken in order), and sets every shard's config epoch: a caller
  // running meanwhile sees the old users or the new ones, never a mix.
  // `staged` is left with the old users. Its provider keys must be this
  // store's (staged users are keyed with provider_key() of this store).
  void replace_all(UserStore& staged, uint64_t config_epoch);

  // The store's key for a provider id (interned on first use), and back.
  ProviderKey provider_key(std::string_view provider_id);
  std::string provider_name(ProviderKey key) const;
  // The key of a provider the store has seen, without interning a new one.
  bool find_provider_key(std::string_view provider_id, ProviderKey* key) const;

  size_t size() const;
  // Sizes every shard's table for `users` users in all (spread evenly, as
  // the hash spreads them), so that loading a known number of users grows
  // no table on the way. Only grows; changes nothing a caller can observe.
  void reserve(size_t users);
  // Bytes held for users: tables, record pages and large records.
  size_t memory_bytes() const;
  // A copy of every user, sorted by provider then subject (for export).
  std::vector<std::pair<UserKey, UserState>> sorted_users() const;
  void clear();

  static uint64_t user_hash(ProviderKey provider, std::string_view subject);

 private:
  std::array<std::unique_ptr<UserShard>, kShardCount> shards_;
  mutable std::mutex providers_mutex_;
  std::vector<std::string> provider_names_;  // index = ProviderKey
};

// Internal to for_each_user: the record behind a slot, its key.
// The subject is spelled into `subject` (a GUID is stored as 16 bytes).
bool slot_user(uint64_t slot, ProviderKey* provider, std::string* subject);

template <typename F>
void LockedShard::for_each_user(F&& f) {
  ShardTable& table = *shard_.table;
  for (size_t i = 0; i < table.slots.size(); ++i) {
    ProviderKey provider;
    if (!slot_user(table.slots[i], &provider, &subject_)) continue;
    UserHandle handle(shard_, UserStore::user_hash(provider, subject_), provider, subject_);
    f(provider, std::string_view(subject_), handle);
  }
}

}  // namespace claimmap
