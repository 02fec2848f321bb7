#include "simulator/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace claimmap::sim {
namespace {

// Values below 2·sub are their own bucket; each octave above (most significant
// bit SubBits+1 to 63) has `sub` buckets.
template <int SubBits>
constexpr size_t kSub = size_t{1} << SubBits;
template <int SubBits>
constexpr size_t kBucketCount = 2 * kSub<SubBits> + static_cast<size_t>(63 - SubBits) * kSub<SubBits>;

}  // namespace

template <int SubBits>
BasicLatencyHistogram<SubBits>::BasicLatencyHistogram() : buckets_(kBucketCount<SubBits>, 0) {}

template <int SubBits>
size_t BasicLatencyHistogram<SubBits>::index_of(uint64_t value) {
  constexpr size_t sub = kSub<SubBits>;
  if (value < 2 * sub) return static_cast<size_t>(value);
  const int msb = 63 - std::countl_zero(value);  // >= SubBits + 1
  const int shift = msb - SubBits;                // keep the top SubBits + 1 bits
  const uint64_t top = value >> shift;            // in [sub, 2·sub)
  return 2 * sub + static_cast<size_t>(msb - SubBits - 1) * sub + static_cast<size_t>(top - sub);
}

template <int SubBits>
uint64_t BasicLatencyHistogram<SubBits>::midpoint_of(size_t index) {
  constexpr size_t sub = kSub<SubBits>;
  if (index < 2 * sub) return index;
  const size_t octave = (index - 2 * sub) / sub;  // msb - SubBits - 1
  const uint64_t top = (index - 2 * sub) % sub + sub;
  const int shift = static_cast<int>(octave) + 1;
  const uint64_t low = top << shift;
  return low + ((uint64_t{1} << shift) >> 1);
}

template <int SubBits>
void BasicLatencyHistogram<SubBits>::record(uint64_t nanos) {
  ++buckets_[index_of(nanos)];
  ++count_;
  sum_ += nanos;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
}

template <int SubBits>
void BasicLatencyHistogram<SubBits>::merge(const BasicLatencyHistogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

template <int SubBits>
void BasicLatencyHistogram<SubBits>::clear() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

template <int SubBits>
uint64_t BasicLatencyHistogram<SubBits>::percentile(double q) const {
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

template class BasicLatencyHistogram<7>;
template class BasicLatencyHistogram<5>;

}  // namespace claimmap::sim
