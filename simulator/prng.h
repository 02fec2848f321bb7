// simulator/prng.h — the simulator's only sources of randomness.
//
// Datasets must be the same bytes on every machine, so nothing here uses
// <random>'s distributions (their output is implementation-defined) or libm:
// splitmix64 for hashing keys to values, xoshiro256** for sequential streams,
// and integer or exactly-rounded IEEE arithmetic to shape the numbers.
// Header-only and stateless apart from the explicit generator objects, which
// belong to one thread each.
#pragma once

#include <cstdint>

namespace claimmap::sim {

// splitmix64's finaliser: a bijection on 64-bit integers, so distinct keys
// give distinct outputs (used to make unique, random-looking ids).
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A keyed hash of a few integers: independent-looking values per key.
inline uint64_t hash_of(uint64_t a, uint64_t b) { return mix64(a ^ mix64(b ^ 0x6a09e667f3bcc909ULL)); }
inline uint64_t hash_of(uint64_t a, uint64_t b, uint64_t c) { return hash_of(hash_of(a, b), c); }

// A uniform integer in [0, n) from 64 random bits (Lemire's multiply-shift;
// the bias is below 2^-32 for the sizes used here, and it is deterministic).
inline uint64_t bounded(uint64_t random_bits, uint64_t n) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(random_bits) * n) >> 64);
}

// A double in [0, 1) from the top 53 bits: exact, so the same everywhere.
inline double unit_double(uint64_t random_bits) { return static_cast<double>(random_bits >> 11) * 0x1.0p-53; }

// A short counter-based stream: the n-th value of key k is mix64(k + n·φ).
// Used where a pure function of a key needs several random numbers.
class KeyedStream {
 public:
  explicit KeyedStream(uint64_t key) : state_(key) {}
  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }

 private:
  uint64_t state_;
};

// xoshiro256** (Blackman & Vigna), seeded through splitmix64 as its authors
// recommend: the generator's sequential stream (which user logs in next).
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) {
    KeyedStream s(seed);
    for (auto& w : s_) w = s.next();
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double next_double() { return unit_double(next()); }
  uint64_t next_below(uint64_t n) { return bounded(next(), n); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace claimmap::sim
