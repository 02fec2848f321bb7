// server/scim/scim_patch.h — reading a SCIM PATCH request (RFC 7644 §3.5.2)
// into its operations, before anything is applied: the Users and Groups
// routes validate every operation first and send their pushes only when the
// whole request is valid, so that a request that fails changes nothing
// (docs/spec.md §13).
//
// What real IAM clients send, and is accepted here: "op" in any case
// (Entra ID: "Replace", "Add"), "Operations" in any case, a body without
// "schemas" (the PatchOp URN is checked only when "schemas" is present), and
// operations without "path" whose value is an object of attributes.
//
// Pure functions; the operations point into the parsed body, which must
// outlive them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/scim/scim_json.h"

namespace claimmap::server::scim {

enum class PatchVerb { kAdd, kRemove, kReplace };

struct PatchOperation {
  PatchVerb verb = PatchVerb::kAdd;
  std::string path;           // as sent; empty when absent (or "")
  const Json* value = nullptr;  // nullptr when absent or null
};

// The operations of PatchOp `body`: 400 invalidSyntax for a body without an
// "Operations" array of one or more objects, a "schemas" that does not list
// the PatchOp URN, an "op" other than add/remove/replace (in any case), or a
// "path" that is not a string; 400 invalidPath for a path that check_path
// refuses; 400 invalidValue for an add or replace without "value" (RFC 7644
// §3.5.2.1, §3.5.2.3; a null value is a value: it clears). Every operation
// is read, whatever attribute it names, so that a request with one bad
// operation is refused whole.
std::optional<ScimError> read_patch(const Json& body, std::vector<PatchOperation>* operations);

// Whether `path` has the shape of RFC 7644 §3.5.2's PATH,
//   attrPath / valuePath [subAttr], valuePath = attrPath "[" valFilter "]",
//   attrPath = [URN ":"] ATTRNAME ["." ATTRNAME], ATTRNAME = ALPHA *(ALPHA / DIGIT / "-" / "_")
// ("$ref" allowed as a sub-attribute): nullopt, or a sentence saying what is
// wrong with it. Only the shape: the filter between the brackets is read
// where it is acted on (members[value eq "S"]), and ignored with the
// attribute it filters elsewhere.
std::optional<std::string> check_path(std::string_view path);

// A PATCH path split per RFC 7644 §3.5.2's grammar: attribute, an optional
// value filter in brackets and an optional sub-attribute.
//   "active"                     → {"active", "", ""}
//   "name.givenName"             → {"name", "", "givenname"}
//   "members[value eq \"u1\"]"   → {"members", "value eq \"u1\"", ""}
//   "urn:…:core:2.0:User:active" → {"active", "", ""}
// The attribute is lower-cased; an extension attribute ("urn:…enterprise…")
// is returned whole, lower-cased, as the attribute.
struct AttributePath {
  std::string attribute;
  std::string filter;         // the text between '[' and the last ']'
  bool has_filter = false;
  std::string sub_attribute;  // lower-cased
};
AttributePath split_path(std::string_view path);

}  // namespace claimmap::server::scim
