// server/scim/scim_json.h — the JSON shapes of SCIM 2.0 (RFC 7643, RFC 7644)
// that `claimmap serve` reads and writes under /scim/v2 (docs/spec.md §13):
// the schema URNs, the error body, a User and a Group resource, and the
// case-insensitive reading of attribute names that RFC 7643 §2.1 asks for.
//
// Server-internal (not under include/): only server/scim/*.cc include it.
// Everything here is a pure function of its arguments; no state, no locks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "claimmap/user.h"
#include "support/http_types.h"

namespace claimmap::server::scim {

// Bodies we write keep their members in the order given (schemas first, as
// every example of the RFCs reads); bodies we read use plain json.
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

inline constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr std::string_view kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr std::string_view kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
inline constexpr std::string_view kListResponseSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr std::string_view kPatchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
inline constexpr std::string_view kServiceProviderConfigSchema =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
inline constexpr std::string_view kResourceTypeSchema = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
inline constexpr std::string_view kSchemaSchema = "urn:ietf:params:scim:schemas:core:2.0:Schema";

inline constexpr std::string_view kScimContentType = "application/scim+json";

// A SCIM failure: the HTTP status, the RFC 7644 §3.12 scimType ("" for none:
// 401, 404, 500, 501 carry none) and a sentence for the person reading it.
struct ScimError {
  int status = 400;
  std::string scim_type;
  std::string detail;
};

// {"schemas": [Error], "status": "400", "scimType": …, "detail": …} as
// application/scim+json.
support::HttpResponse error_response(const ScimError& error);
// `body` as application/scim+json with `status`.
support::HttpResponse json_response(int status, const OrderedJson& body);
// 204 No Content (DELETE /Users, PATCH /Groups).
support::HttpResponse no_content();

// The absolute URL of a resource, for meta.location and the Location header:
// "http://" + Host + "/scim/v2/" + endpoint + "/" + the id percent-encoded
// (every byte but RFC 3986 unreserved characters, '@' and ':'), so that a
// subject holding '/', '?', '#' or a space still names one resource. The
// scheme is http because `claimmap serve` speaks plain HTTP; without a Host
// header the URL is the absolute path alone.
std::string resource_location(const support::HttpRequest& request, std::string_view endpoint, std::string_view id);

// A User resource (RFC 7643 §4.1) for `user`: id = userName = subject,
// active = not suspended, groups = the effective groups (empty while
// suspended, docs/spec.md §6) unless `with_groups` is false.
OrderedJson user_resource(const UserRecord& user, const support::HttpRequest& request, bool with_groups);

// A Group resource (RFC 7643 §4.2): id = displayName = the config's group id;
// `members` (subjects) when given, else no members attribute.
OrderedJson group_resource(std::string_view group_id, const std::vector<std::string>* members,
                           const support::HttpRequest& request);

// ASCII case-insensitive equality (SCIM attribute names, "op" values, "eq").
bool iequals(std::string_view a, std::string_view b);

// The member of `object` whose name equals `name` ignoring ASCII case
// (RFC 7643 §2.1: attribute names are case-insensitive), or nullptr.
// REQUIRES: object.is_object().
const Json* find_member(const Json& object, std::string_view name);

// Parses a request body that must be one JSON object (POST, PUT, PATCH);
// 400 invalidSyntax otherwise. Parsing never throws.
std::optional<ScimError> parse_body(const support::HttpRequest& request, Json* body);

// A SCIM boolean as IAM tools send it: true/false, or the strings "true" and
// "false" in any case (Entra ID sends "False"). nullopt for anything else.
std::optional<bool> parse_boolean(const Json& value);

// True when `text` is valid UTF-8 (a path segment decoded from %-escapes may
// not be; no subject or group id can be anything else, being JSON strings).
bool valid_utf8(std::string_view text);

}  // namespace claimmap::server::scim
