// simulator/capacity_caveat.h — whether a capacity search can be trusted.
//
// A probe fails when login p99 passes the target, and on a machine shared
// with other work a probe's threads wait for a core: p99 then measures the
// machine, not the engine, and the search reports a capacity far below what
// the engine can do (4,050 logins/s against a closed-loop ceiling of 329,210
// was reported from a busy two-core VM). So the search measures how
// steady the machine was, and says when its answer should not be believed:
//
//   - unsteady: the closed-loop rate, measured before the search and again
//     after it, moved by more than kMaxClosedLoopSpread (10%) of the higher
//     of the two. On a quiet machine the two agree within a few percent; a
//     build that starts or stops during the search moves it by tens.
//   - implausibly low: the capacity found is under kMinCapacityShare (a
//     quarter) of the ceiling (the higher closed-loop rate) although
//     closed-loop logins, flat out, had a p99 within half the target. A
//     steady arrival stream at a quarter of what the engine can do queues
//     almost nothing, so logins served that fast should have met the target
//     there; a busy machine is the likely reason they did not.
//
// A pure function of the measured figures, so it is tested without timing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace claimmap::sim {

inline constexpr double kMaxClosedLoopSpread = 0.10;
inline constexpr double kMinCapacityShare = 0.25;

struct SteadinessMeasures {
  double closed_loop_before = 0;  // events/s, the probe that bounds the search
  double closed_loop_after = 0;   // events/s, the same probe after the search
  uint64_t closed_loop_p99_ns = 0;  // login p99 (service time) of the probe before
  double capacity = 0;              // the search's answer (0: no rate passed)
  double p99_target_seconds = 0;
};

struct CapacityCaveat {
  bool trustworthy = true;
  // |before - after| / max(before, after); 1 when either is 0.
  double spread = 0;
  // The higher closed-loop rate: the engine's ceiling on this machine.
  double ceiling = 0;
  std::vector<std::string> reasons;  // empty when trustworthy
};

CapacityCaveat assess_capacity_search(const SteadinessMeasures& m);

}  // namespace claimmap::sim
