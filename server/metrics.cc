#include "server/metrics.h"

#include "support/engine_metrics.h"
#include "support/prometheus_text.h"

namespace claimmap::server {
namespace {

void add(std::atomic<uint64_t>& counter, uint64_t n) {
  if (n != 0) counter.fetch_add(n, std::memory_order_relaxed);
}

uint64_t get(const std::atomic<uint64_t>& counter) { return counter.load(std::memory_order_relaxed); }

}  // namespace

void LatencyHistogram::observe(double seconds) {
  size_t i = 0;
  while (i < kLatencyBucketSeconds.size() && seconds > kLatencyBucketSeconds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

void LatencyHistogram::append_text(std::string_view name, std::string_view help, std::string* out) const {
  support::append_family(name, help, "histogram", out);
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= kLatencyBucketSeconds.size(); ++i) {
    cumulative += get(buckets_[i]);
    out->append(name).append("_bucket{le=\"");
    if (i < kLatencyBucketSeconds.size()) {
      support::append_number(kLatencyBucketSeconds[i], out);
    } else {
      out->append("+Inf");
    }
    out->append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  out->append(name).append("_sum ");
  support::append_number(static_cast<double>(get(sum_nanos_)) / 1e9, out);
  out->append("\n").append(name).append("_count ").append(std::to_string(get(count_))).append("\n");
}

std::string_view route_name(Route route) {
  switch (route) {
    case Route::kEvents: return "events";
    case Route::kWhoHas: return "who_has";
    case Route::kConfig: return "config";
    case Route::kUsers: return "users";
    case Route::kScim: return "scim";
    case Route::kHealth: return "healthz";
    case Route::kMetrics: return "metrics";
    case Route::kOther: return "other";
  }
  return "other";
}

void Metrics::record_events(const EventCounters& c) {
  for (int i = 0; i < kCauseCount; ++i) add(by_cause_[i], c.by_cause[i]);
  add(ok_, c.ok);
  add(stale_, c.stale);
  add(suspended_, c.suspended);
  add(denied_, c.denied);
  add(errors_total_, c.errors);
  add(new_users_, c.new_users);
  for (int i = 0; i <= kEventErrorCodeCount; ++i) add(errors_[i], c.errors_by_code[i]);
  add(groups_added_, c.groups_added);
  add(groups_removed_, c.groups_removed);
  add(roles_granted_, c.roles_granted);
  add(roles_revoked_, c.roles_revoked);
}

void Metrics::record_request(Route route, int status, double seconds) {
  const int r = static_cast<int>(route);
  const int cls = status >= 100 && status < 600 ? status / 100 : 0;
  requests_[r][cls].fetch_add(1, std::memory_order_relaxed);
  request_latency_[r].observe(seconds);
}

EventCounters Metrics::events() const {
  EventCounters c;
  for (int i = 0; i < kCauseCount; ++i) c.by_cause[i] = get(by_cause_[i]);
  c.ok = get(ok_);
  c.stale = get(stale_);
  c.suspended = get(suspended_);
  c.denied = get(denied_);
  c.errors = get(errors_total_);
  c.new_users = get(new_users_);
  for (int i = 0; i <= kEventErrorCodeCount; ++i) c.errors_by_code[i] = get(errors_[i]);
  c.groups_added = get(groups_added_);
  c.groups_removed = get(groups_removed_);
  c.roles_granted = get(roles_granted_);
  c.roles_revoked = get(roles_revoked_);
  c.events = c.ok + c.stale + c.suspended + c.denied + c.errors;
  return c;
}

std::string Metrics::to_text(const Engine& engine, std::string_view extra) const {
  std::string out;
  support::append_event_metrics(events(), &out);
  login_latency_.append_text("claimmap_login_latency_seconds",
                             "Time in the engine of an event sent on its own (a request body of one line).", &out);
  support::append_family("claimmap_http_requests_total", "HTTP requests by route and status class.", "counter", &out);
  static constexpr const char* kClasses[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (int r = 0; r < kRouteCount; ++r) {
    for (int cls = 0; cls < 6; ++cls) {
      const uint64_t n = get(requests_[r][cls]);
      if (n == 0) continue;
      support::append_sample(
          "claimmap_http_requests_total",
          "route=\"" + std::string(route_name(static_cast<Route>(r))) + "\",code=\"" + kClasses[cls] + "\"", n, &out);
    }
  }
  const LatencyHistogram& events_latency = request_latency_[static_cast<int>(Route::kEvents)];
  events_latency.append_text("claimmap_events_request_seconds", "Duration of POST /v1/events requests.", &out);
  support::append_engine_metrics({engine.user_count(), engine.state_bytes(), engine.config_version()}, &out);
  out.append(extra);
  return out;
}

}  // namespace claimmap::server
