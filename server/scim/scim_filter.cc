#include "server/scim/scim_filter.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "server/scim/scim_json.h"

namespace claimmap::server::scim {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

void skip_spaces(std::string_view s, size_t* i) {
  while (*i < s.size() && is_space(s[*i])) ++*i;
}

// An attribute path as RFC 7644 §3.4.2.2 spells it: ALPHA *(nameChar), with
// ':' (a URN prefix) and '.' (a sub-attribute) allowed. '[' (a value path)
// ends it and is refused by the caller.
std::string_view read_word(std::string_view s, size_t* i) {
  const size_t start = *i;
  while (*i < s.size()) {
    const auto c = static_cast<unsigned char>(s[*i]);
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '$' || c == ':' || c == '.')) break;
    ++*i;
  }
  return s.substr(start, *i - start);
}

// A JSON string literal starting at s[*i] == '"': the filter grammar's
// compValue strings are JSON strings (RFC 7644 §3.4.2.2), so nlohmann reads
// the escapes.
bool read_string(std::string_view s, size_t* i, std::string* out) {
  size_t j = *i + 1;
  while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
  if (j >= s.size()) return false;
  Json parsed = Json::parse(s.substr(*i, j + 1 - *i), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_string()) return false;
  *out = parsed.get<std::string>();
  *i = j + 1;
  return true;
}

}  // namespace

std::string normalise_attribute(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view urn : {kUserSchema, kGroupSchema}) {
    std::string prefix(urn);
    for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    prefix += ':';
    if (lower.starts_with(prefix)) return lower.substr(prefix.size());
  }
  return lower;
}

bool parse_filter(std::string_view filter, std::vector<FilterTerm>* terms, std::string* why) {
  terms->clear();
  size_t i = 0;
  for (;;) {
    skip_spaces(filter, &i);
    if (i < filter.size() && (filter[i] == '(' || filter[i] == '[')) {
      *why = "grouping with parentheses or brackets is not supported";
      return false;
    }
    const std::string_view attribute = read_word(filter, &i);
    if (attribute.empty()) {
      *why = i >= filter.size() ? "the filter is empty" : "expected an attribute name at offset " + std::to_string(i);
      return false;
    }
    if (iequals(attribute, "not")) {
      *why = "\"not\" is not supported";
      return false;
    }
    if (i < filter.size() && filter[i] == '[') {
      *why = "value paths (attribute[…]) are not supported in filters";
      return false;
    }
    skip_spaces(filter, &i);
    const std::string_view op = read_word(filter, &i);
    if (op.empty()) {
      *why = "expected an operator after \"" + std::string(attribute) + "\"";
      return false;
    }
    if (!iequals(op, "eq")) {
      *why = "operator \"" + std::string(op) + "\" is not supported: only eq";
      return false;
    }
    skip_spaces(filter, &i);
    FilterTerm term{normalise_attribute(attribute), {}};
    if (i >= filter.size() || filter[i] != '"') {
      *why = "expected a quoted string after \"" + std::string(attribute) + " " + std::string(op) + "\"";
      return false;
    }
    if (!read_string(filter, &i, &term.value)) {
      *why = "a string in the filter is not a valid JSON string";
      return false;
    }
    terms->push_back(std::move(term));
    skip_spaces(filter, &i);
    if (i == filter.size()) return true;
    const std::string_view joiner = read_word(filter, &i);
    if (!iequals(joiner, "and")) {
      *why = joiner.empty() || !iequals(joiner, "or")
                 ? "unexpected text at offset " + std::to_string(i) + " of the filter"
                 : "\"or\" is not supported: only terms joined by \"and\"";
      return false;
    }
    if (i >= filter.size() || !is_space(filter[i])) {
      *why = "expected a space after \"and\"";
      return false;
    }
  }
}

}  // namespace claimmap::server::scim
