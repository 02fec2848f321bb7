#include "server/server_app.h"

#include <chrono>
#include <cstdio>
#include <span>

#include <nlohmann/json.hpp>

#include "server/scim/scim_list.h"
#include "support/prometheus_text.h"

namespace claimmap::server {

using namespace support;  // scopes and credentials (support/credentials.h)

namespace {

constexpr std::string_view kScimPrefix = "/scim/v2";

bool is_scim(std::string_view path) {
  return path.starts_with(kScimPrefix) && (path.size() == kScimPrefix.size() || path[kScimPrefix.size()] == '/');
}

// A refusal before the route is reached, in the route family's error form.
support::HttpResponse refusal(const support::HttpRequest& request, int status, std::string_view code,
                              std::string_view message) {
  if (!is_scim(request.path)) return json_error(status, code, message);
  support::HttpResponse r;
  r.status = status;
  r.content_type = "application/scim+json";
  r.body = nlohmann::json({{"schemas", {"urn:ietf:params:scim:api:messages:2.0:Error"}},
                           {"status", std::to_string(status)},
                           {"detail", message}})
               .dump() +
           "\n";
  return r;
}

}  // namespace

uint32_t scope_of(const support::HttpRequest& request) {
  const std::string_view path = request.path;
  if (path == "/metrics") return kScopeMetrics;
  if (is_scim(path)) return kScopeScim;
  if (path == "/v1/events") return kScopeEvents;
  if (path == "/v1/config") return request.method == "GET" || request.method == "HEAD" ? kScopeRead : kScopeAdmin;
  if (path == "/v1/who-has" || path.starts_with("/v1/users/")) return kScopeRead;
  return 0;
}

bool is_audited(const support::HttpRequest& request) {
  const std::string_view path = request.path;
  const bool read = request.method == "GET" || request.method == "HEAD";
  if (path == "/v1/events") return true;
  if (path == "/v1/config") return !read;
  if (path == "/v1/who-has" || path.starts_with("/v1/users/")) return true;
  if (is_scim(path)) {
    // Writes, and reads of who is in what (users and groups, not discovery).
    const std::string_view rest = path.substr(kScimPrefix.size());
    return !read || rest.starts_with("/Users") || rest.starts_with("/Groups");
  }
  return false;
}

namespace {

// What each audited route reads from its query (server/api_routes.cc,
// server/scim/scim_list.cc, scim_users.cc, scim_groups.cc); keep in step.
constexpr std::string_view kEventsQuery[] = {"explain"};
constexpr std::string_view kWhoHasQuery[] = {"role", "app", "group"};
constexpr std::string_view kConfigQuery[] = {"dry_run", "explain"};
constexpr std::string_view kUsersQuery[] = {"explain"};
constexpr std::string_view kScimQuery[] = {"filter", "startIndex", "count", "attributes", "excludedAttributes"};

std::span<const std::string_view> query_names_read(std::string_view path) {
  if (path == "/v1/events") return kEventsQuery;
  if (path == "/v1/who-has") return kWhoHasQuery;
  if (path == "/v1/config") return kConfigQuery;
  if (path.starts_with("/v1/users/")) return kUsersQuery;
  if (is_scim(path)) return kScimQuery;
  return {};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> audited_query(const support::HttpRequest& request) {
  // SCIM compares parameter names ignoring case (RFC 7644 §3.4.2), /v1 exactly:
  // the same lookups the routes make, so a line shows what the route used.
  const bool scim = is_scim(request.path);
  std::vector<std::pair<std::string, std::string>> kept;
  for (const std::string_view name : query_names_read(request.path)) {
    const std::string* value = scim ? scim::query_parameter(request, name) : request.query_value(name);
    if (value != nullptr) kept.emplace_back(std::string(name), *value);
  }
  return kept;
}

support::HttpResponse json_error(int status, std::string_view code, std::string_view message) {
  support::HttpResponse r;
  r.status = status;
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  r.body = body.dump() + "\n";
  return r;
}

ServerApp::ServerApp(Engine& engine, ServerSettings settings)
    : engine_(engine),
      settings_(std::move(settings)),
      credentials_(settings_.credentials
                       ? settings_.credentials
                       : std::make_shared<CredentialStore>(CredentialSet::single_token(settings_.token))),
      rate_limiter_(settings_.rate_limits) {}

// The order of the checks (docs/server.md "Credentials"): who (401), may it
// (403), not too often (429), can it be recorded (503) — each before
// anything is read from the body or done.
support::HttpResponse ServerApp::handle(const support::HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  Route route = Route::kOther;
  support::HttpResponse response;
  if (request.path == "/healthz") {
    route = Route::kHealth;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "ok\n";
    if (request.method != "GET" && request.method != "HEAD") response = json_error(405, "method_not_allowed", "use GET");
    metrics_.record_request(route, response.status,
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return response;
  }
  if (is_scim(request.path)) route = Route::kScim;
  const std::shared_ptr<const CredentialSet> credentials = credentials_->current();
  const Credential* who = credentials->authenticate(request.authorization);
  const uint32_t scope = scope_of(request);
  const bool audited = settings_.audit_log != nullptr && is_audited(request);
  AuditFacts facts;
  int64_t retry_after = 0;
  bool handled = false;
  if (who == nullptr) {
    response = refusal(request, 401, "unauthorized", "a valid bearer token is required");
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"claimmap\"");
  } else if ((who->scopes & scope) != scope) {
    response = refusal(request, 403, "forbidden",
                       "credential \"" + who->name + "\" lacks the scope \"" +
                           std::string(scope_name(static_cast<Scope>(scope))) + "\" this route needs");
  } else if (!rate_limiter_.admit(who->name, RateLimiter::Clock::now(), &retry_after)) {
    response = refusal(request, 429, "rate_limited",
                       "credential \"" + who->name + "\" is over its rate limit; retry after " +
                           std::to_string(retry_after) + " s");
    response.headers.emplace_back("Retry-After", std::to_string(retry_after));
  } else if (Status ready = audited ? settings_.audit_log->ready() : Status(); !ready.ok()) {
    std::fprintf(stderr, "claimmap serve: %s: refusing %s %s\n", ready.message().c_str(), request.method.c_str(),
                 request.path.c_str());
    response = refusal(request, 503, "audit_log_unavailable",
                       "nothing done: the audit log cannot record the request: " + ready.message());
  } else {
    response = this->route(request, &route, audited ? &facts : nullptr);
    handled = true;
  }
  if (audited) {
    AuditEntry entry;
    entry.credential = who != nullptr ? std::string_view(who->name) : std::string_view();
    entry.client = request.peer;
    entry.method = request.method;
    entry.path = request.path;
    entry.query = audited_query(request);
    entry.status = response.status;
    if (facts.has_counters) entry.counters = &facts.counters;
    entry.config_before = facts.config_before;
    entry.config_after = facts.config_after;
    if (Status s = settings_.audit_log->append(entry); !s.ok()) {
      // ready() reserved room for this line, so this is a device failing
      // under us; the request was handled and the operator must know.
      std::fprintf(stderr, "claimmap serve: %s: %s %s %s, not recorded\n", s.message().c_str(), request.method.c_str(),
                   request.path.c_str(), handled ? "was handled" : "was refused");
      response = refusal(request, 503, "audit_log_unavailable",
                         std::string(handled ? "handled but not recorded: " : "refused and not recorded: ") +
                             s.message());
    }
  }
  metrics_.record_request(route, response.status,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return response;
}

support::HttpResponse ServerApp::route(const support::HttpRequest& request, Route* route, AuditFacts* facts) {
  if (request.path == "/metrics") {
    *route = Route::kMetrics;
    if (request.method != "GET") return json_error(405, "method_not_allowed", "use GET");
    support::HttpResponse response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    std::string extra = metrics_extra_ ? metrics_extra_() : std::string();
    const auto refused = rate_limiter_.refusals();
    if (!refused.empty()) {
      constexpr std::string_view kName = "claimmap_http_rate_limited_total";
      append_family(kName, "Requests refused with 429, by credential.", "counter", &extra);
      for (const auto& [name, n] : refused) {
        append_sample(kName, "credential=\"" + escape_label_value(name) + "\"", n, &extra);
      }
    }
    response.body = metrics_.to_text(engine_, extra);
    return response;
  }
  RouteContext context{engine_, settings_, metrics_, config_mutex_, facts};
  if (is_scim(request.path)) {
    *route = Route::kScim;
    return handle_scim(context, request, std::string_view(request.path).substr(kScimPrefix.size()));
  }
  return handle_api(context, request, route);
}

}  // namespace claimmap::server
