// engine/common/hash.h: byte equality and hashing of short strings, which
// read a string under 8 bytes as one word (first, middle and last bytes
// below 4; two overlapping words from 4) instead of copying it.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/common/hash.h"

namespace claimmap {
namespace {

TEST(Hash, SameBytesSeesEveryByteOfEveryLength) {
  for (size_t n = 0; n <= 24; ++n) {
    std::string a;
    for (size_t i = 0; i < n; ++i) a.push_back(static_cast<char>('a' + i));
    const std::string copy = a;  // another buffer, the same bytes
    EXPECT_TRUE(same_bytes(a.data(), copy.data(), n)) << n;
    EXPECT_EQ(hash_bytes(a), hash_bytes(copy)) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = static_cast<char>(b[i] ^ 0x20);
      EXPECT_FALSE(same_bytes(a.data(), b.data(), n)) << "length " << n << ", byte " << i;
    }
  }
}

TEST(Hash, ShortStringsOfOneLengthHashApart) {
  // All 3-byte strings over a small alphabet: a hash that missed a byte
  // would give two of them one value.
  std::vector<uint64_t> hashes;
  const std::string alphabet = "ab\xff";
  for (char x : alphabet) {
    for (char y : alphabet) {
      for (char z : alphabet) hashes.push_back(hash_bytes(std::string{x, y, z}));
    }
  }
  std::sort(hashes.begin(), hashes.end());
  EXPECT_EQ(std::adjacent_find(hashes.begin(), hashes.end()), hashes.end());
  EXPECT_NE(hash_bytes(""), hash_bytes(std::string(1, '\0')));  // the length counts
}

}  // namespace
}  // namespace claimmap
