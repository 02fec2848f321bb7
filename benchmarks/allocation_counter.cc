#include "benchmarks/allocation_counter.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

// Every replaceable form of the global operator new that allocates: the plain
// and array forms (libstdc++'s nothrow forms call these), and the aligned
// forms (C++17 over-aligned types, e.g. cache-line padded shards), which
// libstdc++ does not route through the plain ones. Each replaced new has its
// matching delete, so memory always returns to the allocator it came from.

namespace {

std::atomic<size_t> g_allocations{0};

void* counted_alloc(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}

void* counted_aligned_alloc(size_t n, std::align_val_t alignment) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = nullptr;
  const size_t a = std::max(static_cast<size_t>(alignment), sizeof(void*));
  if (::posix_memalign(&p, a, n ? n : 1) != 0) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(size_t n) { return counted_alloc(n); }
void* operator new[](size_t n) { return counted_alloc(n); }
void* operator new(size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }
void* operator new[](size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace claimmap::bench {
size_t allocations() { return g_allocations.load(std::memory_order_relaxed); }
}  // namespace claimmap::bench
