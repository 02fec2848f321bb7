// simulator/http_client.h — `claimmap simulate --target http://HOST:PORT`
// (or https://): replay clients that POST events to a running `claimmap
// serve` (docs/spec.md §13) over one keep-alive connection each, with the
// bearer token, and count the result lines the server answers. Over https
// the server's certificate is verified (chain and host name or IP address).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "claimmap/status.h"
#include "simulator/event_client.h"

namespace claimmap::sim {

struct HttpTarget {
  std::string host;
  std::string port;
  std::string token;
  bool tls = false;     // https://
  std::string ca_file;  // https: the PEM CA certificates the server's must chain to; empty: the system's
};

// "http://HOST:PORT" or "https://HOST:PORT" (a trailing '/' allowed);
// kInvalidArgument otherwise.
[[nodiscard]] Result<HttpTarget> parse_target_url(std::string_view url);

ClientFactory http_clients(const HttpTarget& target);

// What the server says of itself, from GET /metrics: read before and after a
// run, for the report's users and memory lines. Also proves the token works.
struct ServerFigures {
  uint64_t users = 0;
  uint64_t state_bytes = 0;
  uint64_t config_version = 0;
};
[[nodiscard]] Result<ServerFigures> fetch_server_figures(const HttpTarget& target);

}  // namespace claimmap::sim
