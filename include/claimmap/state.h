// claimmap/state.h — what loading saved state reports (docs/spec.md §9).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace claimmap {

// State is loaded under the current config, as a reload would see it: what the
// config no longer justifies is dropped and counted here (a warning, not an error).
struct StateLoadReport {
  size_t users = 0;                 // users loaded
  // Users whose provider the config does not have: kept, with their manual
  // memberships and direct roles, as after a reload that deleted the
  // provider (their mapped memberships are counted in dropped_mapped).
  size_t users_without_provider = 0;
  size_t dropped_mapped = 0;        // mapped memberships whose mapping is gone, changed or inactive
  size_t dropped_manual = 0;        // manual memberships of groups that are gone
  size_t dropped_direct_roles = 0;  // direct roles that are gone
  // Binary snapshots record the config they were written under: its
  // fingerprint (0: unknown, a snapshot converted from NDJSON), and whether
  // it is known to differ from the config loaded under (then the reload
  // rules reconciled the state, and the counts above say how).
  uint64_t snapshot_config_fingerprint = 0;
  bool config_changed = false;
  size_t dropped() const { return dropped_mapped + dropped_manual + dropped_direct_roles; }
  std::string to_string() const;
};

}  // namespace claimmap
