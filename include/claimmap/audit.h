// claimmap/audit.h — least privilege and lockout safety of a config and its
// state (docs/spec.md §17): what `claimmap audit` writes.
//
// Plain values, owned by the caller.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace claimmap {

struct AuditFinding {
  // "app_single_holder", "direct_role", "group_empty", "group_without_roles",
  // "mapping_inactive", "mapping_unused" or "role_unheld".
  std::string kind;
  std::string id;      // the app, role, group or mapping the finding is about
  std::string reason;  // mapping_inactive: why
  uint64_t holders = 0;           // direct_role: users granted the role directly
  std::string provider, subject;  // app_single_holder: the one holder
};

// Who holds an app and how (the audit page): a holder is a user, not
// suspended, with any role of the app.
struct AppAccess {
  std::string app;
  uint64_t holders = 0;
  uint64_t manual_holders = 0;  // through a manual membership of a group granting a role of the app
  uint64_t direct_holders = 0;  // with a role of the app granted directly
  std::vector<std::pair<std::string, uint64_t>> groups;  // group → holders through it, by group id
  // The first holders by (provider, subject), at most kHolderSample: "provider/subject".
  std::vector<std::string> holder_sample;
  static constexpr size_t kHolderSample = 12;
};

struct AuditReport {
  std::vector<AuditFinding> findings;  // sorted by kind, then id
  std::vector<AppAccess> apps;         // every app of the config, by name
  uint64_t users = 0, suspended_users = 0;
  bool replayed = false;         // a replay was given (mapping_unused then also means "matched none of it")
  uint64_t replay_logins = 0;   // logins of the replay that were matched
  uint64_t replay_refused = 0;  // replay lines refused (bad JSON, a token that does not verify at
                                // EngineOptions::now_seconds or the clock, ...): they match nothing

  // One line per finding (docs/spec.md §17).
  std::string to_ndjson() const;
  // A few lines for a person: counts by kind.
  std::string summary_text() const;
};

}  // namespace claimmap
