// An immutable hash map from strings to small values, built once and then
// only searched: one flat array of slots (open addressing, linear probing,
// at most half full) and one buffer of key bytes. A lookup hashes the
// string_view it is given, reads one or two adjacent slots and compares
// bytes once — no node chasing, no allocation. Used for the compiled claim
// value tables, the hottest lookups of a login.
//
// Thread-safe for any number of readers once built.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/common/hash.h"
#include "engine/common/prefetch.h"

namespace claimmap {

template <typename V>
class FlatStringMap {
 public:
  // `entries` must have unique keys.
  void build(const std::vector<std::pair<std::string_view, V>>& entries) {
    size_t capacity = 8;
    while (capacity < entries.size() * 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    keys_.clear();
    for (const auto& [key, value] : entries) {
      const uint64_t h = hash_bytes(key);
      size_t i = h & mask_;
      while (slots_[i].size != kEmpty) i = (i + 1) & mask_;
      slots_[i] = Slot{h, static_cast<uint32_t>(keys_.size()), static_cast<uint32_t>(key.size()), value};
      keys_.append(key);
    }
    size_ = entries.size();
  }

  const V* find(std::string_view key) const { return size_ == 0 ? nullptr : find(key, hash_bytes(key)); }

  // The same with the key's hash_bytes() already known: a caller looking up
  // many keys hashes them all and prefetch()es their slots first, so the
  // cache misses of the lookups overlap instead of coming one after another.
  void prefetch(uint64_t h) const {
    if (size_ != 0) prefetch_line(&slots_[h & mask_]);
  }
  const V* find(std::string_view key, uint64_t h) const {
    if (size_ == 0) return nullptr;
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.size == kEmpty) return nullptr;
      if (s.hash == h && s.size == key.size() && same_bytes(keys_.data() + s.offset, key.data(), key.size())) {
        return &s.value;
      }
    }
  }

  size_t size() const { return size_; }
  size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot) + keys_.capacity(); }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0;
    uint32_t size = kEmpty;
    V value{};
  };
  std::vector<Slot> slots_;
  std::string keys_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace claimmap
