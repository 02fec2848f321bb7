#include "simulator/series.h"

#include <algorithm>
#include <cmath>

namespace claimmap::sim {

void SeriesWindow::merge(const SeriesWindow& o) {
  offered += o.offered;
  served += o.served;
  logins += o.logins;
  errors += o.errors;
  roles_revoked += o.roles_revoked;
  login_latency.merge(o.login_latency);
}

void SeriesWindow::clear() {
  offered = served = logins = errors = roles_revoked = 0;
  login_latency.clear();
}

TimeSeries::TimeSeries(double expected_seconds) {
  // Room for the expected run in 3/4 of the windows, so that a run a little
  // longer than expected does not widen while it is measured.
  const double expected_ns = expected_seconds * 1e9;
  while (expected_ns > 0.75 * kSeriesSlots * static_cast<double>(width_ns_) && width_ns_ < (uint64_t{1} << 60)) {
    width_ns_ *= 2;
  }
}

void TimeSeries::widen() {
  // (i·2w, (i+1)·2w] = (2i·w, (2i+1)·w] ∪ ((2i+1)·w, (2i+2)·w]. In place and
  // in ascending order: slot i is written after slots 2i and 2i+1 are read
  // (for i > 0, both are above i; slot 0 merges slot 1 into itself).
  for (int i = 0; i < kSeriesSlots / 2; ++i) {
    SeriesWindow& into = windows_[i];
    if (i > 0) {
      into.clear();
      into.merge(windows_[2 * i]);
    }
    into.merge(windows_[2 * i + 1]);
  }
  for (int i = kSeriesSlots / 2; i < kSeriesSlots; ++i) windows_[i].clear();
  width_ns_ *= 2;
}

void TimeSeries::merge(TimeSeries& other) {
  while (width_ns_ < other.width_ns_) widen();
  while (other.width_ns_ < width_ns_) other.widen();
  for (int i = 0; i < kSeriesSlots; ++i) windows_[i].merge(other.windows_[i]);
}

SeriesSummary summarise_series(const TimeSeries& series, double run_seconds, bool open_loop, double offered_end) {
  SeriesSummary out;
  const double width = static_cast<double>(series.window_ns()) / 1e9;
  out.window_seconds = width;
  int used = 0;
  for (int i = 0; i < kSeriesSlots; ++i) {
    const SeriesWindow& w = series.window(i);
    if (w.offered || w.served) used = i + 1;
  }
  // Window k ends at (k+1)·w, or, the last one, at the end of the run. A last
  // window cut under a quarter of its width is folded into the one before, so
  // that a few stragglers just past a boundary do not read as a burst.
  int points = used;
  if (used >= 2 && run_seconds - (used - 1) * width < width / 4) --points;
  for (int i = 0; i < points; ++i) {
    SeriesWindow w = series.window(i);
    SeriesPoint p;
    p.t = i * width;
    p.seconds = width;
    if (i + 1 == points) {
      for (int j = points; j < used; ++j) w.merge(series.window(j));
      // The last completion is in window used-1, so this is > 0 but for rounding.
      p.seconds = std::max(run_seconds - p.t, width * 1e-3);
    }
    p.served = w.served;
    p.offered = open_loop ? w.offered : w.served;
    p.logins = w.logins;
    p.errors = w.errors;
    p.roles_revoked = w.roles_revoked;
    // Offered load ends at offered_end: a window it covers in part has its
    // offered rate over that part only.
    const double offered_seconds = std::min(p.seconds, offered_end - p.t);
    p.offered_per_s = !open_loop ? static_cast<double>(p.offered) / p.seconds
                      : offered_seconds > 0 ? static_cast<double>(p.offered) / offered_seconds
                                            : 0;
    p.served_per_s = static_cast<double>(p.served) / p.seconds;
    p.errors_per_s = static_cast<double>(p.errors) / p.seconds;
    p.roles_revoked_per_s = static_cast<double>(p.roles_revoked) / p.seconds;
    p.p50_ns = w.login_latency.percentile(0.50);
    p.p99_ns = w.login_latency.percentile(0.99);
    p.p999_ns = w.login_latency.percentile(0.999);
    p.max_ns = w.login_latency.max();
    out.windows.push_back(p);
  }
  return out;
}

}  // namespace claimmap::sim
