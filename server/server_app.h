// server/server_app.h — what `claimmap serve` answers (docs/spec.md §13),
// independent of the transport: the HTTP listener (support/http_listener.h)
// hands every parsed request to ServerApp::handle and writes back its answer.
//
// The routes add no business logic: events go through run_stream (what
// `claimmap eval` runs), config changes through load_config/analyse_change/
// Engine::reload (what `claimmap diff` and `eval --reload-at` run), SCIM
// writes become provisioning push lines (docs/spec.md §6) processed by the
// engine like any other event.
//
// Thread-safety: handle() may be called from any number of threads at once.
// Config changes are serialised among themselves; events keep flowing while
// one is applied (the engine's reload is atomic between events). An applied
// config is written to the config store (if any) before the reload, and the
// PUT answered after both.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "claimmap/engine.h"
#include "server/audit_log.h"
#include "support/credentials.h"
#include "server/metrics.h"
#include "server/rate_limiter.h"
#include "support/http_types.h"

namespace claimmap::server {

class ConfigStore;  // server/config_store.h

using support::Credential;
using support::CredentialSet;
using support::CredentialStore;
using support::Scope;

struct ServerSettings {
  // The bearer token every route but /healthz needs, with every scope
  // (`--token-file`); ignored when `credentials` is set.
  std::string token;
  std::string scim_provider;  // the provider SCIM users belong to; empty: SCIM off
  // Where PUT /v1/config stores a config durably before applying it; null:
  // nowhere (an applied config lasts until the process stops). Not owned:
  // must outlive the app; used only under the app's config mutex.
  ConfigStore* config_store = nullptr;
  // The folder a config's `jwks_file` is read from: the --config file's
  // (docs/spec.md §15), for configs applied by PUT /v1/config too.
  std::string config_dir;
  // Hardened serving (docs/spec.md §13): named credentials with scopes
  // (`--tokens-file`), rotated by replacing the store's set; null: `token`.
  std::shared_ptr<CredentialStore> credentials;
  // `--audit-log`: not owned, must outlive the app; null: no audit log.
  AuditLog* audit_log = nullptr;
  std::vector<RateLimit> rate_limits;  // `--rate-limit NAME=N/s`
};

// What a route did, for its audit line (server/audit_log.h).
struct AuditFacts {
  bool has_counters = false;
  EventCounters counters;  // events applied (a batch, SCIM pushes, a reload's lines)
  uint64_t config_before = 0, config_after = 0;
};

// What a route needs: the engine and the server's shared pieces.
struct RouteContext {
  Engine& engine;
  const ServerSettings& settings;
  Metrics& metrics;
  std::mutex& config_mutex;  // serialises PUT /v1/config and SCIM check-then-write steps
  AuditFacts* facts = nullptr;  // filled for the audit log; null when not audited
};

class ServerApp {
 public:
  // `engine` must outlive the app.
  ServerApp(Engine& engine, ServerSettings settings);

  support::HttpResponse handle(const support::HttpRequest& request);

  Metrics& metrics() { return metrics_; }

  // Extra Prometheus text appended to /metrics (a worker's partition gauges).
  // Set before serving; called on the scraping thread.
  void set_metrics_extra(std::function<std::string()> extra) { metrics_extra_ = std::move(extra); }

 private:
  // The route's answer, once the credential may make the request.
  support::HttpResponse route(const support::HttpRequest& request, Route* route, AuditFacts* facts);

  Engine& engine_;
  ServerSettings settings_;
  std::shared_ptr<CredentialStore> credentials_;
  RateLimiter rate_limiter_;
  Metrics metrics_;
  std::mutex config_mutex_;
  std::function<std::string()> metrics_extra_;
};

// The scope a request needs (docs/spec.md §13), or 0 for a route any valid
// credential may call (an unknown one, which then gets 404).
uint32_t scope_of(const support::HttpRequest& request);
// Whether the request goes to the audit log: it changes state or reads who
// holds what (docs/spec.md §13).
bool is_audited(const support::HttpRequest& request);
// The query parameters an audited request's line keeps: only those its
// route reads (who-has's `role=`, a dry run's `dry_run=`, SCIM's `filter=`,
// …), each once, its first value (the one the route uses), under the
// route's own spelling of its name. Anything else is left out — an
// `access_token=` a client put in the URL, a typo — so that no secret sent
// in a query reaches the log (docs/server.md "The audit log").
std::vector<std::pair<std::string, std::string>> audited_query(const support::HttpRequest& request);

// The JSON error body of the /v1 routes: {"error": {"code": C, "message": M}}.
support::HttpResponse json_error(int status, std::string_view code, std::string_view message);

// Routes by family (server/api_routes.cc, server/scim/scim_routes.cc).
support::HttpResponse handle_api(RouteContext& context, const support::HttpRequest& request, Route* route);
support::HttpResponse handle_scim(RouteContext& context, const support::HttpRequest& request, std::string_view subpath);

}  // namespace claimmap::server
