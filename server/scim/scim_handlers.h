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

support::HttpResponse users_collection(RouteContext& context, const support::HttpRequest& request);
support::HttpResponse user_item(RouteContext& context, const support::HttpRequest& request, std::string_view id);

support::HttpResponse groups_collection(RouteContext& context, const support::HttpRequest& request);
support::HttpResponse group_item(RouteContext& context, const support::HttpRequest& request, std::string_view id);

support::HttpResponse service_provider_config(const support::HttpRequest& request);
// /ResourceTypes (id empty: the list) and /ResourceTypes/{User|Group}.
support::HttpResponse resource_types(const support::HttpRequest& request, std::optional<std::string_view> id);
// /Schemas (id empty: the list) and /Schemas/{urn}.
support::HttpResponse schemas(const support::HttpRequest& request, std::optional<std::string_view> id);

// A method the endpoint does not take: 501 with an Allow header and a SCIM
// error body. Not 405: RFC 7644 §3.12 gives SCIM's error statuses, and
// "the service provider does not support the request operation" is 501
// there (SCIM clients such as scimmy refuse an Error message with 405).
support::HttpResponse unsupported_method(std::string_view allowed);
// 501: a SCIM operation this server does not offer (RFC 7644 §3.12).
support::HttpResponse not_implemented(std::string_view detail);

}  // namespace claimmap::server::scim
