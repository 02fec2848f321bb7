// Copying a short run of elements in one fixed-size move. A memcpy of a
// variable length is a call into libc and a loop exit that mispredicts; a
// memcpy of a constant length is a couple of vector moves. Where the source
// is padded (readable for N elements past any run's start) and the
// destination has room for N, a run of up to N elements is copied as N.
// Used for a group's roles (engine/sync/sync.cc), a claim value's grants
// (engine/match/matcher.cc) and an output name with its separator
// (engine/sync/delta_writer.cc).
#pragma once

#include <cstddef>
#include <cstring>

namespace claimmap {

// Copies src[0, n) to dst and returns dst + n. When n <= N, N elements are
// read and written: src must be readable and dst writable that far.
template <size_t N, typename T>
inline T* copy_padded(T* dst, const T* src, size_t n) {
  if (n <= N) [[likely]] {
    std::memcpy(dst, src, N * sizeof(T));
  } else {
    std::memcpy(dst, src, n * sizeof(T));
  }
  return dst + n;
}

}  // namespace claimmap
