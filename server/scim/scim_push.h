// server/scim/scim_push.h — how every SCIM write reaches the engine: as a
// provisioning push (docs/spec.md §3, §6) given as values to Engine::push,
// which resolves it by the same rules, in the same prepare stage, as the
// push line `claimmap eval` or POST /v1/events would read — without JSON
// text built here and parsed again there. No SCIM route changes state any
// other way, so a SCIM change and the same push sent to POST /v1/events do
// exactly the same thing, and the events metrics count both.
//
// REQUIRES: the caller holds context.config_mutex for its whole
// check-then-write sequence (docs/spec.md §13), so that two SCIM writers, or
// a SCIM writer and PUT /v1/config, cannot interleave.
#pragma once

#include <optional>
#include <string_view>

#include "server/scim/scim_json.h"
#include "server/server_app.h"

namespace claimmap::server::scim {

// Sends the push {type, settings.scim_provider, subject[, group]} to the
// engine and counts its result in the
// metrics. nullopt when the engine applied it; else the error as SCIM sees
// it: 404 for unknown_user or unknown_group, 500 for anything else (a push
// built here that the engine refuses is a server fault, e.g. a
// --scim-provider that a config reload removed).
std::optional<ScimError> run_push(RouteContext& context, Cause type, std::string_view subject,
                                  std::string_view group = {});

}  // namespace claimmap::server::scim
