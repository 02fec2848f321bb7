#include "benchmarks/workload.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "simulator/generator.h"

namespace claimmap::bench {

uint64_t events_from_env(uint64_t fallback) {
  const char* s = std::getenv("CLAIMMAP_BENCH_EVENTS");
  if (s == nullptr || *s == '\0') return fallback;
  return std::strtoull(s, nullptr, 10);
}

const Workload& default_workload() {
  static const std::unique_ptr<Workload> workload = [] {
    auto w = std::make_unique<Workload>();
    sim::GeneratorOptions options;
    options.seed = 42;
    options.users = 1'000'000;
    options.mappings = 10'000;
    options.groups_per_token = 20;
    options.churn = 0.02;
    options.bad_share = 0.001;
    options.stale_share = 0.005;
    options.push_share = 0.0;
    options.shapes = {true, false, false, false, false};  // Entra-like only: the 1 KB, 20-group token
    sim::Generator generator(options);
    w->config_json = generator.config_json();
    ConfigReport report;
    Result<Config> config = load_config(w->config_json, &report);
    if (!config.ok()) {
      std::fprintf(stderr, "benchmark workload: the generated config does not load: %s\n",
                   config.status().message().c_str());
      std::abort();
    }
    w->config = config.value();
    w->state_ndjson = generator.initial_state_ndjson();
    const uint64_t events = events_from_env(1'000'000);
    w->events.reserve(events * 1300);
    generator.append_events(events, &w->events);
    for (size_t pos = 0; pos < w->events.size();) {
      size_t end = w->events.find('\n', pos);
      if (end == std::string::npos) end = w->events.size();
      w->lines.emplace_back(w->events.data() + pos, end - pos);
      pos = end + 1;
    }
    w->users = options.users;
    return w;
  }();
  return *workload;
}

}  // namespace claimmap::bench
