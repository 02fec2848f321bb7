// server/serve.h — `claimmap serve` as a whole (docs/spec.md §13): open the
// engine from its config and state files, listen, write snapshots, and stop
// cleanly on SIGTERM or SIGINT (stop accepting, finish what was accepted,
// write the snapshot atomically, exit 0).
#pragma once

#include <string>
#include <vector>

#include "claimmap/status.h"
#include "server/rate_limiter.h"
#include "support/http_listener.h"

namespace claimmap::server {

struct ServeOptions {
  std::string config_path;  // the base: served at version 1 while no applied config is stored
  std::string state_path;   // loaded at start if it exists; written at stop and every snapshot_every
  // Take over a `.ndjson` state this server did not write (server/state_owner.h);
  // without it such a file is refused, as serving it would rewrite it.
  bool overwrite_state = false;
  // Where PUT /v1/config keeps the config it applies (server/config_store.h),
  // which a restart serves again. Empty: state_path + ".config" when there
  // is a state_path, else nowhere (an applied config lasts until the stop).
  // `serve --config-store PATH` sets it.
  std::string config_store_path;
  std::string listen = "127.0.0.1:8080";  // HOST:PORT (support/listen_address.h); port 0 picks a free one
  std::string token;  // the bearer token every route but /healthz needs (the CLI reads --token-file)
  // Hardened serving (docs/spec.md §13): named credentials instead of
  // `token`, re-read on SIGHUP; the audit log, reopened on SIGHUP; limits.
  std::string tokens_file;
  std::string audit_log_path;
  std::vector<RateLimit> rate_limits;
  std::string scim_provider;
  unsigned threads = 2;
  double snapshot_every_seconds = 0;  // 0: only at stop
  support::ListenerOptions limits;    // address, port and threads are taken from the fields above; tls: HTTPS
};

// Runs until SIGTERM or SIGINT. Ok after a clean stop; otherwise the failure,
// already reported on stderr: kIoError when the listener, a file's read or
// the final snapshot fails, another code (kInvalidArgument, kInvalidConfig,
// kInvalidState) for bad options, config, config store or state — the CLI
// makes the exit code of it (docs/spec.md §10). Prints which config it
// serves and where from (server/start_config.h), then "claimmap serve:
// listening on http://HOST:PORT" (https:// with limits.tls), to stderr.
[[nodiscard]] Status run_serve(const ServeOptions& options);

}  // namespace claimmap::server
