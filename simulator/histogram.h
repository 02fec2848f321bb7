// simulator/histogram.h — a log-bucketed latency histogram.
//
// Latencies span five orders of magnitude in a storm (a microsecond when the
// engine keeps up, seconds when a queue builds), so buckets grow with the
// value: 2^SubBits buckets per power of two, each 1/2^SubBits of its octave
// wide. A percentile is reported as its bucket's midpoint and clamped to the
// exact min and max.
//
//   LatencyHistogram        128 buckets an octave: within 0.4% (values below
//                           256 ns exact); 59 KB. The run's figures.
//   WindowLatencyHistogram  32 buckets an octave: within 1.6% (values below
//                           64 ns exact); 15 KB. One per time window of the
//                           run (simulator/series.h), where there are many.
//
// Recording is O(1) without allocation. Not thread-safe: give each thread its
// own and merge() them afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace claimmap::sim {

template <int SubBits>
class BasicLatencyHistogram {
 public:
  BasicLatencyHistogram();

  void record(uint64_t nanos);
  void merge(const BasicLatencyHistogram& other);
  void clear();  // empty again, keeping its memory

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // The value at quantile q in [0, 1] (the ceil(q·count)-th smallest), in ns.
  uint64_t percentile(double q) const;

 private:
  static size_t index_of(uint64_t value);
  static uint64_t midpoint_of(size_t index);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

extern template class BasicLatencyHistogram<7>;
extern template class BasicLatencyHistogram<5>;

using LatencyHistogram = BasicLatencyHistogram<7>;
using WindowLatencyHistogram = BasicLatencyHistogram<5>;

}  // namespace claimmap::sim
