// support/http_types.h — a request and its answer as a listener's handler
// sees them (support/http_listener.h): plain values, free of Boost.Beast, so
// that every route can be tested by calling the handler directly as well as
// over a real socket.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace claimmap::support {

struct HttpRequest {
  std::string method;  // "GET", "POST", … as sent
  std::string path;    // the target before '?', percent-decoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::string host;           // the Host header, for absolute URLs (SCIM meta.location)
  bool forwarded_https = false;  // X-Forwarded-Proto: https (a TLS proxy in front)
  std::string authorization;  // the Authorization header, verbatim
  std::string peer;           // the client's address ("IP:PORT"), for the audit log; empty when unknown
  bool tls = false;           // came over TLS (the listener's own, not a proxy's)
  std::string content_type;
  std::string body;

  // The first value of query parameter `name`, or nullptr.
  const std::string* query_value(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones (Location, WWW-Authenticate)
};

// Splits a request target ("/v1/who-has?role=Crm.Editor") into a decoded path
// and query. False for a target that is not origin-form or has a bad %-escape.
bool parse_target(std::string_view target, HttpRequest* request);

// %XX-decoding ('+' is a space in a query, not in a path).
bool percent_decode(std::string_view in, bool plus_is_space, std::string* out);

}  // namespace claimmap::support
