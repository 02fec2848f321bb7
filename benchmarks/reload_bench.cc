// Reload: applying a config change to a million users at once.
//
// The organisation: one OIDC provider, 100 groups of 2 roles each, one
// mapping per group (claim "groups", value "gN"); 1M users, each mapped into
// 5 of the 100 groups (a fixed pseudo-random choice). The change deletes two
// mappings, so ~10% of the users (1 - (95·94·93·92·91)/(100·99·98·97·96))
// lose a membership and its roles.
//
// BM_ReloadRevokes: the time of Engine::reload() on one core (the calling
// thread; nothing else runs), counters `users_revoked` and `users_per_s`.
//
// BM_LoginLatencyDuringReload: one thread logs users in without pause
// (unchanged logins, through Engine::process_to_ndjson) while the benchmark
// thread reloads back and forth; counters give the logins' p50/p99/max
// latency during reloads next to the same figures in an equal window without
// one. On 2 cores the login thread and the reload run in parallel.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/organisation_fixture.h"
#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "simulator/generator.h"

namespace claimmap::bench {
namespace {

constexpr int kUsersDefault = 1'000'000;

void BM_ReloadRevokes(benchmark::State& state) {
  const OrganisationFixture& f = organisation_fixture(static_cast<uint64_t>(state.range(0)));
  size_t revoked = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = std::make_unique<Engine>(f.before);
    if (!engine->import_state(f.state).ok()) std::abort();
    state.ResumeTiming();
    Result<ReloadResult> r = engine->reload(f.after);
    state.PauseTiming();
    revoked = r.value().deltas.size();
    engine.reset();
    state.ResumeTiming();
  }
  state.counters["users"] = static_cast<double>(f.users);
  state.counters["users_revoked"] = static_cast<double>(revoked);
  state.counters["users_per_s"] =
      benchmark::Counter(static_cast<double>(f.users), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ReloadRevokes)->Arg(kUsersDefault)->ArgName("users")->Unit(benchmark::kMillisecond)->Iterations(3);

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
  return v[k];
}

// Logs `lines` in on its own thread without pause until stop(), each
// login's latency filed under the window it ran in: quiet until
// start_watch(), then during. The reload benchmarks watch what a reload
// does to logins running beside it.
class LoginWatch {
 public:
  LoginWatch(Engine& engine, const std::vector<std::string_view>& lines) : thread_([this, &engine, &lines] {
    std::string out;
    for (size_t i = 0;; i = (i + 1) % lines.size()) {
      const int p = phase_.load(std::memory_order_acquire);
      if (p == 2) return;
      const auto start = Clock::now();
      out.clear();
      (void)engine.process_to_ndjson(lines[i], i + 1, &out);
      const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
      (p == 0 ? quiet_ : during_).push_back(us);
    }
  }) {}
  void start_watch() { phase_.store(1, std::memory_order_release); }
  // Stops the logins and files the latencies as counters of `state`.
  void stop(benchmark::State& state) {
    phase_.store(2, std::memory_order_release);
    thread_.join();
    state.counters["quiet_p50_us"] = percentile(quiet_, 0.50);
    state.counters["quiet_p99_us"] = percentile(quiet_, 0.99);
    state.counters["quiet_max_us"] = percentile(quiet_, 1.0);
    state.counters["during_p50_us"] = percentile(during_, 0.50);
    state.counters["during_p99_us"] = percentile(during_, 0.99);
    state.counters["during_max_us"] = percentile(during_, 1.0);
    state.counters["during_logins"] = static_cast<double>(during_.size());
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::atomic<int> phase_{0};  // 0 quiet window, 1 reloading, 2 stop
  std::vector<double> quiet_, during_;
  std::thread thread_;  // last: starts once the rest is built
};

void BM_LoginLatencyDuringReload(benchmark::State& state) {
  const OrganisationFixture& f = organisation_fixture(static_cast<uint64_t>(state.range(0)));
  std::vector<std::string> lines;
  for (uint64_t i = 0; i < 200'000; ++i) lines.push_back(organisation_login((i * 7919) % f.users));
  Engine engine(f.before);
  if (!engine.import_state(f.state).ok()) std::abort();
  const std::vector<std::string_view> views(lines.begin(), lines.end());

  using Clock = std::chrono::steady_clock;
  LoginWatch logins(engine, views);
  double reload_ms = 0;
  for (auto _ : state) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the quiet window
    logins.start_watch();
    const auto start = Clock::now();
    // Back and forth: the second reload restores nothing (a reload never
    // grants mapped memberships), the first revokes ~10% of the users.
    if (!engine.reload(f.after).ok() || !engine.reload(f.before).ok()) std::abort();
    reload_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  logins.stop(state);
  state.counters["reload_ms"] = reload_ms;
}
BENCHMARK(BM_LoginLatencyDuringReload)->Arg(kUsersDefault)->ArgName("users")->Unit(benchmark::kMillisecond)->Iterations(1);

// BM_LoginLatencyDuringLargeReload: the same watch over a reload of a
// config of a million mappings (the simulator's organisation; a reload
// compiles the whole config again before it takes the engine's lock, then
// swaps): one thread logs 20,000 users in without pause while the benchmark
// thread loads the config and reloads it (the same text: every user's
// memberships are kept, the tables all rebuilt). `reload_ms` is the whole
// call, the config's load and compile included; the logins' latency shows
// how long logins were held.
void BM_LoginLatencyDuringLargeReload(benchmark::State& state) {
  sim::GeneratorOptions options;
  options.mappings = static_cast<uint64_t>(state.range(0));
  options.users = 20000;
  sim::Generator generator(options);
  std::string text;
  generator.append_events(200'000, &text);
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < text.size();) {
    const size_t end = text.find('\n', at);
    lines.push_back(std::string_view(text).substr(at, end - at));
    at = end + 1;
  }
  Result<Config> config = load_config(generator.config_json());
  if (!config.ok()) std::abort();
  Engine engine(config.value());
  if (!engine.import_state(generator.initial_state_ndjson()).ok()) std::abort();

  using Clock = std::chrono::steady_clock;
  LoginWatch logins(engine, lines);
  double reload_ms = 0, swap_ms = 0;
  for (auto _ : state) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the quiet window
    logins.start_watch();
    const auto start = Clock::now();
    Result<Config> next = load_config(generator.config_json());
    const auto loaded = Clock::now();
    if (!next.ok() || !engine.reload(next.value()).ok()) std::abort();
    const auto end = Clock::now();
    reload_ms = std::chrono::duration<double, std::milli>(end - start).count();
    swap_ms = std::chrono::duration<double, std::milli>(end - loaded).count();
  }
  logins.stop(state);
  state.counters["reload_ms"] = reload_ms;  // load + compile + Engine::reload
  state.counters["engine_reload_ms"] = swap_ms;  // Engine::reload alone
}
BENCHMARK(BM_LoginLatencyDuringLargeReload)->Arg(1'000'000)->ArgName("mappings")->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace claimmap::bench
