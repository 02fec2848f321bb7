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
inline uint64_t load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
// Every byte of a string shorter than 8 in one word, without a memcpy of a
// variable length (a call to libc: claim names and short values are most
// of what is hashed and compared). Two overlapping words from 4 bytes up;
// below, the first, middle and last bytes, which are all of them. Equal
// strings of one length give equal words, and different ones different.
inline uint64_t load_short(const char* p, size_t n) {
  if (n >= 4) return load32(p) | load32(p + n - 4) << 32;
  if (n == 0) return 0;
  const auto byte = [p](size_t i) { return uint64_t{static_cast<unsigned char>(p[i])}; };
  return byte(0) << 16 | byte(n >> 1) << 8 | byte(n - 1);
}
uint64_t process_seed();  // random, fixed for the life of the process
}  // namespace hash_internal

// Short strings (the usual case: GUIDs, group names, subjects) hash in one
// independent 128-bit multiply per 16 bytes, summed and then avalanched, so
// the multiplies overlap instead of waiting on each other (as in XXH3's
// 17-128 byte path).
inline uint64_t hash_bytes(std::string_view s) {
  using namespace hash_internal;
  constexpr uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull,
                     k3 = 0x589965cc75374cc3ull, k4 = 0x1d8e4e27c47d124full;
  static const uint64_t seed = process_seed();
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t acc = n * k4;
  if (n <= 16) {
    uint64_t a = 0, b = 0;
    if (n >= 8) {
      a = load64(p);
      b = load64(p + n - 8);
    } else {
      a = load_short(p, n);
    }
    acc += mix(a ^ k0 ^ seed, b ^ k1);
  } else {
    size_t i = 0;
    uint64_t lane = 0;
    for (; i + 16 < n; i += 16, lane += k3) acc += mix(load64(p + i) ^ (k0 + lane) ^ seed, load64(p + i + 8) ^ (k1 - lane));
    acc += mix(load64(p + n - 16) ^ k2 ^ seed, load64(p + n - 8) ^ k3);  // the last 16 bytes, overlapping
  }
  acc ^= acc >> 37;
  acc *= 0x165667919e3779f9ull;
  return acc ^ (acc >> 32);
}

// Byte equality of two strings of the same length `n`, inlined: 8 bytes a
// step and one overlapping last word, cheaper than a call to memcmp for the
// short keys compared after every hash hit.
inline bool same_bytes(const char* a, const char* b, size_t n) {
  using hash_internal::load64;
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (load64(a + i) != load64(b + i)) return false;
    }
    return load64(a + n - 8) == load64(b + n - 8);
  }
  return hash_internal::load_short(a, n) == hash_internal::load_short(b, n);
}

}  // namespace claimmap
