#include "engine/state/blob_arena.h"

#include <new>

namespace claimmap {

void* BlobArena::allocate(size_t bytes) {
  if (bytes > kMaxSmall) {
    large_bytes_ += bytes;
    return ::operator new(bytes);
  }
  FreeBlock*& head = free_[bytes / kAlign];
  if (head != nullptr) {
    FreeBlock* block = head;
    head = block->next;
    return block;
  }
  if (left_ < bytes) {
    // The tail of the old page goes to the free list of its size, not to waste.
    if (left_ >= kAlign) release(cursor_, left_);
    const size_t page = next_page_;
    if (next_page_ < (size_t{256} << 10)) next_page_ *= 2;
    pages_.push_back(std::make_unique<char[]>(page));
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
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = free_[bytes / kAlign];
  free_[bytes / kAlign] = free_block;
}

void BlobArena::clear() {
  // Large blocks are owned by the records that the caller frees first.
  pages_.clear();
  cursor_ = nullptr;
  left_ = 0;
  next_page_ = 4096;
  page_bytes_ = 0;
  free_.fill(nullptr);
}

}  // namespace claimmap
