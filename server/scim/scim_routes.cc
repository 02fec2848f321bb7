// SCIM 2.0 under /scim/v2 (docs/spec.md §13; RFC 7643, RFC 7644): the
// dispatch from a subpath to its endpoint (server/scim/scim_handlers.h).
//
// The routes hold no business logic: every write is a provisioning push line
// run through Engine::process (server/scim/scim_push.h), every read is
// find_user, who_has or the config's group ids.
//
// handle_scim never throws: the body of every request runs inside one
// try/catch, so that a case a handler did not foresee answers a SCIM error
// rather than tear down the connection. Handlers send their pushes last,
// after all validation, so such an error cannot follow a partial change.
#include <exception>
#include <optional>
#include <string>

#include "server/scim/scim_handlers.h"
#include "server/server_app.h"

namespace claimmap::server {

namespace {

using scim::ScimError;
using scim::error_response;

support::HttpResponse route(RouteContext& context, const support::HttpRequest& request, std::string_view subpath) {
  // Off unless `claimmap serve --scim-provider P`: every SCIM route is 404,
  // discovery included, so a client does not configure itself against a
  // server that would refuse each write.
  if (context.settings.scim_provider.empty()) {
    return error_response({404, "", "SCIM is not enabled on this server (claimmap serve --scim-provider P)"});
  }
  // "/Users/u1" → endpoint "Users", id "u1". The id is the rest of the path
  // after the endpoint's '/', already %-decoded, so a subject holding '/'
  // (sent as %2F) is one id. "/Users" and "/Users/" are the collection.
  if (subpath.starts_with('/')) subpath.remove_prefix(1);
  const size_t slash = subpath.find('/');
  const std::string_view endpoint = subpath.substr(0, slash);
  std::optional<std::string_view> id;
  if (slash != std::string_view::npos && slash + 1 < subpath.size()) id = subpath.substr(slash + 1);
  // No subject or group id can be anything but UTF-8 (they are JSON strings);
  // refusing other bytes here keeps them out of every push line.
  if (id && !scim::valid_utf8(*id)) return error_response({404, "", "no such resource"});

  if (endpoint == "Users") {
    return id ? scim::user_item(context, request, *id) : scim::users_collection(context, request);
  }
  if (endpoint == "Groups") {
    return id ? scim::group_item(context, request, *id) : scim::groups_collection(context, request);
  }
  const bool discovery = endpoint == "ServiceProviderConfig" || endpoint == "ResourceTypes" || endpoint == "Schemas";
  if (discovery && request.method != "GET") return scim::unsupported_method("GET");
  if (endpoint == "ServiceProviderConfig" && !id) return scim::service_provider_config(request);
  if (endpoint == "ResourceTypes") return scim::resource_types(request, id);
  if (endpoint == "Schemas") return scim::schemas(request, id);
  if (endpoint == "Bulk") return scim::not_implemented("bulk operations are not supported (ServiceProviderConfig bulk)");
  if (endpoint == "Me") return scim::not_implemented("/Me is not supported: there is no authenticated subject");
  return error_response({404, "", "no SCIM endpoint /scim/v2/" + std::string(subpath)});
}

}  // namespace

support::HttpResponse handle_scim(RouteContext& context, const support::HttpRequest& request,
                                  std::string_view subpath) {
  try {
    return route(context, request, subpath);
  } catch (const nlohmann::json::exception& e) {
    // A JSON value of an unexpected type that a check missed.
    return error_response({400, "invalidSyntax", std::string("the request could not be read: ") + e.what()});
  } catch (const std::exception& e) {
    return error_response({500, "", std::string("internal error: ") + e.what()});
  }
}

}  // namespace claimmap::server
