// Memory: bytes of user state per user.
//
// BM_StateBytesPerUser: 1M users holding 5 memberships on average (target:
// <= 128), GUID subjects as Entra's oid, built straight into a UserStore.
// What is counted is what the store holds from the system (its
// memory_bytes(), which Engine::state_bytes() reports: table slots, record
// pages, large records), divided by the users; `rss_bytes_per_user` is the
// growth of the process's resident memory (/proc/self/statm) over the same
// build, as a cross-check that the store's own count leaves nothing out.
//
// BM_StateBytesWorkload: the engine of the end-to-end cases, after it imported
// the default workload's saved state (1M users, ~11 memberships each: the
// generator's Entra tokens map more groups than 5) and replayed the stream:
// Engine::state_bytes() / Engine::user_count().
#include <benchmark/benchmark.h>

#include <charconv>

#include "benchmarks/workload.h"
#include "claimmap/config.h"
#include "engine/state/user_store.h"

namespace claimmap::bench {
namespace {

// Saves `users` users, GUID subjects, straight into `store`: each holds
// `mean` - 2 to `mean` + 2 mapped memberships (a fixed spread by user).
// Returns the memberships saved.
uint64_t fill_store(UserStore& store, uint64_t users, uint32_t mean) {
  UserState user;
  char subject[40] = "4a1f6c2e-8b3d-4e9a-b7c5-";
  uint64_t memberships = 0;
  for (uint64_t i = 0; i < users; ++i) {
    auto r = std::to_chars(subject + 24, subject + sizeof subject, 100000000000 + i);
    user.mapped.clear();
    const uint32_t count = mean - 2 + static_cast<uint32_t>((i * 2654435761u) % 5);
    for (uint32_t k = 0; k < count; ++k) user.mapped.push_back({GroupId{k * 7 + 1}, MappingId{k * 13 + 2}});
    memberships += count;
    user.has_iat = true;
    user.last_iat = 1700000000.0 + static_cast<double>(i);
    const std::string_view s(subject, static_cast<size_t>(r.ptr - subject));
    store.with_user(ProviderKey{0}, s, [&](UserHandle& handle) { handle.save(user); });
  }
  return memberships;
}

void BM_StateBytesPerUser(benchmark::State& state) {
  const uint64_t users = static_cast<uint64_t>(state.range(0));
  size_t bytes = 0;
  double resident = 0;
  uint64_t memberships = 0;
  for (auto _ : state) {
    const size_t resident_before = resident_bytes();
    UserStore store;
    memberships = fill_store(store, users, 5);  // 3..7, mean 5
    bytes = store.memory_bytes();
    resident = static_cast<double>(resident_bytes()) - static_cast<double>(resident_before);
  }
  state.counters["bytes_per_user"] = static_cast<double>(bytes) / static_cast<double>(users);
  // Only meaningful on a fresh heap (run first, as CMakeLists.txt orders it):
  // memory that earlier cases freed is reused without growing the RSS.
  if (resident > 0) state.counters["rss_bytes_per_user"] = resident / static_cast<double>(users);
  state.counters["memberships_per_user"] = static_cast<double>(memberships) / static_cast<double>(users);
  state.counters["users_per_s"] =
      benchmark::Counter(static_cast<double>(users), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_StateBytesPerUser)->Arg(1000000)->ArgName("users")->Unit(benchmark::kMillisecond)->Iterations(1);

// Heavy users: 100k users holding 80 or 200 mapped memberships on
// average (±2), GUID subjects, built straight into a UserStore as above.
void BM_StateBytesHeavyUser(benchmark::State& state) {
  const uint64_t users = 100'000;
  const uint32_t mean = static_cast<uint32_t>(state.range(0));
  size_t bytes = 0;
  uint64_t memberships = 0;
  for (auto _ : state) {
    UserStore store;
    memberships = fill_store(store, users, mean);
    bytes = store.memory_bytes();
  }
  state.counters["bytes_per_user"] = static_cast<double>(bytes) / static_cast<double>(users);
  state.counters["memberships_per_user"] = static_cast<double>(memberships) / static_cast<double>(users);
  state.counters["bytes_per_membership"] = static_cast<double>(bytes) / static_cast<double>(memberships);
}
BENCHMARK(BM_StateBytesHeavyUser)->Arg(80)->Arg(200)->ArgName("memberships")->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_StateBytesWorkload(benchmark::State& state) {
  const Workload& w = default_workload();
  Engine& engine = default_engine_run().engine();
  size_t bytes = 0, users = 0;
  for (auto _ : state) {
    bytes = engine.state_bytes();
    users = engine.user_count();
  }
  state.counters["bytes_per_user"] = static_cast<double>(bytes) / static_cast<double>(users);
  state.counters["users"] = static_cast<double>(users);
  state.counters["memberships_per_user"] =
      static_cast<double>(w.state_memberships) / static_cast<double>(w.users);
}
BENCHMARK(BM_StateBytesWorkload)->Iterations(1);

}  // namespace
}  // namespace claimmap::bench
