#include "engine/state/user_store.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "engine/common/hash.h"
#include "engine/common/prefetch.h"

namespace claimmap {

// A subject that is a GUID in its canonical text (36 characters, hex digits
// all lowercase or all uppercase, hyphens at 8, 13, 18 and 23: Entra's oid,
// Keycloak's and many another IdP's sub) is kept as its 16 bytes, and the
// record says which case to spell it in. Any other subject is kept as
// written. The text form of a key decides its stored form, so two keys are
// the same user exactly when their stored forms are equal.
enum SubjectForm : uint8_t { kPlainSubject = 0, kGuidLower = 1, kGuidUpper = 2 };
constexpr size_t kGuidText = 36, kGuidBytes = 16;

// For each byte: its hex digit's value, plus 16 for a lowercase letter and
// 32 for an uppercase one; 0xff for anything else.
constexpr std::array<uint8_t, 256> kHexDigits = [] {
  std::array<uint8_t, 256> t{};
  t.fill(0xff);
  for (int c = 0; c < 10; ++c) t['0' + c] = static_cast<uint8_t>(c);
  for (int c = 0; c < 6; ++c) {
    t['a' + c] = static_cast<uint8_t>(10 + c + 16);
    t['A' + c] = static_cast<uint8_t>(10 + c + 32);
  }
  return t;
}();

StoredSubject::StoredSubject(std::string_view subject) : text(subject), size(static_cast<uint32_t>(subject.size())) {
  // Made once a handle (every login's key): the length and hyphens first,
  // then one table load a character.
  if (text.size() != kGuidText || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') return;
  uint8_t seen = 0;  // the case bits of every digit, or 0xff once one is not hex
  size_t out = 0;
  for (size_t i = 0; i < kGuidText; i += 2) {
    if (i == 8 || i == 13 || i == 18 || i == 23) ++i;
    const uint8_t hi = kHexDigits[static_cast<unsigned char>(text[i])];
    const uint8_t lo = kHexDigits[static_cast<unsigned char>(text[i + 1])];
    seen |= hi | lo;
    packed[out++] = static_cast<char>((hi & 15) << 4 | (lo & 15));
  }
  const uint8_t cases = seen & 0xf0;
  if (seen == 0xff || cases == 48) return;  // not hex, or both cases: kept as written
  // All digits: no letter to say the case; spelled back the same either way.
  form = cases == 32 ? kGuidUpper : kGuidLower;
  size = kGuidBytes;
}

// The text of a stored subject, into `buffer` for a GUID.
std::string_view subject_text(SubjectForm form, const char* data, uint32_t size, char (&buffer)[kGuidText]) {
  if (form == kPlainSubject) return {data, size};
  const char* digits = form == kGuidLower ? "0123456789abcdef" : "0123456789ABCDEF";
  size_t at = 0;
  for (size_t b = 0; b < kGuidBytes; ++b) {
    if (at == 8 || at == 13 || at == 18 || at == 23) buffer[at++] = '-';
    const auto byte = static_cast<unsigned char>(data[b]);
    buffer[at++] = digits[byte >> 4];
    buffer[at++] = digits[byte & 15];
  }
  return {buffer, kGuidText};
}

// A user's record: a 20-byte header, then MappedPair[mapped], GroupId[manual],
// RoleId[direct] and the subject's bytes (16 for a GUID), in one arena block. The usual user
// (provider index < 65536, fewer than 256 of each kind of entry) keeps its
// counts in the header; any other is "wide", with a 16-byte extension of
// 32-bit counts after the header — no limit, only a few more bytes.
class PackedRecord {
 public:
  struct Shape {
    uint32_t provider = 0, mapped = 0, manual = 0, direct = 0, subject = 0;
    bool wide() const { return provider > 0xffff || mapped > 0xff || manual > 0xff || direct > 0xff; }
    size_t bytes() const {
      return BlobArena::round_up(kHeaderBytes + (wide() ? kWideBytes : 0) + mapped * sizeof(MappedPair) +
                                 (manual + direct) * sizeof(uint32_t) + subject);
    }
  };

  static constexpr uint8_t kHasIat = 1, kSuspended = 2, kWide = 4;
  static constexpr uint8_t kFormShift = 3, kFormBits = 3 << kFormShift;  // SubjectForm

  Shape shape() const {
    Shape s;
    s.subject = subject_size_;
    if (flags_ & kWide) {
      const uint32_t* w = wide_counts();
      s.provider = w[0], s.mapped = w[1], s.manual = w[2], s.direct = w[3];
    } else {
      s.provider = provider_, s.mapped = mapped_, s.manual = manual_, s.direct = direct_;
    }
    return s;
  }
  void set_shape(const Shape& s) {
    subject_size_ = s.subject;
    flags_ = static_cast<uint8_t>((flags_ & ~kWide) | (s.wide() ? kWide : 0));
    if (s.wide()) {
      uint32_t* w = wide_counts();
      w[0] = s.provider, w[1] = s.mapped, w[2] = s.manual, w[3] = s.direct;
      provider_ = 0, mapped_ = manual_ = direct_ = 0;
    } else {
      provider_ = static_cast<uint16_t>(s.provider);
      mapped_ = static_cast<uint8_t>(s.mapped);
      manual_ = static_cast<uint8_t>(s.manual);
      direct_ = static_cast<uint8_t>(s.direct);
    }
  }
  size_t bytes() const { return shape().bytes(); }

  double last_iat() const {
    double v;
    std::memcpy(&v, iat_, sizeof v);
    return v;
  }
  void set_last_iat(double v) { std::memcpy(iat_, &v, sizeof v); }
  uint8_t flags() const { return flags_ & (kHasIat | kSuspended); }
  void set_flags(uint8_t f) { flags_ = static_cast<uint8_t>((flags_ & (kWide | kFormBits)) | f); }

  uint32_t provider() const { return (flags_ & kWide) ? wide_counts()[0] : provider_; }
  SubjectForm subject_form() const { return static_cast<SubjectForm>((flags_ & kFormBits) >> kFormShift); }
  // The subject as stored, and its text (in `buffer` for a GUID).
  std::string_view stored_subject() const { return {subject_data(shape()), subject_size_}; }
  std::string_view subject(char (&buffer)[kGuidText]) const {
    return subject_text(subject_form(), subject_data(shape()), subject_size_, buffer);
  }
  // A new block: no flags, the shape, and the subject in its stored form.
  void init(const Shape& s, const StoredSubject& subject) {
    flags_ = static_cast<uint8_t>(subject.form << kFormShift);
    set_shape(s);
    write_subject(s, subject);
  }
  void write_subject(const Shape& s, const StoredSubject& subject) {
    flags_ = static_cast<uint8_t>((flags_ & ~kFormBits) | subject.form << kFormShift);
    std::memmove(subject_data(s), subject.data(), subject.size);
  }

  MappedPair* mapped_data(const Shape&) { return reinterpret_cast<MappedPair*>(body()); }
  GroupId* manual_data(const Shape& s) { return reinterpret_cast<GroupId*>(body() + s.mapped * sizeof(MappedPair)); }
  RoleId* direct_data(const Shape& s) { return reinterpret_cast<RoleId*>(manual_data(s) + s.manual); }
  char* subject_data(const Shape& s) { return reinterpret_cast<char*>(direct_data(s) + s.direct); }
  const char* subject_data(const Shape& s) const { return const_cast<PackedRecord*>(this)->subject_data(s); }

 private:
  static constexpr size_t kHeaderBytes = 20, kWideBytes = 16;
  char* base() { return reinterpret_cast<char*>(this); }
  const uint32_t* wide_counts() const { return reinterpret_cast<const uint32_t*>(reinterpret_cast<const char*>(this) + kHeaderBytes); }
  uint32_t* wide_counts() { return reinterpret_cast<uint32_t*>(base() + kHeaderBytes); }
  char* body() { return base() + kHeaderBytes + ((flags_ & kWide) ? kWideBytes : 0); }

  char iat_[8];  // a double, unaligned so that the header packs into 20 bytes
  uint32_t subject_size_;
  uint16_t provider_;
  uint8_t flags_;
  uint8_t mapped_, manual_, direct_;
  uint8_t reserved_[2];
};
static_assert(sizeof(PackedRecord) == 20 && alignof(PackedRecord) == 4);
static_assert(sizeof(MappedPair) == 8 && sizeof(GroupId) == 4 && sizeof(RoleId) == 4);

namespace {

constexpr uint64_t kEmpty = 0, kDeleted = 1;
constexpr uint64_t kAddressMask = (uint64_t{1} << 48) - 1;

// A record's address is a multiple of BlobArena::kAlign (8): its low 3 bits
// in the slot hold how many 128-byte steps past its first the record spans
// (at most 7), so that prefetch_record() can fetch a large user's whole
// record — a heavy user's 80 memberships are 11 cache lines — before the
// login reads it.
constexpr uint64_t kSpanBits = 7;
static_assert(BlobArena::kAlign == 8);

uint64_t tag_of(uint64_t hash) { return (hash >> 16) & 0xffff; }
uint64_t slot_value(uint64_t hash, const PackedRecord* record) {
  const uint64_t span = std::min<uint64_t>(kSpanBits, (record->bytes() - 1) / 128);
  return tag_of(hash) << 48 | reinterpret_cast<uintptr_t>(record) | span;
}
PackedRecord* record_of(uint64_t slot) { return reinterpret_cast<PackedRecord*>(slot & kAddressMask & ~kSpanBits); }
// The home slot: the hash's high bits scaled to the table (the low bits pick the shard).
size_t home_of(uint64_t hash, size_t capacity) {
  return static_cast<size_t>((static_cast<__uint128_t>(hash) * capacity) >> 64);
}

// Finds (provider, subject): its slot, or where it would go.
std::pair<size_t, PackedRecord*> find(const ShardTable& shard, uint64_t hash, ProviderKey provider,
                                    const StoredSubject& subject) {
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
      PackedRecord* r = record_of(s);
      const std::string_view stored = r->stored_subject();
      if (r->provider() == index_of(provider) && r->subject_form() == subject.form && stored.size() == subject.size &&
          same_bytes(stored.data(), subject.data(), subject.size)) {
        return {i, r};
      }
    }
  }
}

void publish_slots(UserShard& shard) {
  shard.slots_hint.store(shard.table->slots.data(), std::memory_order_relaxed);
  shard.capacity_hint.store(shard.table->slots.size(), std::memory_order_relaxed);
}

// Rebuilds the shard's table with `capacity` slots, dropping deleted ones.
void rehash(UserShard& owner, size_t capacity) {
  ShardTable& shard = *owner.table;
  std::vector<uint64_t> slots(capacity, kEmpty);
  for (uint64_t s : shard.slots) {
    if (s == kEmpty || s == kDeleted) continue;
    PackedRecord* r = record_of(s);
    char text[kGuidText];
    const uint64_t hash = UserStore::user_hash(static_cast<ProviderKey>(r->provider()), r->subject(text));
    size_t i = home_of(hash, capacity);
    while (slots[i] != kEmpty) i = i + 1 == capacity ? 0 : i + 1;
    slots[i] = s;
  }
  shard.slots.swap(slots);
  shard.deleted = 0;
  publish_slots(owner);
}

// Rebuilds the table with room for one more user (growing by half when 7/8
// full, so that slots cost 8 to 14 bytes a user).
void make_room(UserShard& owner) {
  ShardTable& shard = *owner.table;
  const size_t capacity = shard.slots.size();
  if ((shard.live + shard.deleted + 1) * 8 <= capacity * 7) return;
  rehash(owner, std::max<size_t>(16, shard.live * 2 + 2 > capacity ? capacity + capacity / 2 : capacity));
}

}  // namespace

bool slot_user(uint64_t slot, ProviderKey* provider, std::string* subject) {
  if (slot == kEmpty || slot == kDeleted) return false;
  const PackedRecord* r = record_of(slot);
  *provider = static_cast<ProviderKey>(r->provider());
  char text[kGuidText];
  subject->assign(r->subject(text));
  return true;
}

uint64_t UserStore::user_hash(ProviderKey provider, std::string_view subject) {
  return hash_bytes(subject) ^ (uint64_t{index_of(provider)} * 0x9e3779b97f4a7c15ull);
}

UserHandle::UserHandle(UserShard& shard, uint64_t hash, ProviderKey provider, std::string_view subject)
    : shard_(shard), hash_(hash), provider_(provider), subject_(subject) {
  refresh();
}

void UserHandle::refresh() { std::tie(slot_, record_) = find(*shard_.table, hash_, provider_, subject_); }

void UserHandle::load(UserState* out) const {
  PackedRecord* r = record_;
  const PackedRecord::Shape shape = r->shape();
  out->mapped.assign(r->mapped_data(shape), r->mapped_data(shape) + shape.mapped);
  out->manual.assign(r->manual_data(shape), r->manual_data(shape) + shape.manual);
  out->direct_roles.assign(r->direct_data(shape), r->direct_data(shape) + shape.direct);
  out->last_iat = r->last_iat();
  out->has_iat = (r->flags() & PackedRecord::kHasIat) != 0;
  out->suspended = (r->flags() & PackedRecord::kSuspended) != 0;
}

UserHandle::View UserHandle::view() const {
  PackedRecord* r = record_;
  const PackedRecord::Shape shape = r->shape();
  View v;
  v.mapped = {r->mapped_data(shape), shape.mapped};
  v.manual = {r->manual_data(shape), shape.manual};
  v.direct_roles = {r->direct_data(shape), shape.direct};
  v.last_iat = r->last_iat();
  v.has_iat = (r->flags() & PackedRecord::kHasIat) != 0;
  v.suspended = (r->flags() & PackedRecord::kSuspended) != 0;
  return v;
}

void UserHandle::save_login(const std::span<const MappedPair>* mapped, bool has_iat, double last_iat) {
  PackedRecord* r = record_;
  const PackedRecord::Shape old_shape = r->shape();
  const uint8_t suspended = r->flags() & PackedRecord::kSuspended;
  if (mapped != nullptr && mapped->size() != old_shape.mapped) {
    // Another count, so another block size (counts are 8-byte pairs): a new
    // block, the manual groups and direct roles copied over from the old one.
    PackedRecord::Shape shape = old_shape;
    shape.mapped = static_cast<uint32_t>(mapped->size());
    ShardTable& table = *shard_.table;
    PackedRecord* const next = static_cast<PackedRecord*>(table.arena.allocate(shape.bytes()));
    next->init(shape, subject_);
    std::copy_n(r->manual_data(old_shape), old_shape.manual, next->manual_data(shape));
    std::copy_n(r->direct_data(old_shape), old_shape.direct, next->direct_data(shape));
    std::copy(mapped->begin(), mapped->end(), next->mapped_data(shape));
    next->set_last_iat(last_iat);
    next->set_flags((has_iat ? PackedRecord::kHasIat : 0) | suspended);
    replace_record(next);
    return;
  }
  if (mapped != nullptr) std::copy(mapped->begin(), mapped->end(), r->mapped_data(old_shape));
  r->set_last_iat(last_iat);
  r->set_flags((has_iat ? PackedRecord::kHasIat : 0) | suspended);
}

void UserHandle::save(const UserState& s) {
  const StoredSubject& subject = subject_;
  PackedRecord::Shape shape;
  shape.provider = index_of(provider_);
  shape.mapped = static_cast<uint32_t>(s.mapped.size());
  shape.manual = static_cast<uint32_t>(s.manual.size());
  shape.direct = static_cast<uint32_t>(s.direct_roles.size());
  shape.subject = subject.size;
  const size_t bytes = shape.bytes();
  PackedRecord* r = record_;
  ShardTable& table = *shard_.table;
  if (r == nullptr || r->bytes() != bytes) {
    r = static_cast<PackedRecord*>(table.arena.allocate(bytes));
    r->init(shape, subject);
  }
  r->set_shape(shape);
  r->set_last_iat(s.last_iat);
  r->set_flags((s.has_iat ? PackedRecord::kHasIat : 0) | (s.suspended ? PackedRecord::kSuspended : 0));
  std::copy(s.mapped.begin(), s.mapped.end(), r->mapped_data(shape));
  std::copy(s.manual.begin(), s.manual.end(), r->manual_data(shape));
  std::copy(s.direct_roles.begin(), s.direct_roles.end(), r->direct_data(shape));
  // The counts place the subject; they may have changed even in place. The
  // subject is written from the caller's key, never from inside the record.
  r->write_subject(shape, subject);
  if (r != record_) replace_record(r);
}

void UserHandle::replace_record(PackedRecord* next) {
  ShardTable& table = *shard_.table;
  if (record_ != nullptr) {
    table.arena.release(record_, record_->bytes());
  } else {
    make_room(shard_);
    slot_ = find(table, hash_, provider_, subject_).first;
    if (table.slots[slot_] == kDeleted) --table.deleted;
    ++table.live;
  }
  table.slots[slot_] = slot_value(hash_, next);
  record_ = next;
}

void UserHandle::erase() {
  ShardTable& table = *shard_.table;
  table.arena.release(record_, record_->bytes());
  table.slots[slot_] = kDeleted;
  --table.live;
  ++table.deleted;
  record_ = nullptr;
}

UserStore::UserStore() {
  for (size_t i = 0; i < kShardCount; ++i) {
    shards_[i] = std::make_unique<UserShard>();
    shards_[i]->index = i;
  }
}

UserStore::~UserStore() { clear(); }

void UserStore::prefetch_slot(ProviderKey provider, std::string_view subject) const {
  const uint64_t hash = user_hash(provider, subject);
  const UserShard& shard = *shards_[hash % kShardCount];
  const uint64_t* slots = shard.slots_hint.load(std::memory_order_relaxed);
  const size_t capacity = shard.capacity_hint.load(std::memory_order_relaxed);
  if (slots != nullptr && capacity != 0) prefetch_line(slots + home_of(hash, capacity));
}

void UserStore::prefetch_record(ProviderKey provider, std::string_view subject) {
  const uint64_t hash = user_hash(provider, subject);
  UserShard& owner = *shards_[hash % kShardCount];
  std::lock_guard<std::mutex> lock(owner.mutex);
  const ShardTable& shard = *owner.table;
  const size_t capacity = shard.slots.size();
  if (capacity == 0) return;
  // The first slot whose tag matches is almost always the user's: no need to
  // compare subjects for a hint.
  const uint64_t tag = tag_of(hash);
  for (size_t i = home_of(hash, capacity), probes = 0; probes < 4; ++probes, i = i + 1 == capacity ? 0 : i + 1) {
    const uint64_t s = shard.slots[i];
    if (s == kEmpty) return;
    if (s != kDeleted && (s >> 48) == tag) {
      const char* const record = reinterpret_cast<const char*>(record_of(s));
      for (uint64_t step = 0; step <= (s & kSpanBits); ++step) {
        prefetch_line(record + 128 * step);
        prefetch_line(record + 128 * step + 64);
      }
      return;
    }
  }
}

size_t UserStore::size() const {
  size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    n += shard->table->live;
  }
  return n;
}

void UserStore::reserve(size_t users) {
  // A shard's share with a margin for the spread, at most 7/8 full (make_room's bound).
  const size_t per_shard = users / kShardCount + users / kShardCount / 8 + 16;
  const size_t wanted = per_shard * 8 / 7 + 1;
  for (auto& owner : shards_) {
    std::lock_guard<std::mutex> lock(owner->mutex);
    if (owner->table->slots.size() < wanted) rehash(*owner, wanted);
  }
}

size_t UserStore::memory_bytes() const {
  size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    n += shard->table->slots.capacity() * sizeof(uint64_t) + shard->table->arena.bytes_reserved();
  }
  return n;
}

std::vector<std::pair<UserKey, UserState>> UserStore::sorted_users() const {
  std::vector<std::pair<UserKey, UserState>> users;
  for (const auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    for (uint64_t s : shard->table->slots) {
      if (s == kEmpty || s == kDeleted) continue;
      PackedRecord* r = record_of(s);
      const ProviderKey provider = static_cast<ProviderKey>(r->provider());
      char text[kGuidText];
      std::string subject(r->subject(text));
      UserHandle handle(*shard, user_hash(provider, subject), provider, subject);
      UserState state;
      handle.load(&state);
      users.emplace_back(UserKey{provider, std::move(subject)}, std::move(state));
    }
  }
  std::sort(users.begin(), users.end(), [](const auto& a, const auto& b) {
    if (a.first.provider != b.first.provider) return a.first.provider < b.first.provider;
    return a.first.subject < b.first.subject;
  });
  return users;
}

namespace {
void free_table(ShardTable& table) {
  for (uint64_t s : table.slots) {
    if (s != kEmpty && s != kDeleted) table.arena.release(record_of(s), record_of(s)->bytes());
  }
  table.slots.clear();
  table.slots.shrink_to_fit();
  table.live = table.deleted = 0;
  table.arena.clear();
}
}  // namespace

void UserStore::clear() {
  for (auto& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard->mutex);
    free_table(*shard->table);
    publish_slots(*shard);
  }
}

void UserStore::replace_all(UserStore& staged, uint64_t config_epoch) {
  {
    std::array<std::unique_lock<std::mutex>, kShardCount> locks;
    for (size_t i = 0; i < kShardCount; ++i) locks[i] = std::unique_lock<std::mutex>(shards_[i]->mutex);
    for (size_t i = 0; i < kShardCount; ++i) {
      std::lock_guard<std::mutex> staged_lock(staged.shards_[i]->mutex);
      std::swap(shards_[i]->table, staged.shards_[i]->table);
      shards_[i]->config_epoch = config_epoch;
      publish_slots(*shards_[i]);
      publish_slots(*staged.shards_[i]);
    }
  }
  // The old users are freed by the caller's staged store, outside the locks.
}

ProviderKey UserStore::provider_key(std::string_view provider_id) {
  std::lock_guard<std::mutex> lock(providers_mutex_);
  for (size_t i = 0; i < provider_names_.size(); ++i) {
    if (provider_names_[i] == provider_id) return static_cast<ProviderKey>(i);
  }
  provider_names_.emplace_back(provider_id);
  return static_cast<ProviderKey>(provider_names_.size() - 1);
}

bool UserStore::find_provider_key(std::string_view provider_id, ProviderKey* key) const {
  std::lock_guard<std::mutex> lock(providers_mutex_);
  for (size_t i = 0; i < provider_names_.size(); ++i) {
    if (provider_names_[i] == provider_id) {
      *key = static_cast<ProviderKey>(i);
      return true;
    }
  }
  return false;
}

std::string UserStore::provider_name(ProviderKey key) const {
  std::lock_guard<std::mutex> lock(providers_mutex_);
  return index_of(key) < provider_names_.size() ? provider_names_[index_of(key)] : std::string();
}

}  // namespace claimmap
