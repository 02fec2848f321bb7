// simulator/simulate.h — what `claimmap simulate` runs (docs/spec.md §11): build an
// organisation and its users from a seed, load their saved state into an
// Engine, replay a login storm through it (or search for the capacity), and
// report. Also writes the same dataset to files for other tools.
//
// Each call owns its Engine and Generator; calls are independent and may run
// on different threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "claimmap/status.h"
#include "simulator/generator.h"
#include "simulator/load_profile.h"

namespace claimmap::sim {

// The login p99 target when none is given (--p99): the capacity search's
// and the verdict's (simulator/verdict.h, docs/simulator.md says why 2 ms).
inline constexpr double kDefaultP99Seconds = 0.002;

struct SimulateOptions {
  GeneratorOptions generator;  // seed, users, mappings, churn, shares of bad lines, pushes, stale replays
  uint64_t events = 1'000'000;  // --logins: events in the storm (logins and the rest)
  unsigned threads = 0;         // 0: one per CPU
  // Open loop when rate > 0, or when the profile is spike (whose rate can come
  // from spike_minutes and time_scale instead).
  double rate = 0;  // peak events per second of run time
  LoadProfile profile = LoadProfile::kSteady;
  // A storm in real time is compressed by time_scale: with no --rate, a spike
  // brings 80% of the events within spike_minutes of storm time, i.e.
  // spike_minutes·60/time_scale seconds of run time.
  double time_scale = 60;
  double spike_minutes = 5;
  bool find_capacity = false;
  // The login p99 target: the capacity search's (it searches the highest
  // rate that keeps p99 within it) and the verdict's (simulator/verdict.h).
  // p99_given says it came from the command line rather than the default.
  double p99_target_seconds = kDefaultP99Seconds;
  bool p99_given = false;
  // --min-rate: the verdict's rate target, events/s (a run's sustained rate,
  // a search's capacity).
  std::optional<double> min_rate;
  double probe_seconds = 1.0;
  // --target http://HOST:PORT (or https://): replay against a running
  // `claimmap serve` (which must serve this seed's config and state:
  // `--write-dataset` them) instead of in process, with the bearer token;
  // each replay thread keeps one connection. `batch` events a request
  // (closed loop). An https server is verified against target_ca (PEM CA
  // certificates; empty: the system's store).
  std::string target;
  std::string target_ca;
  std::string token;
  unsigned batch = 1;
  // --now: the time signed tokens are checked at (seconds since the epoch),
  // in the generator (every signed token valid at it) and in the engine
  // (EngineOptions::now_seconds). Unset: a signed run takes the storm's
  // now, storm_now(events) — or, against a server (`--target`), which checks
  // its wall clock, the wall clock's; an unsigned run leaves it unset.
  std::optional<int64_t> now;
  bool json = false;      // the report as JSON (for CI) instead of a table
  bool progress = false;  // draw progress bars on stderr
};

// What a finished simulation tells its caller besides the report.
struct SimulationOutcome {
  bool pass = true;  // the verdict (simulator/verdict.h): the run met its targets
  // Lines for stderr: why a capacity search should not be trusted
  // (simulator/capacity_caveat.h), if it should not.
  std::vector<std::string> warnings;
};

// Runs the simulation and puts the report (a table, or JSON) in `report`,
// and, if `html_page` is given, the --report page (simulator/report_html.h)
// in it, and the verdict and warnings in `outcome` if given. Fails only if
// the generated config or state does not load (a bug), or a --target
// server cannot be reached.
Status run_simulation(const SimulateOptions& options, std::string* report, std::string* html_page = nullptr,
                      SimulationOutcome* outcome = nullptr);

// Writes config.json, state.ndjson and events.ndjson (options.events lines)
// to `dir`, creating it if needed, and says what it wrote in `summary`.
// `claimmap eval --config DIR/config.json --state DIR/state.ndjson
// DIR/events.ndjson` replays them (a signed dataset with `--now N`, which
// the summary gives). kIoError if a file cannot be written; the paths are
// checked before anything is generated (claimmap/paths.h). Lines are
// rendered (and signed) on options.threads threads; the bytes do not
// depend on how many.
Status write_dataset(const SimulateOptions& options, const std::string& dir, std::string* summary);

// Which algorithm signed the logins of a run, for reports: "unsigned", or
// e.g. "RS256 (entra, okta, keycloak, auth0; unsigned: adfs), valid at now
// 1735734799".
std::string signing_description(const Generator& generator);

// The options with `now` settled as SimulateOptions::now says, and a signed
// run's generator given it.
SimulateOptions with_now_resolved(const SimulateOptions& options);

}  // namespace claimmap::sim
