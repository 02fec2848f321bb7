#include "server/rate_limiter.h"

#include <charconv>
#include <cmath>

namespace claimmap::server {

Result<RateLimit> parse_rate_limit(std::string_view spec) {
  const auto bad = [&] {
    return Status(ErrorCode::kInvalidArgument,
                  "--rate-limit wants NAME=N/s (a credential's name and a positive number of requests a second), got \"" +
                      std::string(spec) + "\"");
  };
  const size_t eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0) return bad();
  std::string_view rate = spec.substr(eq + 1);
  if (rate.ends_with("/s")) rate.remove_suffix(2);
  double n = 0;
  const auto [end, ec] = std::from_chars(rate.data(), rate.data() + rate.size(), n);
  if (ec != std::errc() || end != rate.data() + rate.size() || !(n > 0) || !std::isfinite(n)) return bad();
  return RateLimit{std::string(spec.substr(0, eq)), n};
}

std::vector<std::string> limits_without_credential(const std::vector<RateLimit>& limits,
                                                   const support::CredentialSet& credentials) {
  std::vector<std::string> missing;
  for (const RateLimit& limit : limits) {
    bool known = false;
    for (const support::Credential& c : credentials.credentials()) known = known || c.name == limit.credential;
    if (!known) missing.push_back(limit.credential);
  }
  return missing;
}

namespace {

// Whole seconds until the bucket holds one token again, rounded up (a client
// that comes back after Retry-After finds one), at least 1. The division is
// in floating point: 2 s to go at 1/3 a second can come out as
// 2.0000000000000004, which must not round up to 3 — so what is under a
// microsecond past a whole second counts as that second.
int64_t retry_after(double tokens, double rate) {
  const double seconds = (1.0 - tokens) / rate;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(seconds - 1e-6)));
}

}  // namespace

RateLimiter::RateLimiter(const std::vector<RateLimit>& limits, Clock::time_point start) {
  for (const RateLimit& l : limits) {
    auto b = std::make_unique<Bucket>();
    b->rate = l.per_second;
    b->tokens = std::max(1.0, l.per_second);  // starts full
    b->last = start;
    buckets_[l.credential] = std::move(b);
  }
}

bool RateLimiter::admit(std::string_view credential, Clock::time_point now, int64_t* retry_after_seconds) {
  auto it = buckets_.find(credential);
  if (it == buckets_.end()) return true;
  Bucket& b = *it->second;
  std::lock_guard<std::mutex> lock(b.mutex);
  // A burst of one second's worth, and at least one request (a rate under 1/s).
  const double capacity = std::max(1.0, b.rate);
  if (now > b.last) {
    b.tokens = std::min(capacity, b.tokens + std::chrono::duration<double>(now - b.last).count() * b.rate);
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  ++b.refused;
  *retry_after_seconds = retry_after(b.tokens, b.rate);
  return false;
}

std::vector<std::pair<std::string, uint64_t>> RateLimiter::refusals() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& [name, b] : buckets_) {
    std::lock_guard<std::mutex> lock(b->mutex);
    out.emplace_back(name, b->refused);
  }
  return out;
}

}  // namespace claimmap::server
