// simulator/series.h — what a replay did over time, window by window: offered
// and served events, errors, roles revoked and login latency per window of
// run time. The --json report's "series" and the --report page's time charts.
//
// Windows. The run is cut into windows of equal length on the run clock
// (simulator/replay.h: generation pauses are not in it), each 2^k ms long.
// Closed loop starts at 1 ms; open loop starts at the narrowest width that
// fits its schedule in 48 of the kSeriesSlots (64) windows. Whenever an event
// falls past the last window, the width doubles (pairs of windows merge). So a
// run ends with 24 to 64 windows (fewer only when it lasts under 24 ms).
// Window k holds the times in (k·w, (k+1)·w]; window 0 also holds time 0.
//
// What goes where:
//   offered  by the time the event was scheduled to arrive (open loop); in
//            closed loop there is no schedule and offered = served;
//   served, errors, roles revoked, login latency
//            by the time the event completed (its engine call returned).
// So in a run that falls behind, the offered rate stops at the end of the
// schedule while the served rate goes on until the backlog is drained, and a
// window's latency is that of the logins it finished.
//
// The rate of a window is its count over its length. The last window ends
// with the run (the last completion); if that leaves it under a quarter of a
// window, it is folded into the one before, which then runs to the end. The
// offered rate of the window in which the schedule ends is over the part of
// it before the end (a backlog can make the run end later than that).
//
// Each worker records into its own TimeSeries, without locks or allocation
// (a doubling merges histograms in place, about 0.1 ms; an open-loop run
// starts at the width its schedule needs, so it rarely doubles while
// measured); merge() joins them at the end.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "simulator/histogram.h"

namespace claimmap::sim {

inline constexpr int kSeriesSlots = 64;
inline constexpr uint64_t kSeriesFirstWindowNs = 1'000'000;  // 1 ms

struct SeriesWindow {
  uint64_t offered = 0, served = 0, logins = 0, errors = 0, roles_revoked = 0;
  WindowLatencyHistogram login_latency;  // logins and stale replays, ns

  void merge(const SeriesWindow& other);
  void clear();
};

class TimeSeries {
 public:
  // `expected_seconds` (if known: an open-loop schedule's length) picks the
  // first width, so that the run fits without widening while it is measured.
  explicit TimeSeries(double expected_seconds = 0);

  // An event scheduled to arrive at `due_ns` of run time (open loop only).
  void record_offered(uint64_t due_ns) { ++window_at(due_ns).offered; }
  // An event that completed at `done_ns`; `errors` and `roles_revoked` are
  // what it added to those counts; `latency_ns` counts if it was a login.
  void record_served(uint64_t done_ns, uint64_t errors, uint64_t roles_revoked, bool login, uint64_t latency_ns) {
    SeriesWindow& w = window_at(done_ns);
    ++w.served;
    w.errors += errors;
    w.roles_revoked += roles_revoked;
    if (login) {
      ++w.logins;
      w.login_latency.record(latency_ns);
    }
  }
  // Adds `other` (widening the narrower of the two first, so `other` may change).
  void merge(TimeSeries& other);

  uint64_t window_ns() const { return width_ns_; }
  const SeriesWindow& window(int i) const { return windows_[static_cast<size_t>(i)]; }

 private:
  SeriesWindow& window_at(uint64_t t_ns) {
    uint64_t i = t_ns ? (t_ns - 1) / width_ns_ : 0;
    while (i >= kSeriesSlots) {
      widen();
      i = (t_ns - 1) / width_ns_;
    }
    return windows_[i];
  }
  void widen();  // doubles the width: window i becomes windows 2i and 2i+1

  uint64_t width_ns_ = kSeriesFirstWindowNs;
  std::array<SeriesWindow, kSeriesSlots> windows_;
};

// One window as the reports print it.
struct SeriesPoint {
  double t = 0;        // start, seconds of run time
  double seconds = 0;  // length: the window's, but the last one ends with the run
  uint64_t offered = 0, served = 0, logins = 0, errors = 0, roles_revoked = 0;
  // count / seconds; in open loop, offered over the part of the window
  // before the offered load ended (see summarise_series()).
  double offered_per_s = 0, served_per_s = 0;
  double errors_per_s = 0, roles_revoked_per_s = 0;  // count / seconds
  // Of the window's logins; 0 if none. max is exact (the histogram keeps it),
  // so the highest window max is the run's max.
  uint64_t p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;
};

struct SeriesSummary {
  double window_seconds = 0;
  std::vector<SeriesPoint> windows;  // from 0 to the window of the last event
};

// The windows from the start of the run to `run_seconds` (the last
// completion). In closed loop (`open_loop` false) offered is set to served.
// In open loop, `offered_end` is when the offered load ends: the last
// scheduled arrival plus one gap (the schedule's arrival time of one event
// past the last), so a window it covers in part has its offered rate over
// that part only.
SeriesSummary summarise_series(const TimeSeries& series, double run_seconds, bool open_loop,
                               double offered_end = 0);

}  // namespace claimmap::sim
