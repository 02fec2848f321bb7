#include "simulator/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace claimmap::sim {
namespace {

constexpr int kSub = 128;
// Values below 2·kSub are their own bucket; each octave above has kSub buckets.
constexpr size_t kBucketCount = 2 * kSub + (64 - 8) * kSub;

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBucketCount, 0) {}

size_t LatencyHistogram::index_of(uint64_t value) {
  if (value < 2 * kSub) return static_cast<size_t>(value);
  const int msb = 63 - std::countl_zero(value);  // >= 8
  const int shift = msb - kSubBits;               // keep the top 8 bits
  const uint64_t top = value >> shift;            // in [128, 256)
  return 2 * kSub + static_cast<size_t>(msb - 8) * kSub + static_cast<size_t>(top - kSub);
}

uint64_t LatencyHistogram::midpoint_of(size_t index) {
  if (index < 2 * kSub) return index;
  const size_t octave = (index - 2 * kSub) / kSub;  // msb - 8
  const uint64_t top = (index - 2 * kSub) % kSub + kSub;
  const int shift = static_cast<int>(octave) + 8 - kSubBits;
  const uint64_t low = top << shift;
  return low + ((uint64_t{1} << shift) >> 1);
}

void LatencyHistogram::record(uint64_t nanos) {
  ++buckets_[index_of(nanos)];
  ++count_;
  sum_ += nanos;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  const double wanted = std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_));
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(midpoint_of(i), min(), max_);
  }
  return max_;
}

}  // namespace claimmap::sim
