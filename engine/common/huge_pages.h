// Asks the kernel for transparent huge pages (2 MiB) behind a large buffer
// that is about to be filled: one page fault per 2 MiB instead of one per
// 4 KiB. Loading a config of a million mappings first touches ~1 GB; on a
// virtual machine every fault is a trip through the hypervisor, and the
// 4 KiB faults were a quarter of the load (benchmarks/README.md, "Fast at
// every size"). Only the whole 2 MiB pages inside the
// buffer are advised; a kernel with THP off ("never") ignores the advice, and
// so does one where it is "always" already. Changes nothing but speed.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>

namespace claimmap {

inline void advise_huge_pages(const void* buffer, size_t bytes) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  if (buffer == nullptr || bytes < 2 * kHuge) return;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(buffer) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(buffer) + bytes) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

}  // namespace claimmap
