// simulator/verdict.h — did the run meet its targets? The PASS or FAIL, with
// its reasons, that an SRE reads first: at the top of the --report page, in
// the text report and as the --json report's "verdict" (docs/simulator.md,
// "The verdict").
//
// Targets: `--p99 DURATION` (login p99 at most that) and `--min-rate N`
// (events/s at least that), either or both. With neither, the stated default
// applies: login p99 within kDefaultP99Seconds (simulator/simulate.h: 2 ms,
// the capacity search's default too, so that a run at the capacity a search
// found passes by the same measure). An open-loop run must also
// keep up with the load it was offered (served at least 97% of it, as a
// capacity probe must), whatever the targets: a run that fell behind
// measured a queue, not the engine.
//
// After --find-capacity the verdict is on the search: a rate was found whose
// p99 met the target, and, with --min-rate, it is at least that.
//
// Pure functions of the measured figures; no clock, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulator/simulate.h"

namespace claimmap::sim {

struct VerdictTargets {
  std::optional<double> p99_seconds;  // login p99 at most this
  std::optional<double> min_rate;     // events/s at least this
  bool stated_default = false;        // neither was given: p99 within kDefaultP99Seconds
};

// The targets of a simulation: what was given, or the stated default.
VerdictTargets verdict_targets(const SimulateOptions& options);

struct VerdictCheck {
  std::string name;  // "p99", "rate", "kept_up", "capacity"
  bool pass = false;
  double measured = 0;                // ns for p99; events/s otherwise
  std::optional<double> target;       // the same unit; none for "capacity"
  std::string text;                   // "p99 1.8 ms > target 1 ms"
};

struct Verdict {
  bool pass = true;
  VerdictTargets targets;
  std::vector<VerdictCheck> checks;

  // What a reader is told: the failed checks' texts when it failed, every
  // check's when it passed.
  std::vector<std::string> reasons() const;
  // "PASS: p99 412 µs <= target 2 ms" or "FAIL: p99 1.8 ms > target 1 ms; …".
  std::string headline() const;
  // "p99 <= 2 ms (the default target)", "p99 <= 500 µs, at least 10,000 events/s".
  std::string targets_text() const;
};

// What a run is judged on.
struct RunMeasures {
  bool open_loop = false;
  bool kept_up = true;       // open loop: served at least 97% of the offered rate
  uint64_t logins = 0;       // logins and stale replays measured
  uint64_t p99_ns = 0;       // their p99 (from scheduled arrival in open loop)
  double throughput = 0;     // events served over run time
  double offered_rate = 0;   // open loop: the schedule's mean rate
};

// The rate a run sustained: in open loop, the offered rate if the engine kept
// up with it (the served rate trails it only by the last events' latency),
// else what it served; in closed loop, its throughput.
double sustained_rate(const RunMeasures& run);

Verdict judge_run(const RunMeasures& run, const VerdictTargets& targets);
// A capacity search: `capacity` is the highest passing rate (0: none).
Verdict judge_capacity(double capacity, const VerdictTargets& targets);

}  // namespace claimmap::sim
