// simulator/replay.h — drives generated events through an Engine on N
// threads and measures what happened.
//
// Events are generated in windows (64 Ki events): the generator plans a
// window, the workers render it in parallel, then replay it. Generating is
// not what is measured, so the run's clock stops while a window is generated
// and every time below is on that clock ("run time").
//
// Order: each user's events go to one worker (a hash of the user index), so
// they reach the engine in stream order, as docs/spec.md §12 requires of a caller
// (the engine serialises a user's logins in the order the calls take its
// lock). Different users run in parallel.
//
// Closed loop: each worker sends its next event as soon as the last one is
// done; a login's latency is its service time. Open loop: event i is due at
// its arrival time from the ArrivalSchedule, whether or not the engine has
// kept up; a login's latency runs from that arrival to its completion, so
// time spent queued behind earlier events counts (no coordinated omission).
//
// replay() sends through EventClients (simulator/event_client.h): the Engine's
// public API in process, or a running server over HTTP (`--target`). It may
// run while other threads call the same Engine; it needs the Generator to
// itself. Closed loop, `batch` > 1 sends each thread's events that many to a
// request (every event of a batch gets the batch's latency).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "claimmap/engine.h"
#include "claimmap/status.h"
#include "simulator/event_client.h"
#include "simulator/delta_tally.h"
#include "simulator/generator.h"
#include "simulator/histogram.h"
#include "simulator/load_profile.h"
#include "simulator/series.h"

namespace claimmap::sim {

inline constexpr int kTimeSlices = 10;

struct ReplayOptions {
  unsigned threads = 1;
  uint64_t events = 0;
  std::optional<ArrivalSchedule> schedule;  // open loop when set
  uint64_t window = 65536;                  // events generated at a time
  std::atomic<uint64_t>* progress = nullptr;  // if set, counts events done
  unsigned batch = 1;                         // events a request, closed loop only
};

struct ReplayResult {
  DeltaTally tally;
  LatencyHistogram login_latency;  // logins and stale replays, in ns
  LatencyHistogram event_latency;  // every event
  // Login latency by tenth of the run (by arrival time when open loop, by
  // position when closed): a rising series shows a queue building.
  std::array<LatencyHistogram, kTimeSlices> login_latency_by_slice;
  // Offered and served rate, errors, revocations and login latency per
  // window of run time (simulator/series.h says how windows are cut).
  SeriesSummary series;
  bool open_loop = false;
  double offered_rate = 0;     // open loop: mean events/s of the schedule
  double peak_rate = 0;        // open loop: the schedule's peak
  double offered_seconds = 0;  // open loop: when the last event was due
  double run_seconds = 0;      // run time from the first event to the last completion
  double generate_seconds = 0;  // wall time spent generating (not measured)
  unsigned threads = 1;
  // A client that could not connect or send (over HTTP) stops the run; the
  // figures above then cover what was done before.
  Status error;

  double throughput() const { return run_seconds > 0 ? static_cast<double>(tally.events) / run_seconds : 0; }
  // Open loop: the engine served at least 97% of the offered rate.
  bool kept_up() const { return !open_loop || throughput() >= 0.97 * offered_rate; }
};

ReplayResult replay(const ClientFactory& clients, Generator& generator, const ReplayOptions& options);
// In process: replay(in_process_clients(engine), …).
ReplayResult replay(Engine& engine, Generator& generator, const ReplayOptions& options);

}  // namespace claimmap::sim
