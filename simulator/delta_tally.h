// simulator/delta_tally.h — what a run did, counted from the engine's output.
//
// Replay uses the engine's fast path (Engine::process_to_ndjson), which
// writes the SPEC §8 line instead of building a Delta; a DeltaTally reads the
// counts back from that line (the member order is fixed by
// docs/semantics.md). Plain value; one per thread, then merge().
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "claimmap/status.h"
#include "simulator/generator.h"

namespace claimmap::sim {

struct DeltaTally {
  uint64_t events = 0;
  uint64_t ok = 0, stale = 0, suspended = 0, errors = 0;
  std::array<uint64_t, kEventErrorCodeCount + 1> errors_by_code{};  // indexed by ErrorCode
  std::array<uint64_t, kEventKindCount> planned_by_kind{};         // what the generator sent
  uint64_t new_users = 0;
  uint64_t groups_added = 0, groups_removed = 0, roles_granted = 0, roles_revoked = 0;
  uint64_t overage_logins = 0;
  uint64_t input_bytes = 0;

  // Counts one event: what was planned, the engine's code and its output line.
  void add(EventKind planned, ErrorCode code, std::string_view output_line);
  void merge(const DeltaTally& other);
};

}  // namespace claimmap::sim
