// Hot-path hygiene: once warm, parsing, matching and applying a
// login through process_to_ndjson() allocates nothing — no per-event heap
// traffic for looked-up values, reused scratch per thread. This binary
// replaces the global operator new to count allocations.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "tests/test_util.h"

namespace {
std::atomic<size_t> g_allocations{0};
}

void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace claimmap::testing {
namespace {

// Logins of existing users whose groups drift, stale replays, pushes and bad
// lines: everything but new users, whose records must be allocated.
std::vector<std::string> steady_events() {
  std::vector<std::string> events;
  for (int round = 0; round < 4; ++round) {
    for (int u = 0; u < 200; ++u) {
      const std::string user = "0f3c2b1e-0000-4000-8000-" + std::to_string(100000000000 + u);
      const char* groups = (u + round) % 3 == 0 ? R"(["g-mkt", "g-read", "x1", "x2"])" : R"(["g-read", "x1"])";
      events.push_back(entra_login(user, groups, ", \"iat\": " + std::to_string(1000 + round) +
                                                     R"(, "dept": "Sales", "name": "A \"quoted\" name")"));
    }
    events.push_back(entra_login("0f3c2b1e-0000-4000-8000-100000000001", "[]", R"(, "iat": 1)"));  // stale
    events.push_back(R"({"type": "grant", "provider": "entra", "subject": "0f3c2b1e-0000-4000-8000-100000000002", "role": "Ops.Pager"})");
    events.push_back(R"({"type": "revoke", "provider": "entra", "subject": "0f3c2b1e-0000-4000-8000-100000000002", "role": "Ops.Pager"})");
  }
  return events;
}

TEST(Allocation, SteadyStateLoginsAllocateNothing) {
  Engine engine(must_load(kBaseConfig));
  const std::vector<std::string> events = steady_events();
  std::string out;
  out.reserve(1 << 20);
  uint64_t seq = 0;
  for (const auto& e : events) (void)engine.process_to_ndjson(e, ++seq, &out);  // warm up: users, scratch
  out.clear();
  const size_t before = g_allocations.load();
  for (const auto& e : events) (void)engine.process_to_ndjson(e, ++seq, &out);
  const size_t allocations = g_allocations.load() - before;
  EXPECT_EQ(allocations, 0u) << "over " << events.size() << " events";
}

TEST(Allocation, CountingWorks) {
  const size_t before = g_allocations.load();
  auto* p = new std::string(100, 'x');
  delete p;
  EXPECT_GE(g_allocations.load() - before, 2u);
}

}  // namespace
}  // namespace claimmap::testing
