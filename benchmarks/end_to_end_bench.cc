// End to end: the `claimmap eval` path (run_stream: read, parse, match, sync,
// write) over the default workload, single thread and two threads; the
// embedding path (Engine::process_to_ndjson, one call per event) — and, on
// the same bytes in the same process, the ceilings (simdjson On-Demand
// touching the subject and groups of every line; memcpy of the buffer) and the
// naive peer (nlohmann::json + a linear scan over every mapping).
//
// BM_Ratios measures all of them interleaved and reports the ratios as
// counters: machines are shared and noisy, so ratios measured together are
// what `make bench-check` compares with the baseline.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <thread>

#include "benchmarks/allocation_counter.h"
#include "benchmarks/workload.h"
#include "claimmap/engine.h"
#include "claimmap/stream.h"

namespace claimmap::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The parse ceiling: what simdjson On-Demand costs to visit every line and
// read the two values a login must have — the subject (`oid`) and the
// `groups` — in a bare token or inside a login envelope's `claims`. It
// validates UTF-8 and structure (simdjson's stage 1) but skips everything
// else unread: a bound no correct engine can beat on one core.
uint64_t touch_token(simdjson::ondemand::object object, bool top_level) {
  uint64_t touched = 0;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) break;
    if (key == "oid") {
      std::string_view s;
      if (!field.value().get_string().get(s)) touched += s.size();
    } else if (key == "groups") {
      simdjson::ondemand::array groups;
      if (field.value().get_array().get(groups)) continue;
      for (auto g : groups) {
        std::string_view s;
        if (!g.get_string().get(s)) touched += s.size();
      }
    } else if (top_level && key == "claims") {
      simdjson::ondemand::object claims;
      if (!field.value().get_object().get(claims)) touched += touch_token(claims, false);
    }
  }
  return touched;
}

// Lines [first, last) of `w`, read from `padded` (the workload's bytes with
// simdjson's padding after them).
uint64_t ceiling_parse(const Workload& w, simdjson::ondemand::parser& parser, const std::string& padded, size_t first,
                       size_t last) {
  uint64_t touched = 0;
  for (size_t i = first; i < last; ++i) {
    const std::string_view line = w.lines[i];
    const size_t pos = static_cast<size_t>(line.data() - w.events.data());
    simdjson::padded_string_view view(padded.data() + pos, line.size(), padded.size() - pos);
    simdjson::ondemand::document doc;
    if (parser.iterate(view).get(doc)) continue;
    simdjson::ondemand::object object;
    if (doc.get_object().get(object)) continue;
    touched += touch_token(object, true);
  }
  return touched;
}

// The parse ceiling on `threads` threads, taking chunks of lines from a shared
// counter (balanced as the engine's TBB pipeline is, so that a neighbour
// taking a core for a moment delays both alike): how much parallelism the
// machine offers right now, measured on the same bytes.
uint64_t ceiling_parse_threads(const Workload& w, const std::string& padded, unsigned threads) {
  if (threads <= 1) {
    simdjson::ondemand::parser parser;
    return ceiling_parse(w, parser, padded, 0, w.lines.size());
  }
  constexpr size_t kChunkLines = 2048;  // ~2.5 MB of input a chunk
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> touched{0};
  auto work = [&] {
    simdjson::ondemand::parser parser;  // each thread its own, as each engine worker has
    uint64_t mine = 0;
    for (size_t first; (first = next.fetch_add(kChunkLines)) < w.lines.size();) {
      mine += ceiling_parse(w, parser, padded, first, std::min(w.lines.size(), first + kChunkLines));
    }
    touched += mine;
  };
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads; ++t) workers.emplace_back(work);
  work();  // the calling thread is one of them
  for (auto& worker : workers) worker.join();
  return touched.load();
}

std::string padded_events(const Workload& w) {
  std::string padded = w.events;
  padded.append(simdjson::SIMDJSON_PADDING, ' ');
  return padded;
}

// The naive peer: what a team writes without ClaimMap. Parse each line with
// nlohmann::json, take the claims (the line itself, or an envelope's
// `claims`), then test every mapping of the config in turn. It keeps no state
// and writes no output, so it is flattered.
struct NaivePeer {
  struct Mapping {
    std::string claim, value, group;
    bool pointer;
  };
  explicit NaivePeer(const std::string& config_json) {
    const auto config = nlohmann::json::parse(config_json);
    for (const auto& m : config["mappings"]) {
      const std::string claim = m["claim"];
      mappings.push_back({claim, m["value"], m["group"], !claim.empty() && claim[0] == '/'});
    }
  }
  size_t run(const std::vector<std::string_view>& lines, size_t count) const {
    size_t granted = 0;
    for (size_t i = 0; i < count && i < lines.size(); ++i) {
      const auto line = nlohmann::json::parse(lines[i], nullptr, false);
      if (line.is_discarded() || !line.is_object()) continue;
      const nlohmann::json* token = &line;
      if (auto it = line.find("claims"); it != line.end() && it->is_object()) token = &*it;
      std::vector<std::string> groups;
      for (const Mapping& m : mappings) {
        const nlohmann::json* claim = nullptr;
        if (m.pointer) {
          const nlohmann::json::json_pointer ptr(m.claim);
          if (token->contains(ptr)) claim = &token->at(ptr);
        } else if (auto it = token->find(m.claim); it != token->end()) {
          claim = &*it;
        }
        if (claim == nullptr) continue;
        bool match = false;
        if (claim->is_string()) match = claim->get_ref<const std::string&>() == m.value;
        if (claim->is_array()) {
          for (const auto& v : *claim) match = match || (v.is_string() && v.get_ref<const std::string&>() == m.value);
        }
        if (match) groups.push_back(m.group);
      }
      std::sort(groups.begin(), groups.end());
      granted += groups.size();
    }
    return granted;
  }
  std::vector<Mapping> mappings;
};

// The naive peer is a few hundred times slower: it gets a prefix of the stream.
constexpr size_t kNaiveEvents = 1000;

void BM_EndToEnd(benchmark::State& state) {
  const Workload& w = default_workload();
  EngineRun& run = default_engine_run();
  const unsigned threads = static_cast<unsigned>(state.range(0));
  const size_t allocations_before = allocations();
  for (auto _ : state) benchmark::DoNotOptimize(run.run(threads));
  const double events = static_cast<double>(w.lines.size());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.events.size()));
  state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["allocs_per_event"] =
      static_cast<double>(allocations() - allocations_before) / (events * static_cast<double>(state.iterations()));
}
BENCHMARK(BM_EndToEnd)->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)->Repetitions(3)->ReportAggregatesOnly(true);

// The heavy workload (workload.h): every login changes most of a
// large user's groups and roles. The saved state is restored before each
// timed pass (untimed), so every pass sees the same storm.
void BM_EndToEndHeavy(benchmark::State& state) {
  const Workload& w = heavy_workload();
  StormRun& run = heavy_storm_run();
  const unsigned threads = static_cast<unsigned>(state.range(0));
  uint64_t groups = 0, roles = 0, logins = 0;
  for (auto _ : state) {
    state.PauseTiming();
    run.reset();
    state.ResumeTiming();
    const StreamSummary s = run.run(threads);
    groups = s.counters.groups_added + s.counters.groups_removed;
    roles = s.counters.roles_granted + s.counters.roles_revoked;
    logins = s.counters.ok;
  }
  const double events = static_cast<double>(w.lines.size());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.events.size()));
  state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["groups_changed_per_ok"] = static_cast<double>(groups) / static_cast<double>(std::max<uint64_t>(logins, 1));
  state.counters["roles_changed_per_ok"] = static_cast<double>(roles) / static_cast<double>(std::max<uint64_t>(logins, 1));
}
BENCHMARK(BM_EndToEndHeavy)->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond)
    ->Iterations(3)->Repetitions(3)->ReportAggregatesOnly(true);

// The embedding path on one thread: Engine::process_to_ndjson once per event
// (a padded copy of the line, parse, match, sync, the output line), as an
// auth pipeline calls it.
void BM_EndToEndApi(benchmark::State& state) {
  const Workload& w = default_workload();
  Engine& engine = default_engine_run().engine();
  std::string out;
  // One untimed pass per process warms this thread's worker (its padded line
  // buffer grows to the longest line) before allocations are counted.
  static const bool warmed = [&] {
    for (size_t i = 0; i < w.lines.size(); ++i) {
      out.clear();
      (void)engine.process_to_ndjson(w.lines[i], i + 1, &out);
    }
    return true;
  }();
  benchmark::DoNotOptimize(warmed);
  const size_t allocations_before = allocations();
  size_t output_bytes = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < w.lines.size(); ++i) {
      out.clear();
      (void)engine.process_to_ndjson(w.lines[i], i + 1, &out);
      output_bytes += out.size();
    }
  }
  benchmark::DoNotOptimize(output_bytes);
  const double events = static_cast<double>(w.lines.size());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.events.size()));
  state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["allocs_per_event"] =
      static_cast<double>(allocations() - allocations_before) / (events * static_cast<double>(state.iterations()));
}
BENCHMARK(BM_EndToEndApi)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(2.0)->Repetitions(3)
    ->ReportAggregatesOnly(true);

void BM_CeilingParse(benchmark::State& state) {
  const Workload& w = default_workload();
  const std::string padded = padded_events(w);
  const unsigned threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(ceiling_parse_threads(w, padded, threads));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.events.size()));
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(w.lines.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CeilingParse)->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond)
    ->MinTime(1.0)->Repetitions(3)->ReportAggregatesOnly(true);

void BM_CeilingMemcpy(benchmark::State& state) {
  const Workload& w = default_workload();
  std::string copy(w.events.size(), '\0');
  for (auto _ : state) {
    std::memcpy(copy.data(), w.events.data(), w.events.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.events.size()));
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(w.lines.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CeilingMemcpy)->Unit(benchmark::kMillisecond)->Repetitions(3)->ReportAggregatesOnly(true);

void BM_NaivePeer(benchmark::State& state) {
  const Workload& w = default_workload();
  const NaivePeer naive(w.config_json);
  const size_t events = std::min(kNaiveEvents, w.lines.size());
  size_t bytes = 0;
  for (size_t i = 0; i < events; ++i) bytes += w.lines[i].size() + 1;
  for (auto _ : state) benchmark::DoNotOptimize(naive.run(w.lines, events));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel("10k mappings, first 1000 events");
}
BENCHMARK(BM_NaivePeer)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3)->ReportAggregatesOnly(true);

// Everything interleaved — one pass of each per round, CLAIMMAP_BENCH_ROUNDS
// rounds (default 3), medians — so that a neighbour's load falls on all of
// them alike, and the ratios the issues set targets on:
//   ratio_engine_to_ceiling   engine (1 thread) / parse ceiling (1 thread); target >= 0.40
//   ratio_2t_to_1t            engine 2 threads / 1 thread; target >= 1.7
//   machine_2t_to_1t          parse ceiling 2 threads / 1 thread: what the machine gave
//   ratio_scaling_efficiency  ratio_2t_to_1t / machine_2t_to_1t (1.0: scales as well as
//                             the machine allows; robust to neighbours taking a core)
//   ratio_engine_to_naive     engine (1 thread) / naive peer; target >= 20
//   ratio_heavy_2t_to_1t      heavy workload, 2 threads / 1 thread; target >= 1.8
//   ratio_heavy_to_ceiling    heavy workload, 1 thread, events/s / the default workload's parse
//                             ceiling, 1 thread (a machine-speed yardstick for the heavy case)
//   ratio_heavy_scaling_efficiency  ratio_heavy_2t_to_1t / machine_2t_to_1t
void BM_Ratios(benchmark::State& state) {
  const Workload& w = default_workload();
  EngineRun& run = default_engine_run();
  const std::string padded = padded_events(w);
  const NaivePeer naive(w.config_json);
  const double events = static_cast<double>(w.lines.size());
  const size_t naive_events = std::min(kNaiveEvents, w.lines.size());
  const int rounds = std::max<int>(1, static_cast<int>(number_from_env("CLAIMMAP_BENCH_ROUNDS", 3)));
  StormRun& heavy = heavy_storm_run();
  const double heavy_events = static_cast<double>(heavy_workload().lines.size());
  for (auto _ : state) {
    std::vector<double> ceiling1, ceiling2, one, two, slow, heavy1, heavy2;
    for (int r = 0; r < rounds; ++r) {
      ceiling1.push_back(seconds_of([&] { benchmark::DoNotOptimize(ceiling_parse_threads(w, padded, 1)); }));
      one.push_back(seconds_of([&] { run.run(1); }));
      ceiling2.push_back(seconds_of([&] { benchmark::DoNotOptimize(ceiling_parse_threads(w, padded, 2)); }));
      two.push_back(seconds_of([&] { run.run(2); }));
      slow.push_back(seconds_of([&] { benchmark::DoNotOptimize(naive.run(w.lines, naive_events)); }));
      heavy.reset();
      heavy1.push_back(seconds_of([&] { heavy.run(1); }));
      heavy.reset();
      heavy2.push_back(seconds_of([&] { heavy.run(2); }));
    }
    const double h1 = median_of(heavy1), h2 = median_of(heavy2);
    state.counters["heavy_1t_events_per_s"] = heavy_events / h1;
    state.counters["heavy_2t_events_per_s"] = heavy_events / h2;
    state.counters["ratio_heavy_2t_to_1t"] = h1 / h2;
    const double c1 = median_of(ceiling1), c2 = median_of(ceiling2), e1 = median_of(one), e2 = median_of(two);
    const double naive_rate = static_cast<double>(naive_events) / median_of(slow);
    state.counters["ceiling_events_per_s"] = events / c1;
    state.counters["ceiling_2t_events_per_s"] = events / c2;
    state.counters["engine_1t_events_per_s"] = events / e1;
    state.counters["engine_2t_events_per_s"] = events / e2;
    state.counters["naive_events_per_s"] = naive_rate;
    state.counters["ratio_engine_to_ceiling"] = c1 / e1;
    state.counters["ratio_2t_to_1t"] = e1 / e2;
    state.counters["machine_2t_to_1t"] = c1 / c2;
    state.counters["ratio_scaling_efficiency"] = (e1 / e2) / (c1 / c2);
    state.counters["ratio_engine_to_naive"] = (events / e1) / naive_rate;
    state.counters["ratio_heavy_to_ceiling"] = c1 / h1;
    state.counters["ratio_heavy_scaling_efficiency"] = (h1 / h2) / (c1 / c2);
    state.counters["rounds"] = rounds;
  }
}
BENCHMARK(BM_Ratios)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace claimmap::bench
