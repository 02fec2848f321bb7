// Turning a 64-bit mask into the positions of its set bits, in order, with
// no branch per bit. Used where a bitmap stands in for a sort (a login's
// matched groups, a delta's roles): which bits are set there is as
// unpredictable as a coin, so a loop exit per word would mispredict once a
// word, costing more than the word's work.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace claimmap {

// Room that put_set_bits() may write past the positions it returns.
inline constexpr size_t kSetBitsSlack = 8;

// Writes Id{base + i} for each set bit i of `bits`, ascending, at `out` and
// returns the end. Four are written whatever the count (and four more when
// there are more than four), so a word of a few bits costs one predictable
// branch: `out` must have kSetBitsSlack entries of room past the end.
template <typename Id>
inline Id* put_set_bits(Id* out, uint32_t base, uint64_t bits) {
  const int n = std::popcount(bits);
  auto put4 = [&](Id* at) {
    for (int i = 0; i < 4; ++i) {
      at[i] = Id{base + static_cast<uint32_t>(std::countr_zero(bits))};  // past the end once bits is 0
      bits &= bits - 1;
    }
  };
  put4(out);
  if (n > 4) {
    put4(out + 4);
    for (Id* at = out + 8; bits != 0; bits &= bits - 1) *at++ = Id{base + static_cast<uint32_t>(std::countr_zero(bits))};
  }
  return out + n;
}

}  // namespace claimmap
