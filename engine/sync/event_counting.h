// From an Outcome (interned ids, the engine's scratch) to what callers keep:
// a public Delta, and the counts of claimmap::EventCounters. The one place
// outcomes are counted, so that the CLI summary, the simulator and the
// server's metrics agree.
#pragma once

#include "claimmap/counters.h"
#include "claimmap/delta.h"
#include "engine/config/compiled_config.h"
#include "engine/sync/outcome.h"

namespace claimmap {

Cause cause_of(const Outcome& outcome);

Delta to_delta(const CompiledConfig& config, const Outcome& outcome);
void count_outcome(const Outcome& outcome, EventCounters* counters);

}  // namespace claimmap
