// server/rate_limiter.h: `serve --rate-limit NAME=N/s` (docs/server.md
// "Credentials, the audit log and rate limits") on a clock the test moves —
// the burst a full bucket allows, its refill, the cap on refill, Retry-After
// and its rounding, refusals counted; the limit parser; which limits a
// credential set leaves unmatched (a SIGHUP rotation's warning).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "server/rate_limiter.h"

namespace claimmap::server {
namespace {

using Clock = RateLimiter::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A fixed start: the limiter never reads the clock itself when given times.
const Clock::time_point kT0 = Clock::time_point() + std::chrono::hours(1000);

// How many requests of `name` pass at `now`, asked `n` times.
int admitted(RateLimiter& limiter, const std::string& name, Clock::time_point now, int n) {
  int passed = 0;
  int64_t retry = 0;
  for (int i = 0; i < n; ++i) passed += limiter.admit(name, now, &retry) ? 1 : 0;
  return passed;
}

// Retry-After at `now` for a request that is refused (-1 if it passed).
int64_t retry_after(RateLimiter& limiter, const std::string& name, Clock::time_point now) {
  int64_t retry = -1;
  return limiter.admit(name, now, &retry) ? -1 : retry;
}

TEST(RateLimiter, ABurstOfOneSecondsWorth) {
  RateLimiter limiter({{"pipeline", 5}}, kT0);
  EXPECT_EQ(admitted(limiter, "pipeline", kT0, 8), 5);
  EXPECT_EQ(limiter.refusals(), (std::vector<std::pair<std::string, uint64_t>>{{"pipeline", 3}}));
}

TEST(RateLimiter, BelowOneASecondTheBurstIsOneRequest) {
  RateLimiter limiter({{"slow", 0.05}}, kT0);
  EXPECT_EQ(admitted(limiter, "slow", kT0, 3), 1);
}

TEST(RateLimiter, RefillsAtTheRate) {
  RateLimiter limiter({{"p", 10}}, kT0);
  ASSERT_EQ(admitted(limiter, "p", kT0, 10), 10);
  EXPECT_EQ(admitted(limiter, "p", kT0 + milliseconds(50), 1), 0) << "half a token";
  EXPECT_EQ(admitted(limiter, "p", kT0 + milliseconds(100), 2), 1) << "one token after 100 ms";
  EXPECT_EQ(admitted(limiter, "p", kT0 + milliseconds(400), 5), 3) << "three more after 300 ms more";
}

TEST(RateLimiter, RefillStopsAtTheBurst) {
  RateLimiter limiter({{"p", 4}}, kT0);
  ASSERT_EQ(admitted(limiter, "p", kT0, 4), 4);
  // An hour idle is still only one second's worth.
  EXPECT_EQ(admitted(limiter, "p", kT0 + std::chrono::hours(1), 10), 4);
}

TEST(RateLimiter, AClockGoingBackGivesNothing) {
  RateLimiter limiter({{"p", 1}}, kT0);
  ASSERT_EQ(admitted(limiter, "p", kT0 + seconds(10), 1), 1);
  EXPECT_EQ(admitted(limiter, "p", kT0 + seconds(5), 1), 0);
  EXPECT_EQ(admitted(limiter, "p", kT0 + seconds(11), 1), 1);
}

TEST(RateLimiter, RetryAfterIsWholeSecondsRoundedUp) {
  RateLimiter limiter({{"slow", 0.05}, {"fast", 100}, {"third", 1.0 / 3}}, kT0);
  ASSERT_EQ(admitted(limiter, "slow", kT0, 1), 1);
  EXPECT_EQ(retry_after(limiter, "slow", kT0), 20) << "an empty bucket: 1 / 0.05 s";
  EXPECT_EQ(retry_after(limiter, "slow", kT0 + seconds(5)), 15) << "0.25 of a token back: exactly 15 s to go";
  EXPECT_EQ(retry_after(limiter, "slow", kT0 + milliseconds(5001)), 15) << "14.999 s, rounded up";
  EXPECT_EQ(retry_after(limiter, "slow", kT0 + milliseconds(19999)), 1);
  EXPECT_EQ(retry_after(limiter, "slow", kT0 + seconds(20)), -1) << "a token is back: admitted";
  // Fast limits: a token back within milliseconds, still at least 1 s.
  ASSERT_EQ(admitted(limiter, "fast", kT0, 100), 100);
  EXPECT_EQ(retry_after(limiter, "fast", kT0), 1);
  // 1/3 a second: exactly 3 s from empty, 2 s after one of them.
  ASSERT_EQ(admitted(limiter, "third", kT0, 1), 1);
  EXPECT_EQ(retry_after(limiter, "third", kT0), 3);
  EXPECT_EQ(retry_after(limiter, "third", kT0 + seconds(1)), 2);
}

TEST(RateLimiter, CredentialsWithoutALimitAreNeverRefused) {
  RateLimiter limiter({{"p", 1}}, kT0);
  EXPECT_EQ(admitted(limiter, "other", kT0, 1000), 1000);
  EXPECT_EQ(limiter.refusals(), (std::vector<std::pair<std::string, uint64_t>>{{"p", 0}}));
}

TEST(RateLimiter, RefusalsByCredentialSortedByName) {
  RateLimiter limiter({{"zeta", 1}, {"alpha", 1}}, kT0);
  admitted(limiter, "zeta", kT0, 3);
  admitted(limiter, "alpha", kT0, 2);
  EXPECT_EQ(limiter.refusals(), (std::vector<std::pair<std::string, uint64_t>>{{"alpha", 1}, {"zeta", 2}}));
}

TEST(ParseRateLimit, NameEqualsRate) {
  Result<RateLimit> a = parse_rate_limit("auth-pipeline=500/s");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value().credential, "auth-pipeline");
  EXPECT_EQ(a.value().per_second, 500);
  Result<RateLimit> b = parse_rate_limit("x=0.5");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value().per_second, 0.5);
  for (const char* bad : {"x", "=5/s", "x=", "x=0/s", "x=-1/s", "x=5/m", "x=inf", "x=nan", "x=5 /s", "x=1e999"}) {
    Result<RateLimit> r = parse_rate_limit(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << bad;
    }
  }
}

TEST(LimitsWithoutCredential, NamesTheLimitsNobodyHas) {
  Result<support::CredentialSet> set = support::CredentialSet::parse(
      "a events 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n", "f");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(limits_without_credential({{"b", 1}, {"a", 2}, {"c", 3}}, set.value()),
            (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(limits_without_credential({{"a", 1}}, set.value()).empty());
  EXPECT_TRUE(limits_without_credential({}, set.value()).empty());
}

}  // namespace
}  // namespace claimmap::server
