// claimmap/delta.h — what one event did to one user (SPEC §8).
//
// A Delta is a plain value owned by the caller. Names are the config's ids;
// every array is sorted bytewise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "claimmap/status.h"

namespace claimmap {

struct Delta {
  uint64_t seq = 0;
  std::string cause;     // "login", "assign", …, "reload"; empty when unknown
  std::string provider;  // empty when not resolved
  std::string subject;   // empty when not read
  std::string status;    // "ok", "stale", "suspended" or "error"
  Status error;          // the line's error when status is "error"
  bool new_user = false;
  std::vector<std::string> groups_added;
  std::vector<std::string> groups_removed;
  std::vector<std::string> roles_granted;
  std::vector<std::string> roles_revoked;
  std::vector<std::string> overage;  // claims left out for size (SPEC §4)

  bool ok() const { return status != "error"; }
};

}  // namespace claimmap
