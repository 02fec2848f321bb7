// One message of a partition's events stream applied to the partition's
// Engine, exactly as its owner applies it: a login through process_to_ndjson
// (an over-long line, carried as its length only, as event_too_large), a
// reload marker through Engine::reload under the marker's config. Shared by
// PartitionRunner (which publishes the results) and `worker --export-state`
// (which replays a partition's events past its last checkpoint and drops
// them). Not thread-safe: one caller per Engine and AppliedEvent.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nats/nats.h>

#include "claimmap/counters.h"
#include "claimmap/engine.h"
#include "claimmap/status.h"
#include "worker/jetstream.h"
#include "worker/partition_runner.h"

namespace claimmap::scaleout {

struct AppliedEvent {
  uint64_t line_seq = 0;            // the message's Claimmap-Seq
  bool reload = false;              // a reload marker
  bool config_applied = false;      // ... whose config now rules the engine
  std::string not_applied;          // ... or why its config was refused (the engine unchanged)
  std::vector<std::string> lines;   // the result lines, without their newline
};

// Applies `msg` (stream sequence `stream_seq`) to `engine`; `counters` may be
// null. An error is the engine's refusal of a valid config (the partition
// cannot go on); a refused config is `not_applied`, not an error. With
// options.explain, result lines carry their explain (docs/spec.md §17).
Status apply_event(Engine& engine, ConfigCache& configs, JetStream& js, natsMsg* msg, uint64_t stream_seq,
                   EventCounters* counters, AppliedEvent* out, DeltaOptions options = {});

}  // namespace claimmap::scaleout
