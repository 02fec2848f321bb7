// An index from names to the positions of a table that owns them, without a
// copy of any name: open addressing over 8-byte slots (a 32-bit hash tag and
// the position), at most half full. A lookup hashes the key, reads a slot or
// two and compares the name at the position it finds, through the caller's
// `name_of(position)`. A million ids cost 16 MB of slots instead of the ~80 MB
// of an unordered_map's nodes and string copies, and building it allocates
// once (a config of a million mappings is indexed at every load and reload).
//
// Thread-safe for any number of readers once built; `insert` is not.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/common/hash.h"
#include "engine/common/huge_pages.h"
#include "engine/common/prefetch.h"

namespace claimmap {

class NameIndex {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  // Room for `n` names without growing.
  void reserve(size_t n) {
    size_t capacity = 8;
    while (capacity < n * 2) capacity *= 2;
    if (capacity <= slots_.size()) return;
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>();
    slots_.reserve(capacity);
    advise_huge_pages(slots_.data(), capacity * sizeof(Slot));  // a million names: 16 MB, before it is touched
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const Slot& s : old) {
      if (s.position == kAbsent) continue;
      size_t i = s.tag & mask_;
      while (slots_[i].position != kAbsent) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  // Adds `position` under `name` unless the name is there already; returns
  // the position the name has now (the earlier one for a repeated name).
  template <typename NameOf>
  uint32_t insert(std::string_view name, uint32_t position, NameOf&& name_of) {
    if ((size_ + 1) * 2 > slots_.size()) reserve(size_ + 1 < 8 ? 8 : (size_ + 1) * 2);
    const uint32_t tag = tag_of(name);
    size_t i = tag & mask_;
    for (;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.position == kAbsent) break;
      if (s.tag == tag && same_name(name_of(s.position), name)) return s.position;
    }
    slots_[i] = Slot{tag, position};
    ++size_;
    return position;
  }

  // The position of `name`, or kAbsent.
  template <typename NameOf>
  uint32_t find(std::string_view name, NameOf&& name_of) const {
    return find_tagged(name, tag_of(name), name_of);
  }

  // Brings the slot `name` starts at into cache: a caller about to look up
  // many names in a large index prefetches a few ahead, so that their
  // misses overlap (a million mappings' groups among 250,000).
  void prefetch(std::string_view name) const { prefetch_tag(tag_of(name)); }

  // Staged lookups, for a caller that looks up many names in an index far
  // larger than cache and would otherwise wait on three misses in a row
  // (the slot, the owner's entry, the name's bytes): it computes a name's
  // tag once, prefetches its slot, a little later asks which position the
  // slot points at (no name compared yet) to prefetch that entry and then
  // the name's bytes, and finally looks the name up with `find_tagged`,
  // which compares.
  static uint32_t tag_of(std::string_view name) { return static_cast<uint32_t>(hash_bytes(name)); }
  void prefetch_tag(uint32_t tag) const {
    if (size_ != 0) prefetch_line(&slots_[tag & mask_]);
  }
  // The first position whose slot carries `tag` (most likely the name's),
  // or kAbsent.
  uint32_t candidate(uint32_t tag) const {
    if (size_ == 0) return kAbsent;
    for (size_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.position == kAbsent || s.tag == tag) return s.position;
    }
  }
  template <typename NameOf>
  uint32_t find_tagged(std::string_view name, uint32_t tag, NameOf&& name_of) const {
    if (size_ == 0) return kAbsent;
    for (size_t i = tag & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.position == kAbsent) return kAbsent;
      if (s.tag == tag && same_name(name_of(s.position), name)) return s.position;
    }
  }

  size_t size() const { return size_; }
  size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint32_t tag = 0;
    uint32_t position = kAbsent;
  };
  // Inline word compares: a call to memcmp per lookup was a twelfth of a
  // 1M-mapping config's load (ids of 10 to 40 bytes).
  static bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && same_bytes(a.data(), b.data(), a.size());
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace claimmap
