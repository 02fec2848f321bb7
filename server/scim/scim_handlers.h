// server/scim/scim_handlers.h — the SCIM endpoints by resource, as
// server/scim/scim_routes.cc dispatches to them (docs/spec.md §13):
//   scim_users.cc      /Users, /Users/{id}
//   scim_groups.cc     /Groups, /Groups/{id}
//   scim_discovery.cc  /ServiceProviderConfig, /ResourceTypes, /Schemas
// Each answers with a SCIM body or a SCIM error, never throws on bad input,
// and writes only through run_push (server/scim/scim_push.h).
//
// REQUIRES: context.settings.scim_provider is not empty (SCIM is on); ids are
// valid UTF-8 (scim_routes.cc answers 404 for any other).
#pragma once

#include <optional>
#include <string_view>

#include "server/scim/scim_json.h"
#include "server/server_app.h"

namespace claimmap::server::scim {

HttpResponse users_collection(RouteContext& context, const HttpRequest& request);
HttpResponse user_item(RouteContext& context, const HttpRequest& request, std::string_view id);

HttpResponse groups_collection(RouteContext& context, const HttpRequest& request);
HttpResponse group_item(RouteContext& context, const HttpRequest& request, std::string_view id);

HttpResponse service_provider_config(const HttpRequest& request);
// /ResourceTypes (id empty: the list) and /ResourceTypes/{User|Group}.
HttpResponse resource_types(const HttpRequest& request, std::optional<std::string_view> id);
// /Schemas (id empty: the list) and /Schemas/{urn}.
HttpResponse schemas(const HttpRequest& request, std::optional<std::string_view> id);

// 405 with an Allow header and a SCIM error body.
HttpResponse method_not_allowed(std::string_view allowed);
// 501: a SCIM operation this server does not offer (RFC 7644 §3.12).
HttpResponse not_implemented(std::string_view detail);

}  // namespace claimmap::server::scim
