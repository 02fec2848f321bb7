// The NDJSON form of the engine's state (SPEC §9): one user a line,
//   {"provider": P, "subject": S, "mapped": {"G": ["m1"]}, "manual": ["G2"],
//    "direct_roles": ["R"], "last_iat": 1700000000, "suspended": false}
// sorted by provider then subject, so that the same state gives the same bytes.
#pragma once

#include <string>
#include <string_view>

#include "claimmap/state.h"
#include "claimmap/status.h"
#include "engine/compiled_config.h"
#include "engine/user_store.h"

namespace claimmap {

std::string export_state(const CompiledConfig& config, const UserStore& store);

// Replaces the store's contents with the users of `ndjson`, read under `config`
// (what it no longer justifies is dropped and counted). A bad line refuses the
// whole load (kInvalidState, naming the line) and leaves the store untouched.
Status import_state(const CompiledConfig& config, std::string_view ndjson, UserStore* store, StateLoadReport* report);

}  // namespace claimmap
