// server/rate_limiter.h — `serve --rate-limit NAME=N/s` (docs/spec.md §13
// "Hardened serving"): a token bucket per credential, so that one
// misbehaving client cannot take the capacity every other one needs.
//
// A bucket holds at most N tokens (a burst of one second's worth) and gains
// N a second; a request takes one. A request that finds none is refused
// (429, Retry-After) before anything is done, and counted. Credentials
// without a limit are never refused.
//
// A limit follows the credential's name, not its token: when a SIGHUP
// rotation drops or renames the credential, the limit matches nobody (serve
// logs a warning naming it, limits_without_credential); when a credential
// of that name comes back, the limit applies to it again, with the bucket
// it left (refilled by the time passed) and its refusal count.
//
// Thread-safety: every method may be called from any thread; each bucket
// has its own lock (held for a few arithmetic operations).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/status.h"
#include "support/credentials.h"

namespace claimmap::server {

struct RateLimit {
  std::string credential;
  double per_second = 0;
};

// "NAME=N/s" (N a positive number; "/s" may be left out).
Result<RateLimit> parse_rate_limit(std::string_view spec);

// The names of `limits` that no credential of `credentials` has, in the
// order given: a typo at start (refused), a credential a rotation dropped
// or renamed (warned of).
std::vector<std::string> limits_without_credential(const std::vector<RateLimit>& limits,
                                                   const support::CredentialSet& credentials);

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Every bucket starts full at `start` (a test gives its own clock's time).
  explicit RateLimiter(const std::vector<RateLimit>& limits, Clock::time_point start = Clock::now());

  // Takes one token of `credential`'s bucket at `now`. False when it is
  // empty: then *retry_after_seconds is how long until one is back
  // (rounded up, at least 1), and the refusal is counted.
  bool admit(std::string_view credential, Clock::time_point now, int64_t* retry_after_seconds);

  // Refusals so far, by credential (those with a limit), sorted by name.
  std::vector<std::pair<std::string, uint64_t>> refusals() const;

 private:
  struct Bucket {
    double rate = 0;
    double tokens = 0;
    Clock::time_point last{};
    uint64_t refused = 0;
    mutable std::mutex mutex;
  };
  // Built once; credentials are looked up, never added.
  std::map<std::string, std::unique_ptr<Bucket>, std::less<>> buckets_;
};

}  // namespace claimmap::server
