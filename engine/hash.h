// A fast 64-bit hash for short strings (subjects, claim values), in the
// spirit of wyhash: 16 bytes a step through a 128-bit multiply. Seeded once
// per process at random, so that an attacker who picks subjects or claim
// values cannot aim them at one bucket (hash flooding); nothing the engine
// outputs depends on hash order.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace claimmap {

namespace hash_internal {
inline uint64_t mix(uint64_t a, uint64_t b) {
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
inline uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint64_t process_seed();  // random, fixed for the life of the process
}  // namespace hash_internal

inline uint64_t hash_bytes(std::string_view s) {
  using namespace hash_internal;
  constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull;
  static const uint64_t seed = process_seed();
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = seed ^ (n * k2);
  while (n >= 16) {
    h = mix(load64(p) ^ k1, load64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = load64(p);
    b = load64(p + n - 8);
  } else if (n > 0) {
    std::memcpy(&a, p, n);
  }
  return mix(h ^ k0, mix(a ^ k1, b ^ h));
}

}  // namespace claimmap
