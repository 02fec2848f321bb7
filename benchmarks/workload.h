// The data the benchmarks share, made once per process by the simulator's
// generator (simulator/generator.h) so that every case — engine, ceilings,
// naive peer — reads the same bytes.
//
// The default workload of issue 5: Entra-like tokens (~1 KB, 20 groups each),
// 10k mappings, 1M users with saved state, 2% of logins drifting. The number
// of events is CLAIMMAP_BENCH_EVENTS (default 1,000,000; `make bench-check`
// uses fewer).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/config.h"

namespace claimmap::bench {

struct Workload {
  std::string config_json;
  Config config{nullptr};
  std::string state_ndjson;  // every user's state before the stream
  std::string events;        // NDJSON, one event a line
  std::vector<std::string_view> lines;  // views into `events`, without newlines
  uint64_t users = 0;
};

// Built on first use; thread-safe.
const Workload& default_workload();

// The events count asked for by CLAIMMAP_BENCH_EVENTS, or `fallback`.
uint64_t events_from_env(uint64_t fallback);

}  // namespace claimmap::bench
