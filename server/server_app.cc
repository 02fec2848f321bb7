#include "server/server_app.h"

#include <chrono>
#include <cctype>

#include <nlohmann/json.hpp>

namespace claimmap::server {

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size() || token.empty()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  }
  const std::string_view given = authorization.substr(kScheme.size());
  // Every byte of the expected token is compared whatever the given one
  // holds, so the time taken says nothing of how much of it was right.
  unsigned char diff = given.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < token.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(token[i]);
  }
  return diff == 0;
}

support::HttpResponse json_error(int status, std::string_view code, std::string_view message) {
  support::HttpResponse r;
  r.status = status;
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  r.body = body.dump() + "\n";
  return r;
}

ServerApp::ServerApp(Engine& engine, ServerSettings settings) : engine_(engine), settings_(std::move(settings)) {}

support::HttpResponse ServerApp::handle(const support::HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  Route route = Route::kOther;
  support::HttpResponse response;
  if (request.path == "/healthz") {
    route = Route::kHealth;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "ok\n";
    if (request.method != "GET" && request.method != "HEAD") response = json_error(405, "method_not_allowed", "use GET");
  } else if (!bearer_matches(request.authorization, settings_.token)) {
    // Nothing is read from the body or done before this check.
    const bool scim = request.path.starts_with("/scim/");
    route = scim ? Route::kScim : Route::kOther;
    if (scim) {
      response.status = 401;
      response.content_type = "application/scim+json";
      response.body = nlohmann::json({{"schemas", {"urn:ietf:params:scim:api:messages:2.0:Error"}},
                                      {"status", "401"},
                                      {"detail", "a valid bearer token is required"}})
                          .dump() +
                      "\n";
    } else {
      response = json_error(401, "unauthorized", "a valid bearer token is required");
    }
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"claimmap\"");
  } else if (request.path == "/metrics") {
    route = Route::kMetrics;
    if (request.method != "GET") {
      response = json_error(405, "method_not_allowed", "use GET");
    } else {
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body = metrics_.to_text(engine_, metrics_extra_ ? metrics_extra_() : std::string());
    }
  } else {
    RouteContext context{engine_, settings_, metrics_, config_mutex_};
    constexpr std::string_view kScimPrefix = "/scim/v2";
    if (request.path.starts_with(kScimPrefix) &&
        (request.path.size() == kScimPrefix.size() || request.path[kScimPrefix.size()] == '/')) {
      route = Route::kScim;
      response = handle_scim(context, request, std::string_view(request.path).substr(kScimPrefix.size()));
    } else {
      response = handle_api(context, request, &route);
    }
  }
  metrics_.record_request(route, response.status,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return response;
}

}  // namespace claimmap::server
