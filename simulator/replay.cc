#include "simulator/replay.h"

#include <algorithm>
#include <barrier>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "simulator/prng.h"

namespace claimmap::sim {
namespace {

uint64_t steady_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// The run clock: wall time minus the pauses spent generating windows. Written
// only by the barrier's completion step, while every worker waits on it.
struct RunClock {
  uint64_t paused_total = 0;
  uint64_t pause_started = 0;
  uint64_t now() const { return steady_ns() - paused_total; }
};

// What one worker measures; merged at the end.
struct WorkerResult {
  DeltaTally tally;
  LatencyHistogram login_latency;
  LatencyHistogram event_latency;
  std::array<LatencyHistogram, kTimeSlices> by_slice;
  TimeSeries series;
  uint64_t last_done = 0;  // run time of its last completion

  explicit WorkerResult(double expected_seconds) : series(expected_seconds) {}
};

// Sleeps most of a long wait and spins the end of it, so that an event is
// sent within a few microseconds of its arrival time.
void wait_until(const RunClock& clock, uint64_t due) {
  for (;;) {
    const uint64_t now = clock.now();
    if (now >= due) return;
    const uint64_t gap = due - now;
    if (gap > 200'000) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(gap - 100'000));
    } else if (gap > 20'000) {
      std::this_thread::yield();
    }
  }
}

bool is_login(EventKind kind) { return kind == EventKind::kLogin || kind == EventKind::kStaleReplay; }

}  // namespace

ReplayResult replay(Engine& engine, Generator& generator, const ReplayOptions& options) {
  return replay(in_process_clients(engine), generator, options);
}

ReplayResult replay(const ClientFactory& clients, Generator& generator, const ReplayOptions& options) {
  const unsigned threads = std::max(1u, options.threads);
  const size_t batch = options.schedule.has_value() ? 1 : std::max(1u, options.batch);
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  Status first_error;
  auto fail = [&](const Status& s) {
    std::lock_guard<std::mutex> lock(error_mutex);
    if (!failed.exchange(true)) first_error = s;
  };
  const uint64_t total = options.events;
  const uint64_t window = std::max<uint64_t>(1, std::min(options.window, total));
  const uint64_t first_index = generator.planned();
  const bool open_loop = options.schedule.has_value();

  std::vector<PlannedEvent> planned;
  std::vector<std::string_view> lines(window);
  std::vector<std::string> render_buffers(threads);
  std::vector<std::unique_ptr<WorkerResult>> results;
  const double expected_seconds = open_loop ? options.schedule->duration_seconds() : 0;
  for (unsigned t = 0; t < threads; ++t) results.push_back(std::make_unique<WorkerResult>(expected_seconds));

  RunClock clock;
  clock.pause_started = steady_ns();
  clock.paused_total = clock.pause_started;  // run time 0 is when the first window starts
  uint64_t generate_ns = 0;
  bool stop = false;

  // Three phases a window: start (planned) → rendered → done. Completions run
  // once per phase, with every thread waiting: the clock starts at
  // "rendered" and stops at "done".
  int phase = 0;
  auto on_phase = [&]() noexcept {
    const uint64_t now = steady_ns();
    if (phase == 1) {
      clock.paused_total += now - clock.pause_started;
      generate_ns += now - clock.pause_started;
    } else if (phase == 2) {
      clock.pause_started = now;
    }
    phase = (phase + 1) % 3;
  };
  std::barrier sync(static_cast<ptrdiff_t>(threads) + 1, on_phase);

  auto worker = [&](unsigned tid) {
    WorkerResult& r = *results[tid];
    std::vector<std::pair<size_t, size_t>> offsets;
    std::vector<size_t> batch_index;
    std::vector<std::string_view> batch_lines;
    uint64_t unreported = 0;
    std::unique_ptr<EventClient> client;
    if (Result<std::unique_ptr<EventClient>> made = clients(); made.ok()) {
      client = std::move(made.value());
    } else {
      fail(made.status());
    }
    for (;;) {
      sync.arrive_and_wait();  // start
      if (stop) return;
      if (!client) {  // keep to the barrier's rhythm, sending nothing
        sync.arrive_and_wait();
        sync.arrive_and_wait();
        continue;
      }
      const size_t n = planned.size();
      // Render this worker's slice of the window.
      const size_t begin = n * tid / threads, end = n * (tid + 1) / threads;
      std::string& buffer = render_buffers[tid];
      buffer.clear();
      offsets.clear();
      for (size_t i = begin; i < end; ++i) {
        const size_t at = buffer.size();
        generator.render(planned[i], &buffer);
        offsets.emplace_back(at, buffer.size() - at - 1);  // without the '\n'
      }
      for (size_t i = begin; i < end; ++i) {
        lines[i] = std::string_view(buffer.data() + offsets[i - begin].first, offsets[i - begin].second);
      }
      sync.arrive_and_wait();  // rendered: the clock runs
      // This thread's events of the window, sent `batch` at a time (open
      // loop: one at a time, each at its arrival time).
      for (size_t i = 0; i < n && !failed.load(std::memory_order_relaxed);) {
        batch_index.clear();
        batch_lines.clear();
        for (; i < n && batch_index.size() < batch; ++i) {
          if (mix64(planned[i].user) % threads != tid) continue;
          batch_index.push_back(i);
          batch_lines.push_back(lines[i]);
        }
        if (batch_index.empty()) break;
        const PlannedEvent& first = planned[batch_index.front()];
        const uint64_t position = first.index - first_index;
        uint64_t start;
        int slice;
        if (open_loop) {
          const double due_seconds = options.schedule->arrival_seconds(position);
          start = static_cast<uint64_t>(due_seconds * 1e9);
          wait_until(clock, start);
          const double duration = options.schedule->duration_seconds();
          slice = duration > 0 ? static_cast<int>(due_seconds / duration * kTimeSlices) : 0;
        } else {
          start = clock.now();
          slice = static_cast<int>(position * kTimeSlices / total);
        }
        slice = std::clamp(slice, 0, kTimeSlices - 1);
        const uint64_t errors_before = r.tally.errors, revoked_before = r.tally.roles_revoked;
        if (Status s = client->send(batch_lines, first.index + 1, &r.tally); !s.ok()) {
          fail(s);
          break;
        }
        const uint64_t done = clock.now();
        const uint64_t latency = done > start ? done - start : 0;
        // The batch's errors and revocations are counted once, with its first event.
        for (size_t i = 0; i < batch_index.size(); ++i) {
          const size_t k = batch_index[i];
          const PlannedEvent& e = planned[k];
          const bool login = is_login(e.kind);
          r.tally.add_planned(e.kind);
          r.tally.input_bytes += lines[k].size() + 1;
          r.event_latency.record(latency);
          if (login) {
            r.login_latency.record(latency);
            r.by_slice[slice].record(latency);
          }
          if (open_loop) r.series.record_offered(start);
          r.series.record_served(done, i == 0 ? r.tally.errors - errors_before : 0,
                                 i == 0 ? r.tally.roles_revoked - revoked_before : 0, login, latency);
        }
        r.last_done = done;
        unreported += batch_index.size();
        if (options.progress && unreported >= 256) {
          options.progress->fetch_add(unreported, std::memory_order_relaxed);
          unreported = 0;
        }
      }
      if (options.progress && unreported) {
        options.progress->fetch_add(unreported, std::memory_order_relaxed);
        unreported = 0;
      }
      sync.arrive_and_wait();  // done: the clock stops
    }
  };

  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (uint64_t done = 0; done < total && !failed.load();) {
    const uint64_t n = std::min(window, total - done);
    planned.clear();
    generator.plan_events(n, &planned);
    sync.arrive_and_wait();  // start
    sync.arrive_and_wait();  // rendered
    sync.arrive_and_wait();  // done
    done += n;
  }
  stop = true;
  sync.arrive_and_wait();
  for (auto& t : pool) t.join();

  ReplayResult result;
  result.error = first_error;
  result.threads = threads;
  result.open_loop = open_loop;
  uint64_t last_done = 0;
  TimeSeries series;
  for (const auto& r : results) {
    series.merge(r->series);
    result.tally.merge(r->tally);
    result.login_latency.merge(r->login_latency);
    result.event_latency.merge(r->event_latency);
    for (int s = 0; s < kTimeSlices; ++s) result.login_latency_by_slice[s].merge(r->by_slice[s]);
    last_done = std::max(last_done, r->last_done);
  }
  result.run_seconds = static_cast<double>(last_done) / 1e9;
  result.generate_seconds = static_cast<double>(generate_ns) / 1e9;
  result.series = summarise_series(series, result.run_seconds, open_loop,
                                   open_loop ? options.schedule->arrival_seconds(total) : 0);
  if (open_loop) {
    result.offered_rate = options.schedule->mean_rate();
    result.peak_rate = options.schedule->peak_rate();
    result.offered_seconds = options.schedule->duration_seconds();
  }
  return result;
}

}  // namespace claimmap::sim
