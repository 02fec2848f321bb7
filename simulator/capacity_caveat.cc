#include "simulator/capacity_caveat.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "simulator/duration.h"
#include "support/number_text.h"

namespace claimmap::sim {
namespace {

using support::with_commas;

// One decimal, as the report's "closed loop" row prints the spread.
std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", share * 100);
  return buf;
}

}  // namespace

CapacityCaveat assess_capacity_search(const SteadinessMeasures& m) {
  CapacityCaveat c;
  const double before = m.closed_loop_before, after = m.closed_loop_after;
  c.ceiling = std::max(before, after);
  c.spread = before > 0 && after > 0 ? std::fabs(before - after) / c.ceiling : 1.0;
  if (c.spread > kMaxClosedLoopSpread) {
    c.reasons.push_back("the machine was not steady: the closed-loop rate was " + with_commas(before) +
                        " events/s before the search and " + with_commas(after) + " after, " + percent(c.spread) +
                        " apart (more than " + percent(kMaxClosedLoopSpread) + ")");
  }
  const double target_ns = m.p99_target_seconds * 1e9;
  const bool served_fast = m.closed_loop_p99_ns > 0 && static_cast<double>(m.closed_loop_p99_ns) <= target_ns / 2;
  if (c.ceiling > 0 && served_fast && m.capacity < kMinCapacityShare * c.ceiling) {
    c.reasons.push_back(
        (m.capacity > 0 ? "the capacity found, " + with_commas(m.capacity) + " events/s, is " +
                              percent(m.capacity / c.ceiling) + " of"
                        : std::string("no probed rate passed, not even those far under")) +
        " the closed-loop ceiling of " + with_commas(c.ceiling) + " events/s whose logins had p99 " +
        format_duration_ns(static_cast<double>(m.closed_loop_p99_ns)) + ", within half the " +
        format_duration_ns(target_ns) + " target: the probes were likely slowed by other work on the machine");
  }
  c.trustworthy = c.reasons.empty();
  return c;
}

}  // namespace claimmap::sim
