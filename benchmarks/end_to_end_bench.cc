// End to end: the `claimmap eval` path (run_stream: read, parse, match, sync,
// write) over the default workload, single thread and two threads — and, on
// the same bytes in the same process, the ceilings (simdjson On-Demand
// touching the subject and groups of every line; memcpy of the buffer) and the
// naive peer (nlohmann::json + a linear scan over every mapping).
//
// BM_Ratios measures all of them back to back and reports the ratios as
// counters: machines are shared and noisy, so ratios measured together are
// what `make bench-check` compares with the baseline.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "benchmarks/allocation_counter.h"
#include "benchmarks/workload.h"
#include "claimmap/engine.h"
#include "claimmap/stream.h"

namespace claimmap::bench {
namespace {

using Clock = std::chrono::steady_clock;

int memory_file(const std::string& bytes) {
  const int fd = ::memfd_create("claimmap-bench-input", 0);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  return fd;
}

// An engine holding every user's saved state, warmed by one pass over the
// stream (so the timed passes see the steady state: most logins change
// nothing, as on a Monday morning after the first wave).
struct EngineRun {
  explicit EngineRun(const Workload& w) : engine(w.config), in(memory_file(w.events)) {
    out = ::open("/dev/null", O_WRONLY);
    if (!engine.import_state(w.state_ndjson).ok()) std::abort();
    run(1);
  }
  ~EngineRun() {
    ::close(in);
    ::close(out);
  }
  StreamSummary run(unsigned threads) {
    ::lseek(in, 0, SEEK_SET);
    StreamSummary summary;
    if (!run_stream(engine, in, out, StreamOptions{false, threads}, &summary).ok()) std::abort();
    return summary;
  }
  Engine engine;
  int in, out;
};

EngineRun& engine_run() {
  static EngineRun run(default_workload());
  return run;
}

// The parse ceiling: what simdjson On-Demand costs to visit every line and
// read the two values a login must have (the subject and the groups).
uint64_t ceiling_parse(const Workload& w, simdjson::ondemand::parser& parser, const std::string& padded) {
  uint64_t touched = 0;
  size_t pos = 0;
  for (std::string_view line : w.lines) {
    pos = static_cast<size_t>(line.data() - w.events.data());
    simdjson::padded_string_view view(padded.data() + pos, line.size(), padded.size() - pos);
    simdjson::ondemand::document doc;
    if (parser.iterate(view).get(doc)) continue;
    simdjson::ondemand::object object;
    if (doc.get_object().get(object)) continue;
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
      }
    }
  }
  return touched;
}

// The naive peer: what a team writes without ClaimMap. Parse each token with
// nlohmann::json, then test every mapping of the config in turn.
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
      const auto token = nlohmann::json::parse(lines[i], nullptr, false);
      if (token.is_discarded() || !token.is_object()) continue;
      std::vector<std::string> groups;
      for (const Mapping& m : mappings) {
        const nlohmann::json* claim = nullptr;
        if (m.pointer) {
          const nlohmann::json::json_pointer ptr(m.claim);
          if (token.contains(ptr)) claim = &token.at(ptr);
        } else if (auto it = token.find(m.claim); it != token.end()) {
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

// The naive peer is ~1000 times slower: it gets a prefix of the stream.
constexpr size_t kNaiveEvents = 1000;

void BM_EndToEnd(benchmark::State& state) {
  const Workload& w = default_workload();
  EngineRun& run = engine_run();
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

void BM_CeilingParse(benchmark::State& state) {
  const Workload& w = default_workload();
  std::string padded = w.events;
  padded.append(simdjson::SIMDJSON_PADDING, ' ');
  simdjson::ondemand::parser parser;
  for (auto _ : state) benchmark::DoNotOptimize(ceiling_parse(w, parser, padded));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.events.size()));
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(w.lines.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CeilingParse)->Unit(benchmark::kMillisecond)->MinTime(1.0)->Repetitions(3)->ReportAggregatesOnly(true);

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
}
BENCHMARK(BM_NaivePeer)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3)->ReportAggregatesOnly(true);

template <typename F>
double median_seconds(int runs, F&& f) {
  std::vector<double> seconds;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    f();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

// Everything back to back, medians of 3, and the ratios the issues set
// targets on: engine / parse ceiling (issue 5: >= 0.40), 2 threads / 1 thread
// (>= 1.7), engine / naive peer.
void BM_Ratios(benchmark::State& state) {
  const Workload& w = default_workload();
  EngineRun& run = engine_run();
  std::string padded = w.events;
  padded.append(simdjson::SIMDJSON_PADDING, ' ');
  simdjson::ondemand::parser parser;
  const NaivePeer naive(w.config_json);
  const double events = static_cast<double>(w.lines.size());
  const size_t naive_events = std::min(kNaiveEvents, w.lines.size());
  for (auto _ : state) {
    const double ceiling = median_seconds(3, [&] { benchmark::DoNotOptimize(ceiling_parse(w, parser, padded)); });
    const double one = median_seconds(3, [&] { run.run(1); });
    const double two = median_seconds(3, [&] { run.run(2); });
    const double slow = median_seconds(1, [&] { benchmark::DoNotOptimize(naive.run(w.lines, naive_events)); });
    state.counters["ceiling_events_per_s"] = events / ceiling;
    state.counters["engine_1t_events_per_s"] = events / one;
    state.counters["engine_2t_events_per_s"] = events / two;
    state.counters["naive_events_per_s"] = static_cast<double>(naive_events) / slow;
    state.counters["ratio_engine_to_ceiling"] = ceiling / one;
    state.counters["ratio_2t_to_1t"] = one / two;
    state.counters["ratio_engine_to_naive"] = (events / one) / (static_cast<double>(naive_events) / slow);
  }
}
BENCHMARK(BM_Ratios)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace claimmap::bench
