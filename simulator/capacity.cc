#include "simulator/capacity.h"

#include <algorithm>
#include <cmath>

namespace claimmap::sim {
namespace {

CapacityProbe summarise(double rate, const ReplayResult& r, double target_ns) {
  CapacityProbe p;
  p.rate = rate;
  p.events = r.tally.events;
  p.throughput = r.throughput();
  p.p50_ns = r.login_latency.percentile(0.50);
  p.p99_ns = r.login_latency.percentile(0.99);
  p.max_ns = r.login_latency.max();
  p.passed = rate > 0 && r.kept_up() && static_cast<double>(p.p99_ns) <= target_ns;
  return p;
}

}  // namespace

CapacityResult find_capacity(Engine& engine, Generator& generator, const CapacityOptions& options,
                             const std::function<void(const CapacityProbe&)>& on_probe) {
  return find_capacity(in_process_clients(engine), generator, options, on_probe);
}

CapacityResult find_capacity(const ClientFactory& clients, Generator& generator, const CapacityOptions& options,
                             const std::function<void(const CapacityProbe&)>& on_probe) {
  CapacityResult result;
  const double target_ns = options.p99_target_seconds * 1e9;
  auto probe = [&](double rate) -> ReplayResult {
    ReplayOptions replay_options;
    replay_options.threads = options.threads;
    // Open-loop probes offer probe_seconds of load; the closed-loop one a
    // fixed count, as its rate is what it measures.
    const double wanted = rate > 0 ? rate * options.probe_seconds : 5.0 * options.min_probe_events;
    replay_options.events = std::max<uint64_t>(options.min_probe_events, static_cast<uint64_t>(wanted));
    if (rate > 0) replay_options.schedule = ArrivalSchedule(LoadProfile::kSteady, rate, replay_options.events);
    ReplayResult r = replay(clients, generator, replay_options);
    CapacityProbe p = summarise(rate, r, target_ns);
    result.probes.push_back(p);
    if (on_probe) on_probe(p);
    return r;
  };

  // The ceiling: as fast as it goes (this probe also warms caches and the
  // per-thread scratch, so that the first open-loop probe is not penalised).
  const ReplayResult ceiling = probe(0);
  result.closed_loop_throughput = ceiling.throughput();
  double low = 0, high = result.closed_loop_throughput * 1.05;
  double rate = result.closed_loop_throughput * 0.7;
  for (int i = 0; i < options.max_probes && high > 0; ++i) {
    ReplayResult r = probe(rate);
    if (result.probes.back().passed || low == 0) {
      result.series = r.series;
      result.series_rate = rate;
    }
    if (result.probes.back().passed) {
      low = rate;
      result.at_capacity = std::move(r);
    } else {
      high = rate;
    }
    if (low > 0 && (high - low) <= 0.03 * high) break;
    // Halve the bracket; until something passes, step down faster.
    rate = low > 0 ? (low + high) / 2 : rate / 2;
    if (rate < 1) break;
  }
  result.capacity = low;
  // The ceiling again, now that the search is over: if the machine's other
  // work came or went meanwhile, the two disagree (capacity_caveat.h).
  const ReplayResult after = probe(0);
  result.closed_loop_after = after.throughput();
  SteadinessMeasures steadiness;
  steadiness.closed_loop_before = result.closed_loop_throughput;
  steadiness.closed_loop_after = result.closed_loop_after;
  steadiness.closed_loop_p99_ns = result.probes.front().p99_ns;
  steadiness.capacity = result.capacity;
  steadiness.p99_target_seconds = options.p99_target_seconds;
  result.caveat = assess_capacity_search(steadiness);
  return result;
}

}  // namespace claimmap::sim
