// simulator/zipf.h — drawing ranks with Zipf-like popularity (weight 1/(r+1)).
//
// Group popularity in real directories is heavily skewed: "All Staff" is in
// every token, most groups have a handful of members. ZipfSampler draws a rank
// in [0, n) in O(1) with Walker's alias method; the table is built with IEEE
// +,-,*,/ only, so the same n gives the same table everywhere.
// Immutable after construction: any number of threads may draw at once.
#pragma once

#include <cstdint>
#include <vector>

namespace claimmap::sim {

class ZipfSampler {
 public:
  ZipfSampler() = default;
  // Ranks [0, n) with weight 1/(rank+1)^1. n must be at least 1.
  explicit ZipfSampler(uint32_t n);

  uint32_t size() const { return static_cast<uint32_t>(threshold_.size()); }
  // A rank from 64 random bits.
  uint32_t draw(uint64_t random_bits) const {
    const uint32_t slot = static_cast<uint32_t>(((random_bits >> 32) * threshold_.size()) >> 32);
    return static_cast<uint32_t>(random_bits) < threshold_[slot] ? slot : alias_[slot];
  }
  // The exact probability of `rank` (for tests).
  double probability(uint32_t rank) const;

 private:
  std::vector<uint32_t> threshold_;  // keep the slot when the low 32 bits are below this
  std::vector<uint32_t> alias_;
  double total_weight_ = 0;
};

}  // namespace claimmap::sim
