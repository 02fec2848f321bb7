// The verdict of a run or a capacity search (simulator/verdict.h) and the
// capacity search's caveat (simulator/capacity_caveat.h): pure functions of
// measured figures, tested on figures made up here, so that no machine's
// load can change an outcome.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "simulator/capacity_caveat.h"
#include "simulator/verdict.h"

namespace claimmap::sim {
namespace {

constexpr uint64_t kMs = 1'000'000;

RunMeasures closed_run(uint64_t p99_ns, double throughput) {
  RunMeasures m;
  m.logins = 10'000;
  m.p99_ns = p99_ns;
  m.throughput = throughput;
  return m;
}

TEST(SimulatorVerdict, TargetsFromTheOptions) {
  SimulateOptions o;
  VerdictTargets t = verdict_targets(o);  // nothing given: the stated default
  EXPECT_TRUE(t.stated_default);
  ASSERT_TRUE(t.p99_seconds);
  EXPECT_EQ(*t.p99_seconds, kDefaultP99Seconds);
  EXPECT_FALSE(t.min_rate);

  o.min_rate = 5000;  // only a rate: p99 is not judged
  t = verdict_targets(o);
  EXPECT_FALSE(t.stated_default);
  EXPECT_FALSE(t.p99_seconds);
  EXPECT_EQ(*t.min_rate, 5000);

  o.p99_given = true;  // both
  o.p99_target_seconds = 0.0005;
  t = verdict_targets(o);
  EXPECT_EQ(*t.p99_seconds, 0.0005);
  EXPECT_EQ(*t.min_rate, 5000);

  SimulateOptions search;  // a search always has its p99
  search.find_capacity = true;
  search.min_rate = 1000;
  EXPECT_EQ(*verdict_targets(search).p99_seconds, kDefaultP99Seconds);
}

TEST(SimulatorVerdict, P99AgainstItsTarget) {
  VerdictTargets t;
  t.p99_seconds = 0.001;
  Verdict v = judge_run(closed_run(1'800'000, 300'000), t);
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.headline(), "FAIL: p99 1.8 ms > target 1 ms");
  ASSERT_EQ(v.checks.size(), 1u);
  EXPECT_EQ(v.checks[0].name, "p99");
  EXPECT_EQ(v.checks[0].measured, 1'800'000);
  EXPECT_EQ(*v.checks[0].target, 1'000'000);

  v = judge_run(closed_run(412'000, 300'000), t);
  EXPECT_TRUE(v.pass);
  EXPECT_EQ(v.headline(), "PASS: p99 412 \xc2\xb5s <= target 1 ms");
  // At the target passes; just over it fails, and says so in enough digits.
  EXPECT_TRUE(judge_run(closed_run(kMs, 1), t).pass);
  v = judge_run(closed_run(kMs + 400, 1), t);
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.headline(), "FAIL: p99 1.0004 ms > target 1 ms");
  // No logins: nothing to judge, nothing failed.
  RunMeasures none = closed_run(0, 1000);
  none.logins = 0;
  EXPECT_TRUE(judge_run(none, t).pass);
}

TEST(SimulatorVerdict, RateAgainstItsTarget) {
  VerdictTargets t;
  t.min_rate = 10'000;
  Verdict v = judge_run(closed_run(50'000, 4'050), t);
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.headline(), "FAIL: throughput 4,050 events/s < target 10,000 events/s");
  // Both targets: the reasons of a FAIL are the failed checks only; of a
  // PASS every check.
  t.p99_seconds = 0.002;
  v = judge_run(closed_run(50'000, 4'050), t);
  EXPECT_EQ(v.reasons(), std::vector<std::string>{"throughput 4,050 events/s < target 10,000 events/s"});
  v = judge_run(closed_run(50'000, 329'210), t);
  EXPECT_TRUE(v.pass);
  EXPECT_EQ(v.reasons().size(), 2u);
  EXPECT_EQ(v.targets_text(), "p99 <= 2 ms, at least 10,000 events/s");
}

TEST(SimulatorVerdict, OpenLoopMustKeepUp) {
  RunMeasures m;
  m.open_loop = true;
  m.logins = 1000;
  m.p99_ns = 100'000;
  m.offered_rate = 40'000;
  m.throughput = 39'950;  // the tail of the last events: kept up
  m.kept_up = true;
  VerdictTargets t;
  t.min_rate = 40'000;
  // Kept up: the sustained rate is the offered one.
  Verdict v = judge_run(m, t);
  EXPECT_TRUE(v.pass) << v.headline();
  EXPECT_EQ(sustained_rate(m), 40'000);
  // Fell behind: a FAIL whatever the targets, and the rate is what was served.
  m.throughput = 30'000;
  m.kept_up = false;
  v = judge_run(m, VerdictTargets{});
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.headline(), "FAIL: fell behind: served 30,000 events/s, under 97% of the 40,000 events/s offered");
  v = judge_run(m, t);
  EXPECT_EQ(v.reasons().size(), 2u);
  EXPECT_EQ(v.checks[1].measured, 30'000);
}

TEST(SimulatorVerdict, CapacitySearch) {
  VerdictTargets t;
  t.p99_seconds = 0.002;
  EXPECT_EQ(judge_capacity(41'000, t).headline(), "PASS: capacity 41,000 events/s with p99 <= 2 ms");
  EXPECT_EQ(judge_capacity(0, t).headline(), "FAIL: no probed rate kept p99 within 2 ms");
  t.min_rate = 50'000;
  EXPECT_EQ(judge_capacity(41'000, t).headline(), "FAIL: capacity 41,000 events/s < target 50,000 events/s");
}

SteadinessMeasures steady(double before, double after, uint64_t p99_ns, double capacity) {
  return {before, after, p99_ns, capacity, 0.002};
}

TEST(SimulatorCapacityCaveat, SteadyMachineAndPlausibleAnswer) {
  const CapacityCaveat c = assess_capacity_search(steady(300'000, 290'000, 80'000, 210'000));
  EXPECT_TRUE(c.trustworthy);
  EXPECT_TRUE(c.reasons.empty());
  EXPECT_NEAR(c.spread, 10'000.0 / 300'000, 1e-12);
  EXPECT_EQ(c.ceiling, 300'000);
}

TEST(SimulatorCapacityCaveat, ClosedLoopRateMoved) {
  // 10% apart is still steady; more is not, whichever run was the faster.
  EXPECT_TRUE(assess_capacity_search(steady(100'000, 90'000, 80'000, 70'000)).trustworthy);
  for (const auto& [before, after] : {std::pair{100'000.0, 89'000.0}, std::pair{89'000.0, 100'000.0}}) {
    const CapacityCaveat c = assess_capacity_search(steady(before, after, 80'000, 70'000));
    EXPECT_FALSE(c.trustworthy);
    ASSERT_EQ(c.reasons.size(), 1u);
    EXPECT_NE(c.reasons[0].find("11.0% apart (more than 10.0%)"), std::string::npos) << c.reasons[0];
  }
  // A closed-loop run that measured nothing is no measure of steadiness.
  EXPECT_FALSE(assess_capacity_search(steady(100'000, 0, 80'000, 70'000)).trustworthy);
}

TEST(SimulatorCapacityCaveat, ImplausiblyLowCapacity) {
  // The case of issue 29: 4,050 logins/s against a ceiling of 329,210 whose
  // closed-loop logins were served well within the target.
  CapacityCaveat c = assess_capacity_search(steady(329'210, 320'000, 90'000, 4'050));
  EXPECT_FALSE(c.trustworthy);
  ASSERT_EQ(c.reasons.size(), 1u);
  EXPECT_NE(c.reasons[0].find("4,050 events/s, is 1.2% of the closed-loop ceiling of 329,210"), std::string::npos)
      << c.reasons[0];
  // No rate at all, though logins were fast: the same.
  c = assess_capacity_search(steady(329'210, 320'000, 90'000, 0));
  EXPECT_FALSE(c.trustworthy);
  EXPECT_NE(c.reasons[0].find("no probed rate passed"), std::string::npos) << c.reasons[0];
  // A quarter of the ceiling is plausible.
  EXPECT_TRUE(assess_capacity_search(steady(329'210, 320'000, 90'000, 329'210 * 0.25)).trustworthy);
  // A target the engine's own service time is near (closed-loop p99 over
  // half of it) may well give a low capacity: no caveat for that.
  EXPECT_TRUE(assess_capacity_search(steady(329'210, 320'000, 1'200'000, 4'050)).trustworthy);
  // Both at once: both reasons.
  EXPECT_EQ(assess_capacity_search(steady(329'210, 200'000, 90'000, 4'050)).reasons.size(), 2u);
}

}  // namespace
}  // namespace claimmap::sim
