// Compile: load, validate and compile a generated config of 1k to 1M
// mappings (the time a reload or a server start pays), and the bytes of the
// compiled tables.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include <simdjson.h>

#include "benchmarks/workload.h"
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

// Every element of a parsed document, visited: what any reader of the
// config does at least once.
size_t count_elements(simdjson::dom::element e) {
  size_t n = 1;
  if (e.is_array()) {
    const simdjson::dom::array array(e.get_array().value_unsafe());
    for (simdjson::dom::element child : array) n += count_elements(child);
  } else if (e.is_object()) {
    const simdjson::dom::object object(e.get_object().value_unsafe());
    for (auto field : object) n += count_elements(field.value);
  }
  return n;
}

// The config-load figure of `make bench-check` (scripts/bench_check.py):
// load_config (parse, validate, compile) of a generated config of
// CLAIMMAP_BENCH_CONFIG_MAPPINGS mappings (default 100k) against the
// parse-only ceiling of the same bytes — simdjson's DOM parse and a visit of
// every element, what any loader pays — interleaved, CLAIMMAP_BENCH_ROUNDS
// rounds (default 3), medians. ratio_config_load_to_parse = parse time / load
// time: the share of the load that is the parse itself (1.0 would be a loader
// that costs nothing beyond reading the JSON).
void BM_ConfigLoadRatio(benchmark::State& state) {
  const uint64_t mappings = number_from_env("CLAIMMAP_BENCH_CONFIG_MAPPINGS", 100000);
  const int rounds = std::max<int>(1, static_cast<int>(number_from_env("CLAIMMAP_BENCH_ROUNDS", 3)));
  const std::string& json = config_with(mappings);
  for (auto _ : state) {
    std::vector<double> parse, load;
    size_t elements = 0;
    for (int r = 0; r < rounds; ++r) {
      parse.push_back(seconds_of([&] {
        simdjson::dom::parser parser;
        const simdjson::padded_string padded(json);
        simdjson::dom::element root;
        if (parser.parse(padded).get(root) == simdjson::SUCCESS) elements = count_elements(root);
      }));
      load.push_back(seconds_of([&] {
        ConfigReport report;
        Result<Config> config = load_config(json, &report);
        benchmark::DoNotOptimize(config);
      }));
    }
    const double p = median_of(parse), l = median_of(load);
    state.counters["config_parse_ms"] = p * 1e3;
    state.counters["config_load_ms"] = l * 1e3;
    state.counters["ratio_config_load_to_parse"] = p / l;
    state.counters["config_elements"] = static_cast<double>(elements);
    state.counters["config_mappings"] = static_cast<double>(mappings);
  }
}
BENCHMARK(BM_ConfigLoadRatio)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace claimmap::bench
