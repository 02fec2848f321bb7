#include "server/scim/scim_patch.h"

#include <cctype>

#include "server/scim/scim_filter.h"

namespace claimmap::server::scim {

namespace {

bool is_attribute_name(std::string_view name) {
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name.front()))) return false;
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (!std::isalnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

// ATTRNAME ["." ATTRNAME], with "$ref" as a sub-attribute.
bool is_attribute_path(std::string_view path) {
  const size_t dot = path.find('.');
  if (dot == std::string_view::npos) return is_attribute_name(path);
  const std::string_view sub = path.substr(dot + 1);
  return is_attribute_name(path.substr(0, dot)) && (sub == "$ref" || is_attribute_name(sub));
}

}  // namespace

std::optional<std::string> check_path(std::string_view path) {
  std::string_view head = path;
  std::string_view tail;
  const size_t open = path.find('[');
  if (open != std::string_view::npos) {
    // The last ']': the filter's strings may hold brackets, the tail cannot.
    const size_t close = path.rfind(']');
    if (close == std::string_view::npos || close < open) return "its '[' is never closed";
    std::string_view filter = path.substr(open + 1, close - open - 1);
    while (!filter.empty() && filter.front() == ' ') filter.remove_prefix(1);
    if (filter.empty()) return "there is no filter between its brackets";
    head = path.substr(0, open);
    tail = path.substr(close + 1);
    if (!tail.empty() && (tail.front() != '.' || !is_attribute_name(tail.substr(1))) && tail != ".$ref") {
      return "after ']' only a sub-attribute may follow (\".value\")";
    }
  } else if (path.find(']') != std::string_view::npos) {
    return "it has a ']' without a '['";
  }
  // A URN prefix ("urn:…:2.0:User:") may hold dots and colons; the attribute
  // is what follows its last ':'.
  if (head.size() >= 4 && iequals(head.substr(0, 4), "urn:")) {
    const size_t colon = head.rfind(':');
    head = head.substr(colon + 1);
  } else if (head.find(':') != std::string_view::npos) {
    return "a ':' belongs only to a schema URN (\"urn:…:attribute\")";
  }
  if (!is_attribute_path(head)) {
    return "\"" + std::string(head) + "\" is not an attribute name, or one with a sub-attribute (\"name.givenName\")";
  }
  return std::nullopt;
}

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
      if (!parsed.path.empty()) {
        if (auto why = check_path(parsed.path)) {
          return ScimError{400, "invalidPath",
                           where + ": path \"" + parsed.path + "\" is not an attribute path: " + *why};
        }
      }
    }
    const Json* value = find_member(op, "value");
    if (value == nullptr && parsed.verb != PatchVerb::kRemove) {
      return ScimError{400, "invalidValue", where + ": op \"" + v + "\" needs a \"value\""};
    }
    if (value != nullptr && !value->is_null()) parsed.value = value;
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
