// The NDJSON form of the engine's state (SPEC §9): one user a line,
//   {"provider": P, "subject": S, "mapped": {"G": ["m1"]}, "manual": ["G2"],
//    "direct_roles": ["R"], "last_iat": 1700000000, "suspended": false}
// sorted by provider then subject, so that the same state gives the same bytes.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "claimmap/state.h"
#include "claimmap/status.h"
#include "engine/config/compiled_config.h"
#include "engine/state/user_store.h"

namespace claimmap {

std::string export_state(const CompiledConfig& config, const UserStore& store);

// One user of a saved state, by name (both saved forms hold names, not the
// config's interned ids, so a state outlives the config that wrote it).
struct UserNames {
  std::string_view provider, subject;
  std::vector<std::pair<std::string_view, std::vector<std::string_view>>> mapped;  // group → mapping ids
  std::vector<std::string_view> manual, direct_roles;
  bool has_iat = false;
  double last_iat = 0;
  bool suspended = false;
};

// Resolves `names` under `config`, as a reload would see it (SPEC §7, §9):
// memberships of mappings that are gone, changed or inactive, of groups that
// are gone, and direct roles that are gone are dropped and counted. Returns
// false (and counts it) when the user's provider is gone.
bool resolve_user(const CompiledConfig& config, const UserNames& names, UserKey* key, UserState* user,
                  StateLoadReport* report);

// Collects resolved users, refusing a repeated one, and replaces a store's
// contents with them only once all were read (nothing half-loaded).
class UserLoader {
 public:
  UserLoader(const CompiledConfig& config, StateLoadReport* report) : config_(config), report_(report) {}
  // `where` names the user's place in the input ("state line 3") for errors.
  Status add(const UserNames& names, const std::string& where);
  void commit(UserStore* store);

 private:
  const CompiledConfig& config_;
  StateLoadReport* report_;
  std::vector<std::pair<UserKey, UserState>> users_;
  std::unordered_map<std::string, std::string> where_of_;  // provider index, NUL, subject → where
};

// Replaces the store's contents with the users of `ndjson`, read under `config`
// (what it no longer justifies is dropped and counted). A bad line refuses the
// whole load (kInvalidState, naming the line) and leaves the store untouched.
Status import_state(const CompiledConfig& config, std::string_view ndjson, UserStore* store, StateLoadReport* report);

}  // namespace claimmap
