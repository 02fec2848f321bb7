// The data the benchmarks share, made once per process by the simulator's
// generator (simulator/generator.h) so that every case — engine, ceilings,
// naive peer — reads the same bytes.
//
// The default workload: Entra-like tokens (~1.25 KB, 20 groups on
// average; bare tokens and login envelopes mixed, as the generator makes
// them), 10k mappings, 1M users with saved state, 2% of logins drifting, 0.5%
// stale replays, 0.1% bad lines. The number of events is
// CLAIMMAP_BENCH_EVENTS (default 1,000,000; `make bench-check` uses fewer).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "claimmap/stream.h"
#include "engine/config/compiled_config.h"

namespace claimmap::bench {

struct Workload {
  std::string config_json;
  Config config = ConfigAccess::make(nullptr);  // set when built
  std::string state_ndjson;  // every user's state before the stream
  std::string events;        // NDJSON, one event a line
  std::vector<std::string_view> lines;  // views into `events`, without newlines
  uint64_t users = 0;
  uint64_t state_memberships = 0;  // mapped memberships in state_ndjson, all users
};

// Built on first use; thread-safe.
const Workload& default_workload();

// The heavy workload: users in many groups whose every login is a
// fresh draw — four IdP shapes (Okta arrays, Keycloak nested roles, SAML
// ";"-delimited attributes, Auth0 namespaced claims), 10k mappings, ~10 IdP
// groups a token each mapped to 16 config groups (~75 groups a user), 2 roles
// a group, churn 1 and drift share 1 (each login replaces most of the user's
// groups and ~150 roles), 0.5% stale replays, 0.1% bad lines.
// CLAIMMAP_BENCH_HEAVY_USERS users (default 100,000) with saved state,
// CLAIMMAP_BENCH_HEAVY_EVENTS events (default 200,000).
const Workload& heavy_workload();

// Wall-clock seconds that f takes, and the median of measurements (the mean
// of the middle two for an even count): for benchmarks that interleave
// their contenders round by round and report medians.
double seconds_of(const std::function<void()>& f);
double median_of(std::vector<double> values);

// The number in environment variable `name`, or `fallback` when it is unset.
uint64_t number_from_env(const char* name, uint64_t fallback);
// The events count asked for by CLAIMMAP_BENCH_EVENTS, or `fallback`.
inline uint64_t events_from_env(uint64_t fallback) { return number_from_env("CLAIMMAP_BENCH_EVENTS", fallback); }

// An Engine holding the workload's saved state, warmed by one untimed pass
// over the stream, so that timed passes see the steady state of a storm (most
// logins change nothing). run() replays the whole stream through run_stream —
// what `claimmap eval` runs — from an in-memory file (memfd) to /dev/null.
class EngineRun {
 public:
  explicit EngineRun(const Workload& workload);
  ~EngineRun();
  EngineRun(const EngineRun&) = delete;
  EngineRun& operator=(const EngineRun&) = delete;

  StreamSummary run(unsigned threads);
  Engine& engine() { return engine_; }

 private:
  Engine engine_;
  int in_fd_, out_fd_;
};

// The EngineRun of default_workload(), built on first use.
EngineRun& default_engine_run();

// An engine for a storm whose replays must not see their own results: a
// second pass of the heavy stream would find every user at its last login
// (and its tokens stale), so reset() restores the saved state (from a binary
// snapshot in a temporary directory) before each timed run.
class StormRun {
 public:
  explicit StormRun(const Workload& workload);
  ~StormRun();
  StormRun(const StormRun&) = delete;
  StormRun& operator=(const StormRun&) = delete;

  void reset();                        // untimed: the state before the stream
  StreamSummary run(unsigned threads);  // then one pass (what `claimmap eval` runs)
  Engine& engine() { return run_.engine(); }

 private:
  EngineRun run_;
  std::string dir_, snapshot_;
};

// The StormRun of heavy_workload(), built on first use.
StormRun& heavy_storm_run();

// The process's resident memory now, from /proc/self/statm.
size_t resident_bytes();

}  // namespace claimmap::bench
