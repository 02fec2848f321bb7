// The /v1 routes (docs/spec.md §13): each is a thin call of the engine's API,
// the same calls `claimmap eval`, `diff` and `who-has` make.
#include <cassert>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "claimmap/impact.h"
#include "claimmap/query.h"
#include "claimmap/service.h"
#include "claimmap/stream.h"
#include "server/config_store.h"
#include "server/server_app.h"

namespace claimmap::server {
namespace {

constexpr const char* kNdjson = "application/x-ndjson";

support::HttpResponse method_not_allowed(std::string_view allowed) {
  support::HttpResponse r = json_error(405, "method_not_allowed", "use " + std::string(allowed));
  r.headers.emplace_back("Allow", std::string(allowed));
  return r;
}

// A yes/no query parameter (`?dry_run=1`, `?explain=true`): "1" or "true".
bool query_flag(const support::HttpRequest& request, std::string_view name) {
  const std::string* v = request.query_value(name);
  return v != nullptr && (*v == "1" || *v == "true");
}

// `?explain=1` (docs/spec.md §17): the explain objects.
bool explain_asked(const support::HttpRequest& request) { return query_flag(request, "explain"); }

// POST /v1/events[?explain=1]: the body's lines through run_stream, as `eval` runs them.
support::HttpResponse post_events(RouteContext& c, const support::HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  StreamOptions options;
  options.threads = 1;  // a request is one caller's sequence; connections give the parallelism
  options.explain = explain_asked(request);
  StreamSummary summary;
  support::HttpResponse r;
  r.content_type = kNdjson;
  if (Status s = run_stream(c.engine, request.body, &r.body, options, &summary); !s.ok()) {
    return json_error(500, std::string(error_code_name(s.code())), s.message());
  }
  c.metrics.record_events(summary.counters);
  if (c.facts != nullptr) c.facts->has_counters = true, c.facts->counters = summary.counters;
  if (summary.counters.events == 1 && summary.lines == 1) {
    c.metrics.observe_login(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return r;
}

// GET /v1/who-has?role=R | app=A | group=G
support::HttpResponse get_who_has(RouteContext& c, const support::HttpRequest& request) {
  AccessQuery query;
  int given = 0;
  if (const std::string* v = request.query_value("role")) query = {AccessQuery::Kind::kRole, *v}, ++given;
  if (const std::string* v = request.query_value("app")) query = {AccessQuery::Kind::kApp, *v}, ++given;
  if (const std::string* v = request.query_value("group")) query = {AccessQuery::Kind::kGroup, *v}, ++given;
  if (given != 1) return json_error(400, "invalid_argument", "give exactly one of role=, app= or group=");
  Result<std::vector<AccessHolder>> holders = c.engine.who_has(query);
  if (!holders.ok()) return json_error(404, "not_found", holders.status().message());
  support::HttpResponse r;
  r.content_type = kNdjson;
  for (const AccessHolder& holder : holders.value()) append_ndjson(holder, query.kind, &r.body);
  return r;
}

// PUT /v1/config[?dry_run=1][&explain=1]
support::HttpResponse put_config(RouteContext& c, const support::HttpRequest& request) {
  ConfigReport report;
  Result<Config> next = load_config(request.body, &report, c.settings.config_dir);
  if (!next.ok()) {
    nlohmann::json errors = nlohmann::json::array();
    for (const ConfigProblem& p : report.errors) errors.push_back({{"path", p.path}, {"message", p.message}});
    if (errors.empty()) errors.push_back({{"path", ""}, {"message", next.status().message()}});
    support::HttpResponse r;
    r.status = 400;
    r.body = nlohmann::json({{"error", {{"code", "invalid_config"}, {"message", next.status().message()}}},
                             {"errors", errors}})
                 .dump() +
             "\n";
    return r;
  }
  const bool dry_run = query_flag(request, "dry_run");
  std::lock_guard<std::mutex> lock(c.config_mutex);
  support::HttpResponse r;
  r.content_type = kNdjson;
  if (dry_run) {
    // `claimmap diff`: the change applied to a copy, never to the engine serving.
    Result<std::unique_ptr<Engine>> scratch = copy_engine(c.engine);
    if (!scratch.ok()) return json_error(500, std::string(error_code_name(scratch.status().code())), scratch.status().message());
    Result<ImpactReport> impact = analyse_change(*scratch.value(), next.value(), nullptr, DeltaOptions{explain_asked(request)});
    if (!impact.ok()) return json_error(500, std::string(error_code_name(impact.status().code())), impact.status().message());
    r.body = impact.value().to_ndjson();
    r.headers.emplace_back("X-Claimmap-Lockouts", std::to_string(impact.value().lockouts.size()));
    return r;
  }
  // Durable before it is applied, and so before it is answered: a restart,
  // even right after a crash, serves what a 200 said was applied. Reloads
  // are serialised by config_mutex, so the version it gets is this one.
  ConfigStore* store = c.settings.config_store;
  const uint64_t version = c.engine.config_version() + 1;
  if (store != nullptr) {
    if (Status s = store->save(request.body, version); !s.ok()) {
      return json_error(503, std::string(error_code_name(s.code())),
                        "nothing applied: the config could not be stored for restarts: " + s.message());
    }
  }
  Result<ReloadResult> reloaded = c.engine.reload(std::move(next.value()), DeltaOptions{explain_asked(request)});
  if (!reloaded.ok()) {
    // Nothing applied, so a restart must not serve it either.
    if (store != nullptr) {
      if (Status s = store->restore_previous(); !s.ok()) {
        std::fprintf(stderr, "claimmap serve: a failed config change is still in the config store: %s\n",
                     s.message().c_str());
      }
    }
    return json_error(500, std::string(error_code_name(reloaded.status().code())), reloaded.status().message());
  }
  assert(reloaded.value().config_version == version);
  EventCounters counters;
  reloaded.value().append_ndjson(0, &r.body, &counters);
  c.metrics.record_events(counters);
  if (c.facts != nullptr) {
    c.facts->has_counters = true;
    c.facts->counters = counters;
    c.facts->config_before = version - 1;
    c.facts->config_after = reloaded.value().config_version;
  }
  r.headers.emplace_back("X-Claimmap-Config-Version", std::to_string(reloaded.value().config_version));
  return r;
}

// GET /v1/users/{provider}/{subject}: both segments percent-decoded already,
// so a subject holding '/' must be sent as %2F — split on the first '/' only
// after the provider.
support::HttpResponse get_user(RouteContext& c, const support::HttpRequest& request, std::string_view rest) {
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) {
    return json_error(404, "not_found", "use /v1/users/{provider}/{subject}");
  }
  const std::string_view provider = rest.substr(0, slash), subject = rest.substr(slash + 1);
  support::HttpResponse r;
  // ?explain=1: why the user holds each group and role (docs/spec.md §17).
  if (explain_asked(request)) {
    std::optional<UserExplanation> user = c.engine.explain_user(provider, subject);
    if (!user) return json_error(404, "unknown_user", "no such user");
    r.body = user->to_json();
    return r;
  }
  std::optional<UserRecord> user = c.engine.find_user(provider, subject);
  if (!user) return json_error(404, "unknown_user", "no such user");
  r.body = user->to_state_line();
  return r;
}

}  // namespace

support::HttpResponse handle_api(RouteContext& c, const support::HttpRequest& request, Route* route) {
  const std::string& path = request.path;
  const std::string& method = request.method;
  if (path == "/v1/events") {
    *route = Route::kEvents;
    return method == "POST" ? post_events(c, request) : method_not_allowed("POST");
  }
  if (path == "/v1/who-has") {
    *route = Route::kWhoHas;
    return method == "GET" ? get_who_has(c, request) : method_not_allowed("GET");
  }
  if (path == "/v1/config") {
    *route = Route::kConfig;
    if (method == "GET") {
      support::HttpResponse r;
      r.body = nlohmann::json({{"config_version", c.engine.config_version()}}).dump() + "\n";
      return r;
    }
    return method == "PUT" ? put_config(c, request) : method_not_allowed("PUT");
  }
  constexpr std::string_view kUsers = "/v1/users/";
  if (path.starts_with(kUsers)) {
    *route = Route::kUsers;
    return method == "GET" ? get_user(c, request, std::string_view(path).substr(kUsers.size())) : method_not_allowed("GET");
  }
  return json_error(404, "not_found", "no route " + path);
}

}  // namespace claimmap::server
