// Compile: load, validate and compile a generated config of 1k to 1M
// mappings (the time a reload or a server start pays), and the bytes of the
// compiled tables.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>

#include "claimmap/config.h"
#include "simulator/generator.h"

namespace claimmap::bench {
namespace {

const std::string& config_with(uint64_t mappings) {
  static std::map<uint64_t, std::string> configs;  // benchmarks run one at a time
  auto it = configs.find(mappings);
  if (it == configs.end()) {
    sim::GeneratorOptions options;
    options.mappings = mappings;
    options.users = 1000;  // users do not shape the config
    options.initial_state = false;
    it = configs.emplace(mappings, sim::Generator(options).config_json()).first;
  }
  return it->second;
}

void BM_Compile(benchmark::State& state) {
  const std::string& json = config_with(static_cast<uint64_t>(state.range(0)));
  size_t compiled_bytes = 0;
  for (auto _ : state) {
    ConfigReport report;
    Result<Config> config = load_config(json, &report);
    if (!config.ok()) {
      state.SkipWithError("generated config does not load");
      return;
    }
    compiled_bytes = config.value().compiled_bytes();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
  state.counters["mappings_per_s"] =
      benchmark::Counter(static_cast<double>(state.range(0)), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["compiled_bytes"] = static_cast<double>(compiled_bytes);
  state.counters["bytes_per_mapping"] = static_cast<double>(compiled_bytes) / static_cast<double>(state.range(0));
}
BENCHMARK(BM_Compile)->Arg(1000)->Arg(10000)->Arg(100000)->ArgName("mappings")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Compile)->Arg(1000000)->ArgName("mappings")->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace claimmap::bench
