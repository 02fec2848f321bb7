// simulator/capacity.h — the highest sustained rate that keeps login p99
// under a target: the figure a team takes to its capacity plan.
//
// Bisection over short open-loop steady runs ("probes") on one Engine and
// one continuing event stream. A closed-loop probe first measures the most
// the engine can do, which bounds the search; a rate passes when the engine
// kept up with it (served at least 97% of it) and login p99, measured from
// scheduled arrival, stayed at or under the target. The search stops when
// the bracket is within 3% or after max_probes open-loop probes. A second
// closed-loop probe, after the search, tells how steady the machine was
// (simulator/capacity_caveat.h): the result carries a caveat when the
// answer should not be believed.
// Needs the Engine and Generator to itself while it runs.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "claimmap/engine.h"
#include "simulator/capacity_caveat.h"
#include "simulator/generator.h"
#include "simulator/replay.h"

namespace claimmap::sim {

struct CapacityOptions {
  double p99_target_seconds = 0.002;
  unsigned threads = 1;
  double probe_seconds = 1.0;  // offered duration of each probe
  // Every probe replays at least this many events, so that its p99 rests on
  // enough logins (a low rate's probe lasts longer than probe_seconds); the
  // closed-loop probes replay 5 times as many.
  uint64_t min_probe_events = 20'000;
  int max_probes = 10;
};

struct CapacityProbe {
  double rate = 0;  // offered; 0 for the closed-loop probe
  uint64_t events = 0;
  double throughput = 0;
  uint64_t p50_ns = 0, p99_ns = 0, max_ns = 0;
  bool passed = false;
};

struct CapacityResult {
  double capacity = 0;           // highest passing rate (0: none passed)
  double closed_loop_throughput = 0;  // the closed-loop probe before the search
  double closed_loop_after = 0;       // the same probe after it
  // Every probe in the order it ran: the first and the last are the
  // closed-loop ones (rate 0).
  std::vector<CapacityProbe> probes;
  CapacityCaveat caveat;  // whether the answer can be trusted
  ReplayResult at_capacity;  // the passing probe's full result
  // The time series (simulator/series.h) of the probe at capacity, or of the
  // last probe when none passed; series_rate is that probe's offered rate.
  SeriesSummary series;
  double series_rate = 0;
};

// `on_probe` (optional) is told about each probe as it finishes.
CapacityResult find_capacity(const ClientFactory& clients, Generator& generator, const CapacityOptions& options,
                             const std::function<void(const CapacityProbe&)>& on_probe = {});
// In process: find_capacity(in_process_clients(engine), …).
CapacityResult find_capacity(Engine& engine, Generator& generator, const CapacityOptions& options,
                             const std::function<void(const CapacityProbe&)>& on_probe = {});

}  // namespace claimmap::sim
