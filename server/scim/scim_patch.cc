#include "server/scim/scim_patch.h"

#include "server/scim/scim_filter.h"

namespace claimmap::server::scim {

std::optional<ScimError> read_patch(const Json& body, std::vector<PatchOperation>* operations) {
  operations->clear();
  // Lenient on a missing "schemas" (some clients leave it out), strict on a
  // wrong one: a User or Group body sent to PATCH is a client mistaking the
  // verb, and reading it as a PatchOp would guess.
  if (const Json* schemas = find_member(body, "schemas")) {
    bool listed = false;
    if (schemas->is_array()) {
      for (const Json& s : *schemas) listed = listed || (s.is_string() && iequals(s.get_ref<const std::string&>(), kPatchOpSchema));
    }
    if (!listed) return ScimError{400, "invalidSyntax", "schemas must list " + std::string(kPatchOpSchema)};
  }
  const Json* ops = find_member(body, "Operations");
  if (ops == nullptr || !ops->is_array() || ops->empty()) {
    return ScimError{400, "invalidSyntax", "a PATCH body needs an \"Operations\" array of one or more operations"};
  }
  for (size_t i = 0; i < ops->size(); ++i) {
    const Json& op = (*ops)[i];
    const std::string where = "Operations[" + std::to_string(i) + "]";
    if (!op.is_object()) return ScimError{400, "invalidSyntax", where + " is not an object"};
    PatchOperation parsed;
    const Json* verb = find_member(op, "op");
    if (verb == nullptr || !verb->is_string()) return ScimError{400, "invalidSyntax", where + " has no \"op\""};
    const std::string& v = verb->get_ref<const std::string&>();
    if (iequals(v, "add")) {
      parsed.verb = PatchVerb::kAdd;
    } else if (iequals(v, "remove")) {
      parsed.verb = PatchVerb::kRemove;
    } else if (iequals(v, "replace")) {
      parsed.verb = PatchVerb::kReplace;
    } else {
      return ScimError{400, "invalidSyntax", where + ": op \"" + v + "\" is not one of add, remove, replace"};
    }
    if (const Json* path = find_member(op, "path"); path != nullptr && !path->is_null()) {
      if (!path->is_string()) return ScimError{400, "invalidSyntax", where + ": path must be a string"};
      parsed.path = path->get<std::string>();
    }
    if (const Json* value = find_member(op, "value"); value != nullptr && !value->is_null()) parsed.value = value;
    operations->push_back(std::move(parsed));
  }
  return std::nullopt;
}

AttributePath split_path(std::string_view path) {
  AttributePath out;
  std::string_view head = path;
  std::string_view tail;
  const size_t open = path.find('[');
  if (open != std::string_view::npos) {
    const size_t close = path.rfind(']');
    head = path.substr(0, open);
    if (close != std::string_view::npos && close > open) {
      out.has_filter = true;
      out.filter = std::string(path.substr(open + 1, close - open - 1));
      tail = path.substr(close + 1);
    } else {
      // An unclosed bracket: keep it in the filter text, which then fails
      // to parse wherever a filter is acted on.
      out.has_filter = true;
      out.filter = std::string(path.substr(open + 1));
    }
  }
  std::string attribute = normalise_attribute(head);
  if (!attribute.starts_with("urn:")) {
    const size_t dot = attribute.find('.');
    if (dot != std::string::npos) {
      out.sub_attribute = attribute.substr(dot + 1);
      attribute.resize(dot);
    }
  }
  out.attribute = std::move(attribute);
  if (!tail.empty()) {
    std::string sub = normalise_attribute(tail);
    if (sub.starts_with(".")) sub.erase(0, 1);
    out.sub_attribute = std::move(sub);
  }
  return out;
}

}  // namespace claimmap::server::scim
