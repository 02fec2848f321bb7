// support/listen_address.h — "HOST:PORT" as the listener's flags take it
// (`serve --listen`, `worker --metrics-listen`): an IPv6 host may be written
// in brackets ("[::1]:8080"), port 0 asks for any free port.
//
// A pure function: call from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace claimmap::support {

// "HOST:PORT" → host (brackets removed) and port; false if malformed (no
// colon, an empty host or port, a port that is not a number up to 65535).
bool split_listen_address(const std::string& listen, std::string* host, uint16_t* port);

}  // namespace claimmap::support
