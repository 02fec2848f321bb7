// SCIM discovery (RFC 7644 §4, RFC 7643 §5-§7): what this server offers, so
// that a client can configure itself rather than guess. Every answer is a
// constant but for meta.location (the Host it was asked on).
//
//   /ServiceProviderConfig   patch and filter yes (maxResults kMaxResults);
//                            bulk, changePassword, sort, etag no;
//                            authentication by OAuth bearer token (RFC 6750)
//   /ResourceTypes[/{id}]    User (/Users) and Group (/Groups)
//   /Schemas[/{urn}]         the User and Group attributes ClaimMap keeps
#include <string>

#include "server/scim/scim_handlers.h"
#include "server/scim/scim_list.h"

namespace claimmap::server::scim {

namespace {

OrderedJson meta(const support::HttpRequest& request, std::string_view resource_type, std::string_view endpoint,
                 std::string_view id) {
  return {{"resourceType", resource_type}, {"location", resource_location(request, endpoint, id)}};
}

OrderedJson resource_type(const support::HttpRequest& request, std::string_view id) {
  const bool user = id == "User";
  return {{"schemas", {kResourceTypeSchema}},
          {"id", id},
          {"name", id},
          {"endpoint", user ? "/Users" : "/Groups"},
          {"description", user ? "A user of the SCIM provider: userName and id are the subject"
                               : "A group of the config: id and displayName are the group id"},
          {"schema", user ? kUserSchema : kGroupSchema},
          {"schemaExtensions", OrderedJson::array()},
          {"meta", meta(request, "ResourceType", "ResourceTypes", id)}};
}

// One attribute definition (RFC 7643 §7).
OrderedJson attribute(std::string_view name, std::string_view type, bool multi, std::string_view description,
                      bool required, std::string_view mutability, std::string_view uniqueness = "none") {
  OrderedJson a = {{"name", name},
                   {"type", type},
                   {"multiValued", multi},
                   {"description", description},
                   {"required", required}};
  if (type == "string" || type == "reference") a["caseExact"] = true;
  a["mutability"] = mutability;
  a["returned"] = "default";
  a["uniqueness"] = uniqueness;
  return a;
}

// The sub-attributes of a membership list (User.groups, Group.members), as
// user_resource and group_resource write them.
OrderedJson membership(std::string_view name, std::string_view description, std::string_view mutability,
                       std::string_view ref_type) {
  OrderedJson a = attribute(name, "complex", true, description, false, mutability);
  OrderedJson value = attribute("value", "string", false, "The id of the member or group", false,
                                mutability == "readOnly" ? "readOnly" : "immutable");
  OrderedJson ref = attribute("$ref", "reference", false, "Its URI", false, "readOnly");
  ref["referenceTypes"] = {ref_type};
  OrderedJson display = attribute("display", "string", false, "Its name, the same as value", false, "readOnly");
  a["subAttributes"] = {value, ref, display};
  if (ref_type == "Group") {
    // User.groups says how the group is held (RFC 7643 §4.1.2).
    OrderedJson type = attribute("type", "string", false,
                                 "direct: assigned (by hand or by SCIM); indirect: mapped from the last login's claims",
                                 false, "readOnly");
    type["canonicalValues"] = {"direct", "indirect"};
    a["subAttributes"].push_back(std::move(type));
  }
  return a;
}

OrderedJson schema(const support::HttpRequest& request, std::string_view urn) {
  const bool user = urn == kUserSchema;
  OrderedJson attributes = OrderedJson::array();
  if (user) {
    attributes.push_back(attribute("userName", "string", false,
                                   "The subject (exact bytes); set on creation, never changed", true, "immutable",
                                   "server"));
    attributes.push_back(attribute("active", "boolean", false, "false while suspended", false, "readWrite"));
    attributes.push_back(membership("groups", "The effective groups (empty while suspended); change with Group members",
                                    "readOnly", "Group"));
  } else {
    attributes.push_back(
        attribute("displayName", "string", false, "The config's group id", true, "readOnly", "server"));
    attributes.push_back(
        membership("members", "The SCIM provider's users holding the group by a manual membership", "readWrite", "User"));
  }
  return {{"schemas", {kSchemaSchema}},
          {"id", urn},
          {"name", user ? "User" : "Group"},
          {"description", user ? "User Account" : "Group"},
          {"attributes", std::move(attributes)},
          {"meta", meta(request, "Schema", "Schemas", urn)}};
}

}  // namespace

support::HttpResponse unsupported_method(std::string_view allowed) {
  support::HttpResponse r = error_response({501, "", "this endpoint takes " + std::string(allowed) + " only"});
  r.headers.emplace_back("Allow", std::string(allowed));
  return r;
}

support::HttpResponse not_implemented(std::string_view detail) {
  return error_response({501, "", std::string(detail)});
}

support::HttpResponse service_provider_config(const support::HttpRequest& request) {
  const OrderedJson body = {
      {"schemas", {kServiceProviderConfigSchema}},
      {"patch", {{"supported", true}}},
      {"bulk", {{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}}},
      {"filter", {{"supported", true}, {"maxResults", kMaxResults}}},
      {"changePassword", {{"supported", false}}},
      {"sort", {{"supported", false}}},
      {"etag", {{"supported", false}}},
      {"authenticationSchemes",
       {{{"type", "oauthbearertoken"},
         {"name", "OAuth Bearer Token"},
         {"description",
          "Authorization: Bearer <the first line of claimmap serve's --token-file, or the token of a "
          "credential with the scope scim in its --tokens-file>"},
         {"specUri", "https://www.rfc-editor.org/info/rfc6750"}}}},
      {"meta", {{"resourceType", "ServiceProviderConfig"}, {"location", [&] {
                   std::string url = resource_location(request, "ServiceProviderConfig", "");
                   url.pop_back();  // no trailing '/': the endpoint is the resource
                   return url;
                 }()}}}};
  return json_response(200, body);
}

support::HttpResponse resource_types(const support::HttpRequest& request, std::optional<std::string_view> id) {
  if (!id) {
    OrderedJson list = {resource_type(request, "User"), resource_type(request, "Group")};
    return json_response(200, list_response(std::move(list), 2, 1));
  }
  if (*id != "User" && *id != "Group") return error_response({404, "", "no resource type \"" + std::string(*id) + "\""});
  return json_response(200, resource_type(request, *id));
}

support::HttpResponse schemas(const support::HttpRequest& request, std::optional<std::string_view> id) {
  if (!id) {
    OrderedJson list = {schema(request, kUserSchema), schema(request, kGroupSchema)};
    return json_response(200, list_response(std::move(list), 2, 1));
  }
  if (*id != kUserSchema && *id != kGroupSchema) {
    return error_response({404, "", "no schema \"" + std::string(*id) + "\""});
  }
  return json_response(200, schema(request, *id));
}

}  // namespace claimmap::server::scim
