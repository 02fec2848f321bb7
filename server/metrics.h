// server/metrics.h — what `GET /metrics` exposes, in the Prometheus text
// exposition format (version 0.0.4): events by cause and status and errors by
// code (counted from the engine's own EventCounters), users and config
// version — the families every ClaimMap process exposes
// (support/engine_metrics.h) — and the server's own: a login latency
// histogram, HTTP requests by route and status.
//
// Thread-safety: every method may be called from any thread at once; the
// counters are relaxed atomics (a scrape may see one request half-counted,
// never a torn number).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "claimmap/counters.h"
#include "claimmap/engine.h"

namespace claimmap::server {

// Upper bounds of the latency buckets, in seconds (+Inf is implied): from
// 10 µs, where a login lands in process, to 1 s, where a batch or a stalled
// request lands.
inline constexpr std::array<double, 14> kLatencyBucketSeconds = {
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
    0.0025,  0.005,    0.01,    0.025,  0.1,     0.25,   1.0};

class LatencyHistogram {
 public:
  void observe(double seconds);
  // "# HELP", "# TYPE" and the _bucket/_sum/_count lines of `name`.
  void append_text(std::string_view name, std::string_view help, std::string* out) const;

 private:
  std::array<std::atomic<uint64_t>, kLatencyBucketSeconds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_nanos_{0};
};

// The routes requests are counted under (a fixed set, so that a client
// sending odd paths cannot grow the label set).
enum class Route : uint8_t { kEvents, kWhoHas, kConfig, kUsers, kScim, kHealth, kMetrics, kOther };
inline constexpr int kRouteCount = static_cast<int>(Route::kOther) + 1;
std::string_view route_name(Route route);

class Metrics {
 public:
  // The results of a request's events (reload lines included, as cause "reload").
  void record_events(const EventCounters& counters);
  // One login answered on its own (a body of one event): its time in the engine.
  void observe_login(double seconds) { login_latency_.observe(seconds); }
  void record_request(Route route, int status, double seconds);

  // What record_events has counted so far.
  EventCounters events() const;

  // The whole exposition, with the engine's users and config version read now.
  // `extra` is appended as it is.
  std::string to_text(const Engine& engine, std::string_view extra = {}) const;

 private:
  std::atomic<uint64_t> by_cause_[kCauseCount] = {};
  std::atomic<uint64_t> ok_{0}, stale_{0}, suspended_{0}, denied_{0}, errors_total_{0}, new_users_{0};
  std::atomic<uint64_t> errors_[kEventErrorCodeCount + 1] = {};
  std::atomic<uint64_t> groups_added_{0}, groups_removed_{0}, roles_granted_{0}, roles_revoked_{0};
  LatencyHistogram login_latency_;
  // Requests by route and status class (1xx…5xx), and their durations.
  std::atomic<uint64_t> requests_[kRouteCount][6] = {};
  LatencyHistogram request_latency_[kRouteCount];
};

}  // namespace claimmap::server
