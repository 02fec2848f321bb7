#include "server/scim/scim_json.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace claimmap::server::scim {

namespace {

// Bytes that do not form UTF-8 (an id decoded from a URL) are written as
// U+FFFD rather than making dump() throw.
std::string dump(const OrderedJson& body) {
  return body.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace) + "\n";
}

bool keep_in_url(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@' || c == ':';
}

}  // namespace

support::HttpResponse error_response(const ScimError& error) {
  OrderedJson body = {{"schemas", {kErrorSchema}}, {"status", std::to_string(error.status)}};
  if (!error.scim_type.empty()) body["scimType"] = error.scim_type;
  body["detail"] = error.detail;
  return json_response(error.status, body);
}

support::HttpResponse no_content() {
  support::HttpResponse r;
  r.status = 204;
  r.content_type = std::string(kScimContentType);
  return r;
}

support::HttpResponse json_response(int status, const OrderedJson& body) {
  support::HttpResponse r;
  r.status = status;
  r.content_type = std::string(kScimContentType);
  r.body = dump(body);
  return r;
}

std::string resource_location(const support::HttpRequest& request, std::string_view endpoint, std::string_view id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string url;
  // https when the listener's own TLS took the request, or a TLS-terminating
  // proxy in front says the client spoke it (X-Forwarded-Proto,
  // docs/server.md "Deploying").
  if (!request.host.empty()) url = (request.tls || request.forwarded_https ? "https://" : "http://") + request.host;
  url += "/scim/v2/";
  url += endpoint;
  url += '/';
  for (const char ch : id) {
    const auto c = static_cast<unsigned char>(ch);
    if (keep_in_url(c)) {
      url.push_back(ch);
    } else {
      url.push_back('%');
      url.push_back(kHex[c >> 4]);
      url.push_back(kHex[c & 0xF]);
    }
  }
  return url;
}

OrderedJson user_resource(const UserRecord& user, const support::HttpRequest& request, bool with_groups) {
  OrderedJson r = {{"schemas", {kUserSchema}},
                   {"id", user.subject},
                   {"userName", user.subject},
                   {"active", !user.suspended}};
  if (with_groups) {
    OrderedJson groups = OrderedJson::array();
    for (const std::string& g : user.effective_groups) {
      // "direct": assigned by hand or by a push; "indirect": mapped from the
      // IdP's claims at the last login (RFC 7643 §4.1.2 groups.type).
      const bool manual = std::binary_search(user.manual.begin(), user.manual.end(), g);
      groups.push_back({{"value", g},
                        {"$ref", resource_location(request, "Groups", g)},
                        {"display", g},
                        {"type", manual ? "direct" : "indirect"}});
    }
    r["groups"] = std::move(groups);
  }
  r["meta"] = {{"resourceType", "User"}, {"location", resource_location(request, "Users", user.subject)}};
  return r;
}

OrderedJson group_resource(std::string_view group_id, const std::vector<std::string>* members,
                           const support::HttpRequest& request) {
  OrderedJson r = {{"schemas", {kGroupSchema}}, {"id", group_id}, {"displayName", group_id}};
  if (members != nullptr) {
    OrderedJson list = OrderedJson::array();
    for (const std::string& s : *members) {
      list.push_back({{"value", s}, {"$ref", resource_location(request, "Users", s)}, {"display", s}});
    }
    r["members"] = std::move(list);
  }
  r["meta"] = {{"resourceType", "Group"}, {"location", resource_location(request, "Groups", group_id)}};
  return r;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

const Json* find_member(const Json& object, std::string_view name) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (iequals(it.key(), name)) return &it.value();
  }
  return nullptr;
}

std::optional<ScimError> parse_body(const support::HttpRequest& request, Json* body) {
  // The content type is not checked: clients send application/scim+json,
  // application/json or nothing useful at all (RFC 7644 §3.1 asks servers to
  // accept both), and the body says what it is.
  *body = Json::parse(request.body, nullptr, false);
  if (body->is_discarded()) return ScimError{400, "invalidSyntax", "the body is not valid JSON"};
  if (!body->is_object()) return ScimError{400, "invalidSyntax", "the body must be a JSON object"};
  return std::nullopt;
}

std::optional<bool> parse_boolean(const Json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (iequals(s, "true")) return true;
    if (iequals(s, "false")) return false;
  }
  return std::nullopt;
}

bool valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace claimmap::server::scim
