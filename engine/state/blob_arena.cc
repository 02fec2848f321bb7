#include "engine/state/blob_arena.h"

#include <new>

namespace claimmap {

void* BlobArena::allocate(size_t bytes) {
  if (bytes > kMaxSmall) {
    large_bytes_ += bytes;
    return ::operator new(bytes);
  }
  if (free_ != nullptr) {
    std::vector<void*>& stack = (*free_)[bytes / kAlign];
    if (!stack.empty()) {
      void* block = stack.back();
      stack.pop_back();
      return block;
    }
  }
  if (left_ < bytes) {
    // The tail of the old page goes to the free list of its size, not to waste.
    if (left_ >= kAlign) release(cursor_, left_);
    const size_t page = next_page_;
    if (next_page_ < (size_t{256} << 10)) next_page_ *= 2;
    // Not zero-filled: every byte handed out is written by its record (as a
    // block reused from a free stack is).
    pages_.push_back(std::unique_ptr<char[]>(new char[page]));
    page_bytes_ += page;
    cursor_ = pages_.back().get();
    left_ = page;
  }
  void* block = cursor_;
  cursor_ += bytes;
  left_ -= bytes;
  return block;
}

void BlobArena::release(void* block, size_t bytes) {
  if (bytes > kMaxSmall) {
    large_bytes_ -= bytes;
    ::operator delete(block);
    return;
  }
  if (free_ == nullptr) free_ = std::make_unique<std::array<std::vector<void*>, kMaxSmall / kAlign + 1>>();
  (*free_)[bytes / kAlign].push_back(block);
}

size_t BlobArena::bytes_reserved() const {
  size_t n = page_bytes_ + large_bytes_;
  if (free_ != nullptr) {
    n += sizeof(*free_);
    for (const std::vector<void*>& stack : *free_) n += stack.capacity() * sizeof(void*);
  }
  return n;
}

void BlobArena::clear() {
  // Large blocks are owned by the records that the caller frees first.
  pages_.clear();
  cursor_ = nullptr;
  left_ = 0;
  next_page_ = 4096;
  page_bytes_ = 0;
  free_.reset();
}

}  // namespace claimmap
