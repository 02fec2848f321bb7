// A prefetch the compiler keeps: brings the cache line at `address` in for
// reading, and never faults (an x86 prefetch of any address is a hint).
//
// Why not __builtin_prefetch: Debian 12's GCC 12 deletes it when its address
// is loaded inside the same conditional block — `if (size_ != 0)
// __builtin_prefetch(&slots_[h & mask_])` compiles to nothing at -O2 (as
// did every such prefetch in this tree: 5 prefetch instructions were left
// in the whole `claimmap` binary). An asm statement marked volatile is
// never deleted. Elsewhere than x86-64 it is the builtin.
#pragma once

namespace claimmap {

inline void prefetch_line(const void* address) {
#if defined(__x86_64__)
  asm volatile("prefetcht0 (%0)" : : "r"(address));
#else
  __builtin_prefetch(address);
#endif
}

}  // namespace claimmap
