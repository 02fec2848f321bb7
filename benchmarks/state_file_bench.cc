// Saved state at scale: save and load of 1M users holding 5
// mapped memberships each (the organisation of organisation_fixture.h), in
// both forms, on one core. Saving includes the fsyncs of the file and its
// directory (write_file_atomically); the file goes to $TMPDIR (default
// /tmp). Counters: `bytes` of the file, `users_per_s`.
//
// BM_SaveState/form:0 the binary snapshot, form:1 NDJSON.
// BM_LoadState/form:0 the binary snapshot, form:1 NDJSON (each loaded into an
// engine that already holds the same users: a whole-state replacement).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "benchmarks/organisation_fixture.h"
#include "claimmap/engine.h"

namespace claimmap::bench {
namespace {

constexpr int kUsers = 1'000'000;

std::string state_path(int form) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/claimmap_bench_state_" + std::to_string(::getpid()) +
         (form == 0 ? ".snap" : ".ndjson");
}

Engine& loaded_engine() {
  static std::unique_ptr<Engine> engine = [] {
    const OrganisationFixture& f = organisation_fixture(kUsers);
    auto e = std::make_unique<Engine>(f.before);
    if (!e->import_state(f.state).ok()) std::abort();
    return e;
  }();
  return *engine;
}

size_t file_size(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return 0;
  std::fseek(f, 0, SEEK_END);
  const long n = std::ftell(f);
  std::fclose(f);
  return static_cast<size_t>(n);
}

void BM_SaveState(benchmark::State& state) {
  const int form = static_cast<int>(state.range(0));
  Engine& engine = loaded_engine();
  const std::string path = state_path(form);
  for (auto _ : state) {
    if (!engine.save_state_file(path).ok()) std::abort();
  }
  state.counters["bytes"] = static_cast<double>(file_size(path));
  state.counters["users_per_s"] =
      benchmark::Counter(static_cast<double>(engine.user_count()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SaveState)->Arg(0)->Arg(1)->ArgName("form")->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_LoadState(benchmark::State& state) {
  const int form = static_cast<int>(state.range(0));
  Engine& engine = loaded_engine();
  const std::string path = state_path(form);
  if (!engine.save_state_file(path).ok()) std::abort();
  for (auto _ : state) {
    StateLoadReport report;
    if (!engine.load_state_file(path, &report).ok() || report.users != kUsers) std::abort();
  }
  state.counters["bytes"] = static_cast<double>(file_size(path));
  state.counters["users_per_s"] =
      benchmark::Counter(static_cast<double>(engine.user_count()), benchmark::Counter::kIsIterationInvariantRate);
  std::remove(path.c_str());
}
BENCHMARK(BM_LoadState)->Arg(0)->Arg(1)->ArgName("form")->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace claimmap::bench
