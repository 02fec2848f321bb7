// Memory for variable-size user records, without malloc's per-block header:
// records are carved from pages and freed blocks go to a free stack for their
// size (in 8-byte steps), so a user costs its record's bytes and nothing
// more. Blocks over kMaxSmall bytes (users with hundreds of memberships) come
// from the global heap.
//
// The free stacks are arrays of pointers, not lists threaded through the
// blocks: a freed block is cold by the time it is reused, and following a
// link stored inside it would cost a cache miss on every allocation (a heavy
// storm reallocates most records, as their membership counts change).
//
// Not thread-safe: each user-store shard owns one, under the shard's lock.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

namespace claimmap {

class BlobArena {
 public:
  static constexpr size_t kAlign = 8;
  static constexpr size_t kMaxSmall = 2048;

  BlobArena() = default;
  BlobArena(const BlobArena&) = delete;
  BlobArena& operator=(const BlobArena&) = delete;
  ~BlobArena() { clear(); }

  static size_t round_up(size_t bytes) { return (bytes + kAlign - 1) & ~(kAlign - 1); }

  // `bytes` must be a multiple of kAlign, and the same at release.
  void* allocate(size_t bytes);
  void release(void* block, size_t bytes);
  void clear();

  // Bytes taken from the system: pages, large blocks and the free stacks.
  size_t bytes_reserved() const;

 private:
  std::vector<std::unique_ptr<char[]>> pages_;
  char* cursor_ = nullptr;
  size_t left_ = 0;
  size_t next_page_ = 4096;  // pages grow to 256 KiB so small stores stay small
  size_t page_bytes_ = 0;
  size_t large_bytes_ = 0;
  // By size / kAlign; made at the first release (most arenas of a small
  // store never free anything).
  std::unique_ptr<std::array<std::vector<void*>, kMaxSmall / kAlign + 1>> free_;
};

}  // namespace claimmap
