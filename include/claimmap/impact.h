// claimmap/impact.h — what a config change would do, before it is made
// (docs/spec.md §7 impact analysis, `claimmap diff`).
//
// analyse_change() applies the change to a scratch engine the caller gives
// it (build one with the current config and state): the reload's deltas, the
// replay of sample logins after it, and the lockouts — roles and apps that
// someone holds before and nobody holds after.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/counters.h"
#include "claimmap/delta.h"
#include "claimmap/engine.h"
#include "claimmap/status.h"

namespace claimmap {

struct Lockout {
  enum class Kind { kRole, kApp };
  Kind kind = Kind::kRole;
  std::string role;  // kRole only
  std::string app;
  uint64_t holders_before = 0;
  uint64_t holders_after = 0;  // always 0: that is what makes it a lockout
};

struct ImpactReport {
  std::vector<Delta> reload;   // seq 0, sorted by provider then subject
  std::string replay_output;   // the replay's result lines (NDJSON), if any
  EventCounters replay_counters;
  std::vector<Lockout> lockouts;  // roles sorted by id, then apps sorted by name

  // Summary figures of the reload.
  uint64_t users_affected = 0;
  std::map<std::string, uint64_t> groups_removed;  // group → memberships removed
  std::map<std::string, uint64_t> roles_revoked;   // app → roles revoked
  std::map<std::string, uint64_t> roles_granted;   // app → roles granted

  bool has_lockout() const { return !lockouts.empty(); }
  // The NDJSON of `claimmap diff`: reload lines, replay lines, lockout lines.
  std::string to_ndjson() const;
  // The summary `claimmap diff` writes to stderr.
  std::string summary_text() const;
};

// Reloads `scratch` with `next`, then (if `replay` is non-null) evaluates the
// replay's lines as `eval` would, and compares who holds each role and app
// before and after. `scratch`'s state is changed: pass a copy, never the
// engine serving logins. With options.explain, reload and replay lines carry
// their explain (docs/spec.md §17).
[[nodiscard]] Result<ImpactReport> analyse_change(Engine& scratch, const Config& next,
                                                  const std::string_view* replay = nullptr,
                                                  DeltaOptions options = {});

}  // namespace claimmap
