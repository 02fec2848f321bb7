// SCIM /Users (RFC 7643 §4.1, RFC 7644 §3) for the users of --scim-provider P:
// a User's id and userName are both the subject (docs/spec.md §13).
//
//   POST   /Users                  resume push (suspend if "active": false)
//   GET    /Users[?filter=…]       subjects (paged), find_user
//   GET    /Users/{id}             find_user
//   PATCH  /Users/{id}             suspend / resume push on "active"
//   PUT    /Users/{id}             suspend / resume push on "active"
//   DELETE /Users/{id}             delete push
//
// Attributes ClaimMap does not keep (displayName, name, emails, externalId,
// the enterprise extension, …) are accepted and ignored on POST, PUT and
// PATCH, so an IAM tool's ordinary requests succeed. userName and id cannot
// change (a new subject is a new user: DELETE and POST), and groups is
// read-only here (memberships are changed with PATCH /Groups/{id}).
#include <mutex>
#include <string>
#include <vector>

#include "server/scim/scim_filter.h"
#include "server/scim/scim_handlers.h"
#include "server/scim/scim_list.h"
#include "server/scim/scim_patch.h"
#include "server/scim/scim_push.h"

namespace claimmap::server::scim {

namespace {

ScimError no_user(std::string_view id) { return {404, "", "no user \"" + std::string(id) + "\""}; }

// The user as a resource with `status`, read back from the engine.
support::HttpResponse render_user(RouteContext& c, const support::HttpRequest& request, std::string_view id,
                                  int status) {
  std::optional<UserRecord> user = c.engine.find_user(c.settings.scim_provider, id);
  if (!user) return error_response(no_user(id));
  return json_response(status, user_resource(*user, request, attribute_wanted(request, "groups")));
}

// GET /Users[?filter=userName eq "S"]: a ListResponse, paged with
// startIndex and count (RFC 7644 §3.4.2.4).
//
// Without a filter: every user of P, in subject order (bytewise), which is
// how Okta imports users and how other clients page. Engine::subjects walks
// the store's keys for each page, so paging through N users costs N/count
// walks; a user deleted between the walk and its read is left out of the
// page (one resource short) rather than shown. With a filter: the one user
// named, or none. The IAM tools ClaimMap is provisioned from (Entra ID,
// Okta) query one userName before creating, which is answered exactly.
support::HttpResponse list_users(RouteContext& c, const support::HttpRequest& request) {
  std::vector<std::string> subjects;  // the users that match, in order
  if (const std::string* filter = query_parameter(request, "filter")) {
    std::vector<FilterTerm> terms;
    std::string why;
    if (!parse_filter(*filter, &terms, &why)) return error_response({400, "invalidFilter", why});
    for (const FilterTerm& t : terms) {
      if (t.attribute != "username" && t.attribute != "id") {
        return error_response({400, "invalidFilter", "filtering Users on \"" + t.attribute +
                                                         "\" is not supported: only userName eq and id eq"});
      }
    }
    // userName is compared as the engine compares subjects: exact bytes,
    // case-sensitive (docs/spec.md §4), although RFC 7643 marks userName
    // caseExact false — a case-folded match would name another user.
    const std::string& subject = terms.front().value;
    bool all_same = true;
    for (const FilterTerm& t : terms) all_same = all_same && t.value == subject;
    if (all_same && valid_utf8(subject) && c.engine.find_user(c.settings.scim_provider, subject)) {
      subjects.push_back(subject);
    }
  } else {
    subjects = c.engine.subjects(c.settings.scim_provider);
  }
  Page page;
  if (auto error = read_page(request, &page)) return error_response(*error);
  const bool with_groups = attribute_wanted(request, "groups");
  OrderedJson resources = OrderedJson::array();
  const auto [first, last] = page_range(page, subjects.size());
  for (size_t i = first; i < last; ++i) {
    if (std::optional<UserRecord> user = c.engine.find_user(c.settings.scim_provider, subjects[i])) {
      resources.push_back(user_resource(*user, request, with_groups));
    }
  }
  return json_response(200, list_response(std::move(resources), subjects.size(), page.start_index));
}

// POST /Users: 201 with the resource and a Location header; 409 uniqueness
// if the subject exists (created by a login or an earlier push).
support::HttpResponse create_user(RouteContext& c, const support::HttpRequest& request) {
  Json body;
  if (auto error = parse_body(request, &body)) return error_response(*error);
  const Json* user_name = find_member(body, "userName");
  if (user_name == nullptr || !user_name->is_string() || user_name->get_ref<const std::string&>().empty()) {
    return error_response({400, "invalidValue", "userName is required and must be a non-empty string"});
  }
  const std::string& subject = user_name->get_ref<const std::string&>();
  bool active = true;
  if (const Json* a = find_member(body, "active"); a != nullptr && !a->is_null()) {
    std::optional<bool> parsed = parse_boolean(*a);
    if (!parsed) return error_response({400, "invalidValue", "active must be true or false"});
    active = *parsed;
  }
  // A client-sent "id" is ignored (RFC 7644 §3.3: the server assigns it; here
  // it is the userName), as are "groups" (read-only) and every attribute
  // ClaimMap does not keep.
  std::lock_guard<std::mutex> lock(c.config_mutex);
  if (c.engine.find_user(c.settings.scim_provider, subject)) {
    return error_response({409, "uniqueness", "user \"" + subject + "\" already exists"});
  }
  // A push for an unknown user creates it (docs/spec.md §6): resume creates
  // it unsuspended with no memberships, suspend creates it suspended.
  if (auto error = run_push(c, active ? Cause::kResume : Cause::kSuspend, subject)) return error_response(*error);
  support::HttpResponse r = render_user(c, request, subject, 201);
  if (r.status == 201) r.headers.emplace_back("Location", resource_location(request, "Users", subject));
  return r;
}

// What a PATCH or PUT asks of a user: only "active" is acted on.
struct UserChange {
  std::optional<bool> active;
};

// One attribute of a PATCH operation (or of a PUT body, as a replace).
std::optional<ScimError> read_user_attribute(std::string_view id, PatchVerb verb, const AttributePath& path,
                                             const Json* value, UserChange* change) {
  const std::string& a = path.attribute;
  const bool plain = !path.has_filter && path.sub_attribute.empty();
  if (a == "active") {
    if (!plain) return ScimError{400, "invalidPath", "active has no sub-attributes"};
    if (verb == PatchVerb::kRemove) {
      return ScimError{400, "invalidValue", "active cannot be removed: replace it with true or false"};
    }
    std::optional<bool> parsed = value ? parse_boolean(*value) : std::nullopt;
    if (!parsed) return ScimError{400, "invalidValue", "active must be true or false"};
    change->active = parsed;
    return std::nullopt;
  }
  if (a == "username" || a == "id") {
    // Sending the current value back (Entra ID does, with every change) is
    // accepted; a different one would rename the subject, which the engine
    // knows nothing of.
    if (plain && verb != PatchVerb::kRemove && value != nullptr && value->is_string() &&
        value->get_ref<const std::string&>() == id) {
      return std::nullopt;
    }
    return ScimError{400, "mutability",
                     a + " is the subject and cannot change: a new subject is a new user (DELETE, then POST)"};
  }
  if (a == "groups") {
    return ScimError{400, "mutability", "groups is read-only: change memberships with PATCH /Groups/{id}"};
  }
  return std::nullopt;  // an attribute ClaimMap does not keep: accepted, ignored
}

std::optional<ScimError> read_user_patch(std::string_view id, const Json& body, UserChange* change) {
  std::vector<PatchOperation> operations;
  if (auto error = read_patch(body, &operations)) return error;
  for (const PatchOperation& op : operations) {
    if (!op.path.empty()) {
      if (auto error = read_user_attribute(id, op.verb, split_path(op.path), op.value, change)) return error;
      continue;
    }
    // No path: the value is an object of attributes (RFC 7644 §3.5.2.1/.3;
    // Entra ID sends {"op": "Replace", "value": {"active": false}}).
    if (op.verb == PatchVerb::kRemove) return ScimError{400, "noTarget", "remove needs a path"};
    if (op.value == nullptr || !op.value->is_object()) {
      return ScimError{400, "invalidValue", "an operation without path needs an object value"};
    }
    for (auto it = op.value->begin(); it != op.value->end(); ++it) {
      const Json* v = it.value().is_null() ? nullptr : &it.value();
      if (auto error = read_user_attribute(id, op.verb, split_path(it.key()), v, change)) return error;
    }
  }
  return std::nullopt;
}

// PATCH /Users/{id}: every operation is read before any push is sent, so a
// request that fails changes nothing; 200 with the resource. An unknown user
// is 404 and is not created.
support::HttpResponse patch_user(RouteContext& c, const support::HttpRequest& request, std::string_view id) {
  Json body;
  if (auto error = parse_body(request, &body)) return error_response(*error);
  UserChange change;
  if (auto error = read_user_patch(id, body, &change)) return error_response(*error);
  std::lock_guard<std::mutex> lock(c.config_mutex);
  if (!c.engine.find_user(c.settings.scim_provider, id)) return error_response(no_user(id));
  if (change.active) {
    if (auto error = run_push(c, *change.active ? Cause::kResume : Cause::kSuspend, id)) return error_response(*error);
  }
  return render_user(c, request, id, 200);
}

// PUT /Users/{id} (Okta updates users this way): each attribute of the body
// is read as a replace. An absent "active" leaves the user as it is rather
// than "clearing" it — suspension is only ever changed when asked for.
support::HttpResponse put_user(RouteContext& c, const support::HttpRequest& request, std::string_view id) {
  Json body;
  if (auto error = parse_body(request, &body)) return error_response(*error);
  UserChange change;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const AttributePath path = split_path(it.key());
    if (path.attribute == "groups") continue;  // read-only: ignored in a PUT (RFC 7644 §3.5.1)
    const Json* v = it.value().is_null() ? nullptr : &it.value();
    if (auto error = read_user_attribute(id, PatchVerb::kReplace, path, v, &change)) return error_response(*error);
  }
  std::lock_guard<std::mutex> lock(c.config_mutex);
  if (!c.engine.find_user(c.settings.scim_provider, id)) return error_response(no_user(id));
  if (change.active) {
    if (auto error = run_push(c, *change.active ? Cause::kResume : Cause::kSuspend, id)) return error_response(*error);
  }
  return render_user(c, request, id, 200);
}

// DELETE /Users/{id}: a delete push; 204, or 404 for an unknown user (the
// engine's unknown_user, docs/spec.md §6).
support::HttpResponse delete_user(RouteContext& c, std::string_view id) {
  std::lock_guard<std::mutex> lock(c.config_mutex);
  if (auto error = run_push(c, Cause::kDelete, id)) return error_response(*error);
  return no_content();
}

}  // namespace

support::HttpResponse users_collection(RouteContext& c, const support::HttpRequest& request) {
  if (request.method == "GET") return list_users(c, request);
  if (request.method == "POST") return create_user(c, request);
  return unsupported_method("GET, POST");
}

support::HttpResponse user_item(RouteContext& c, const support::HttpRequest& request, std::string_view id) {
  if (request.method == "GET") return render_user(c, request, id, 200);
  if (request.method == "PATCH") return patch_user(c, request, id);
  if (request.method == "PUT") return put_user(c, request, id);
  if (request.method == "DELETE") return delete_user(c, id);
  return unsupported_method("GET, PATCH, PUT, DELETE");
}

}  // namespace claimmap::server::scim
