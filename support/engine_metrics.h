// support/engine_metrics.h — the metric families every ClaimMap process
// exposes, the server (GET /metrics) and the scale-out worker alike, so that
// a dashboard reads a worker as it reads a server: events by cause and by
// status, errors by code, new users and delta items (from the engine's own
// EventCounters), and the engine gauges (users, state bytes, config
// version). Prometheus text (support/prometheus_text.h).
//
// Free functions that append to a caller's string: call from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "claimmap/counters.h"

namespace claimmap::support {

// claimmap_events_total{cause}, claimmap_event_status_total{status},
// claimmap_event_errors_total{code}, claimmap_new_users_total and
// claimmap_delta_items_total{kind}, from `counters`.
void append_event_metrics(const EventCounters& counters, std::string* out);

// The engine gauges: users, state bytes, config version (a worker sums its
// partitions' engines and takes the highest version).
struct EngineFigures {
  uint64_t users = 0;
  uint64_t state_bytes = 0;
  uint64_t config_version = 0;
};
void append_engine_metrics(const EngineFigures& figures, std::string* out);

}  // namespace claimmap::support
