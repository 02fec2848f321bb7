#include "simulator/zipf.h"

#include <cmath>

namespace claimmap::sim {

ZipfSampler::ZipfSampler(uint32_t n) : threshold_(n), alias_(n) {
  // Vose's alias method: scale every probability by n; slots below 1 borrow
  // the rest of their column from a slot above 1.
  std::vector<double> scaled(n);
  for (uint32_t r = 0; r < n; ++r) total_weight_ += 1.0 / (r + 1.0);
  for (uint32_t r = 0; r < n; ++r) scaled[r] = (1.0 / (r + 1.0)) / total_weight_ * n;
  std::vector<uint32_t> small, large;
  for (uint32_t r = n; r-- > 0;) (scaled[r] < 1.0 ? small : large).push_back(r);
  constexpr double kScale = 4294967296.0;  // 2^32
  while (!small.empty() && !large.empty()) {
    const uint32_t s = small.back();
    small.pop_back();
    const uint32_t l = large.back();
    threshold_[s] = static_cast<uint32_t>(scaled[s] * kScale);
    alias_[s] = l;
    scaled[l] = (scaled[l] + scaled[s]) - 1.0;
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // What is left is 1 up to rounding: such slots always keep themselves.
  for (uint32_t r : large) threshold_[r] = UINT32_MAX, alias_[r] = r;
  for (uint32_t r : small) threshold_[r] = UINT32_MAX, alias_[r] = r;
}

double ZipfSampler::probability(uint32_t rank) const { return (1.0 / (rank + 1.0)) / total_weight_; }

}  // namespace claimmap::sim
