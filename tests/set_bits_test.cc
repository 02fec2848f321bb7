// engine/common/set_bits.h: the positions of a mask's set bits, in order,
// written in fixed steps with room past the end.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "engine/common/set_bits.h"

namespace claimmap {
namespace {

std::vector<uint32_t> naive(uint32_t base, uint64_t bits) {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < 64; ++i) {
    if (bits >> i & 1) out.push_back(base + i);
  }
  return out;
}

// Writes `bits` after `before` entries already in the buffer, and checks
// what comes back, and that nothing past the slack was touched.
void check(uint32_t base, uint64_t bits, size_t before = 3) {
  constexpr uint32_t kGuard = 0xdeadbeef;
  std::vector<uint32_t> buf(before + 64 + kSetBitsSlack + 4, kGuard);
  for (size_t i = 0; i < before; ++i) buf[i] = static_cast<uint32_t>(i);
  uint32_t* end = put_set_bits(buf.data() + before, base, bits);
  const std::vector<uint32_t> want = naive(base, bits);
  ASSERT_EQ(static_cast<size_t>(end - (buf.data() + before)), want.size()) << std::hex << bits;
  EXPECT_EQ(std::vector<uint32_t>(buf.data() + before, end), want) << std::hex << bits;
  for (size_t i = 0; i < before; ++i) EXPECT_EQ(buf[i], i);  // nothing before the start
  const size_t touched_to = before + std::max(want.size(), kSetBitsSlack);
  for (size_t i = touched_to; i < buf.size(); ++i) EXPECT_EQ(buf[i], kGuard) << "written at " << i;
}

TEST(SetBits, EveryCountAroundTheFixedSteps) {
  // 0 bits, 1 to 4 (one fixed step), 5 to 8 (two), 9 and more (the loop).
  for (int n = 0; n <= 64; ++n) {
    const uint64_t low = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
    check(0, low);
    check(640, low << (64 - n == 64 ? 0 : 64 - n));  // the same count at the top of the word
  }
}

TEST(SetBits, RandomMasksAtAnyBase) {
  std::mt19937_64 rng(16);
  for (int i = 0; i < 20000; ++i) {
    // Sparse and dense masks: an AND of k random words keeps ~64/2^k bits.
    uint64_t bits = rng();
    for (int k = static_cast<int>(rng() % 6); k > 0; --k) bits &= rng();
    check(static_cast<uint32_t>(rng() % 100000) * 64, bits, rng() % 5);
  }
}

TEST(SetBits, BackToBackWordsMakeOneSortedList) {
  const uint64_t words[] = {0x8000000000000001ull, 0, 0xf0f0ull, ~uint64_t{0}, 0x10ull};
  std::vector<uint32_t> buf(5 * 64 + kSetBitsSlack);
  uint32_t* end = buf.data();
  std::vector<uint32_t> want;
  for (uint32_t w = 0; w < 5; ++w) {
    end = put_set_bits(end, w * 64, words[w]);
    for (uint32_t p : naive(w * 64, words[w])) want.push_back(p);
  }
  EXPECT_EQ(std::vector<uint32_t>(buf.data(), end), want);
}

}  // namespace
}  // namespace claimmap
