// The latency histogram and arrival schedules (simulator/histogram.h,
// simulator/load_profile.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "simulator/histogram.h"
#include "simulator/load_profile.h"
#include "simulator/prng.h"

namespace claimmap::sim {
namespace {

uint64_t exact_percentile(std::vector<uint64_t> values, double q) {
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<size_t>(std::max(1.0, std::ceil(q * values.size())));
  return values[rank - 1];
}

void expect_within_one_percent(const std::vector<uint64_t>& values) {
  LatencyHistogram h;
  for (uint64_t v : values) h.record(v);
  for (double q : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const double exact = static_cast<double>(exact_percentile(values, q));
    EXPECT_NEAR(static_cast<double>(h.percentile(q)), exact, exact * 0.01) << "q=" << q;
  }
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
  EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(h.count(), values.size());
}

TEST(SimulatorHistogram, PercentilesWithinOnePercentOnUniformData) {
  std::vector<uint64_t> values;
  for (uint64_t v = 1000; v <= 1'000'000; v += 7) values.push_back(v);
  expect_within_one_percent(values);
}

TEST(SimulatorHistogram, PercentilesWithinOnePercentOnLongTailedData) {
  // Microseconds with a tail into seconds, as in an overloaded storm.
  Xoshiro256 rng(1);
  std::vector<uint64_t> values;
  for (int i = 0; i < 200000; ++i) {
    const double u = rng.next_double();
    values.push_back(static_cast<uint64_t>(1500 * std::exp(u * u * 14)));  // 1.5 µs .. ~1.8 s
  }
  expect_within_one_percent(values);
}

TEST(SimulatorHistogram, SmallValuesAreExact) {
  std::vector<uint64_t> values = {0, 1, 2, 3, 100, 200, 255};
  LatencyHistogram h;
  for (uint64_t v : values) h.record(v);
  EXPECT_EQ(h.percentile(0.5), 3u);  // the 4th of 7
  EXPECT_EQ(h.percentile(0.6), 100u);
  EXPECT_EQ(h.percentile(1.0), 255u);
  EXPECT_EQ(h.percentile(0.0), 0u);
}

TEST(SimulatorHistogram, MergeEqualsRecordingEverything) {
  LatencyHistogram a, b, all;
  for (uint64_t v = 1; v < 100000; v += 3) (v % 2 ? a : b).record(v * 37), all.record(v * 37);
  a.merge(b);
  for (double q : {0.5, 0.9, 0.99}) EXPECT_EQ(a.percentile(q), all.percentile(q));
  EXPECT_EQ(a.count(), all.count());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
}

TEST(SimulatorSchedule, SteadyIsEvenlySpaced) {
  ArrivalSchedule s(LoadProfile::kSteady, 1000, 5000);
  EXPECT_DOUBLE_EQ(s.arrival_seconds(0), 0);
  EXPECT_DOUBLE_EQ(s.arrival_seconds(1000), 1.0);
  EXPECT_NEAR(s.mean_rate(), 1000, 1);
}

TEST(SimulatorSchedule, RampAndSpikeReachThePeakAndNeverGoBack) {
  for (LoadProfile p : {LoadProfile::kRamp, LoadProfile::kSpike}) {
    ArrivalSchedule s(p, 10000, 100000);
    double last = -1, max_rate = 0;
    for (uint64_t i = 0; i < 100000; i += 100) {
      const double t = s.arrival_seconds(i);
      ASSERT_GT(t, last);
      if (last >= 0) max_rate = std::max(max_rate, 100 / (t - last));
      last = t;
    }
    EXPECT_NEAR(max_rate, 10000, 100) << load_profile_name(p);
    EXPECT_LT(s.mean_rate(), 10000) << load_profile_name(p);
  }
  // A spike brings 80% of the events at the peak.
  ArrivalSchedule spike(LoadProfile::kSpike, 10000, 100000);
  EXPECT_NEAR(spike.arrival_seconds(90000) - spike.arrival_seconds(10000), 8.0, 1e-9);
}

}  // namespace
}  // namespace claimmap::sim
