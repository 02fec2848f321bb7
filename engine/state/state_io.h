// The NDJSON form of the engine's state (docs/spec.md §9): one user a line,
//   {"provider": P, "subject": S, "mapped": {"G": ["m1"]}, "manual": ["G2"],
//    "direct_roles": ["R"], "last_iat": 1700000000, "suspended": false}
// sorted by provider then subject, so that the same state gives the same bytes.
#pragma once

#include <string>
#include <string_view>
#include <deque>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "claimmap/state.h"
#include "claimmap/status.h"
#include "engine/common/file_io.h"
#include "engine/config/compiled_config.h"
#include "engine/state/user_store.h"

namespace claimmap {

// `store`'s records must hold ids of `config` (the caller holds the engine's
// admin lock, so no reload is converting shards meanwhile).
std::string export_state(const CompiledConfig& config, const UserStore& store);

// The provider ids of a store's keys, looked up once each.
class ProviderNames {
 public:
  explicit ProviderNames(const UserStore& store) : store_(store) {}
  const std::string& operator()(ProviderKey key);

 private:
  const UserStore& store_;
  std::deque<std::string> names_;  // a deque: references stay valid as it grows
};

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

// Calls f(names, where) for each user line of `ndjson` ("state line 3"; the
// views are valid during the call only). Stops at the first bad line
// (kInvalidState, naming it) or the first error f returns.
Status for_each_state_line(std::string_view ndjson,
                           const std::function<Status(const UserNames&, const std::string&)>& f);

// Appends the user's state line (docs/spec.md §9), newline included: the one
// writer of the NDJSON form, for export and for `claimmap state convert`.
// `names.mapped` and the lists must be sorted as they are to appear.
void append_state_line(std::string& out, const UserNames& names);

// Resolves `names` under `config`, as a reload would see it (docs/spec.md §7, §9),
// by the rules of engine/reload/reload_rules.h: memberships of mappings that
// are gone, changed or inactive, of groups that are gone, and direct roles
// that are gone are dropped and counted. A user whose provider the config
// does not have is kept without mapped memberships, as after a reload that
// deleted the provider. The key's provider comes from `keys` (the live store).
void resolve_user(const CompiledConfig& config, UserStore& keys, const UserNames& names, UserKey* key,
                  UserState* user, StateLoadReport* report);

// Collects resolved users, refusing a repeated one, and fills a staged store
// with them only once all were read (nothing half-loaded); the engine then
// swaps the staged store in whole (UserStore::replace_all).
class UserLoader {
 public:
  UserLoader(const CompiledConfig& config, UserStore& keys, StateLoadReport* report)
      : config_(config), keys_(keys), report_(report) {}
  // `where` names the user's place in the input ("state line 3") for errors.
  Status add(const UserNames& names, const std::string& where);
  void commit(UserStore* staged);

 private:
  const CompiledConfig& config_;
  UserStore& keys_;
  StateLoadReport* report_;
  std::vector<std::pair<UserKey, UserState>> users_;
  std::unordered_map<std::string, std::string> where_of_;  // provider index, NUL, subject → where
};

// Reads the users of `ndjson` under `config` into the empty store `staged`
// (what the config no longer justifies is dropped and counted), keyed by
// `keys`' provider keys. A bad line refuses the whole load (kInvalidState,
// naming the line).
Status import_state(const CompiledConfig& config, std::string_view ndjson, UserStore& keys, UserStore* staged,
                    StateLoadReport* report);

// import_state of the NDJSON state in `file`, read in pieces by the
// threads of the caller's arena into buffers each reuses (a state of
// hundreds of MB is never held whole). Same users, report and errors as
// import_state of the whole text: a problem is named by reading the file
// again whole, as one reader would meet it. A file that changes size while
// it is read is refused (FileReader).
Status import_state_file(const CompiledConfig& config, const FileReader& file, UserStore& keys, UserStore* staged,
                         StateLoadReport* report);

}  // namespace claimmap
