#include "engine/user_store.h"

#include <algorithm>
#include <cstring>

#include "engine/hash.h"

namespace claimmap {

// The fixed part of a user's record; the variable part follows it in the
// same block: MappedPair[mapped], GroupId[manual], RoleId[direct], then the
// subject's bytes.
struct UserRecord {
  double last_iat;
  uint32_t subject_size;
  uint32_t mapped;
  uint32_t manual;
  uint32_t direct;
  uint32_t provider;
  uint8_t flags;

  static constexpr uint8_t kHasIat = 1, kSuspended = 2;

  static size_t bytes_for(size_t mapped, size_t manual, size_t direct, size_t subject) {
    return BlobArena::round_up(sizeof(UserRecord) + mapped * sizeof(MappedPair) +
                               (manual + direct) * sizeof(uint32_t) + subject);
  }
  size_t bytes() const { return bytes_for(mapped, manual, direct, subject_size); }
  MappedPair* mapped_data() { return reinterpret_cast<MappedPair*>(this + 1); }
  GroupId* manual_data() { return reinterpret_cast<GroupId*>(mapped_data() + mapped); }
  RoleId* direct_data() { return reinterpret_cast<RoleId*>(manual_data() + manual); }
  char* subject_data() { return reinterpret_cast<char*>(direct_data() + direct); }
  std::string_view subject() { return {subject_data(), subject_size}; }
};
static_assert(sizeof(UserRecord) == 32);
static_assert(sizeof(MappedPair) == 8 && sizeof(GroupId) == 4 && sizeof(RoleId) == 4);

namespace {

constexpr uint64_t kEmpty = 0, kDeleted = 1;
constexpr uint64_t kAddressMask = (uint64_t{1} << 48) - 1;

uint64_t tag_of(uint64_t hash) { return (hash >> 16) & 0xffff; }
uint64_t slot_value(uint64_t hash, const UserRecord* record) {
  return tag_of(hash) << 48 | reinterpret_cast<uintptr_t>(record);
}
UserRecord* record_of(uint64_t slot) { return reinterpret_cast<UserRecord*>(slot & kAddressMask); }
// The home slot: the hash's high bits scaled to the table (the low bits pick the shard).
size_t home_of(uint64_t hash, size_t capacity) {
  return static_cast<size_t>((static_cast<__uint128_t>(hash) * capacity) >> 64);
}

// Finds (provider, subject): its slot, or where it would go.
std::pair<size_t, UserRecord*> find(const UserShard& shard, uint64_t hash, ProviderId provider,
                                    std::string_view subject) {
  const size_t capacity = shard.slots.size();
  if (capacity == 0) return {0, nullptr};
  const uint64_t tag = tag_of(hash);
  size_t first_deleted = capacity;
  for (size_t i = home_of(hash, capacity);; i = i + 1 == capacity ? 0 : i + 1) {
    const uint64_t s = shard.slots[i];
    if (s == kEmpty) return {first_deleted < capacity ? first_deleted : i, nullptr};
    if (s == kDeleted) {
      if (first_deleted == capacity) first_deleted = i;
      continue;
    }
    if ((s >> 48) == tag) {
      UserRecord* r = record_of(s);
      if (r->provider == index_of(provider) && r->subject_size == subject.size() &&
          same_bytes(r->subject_data(), subject.data(), subject.size())) {
        return {i, r};
      }
    }
  }
}

// Rebuilds the table with room for one more user (growing by half when 7/8
// full, so that slots cost 8 to 14 bytes a user).
void make_room(UserShard& shard) {
  const size_t capacity = shard.slots.size();
  if ((shard.live + shard.deleted + 1) * 8 <= capacity * 7) return;
  size_t next = std::max<size_t>(16, shard.live * 2 + 2 > capacity ? capacity + capacity / 2 : capacity);
  std::vector<uint64_t> slots(next, kEmpty);
  for (uint64_t s : shard.slots) {
    if (s == kEmpty || s == kDeleted) continue;
    UserRecord* r = record_of(s);
    const uint64_t hash = UserStore::user_hash(static_cast<ProviderId>(r->provider), r->subject());
    size_t i = home_of(hash, next);
    while (slots[i] != kEmpty) i = i + 1 == next ? 0 : i + 1;
    slots[i] = s;
  }
  shard.slots.swap(slots);
  shard.deleted = 0;
}

}  // namespace

uint64_t UserStore::user_hash(ProviderId provider, std::string_view subject) {
  return hash_bytes(subject) ^ (uint64_t{index_of(provider)} * 0x9e3779b97f4a7c15ull);
}

UserHandle::UserHandle(UserShard& shard, uint64_t hash, ProviderId provider, std::string_view subject)
    : shard_(shard), hash_(hash), provider_(provider), subject_(subject) {
  std::tie(slot_, record_) = find(shard, hash, provider, subject);
}

void UserHandle::load(UserState* out) const {
  UserRecord* r = record_;
  out->mapped.assign(r->mapped_data(), r->mapped_data() + r->mapped);
  out->manual.assign(r->manual_data(), r->manual_data() + r->manual);
  out->direct_roles.assign(r->direct_data(), r->direct_data() + r->direct);
  out->last_iat = r->last_iat;
  out->has_iat = (r->flags & UserRecord::kHasIat) != 0;
  out->suspended = (r->flags & UserRecord::kSuspended) != 0;
}

void UserHandle::save(const UserState& s) {
  const size_t bytes =
      UserRecord::bytes_for(s.mapped.size(), s.manual.size(), s.direct_roles.size(), subject_.size());
  UserRecord* r = record_;
  if (r == nullptr || r->bytes() != bytes) {
    r = static_cast<UserRecord*>(shard_.arena.allocate(bytes));
    r->subject_size = static_cast<uint32_t>(subject_.size());
    r->provider = index_of(provider_);
  }
  r->last_iat = s.last_iat;
  r->flags = (s.has_iat ? UserRecord::kHasIat : 0) | (s.suspended ? UserRecord::kSuspended : 0);
  r->mapped = static_cast<uint32_t>(s.mapped.size());
  r->manual = static_cast<uint32_t>(s.manual.size());
  r->direct = static_cast<uint32_t>(s.direct_roles.size());
  std::copy(s.mapped.begin(), s.mapped.end(), r->mapped_data());
  std::copy(s.manual.begin(), s.manual.end(), r->manual_data());
  std::copy(s.direct_roles.begin(), s.direct_roles.end(), r->direct_data());
  // The counts place the subject; they may have changed even in place.
  std::memmove(r->subject_data(), subject_.data(), subject_.size());
  if (r == record_) return;
  if (record_ != nullptr) {
    shard_.arena.release(record_, record_->bytes());
  } else {
    make_room(shard_);
    slot_ = find(shard_, hash_, provider_, subject_).first;
    if (shard_.slots[slot_] == kDeleted) --shard_.deleted;
    ++shard_.live;
  }
  shard_.slots[slot_] = slot_value(hash_, r);
  record_ = r;
}

void UserHandle::erase() {
  shard_.arena.release(record_, record_->bytes());
  shard_.slots[slot_] = kDeleted;
  --shard_.live;
  ++shard_.deleted;
  record_ = nullptr;
}

UserStore::UserStore() {
  for (auto& shard : shards_) shard = std::make_unique<UserShard>();
}

UserStore::~UserStore() { clear(); }

size_t UserStore::size() const {
  size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    n += shard->live;
  }
  return n;
}

size_t UserStore::memory_bytes() const {
  size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    n += shard->slots.capacity() * sizeof(uint64_t) + shard->arena.bytes_reserved();
  }
  return n;
}

std::vector<std::pair<UserKey, UserState>> UserStore::sorted_users() const {
  std::vector<std::pair<UserKey, UserState>> users;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    for (uint64_t s : shard->slots) {
      if (s == kEmpty || s == kDeleted) continue;
      UserRecord* r = record_of(s);
      const ProviderId provider = static_cast<ProviderId>(r->provider);
      UserHandle handle(*shard, user_hash(provider, r->subject()), provider, r->subject());
      UserState state;
      handle.load(&state);
      users.emplace_back(UserKey{provider, std::string(r->subject())}, std::move(state));
    }
  }
  std::sort(users.begin(), users.end(), [](const auto& a, const auto& b) {
    if (a.first.provider != b.first.provider) return a.first.provider < b.first.provider;
    return a.first.subject < b.first.subject;
  });
  return users;
}

void UserStore::clear() {
  for (auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    for (uint64_t s : shard->slots) {
      if (s != kEmpty && s != kDeleted) shard->arena.release(record_of(s), record_of(s)->bytes());
    }
    shard->slots.clear();
    shard->slots.shrink_to_fit();
    shard->live = shard->deleted = 0;
    shard->arena.clear();
  }
}

}  // namespace claimmap
