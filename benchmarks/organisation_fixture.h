// A plain organisation for the reload and state benchmarks:
// one OIDC provider "idp", 100 groups of 2 roles each (grpN: AppN.Read,
// AppN.Write), one mapping per group (mN: claim "groups", value "gN"); user
// i ("u" + i) is mapped into 5 of the groups, a fixed pseudo-random choice.
// `changed` deletes the mappings of groups 3 and 57: ~10% of users lose one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "claimmap/config.h"

namespace claimmap::bench {

std::string organisation_config_json(bool changed);
std::vector<int> organisation_groups_of(uint64_t user);
// Every user's NDJSON state line (docs/spec.md §9).
std::string organisation_state_ndjson(uint64_t users);
// An unchanged login of `user` (a bare token, same groups as its state).
std::string organisation_login(uint64_t user);

struct OrganisationFixture {
  explicit OrganisationFixture(uint64_t users);
  Config before, after;  // the config, and the config after the change
  uint64_t users;
  std::string state;  // NDJSON
};

// Built once per process for the first `users` asked for.
const OrganisationFixture& organisation_fixture(uint64_t users);

}  // namespace claimmap::bench
