// SCIM /Groups (RFC 7643 §4.2, RFC 7644 §3): the config's groups, read-only
// but for their members (docs/spec.md §13).
//
//   GET   /Groups[?filter=…]   config().group_ids(), who_has for members
//   GET   /Groups/{id}
//   PATCH /Groups/{id}         assign / unassign pushes (manual memberships)
//
// A group's id and displayName are both the config's group id. Its members
// are the users of --scim-provider P holding it by a manual membership (an
// assign push, by SCIM or any other way): memberships mapped from a login's
// claims belong to the IdP's token, not to provisioning, and are not listed.
// Groups are made by the config, so POST, PUT and DELETE are 501.
//
// Two limits of the engine's who_has shape what is offered:
//   - a suspended user holds nothing (docs/spec.md §6, §7), so it is not
//     listed among members while suspended, although its manual membership is
//     kept and shows again on resume;
//   - for the same reason "replace members" and "remove members" with no
//     value (remove all) are refused with 400: computing them from who_has
//     would leave suspended members' memberships behind, a wrong answer.
//     Entra ID and Okta send add and remove with named members, which are
//     exact.
#include <algorithm>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "claimmap/query.h"
#include "server/scim/scim_filter.h"
#include "server/scim/scim_handlers.h"
#include "server/scim/scim_list.h"
#include "server/scim/scim_patch.h"
#include "server/scim/scim_push.h"

namespace claimmap::server::scim {

namespace {

ScimError no_group(std::string_view id) { return {404, "", "no group \"" + std::string(id) + "\" in the config"}; }

// The subjects of P holding `group` by a manual membership, sorted (who_has
// sorts by provider, then subject).
std::vector<std::string> manual_members(RouteContext& c, std::string_view group) {
  std::vector<std::string> members;
  Result<std::vector<AccessHolder>> holders = c.engine.who_has({AccessQuery::Kind::kGroup, std::string(group)});
  if (!holders.ok()) return members;  // the group went away with a reload: no members
  for (const AccessHolder& h : holders.value()) {
    if (h.provider == c.settings.scim_provider && !h.via.empty() && h.via.front().manual) members.push_back(h.subject);
  }
  return members;
}

// GET /Groups: every group of the config, or those matching a filter of
// terms on id, displayName (exact, as group ids are compared everywhere) and
// members (Entra ID checks a membership with
// `id eq "G" and members eq "S"`, excludedAttributes=members).
support::HttpResponse list_groups(RouteContext& c, const support::HttpRequest& request) {
  std::vector<FilterTerm> terms;
  if (const std::string* filter = query_parameter(request, "filter")) {
    std::string why;
    if (!parse_filter(*filter, &terms, &why)) return error_response({400, "invalidFilter", why});
    for (const FilterTerm& t : terms) {
      if (t.attribute != "id" && t.attribute != "displayname" && t.attribute != "members" &&
          t.attribute != "members.value") {
        return error_response({400, "invalidFilter", "filtering Groups on \"" + t.attribute +
                                                         "\" is not supported: only id, displayName and members eq"});
      }
    }
  }
  Page page;
  if (auto error = read_page(request, &page)) return error_response(*error);
  const bool with_members = attribute_wanted(request, "members");

  struct Match {
    std::string id;
    std::optional<std::vector<std::string>> members;  // read when filtered on or when listed
  };
  std::vector<Match> matches;
  for (std::string& id : c.engine.config().group_ids()) {
    Match m{std::move(id), std::nullopt};
    bool keep = true;
    for (const FilterTerm& t : terms) {
      if (t.attribute == "id" || t.attribute == "displayname") {
        keep = keep && t.value == m.id;
      } else {
        if (!m.members) m.members = manual_members(c, m.id);
        keep = keep && std::binary_search(m.members->begin(), m.members->end(), t.value);
      }
      if (!keep) break;
    }
    if (keep) matches.push_back(std::move(m));
  }
  OrderedJson resources = OrderedJson::array();
  const auto [first, last] = page_range(page, matches.size());
  for (size_t i = first; i < last; ++i) {
    Match& m = matches[i];
    if (with_members && !m.members) m.members = manual_members(c, m.id);
    resources.push_back(group_resource(m.id, with_members ? &*m.members : nullptr, request));
  }
  return json_response(200, list_response(std::move(resources), matches.size(), page.start_index));
}

support::HttpResponse get_group(RouteContext& c, const support::HttpRequest& request, std::string_view id) {
  if (!c.engine.config().has_group(id)) return error_response(no_group(id));
  if (!attribute_wanted(request, "members")) return json_response(200, group_resource(id, nullptr, request));
  const std::vector<std::string> members = manual_members(c, id);
  return json_response(200, group_resource(id, &members, request));
}

// One membership change of a PATCH, in the order the operations give them.
struct MemberChange {
  bool assign = true;  // false: unassign
  std::string subject;
};

// A "members" value: an array of {"value": S, …} ("display", "$ref", "type"
// are ignored; every member is taken as a user of P — nested groups are not
// a ClaimMap notion). A single object is read as an array of one.
std::optional<ScimError> read_members(const Json* value, bool assign, std::vector<MemberChange>* changes) {
  if (value == nullptr) return ScimError{400, "invalidValue", "members needs a value: [{\"value\": \"…\"}]"};
  const Json one = value->is_object() ? Json::array({*value}) : Json();
  const Json& list = value->is_object() ? one : *value;
  if (!list.is_array()) return ScimError{400, "invalidValue", "members must be an array of {\"value\": \"…\"}"};
  for (size_t i = 0; i < list.size(); ++i) {
    const Json* v = list[i].is_object() ? find_member(list[i], "value") : nullptr;
    if (v == nullptr || !v->is_string() || v->get_ref<const std::string&>().empty()) {
      return ScimError{400, "invalidValue", "members[" + std::to_string(i) + "].value must be a non-empty string"};
    }
    changes->push_back({assign, v->get<std::string>()});
  }
  return std::nullopt;
}

// The group's own name: sending it back unchanged is accepted (Okta renames
// by PATCH with the whole {"id", "displayName"}); another name would rename a
// group that the config defines.
std::optional<ScimError> check_name(std::string_view group, std::string_view attribute, PatchVerb verb,
                                    const Json* value) {
  if (verb != PatchVerb::kRemove && value != nullptr && value->is_string() &&
      value->get_ref<const std::string&>() == group) {
    return std::nullopt;
  }
  return ScimError{400, "mutability", std::string(attribute) + " is the config's group id and cannot change here"};
}

std::optional<ScimError> read_group_attribute(std::string_view group, PatchVerb verb, const AttributePath& path,
                                              const Json* value, std::vector<MemberChange>* changes) {
  if (path.attribute == "displayname" || path.attribute == "id") {
    return check_name(group, path.attribute, verb, value);
  }
  if (path.attribute != "members") return std::nullopt;  // not kept by ClaimMap: accepted, ignored
  if (!path.sub_attribute.empty()) return ScimError{400, "invalidPath", "use path \"members\" or members[value eq \"…\"]"};
  if (path.has_filter) {
    // remove members[value eq "S"] (Entra ID's form).
    if (verb != PatchVerb::kRemove) return ScimError{400, "invalidPath", "a members[…] path is only for remove"};
    std::vector<FilterTerm> terms;
    std::string why;
    if (!parse_filter(path.filter, &terms, &why)) return ScimError{400, "invalidFilter", why};
    if (terms.size() != 1 || terms.front().attribute != "value" || terms.front().value.empty()) {
      return ScimError{400, "invalidPath", "a members[…] path must be members[value eq \"…\"]"};
    }
    changes->push_back({false, terms.front().value});
    return std::nullopt;
  }
  switch (verb) {
    case PatchVerb::kAdd: return read_members(value, true, changes);
    case PatchVerb::kRemove:
      if (value == nullptr) {
        return ScimError{400, "invalidValue", "removing every member at once is not supported: name the members"};
      }
      return read_members(value, false, changes);
    case PatchVerb::kReplace: break;
  }
  return ScimError{400, "invalidValue", "replacing the member list is not supported: add and remove named members"};
}

// PATCH /Groups/{id}, all or nothing (docs/spec.md §13): every operation
// and member is read, the group checked and every member looked up, before
// the first push; then the assign/unassign pushes, in the order of the
// operations. 204.
//
// A member added must be a user of P already: 400 invalidValue otherwise,
// and nothing is applied. A member value is a reference to a User resource
// (RFC 7643 §4.2), and an assign push for an unknown subject would create a
// user that no POST /Users made — a user the client would then be refused
// to create (409). Entra ID and Okta create users before adding them.
// Removing a subject that is not a member, or not a user, succeeds and
// changes nothing: no unassign push is sent for an unknown user, which it
// would create.
//
// Once the first push is applied the others cannot fail: they name the same
// provider and group (the config cannot change meanwhile: config_mutex is
// held, and PUT /v1/config takes it too) and subjects checked above.
support::HttpResponse patch_group(RouteContext& c, const support::HttpRequest& request, std::string_view id) {
  Json body;
  if (auto error = parse_body(request, &body)) return error_response(*error);
  std::vector<PatchOperation> operations;
  if (auto error = read_patch(body, &operations)) return error_response(*error);
  std::vector<MemberChange> changes;
  for (const PatchOperation& op : operations) {
    if (!op.path.empty()) {
      if (auto error = read_group_attribute(id, op.verb, split_path(op.path), op.value, &changes)) {
        return error_response(*error);
      }
      continue;
    }
    if (op.verb == PatchVerb::kRemove) return error_response({400, "noTarget", "remove needs a path"});
    if (op.value == nullptr || !op.value->is_object()) {
      return error_response({400, "invalidValue", "an operation without path needs an object value"});
    }
    for (auto it = op.value->begin(); it != op.value->end(); ++it) {
      const Json* v = it.value().is_null() ? nullptr : &it.value();
      if (auto error = read_group_attribute(id, op.verb, split_path(it.key()), v, &changes)) {
        return error_response(*error);
      }
    }
  }
  std::lock_guard<std::mutex> lock(c.config_mutex);  // also keeps a reload from removing the group meanwhile
  if (!c.engine.config().has_group(id)) return error_response(no_group(id));
  // The pushes to send: an added member must exist; a removed one that does
  // not exist has nothing to lose. No operation adds a user, so one lookup
  // per member answers for the whole request.
  std::vector<const MemberChange*> pushes;
  for (const MemberChange& change : changes) {
    if (c.engine.find_user(c.settings.scim_provider, change.subject)) {
      pushes.push_back(&change);
    } else if (change.assign) {
      return error_response({400, "invalidValue",
                             "member \"" + change.subject + "\" is not a user of provider \"" +
                                 c.settings.scim_provider + "\": create it with POST /Users first"});
    }
  }
  for (size_t i = 0; i < pushes.size(); ++i) {
    const MemberChange& change = *pushes[i];
    if (auto error = run_push(c, change.assign ? Cause::kAssign : Cause::kUnassign, change.subject, id)) {
      // Only the first can fail (above); should a later one, say so rather
      // than claim nothing changed.
      if (i > 0) error->detail += " (after " + std::to_string(i) + " of " + std::to_string(pushes.size()) +
                                  " membership changes were applied)";
      return error_response(*error);
    }
  }
  return no_content();
}

}  // namespace

support::HttpResponse groups_collection(RouteContext& c, const support::HttpRequest& request) {
  if (request.method == "GET") return list_groups(c, request);
  if (request.method == "POST") return not_implemented("groups are defined by the config, not created by SCIM");
  return unsupported_method("GET");
}

support::HttpResponse group_item(RouteContext& c, const support::HttpRequest& request, std::string_view id) {
  if (request.method == "GET") return get_group(c, request, id);
  if (request.method == "PATCH") return patch_group(c, request, id);
  if (request.method == "PUT" || request.method == "DELETE") {
    return not_implemented("groups are defined by the config: only their members change, with PATCH");
  }
  return unsupported_method("GET, PATCH");
}

}  // namespace claimmap::server::scim
