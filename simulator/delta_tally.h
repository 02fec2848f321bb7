// simulator/delta_tally.h — what a run did: the engine's own counts of its
// outcomes (claimmap::EventCounters, filled by Engine::process_to_ndjson),
// plus what the generator planned to send. Plain value; one per thread, then
// merge().
#pragma once

#include <array>
#include <cstdint>

#include "claimmap/counters.h"
#include "simulator/generator.h"

namespace claimmap::sim {

struct DeltaTally : EventCounters {
  std::array<uint64_t, kEventKindCount> planned_by_kind{};  // what the generator sent
  uint64_t input_bytes = 0;

  void add_planned(EventKind planned) { ++planned_by_kind[static_cast<int>(planned)]; }
  void merge(const DeltaTally& other);
};

}  // namespace claimmap::sim
