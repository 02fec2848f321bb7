// The claim value tables' index: claim value → the range of its grants, for
// the hottest lookups of a login (engine/match/matcher.cc). Immutable once
// built: one flat array of 16-byte slots (open addressing, linear probing,
// at most half full) over key bytes that live elsewhere — the compiled
// config's mapping_text, where each mapping's value is kept once.
//
// Sized for a million mappings: a slot holds a 32-bit hash tag, the key's
// offset, and the range packed with the key's size, and a large table has
// exactly twice as many slots as keys (a slot is picked by multiplying the
// hash, not by masking it, so the size need not be a power of two: a power
// of two wasted up to half of it); a small one four times (slot_count). 32 bytes a value instead of the 69 of a
// FlatStringMap (24-byte slots, power-of-two sizes, its own copy of every
// key). A miss reads one slot, or a few adjacent ones; a hit then compares
// the key's bytes once.
//
// Thread-safe for any number of readers once built.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/common/hash.h"
#include "engine/common/prefetch.h"

namespace claimmap {

class ValueIndex {
 public:
  struct Range {
    uint32_t begin;
    uint32_t count;
  };
  // What a slot can hold: a key of up to 2,047 bytes (a value is at most
  // 256 code points, 1,024 bytes) whose grants number at most 2,097,151.
  static constexpr uint32_t kSizeBits = 11;
  static constexpr size_t kMaxKeySize = (size_t{1} << kSizeBits) - 1;
  static constexpr uint32_t kMaxCount = (uint32_t{1} << (32 - kSizeBits)) - 1;

  // `entries`: unique keys, each a view into `text`, which must stay where
  // it is for the index's life; counts from 1. False (and an empty index)
  // when a key or a count is over the limits above.
  bool build(std::string_view text, const std::vector<std::pair<std::string_view, Range>>& entries) {
    text_ = text.data();
    size_ = 0;
    slots_.assign(entries.empty() ? 0 : slot_count(entries.size()), Slot{});
    for (const auto& [key, range] : entries) {
      if (key.size() > kMaxKeySize || range.count == 0 || range.count > kMaxCount) {
        slots_.clear();
        return false;
      }
      const uint64_t h = hash_bytes(key);
      size_t i = slot_of(h);
      while (slots_[i].packed != 0) i = next(i);
      slots_[i] = Slot{static_cast<uint32_t>(h), static_cast<uint32_t>(key.data() - text.data()), range.begin,
                       range.count << kSizeBits | static_cast<uint32_t>(key.size())};
      ++size_;
    }
    return true;
  }

  // The slot a key's hash_bytes() starts at, prefetched: a caller looking up
  // many keys hashes them all first, so that their cache misses overlap.
  void prefetch(uint64_t h) const {
    if (size_ != 0) prefetch_line(&slots_[slot_of(h)]);
  }

  // The key's range, its hash_bytes() known; false when absent.
  bool find(std::string_view key, uint64_t h, Range* out) const {
    if (size_ == 0) return false;
    const auto tag = static_cast<uint32_t>(h);
    for (size_t i = slot_of(h);; i = next(i)) {
      const Slot& s = slots_[i];
      if (s.packed == 0) return false;
      if (s.tag == tag && (s.packed & kMaxKeySize) == key.size() &&
          same_bytes(text_ + s.offset, key.data(), key.size())) {
        *out = Range{s.begin, s.packed >> kSizeBits};
        return true;
      }
    }
  }
  bool find(std::string_view key, Range* out) const { return find(key, hash_bytes(key), out); }

  // Slots for n keys: four a key in a table of fewer than 65,536 (at most
  // 4 MiB: a miss then stops at the first slot more often; tokens carry
  // many values no mapping reads), two a key in a larger one (memory is
  // what counts there: a million mappings).
  static size_t slot_count(size_t n) { return std::max<size_t>(8, n < kLargeTable ? 4 * n : 2 * n); }
  static constexpr size_t kLargeTable = size_t{1} << 16;

  size_t size() const { return size_; }
  size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }  // the keys are the caller's

 private:
  struct Slot {
    uint32_t tag = 0;     // the hash's low 32 bits
    uint32_t offset = 0;  // of the key in text_
    uint32_t begin = 0;
    uint32_t packed = 0;  // count << kSizeBits | key size; 0: empty
  };
  static_assert(sizeof(Slot) == 16);

  // The hash's high bits scaled to the table (Lemire's multiply-shift): any
  // table size, no division; the tag is the low bits, independent of it.
  size_t slot_of(uint64_t h) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(h) * slots_.size()) >> 64);
  }
  size_t next(size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }

  std::vector<Slot> slots_;
  const char* text_ = nullptr;
  size_t size_ = 0;
};

}  // namespace claimmap
