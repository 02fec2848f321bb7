#include "simulator/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "claimmap/paths.h"
#include "claimmap/service.h"
#include "simulator/duration.h"
#include "simulator/label_layout.h"
#include "support/number_text.h"

namespace claimmap::sim {
namespace {

using support::with_commas;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string format(const char* fmt, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

// Text for XML character data and attribute values. Control characters XML
// does not allow are dropped.
std::string xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        out.push_back(c);
    }
  }
  return out;
}

// 12500 → "12.5k", 2000000 → "2M".
std::string si(double v) {
  const double a = std::fabs(v);
  if (a >= 1e9) return format("%gG", v / 1e9);
  if (a >= 1e6) return format("%gM", v / 1e6);
  if (a >= 1e3) return format("%gk", v / 1e3);
  return format("%g", v);
}

// ---------------------------------------------------------------------------
// Charts: one helper draws every chart (axes, ticks, grid, series, legend).

enum class Unit {
  kSeconds,  // run time; tick labels are plain numbers, the axis label says "s"
  kRate,     // events/s: 40k, 1.2M
  kCount,    // events per window: integers
  kMicros,   // a latency in µs: ticks say 10 µs, 2 ms, 1 s
};

struct Axis {
  std::string label;
  Unit unit = Unit::kCount;
  bool log = false;
  const char* data_format = "%.1f";  // how data-x / data-y print values (as the JSON does)
  bool tight = false;                 // ends at the data, not at the next round value
  bool from_zero = true;              // a linear axis starts at 0 (else near the data, with a margin)
};

enum class Mark {
  kLine,        // a polyline; NaN y values are gaps
  kDashedLine,  // the same, dashed
  kDottedLine,  // the same, finely dashed
  kPoints,      // a circle per point
  kDots,        // a small dot per point (a secondary figure: a window's max)
  kHorizontal,  // a dashed line across the plot at y[0] (a target)
  kVertical,    // a line from bottom to top at x[0] (a found value)
};

struct Series {
  std::string name;  // in the legend
  std::string key;   // data-series
  std::string color;
  Mark mark = Mark::kLine;
  std::vector<double> x, y;
  std::vector<std::string> labels;  // kPoints, kDots: a short label beside each point, if given (or empty)
};

struct Chart {
  std::string kind;  // data-chart
  std::string title;
  Axis x, y;
  std::vector<Series> series;
  double x_end = 0;  // the x axis reaches at least this far (the end of the run)
};

constexpr double kWidth = 960;
constexpr double kHeight = 380;
constexpr double kLeft = 84, kRight = 28, kBottom = 58;

struct Scale {
  double lo = 0, hi = 1;  // in data units (log10 of them on a log axis)
  bool log = false;
  double from = 0, to = 1;  // pixels: lo maps to `from`, hi to `to`
  std::vector<double> ticks;  // data units
  std::vector<bool> labelled;

  double operator()(double v) const {
    const double u = log ? std::log10(v) : v;
    return from + (u - lo) / (hi - lo) * (to - from);
  }
};

bool plottable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

// A step of 1, 2 or 5 times a power of ten giving about `target` intervals.
double nice_step(double span, int target) {
  const double raw = span / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / magnitude;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
}

Scale make_scale(const Axis& axis, double min, double max, double from, double to, int target_ticks) {
  Scale s;
  s.log = axis.log;
  s.from = from;
  s.to = to;
  if (axis.log) {
    if (!(min > 0) || !(max > 0)) min = max = 1;
    int lo = static_cast<int>(std::floor(std::log10(min) + 1e-9));
    int hi = static_cast<int>(std::ceil(std::log10(max) - 1e-9));
    if (hi <= lo) hi = lo + 1;
    s.lo = lo;
    s.hi = hi;
    const bool minor = hi - lo <= 2;  // label 2 and 5 too when there is room
    for (int d = lo; d <= hi; ++d) {
      const double decade = std::pow(10.0, d);
      s.ticks.push_back(decade);
      s.labelled.push_back(true);
      if (d == hi) break;
      for (const int m : {2, 3, 4, 5, 6, 7, 8, 9}) {
        s.ticks.push_back(m * decade);
        s.labelled.push_back(minor && (m == 2 || m == 5));
      }
    }
    return s;
  }
  double lo = std::min(0.0, min), hi = max;
  if (!axis.from_zero) {
    // A margin of 6% of the span (or of the value) each side, so that no
    // point or line sits on the frame.
    const double margin = 0.06 * (max > min ? max - min : std::max(std::fabs(max), 1.0));
    lo = std::max(0.0, min - margin);
    hi = max + margin;
  }
  if (!(hi > lo)) hi = lo + (axis.unit == Unit::kCount ? 5 : 1);
  double step = nice_step(hi - lo, target_ticks);
  if (axis.unit == Unit::kCount) step = std::max(step, 1.0);
  if (!axis.from_zero) lo = std::floor(lo / step + 1e-9) * step;
  if (!axis.tight) hi = std::ceil(hi / step - 1e-9) * step;
  s.lo = lo;
  s.hi = hi;
  for (int i = 0; lo + i * step <= hi + step * 1e-9; ++i) {
    s.ticks.push_back(lo + i * step);
    s.labelled.push_back(true);
  }
  return s;
}

std::string tick_label(const Axis& axis, double v, double step) {
  switch (axis.unit) {
    case Unit::kSeconds: {
      const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
      return format("%.*f", decimals, v);
    }
    case Unit::kRate:
    case Unit::kCount:
      return si(v);
    case Unit::kMicros:
      if (v < 1) return format("%g ns", v * 1e3);
      if (v < 1e3) return format("%g \xc2\xb5s", v);
      if (v < 1e6) return format("%g ms", v / 1e3);
      return format("%g s", v / 1e6);
  }
  return format("%g", v);
}

// Legend text is drawn at 13 px; a rough width for laying it out.
double text_width(std::string_view text, double size) {
  size_t chars = 0;
  for (const char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // code points
  return static_cast<double>(chars) * size * 0.56;
}

bool is_points(Mark mark) { return mark == Mark::kPoints || mark == Mark::kDots; }
double radius_of(Mark mark) { return mark == Mark::kPoints ? 5.5 : 3; }

std::string dash_of(Mark mark) {
  if (mark == Mark::kDashedLine) return " stroke-dasharray=\"7 4\"";
  if (mark == Mark::kDottedLine) return " stroke-dasharray=\"3 3\"";
  if (mark == Mark::kHorizontal) return " stroke-dasharray=\"9 5\"";
  return "";
}

std::string data_list(const char* fmt, const std::vector<double>& values, const std::vector<double>& keep, bool log) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i < keep.size() && !plottable(keep[i], log)) continue;
    if (!out.empty()) out.push_back(' ');
    out += format(fmt, values[i]);
  }
  return out;
}

// A point's label and where place_labels() put it.
struct DrawnLabel {
  const Series* series;
  std::string text;
  double x, y, radius;  // the point, in pixels
  PlacedLabel placed;
};

std::string render_chart(const Chart& c) {
  // The legend: items left to right, wrapping onto more rows if needed.
  struct Item {
    const Series* s;
    double x;
    int row;
  };
  std::vector<Item> items;
  {
    double x = kLeft;
    int row = 0;
    for (const Series& s : c.series) {
      const double w = 30 + text_width(s.name, 13) + 26;
      if (x + w > kWidth - kRight && x > kLeft) {
        x = kLeft;
        ++row;
      }
      items.push_back({&s, x, row});
      x += w;
    }
  }
  const int legend_rows = items.empty() ? 0 : items.back().row + 1;
  const double top = 44 + 22.0 * legend_rows + 10;
  const double height = kHeight + 22.0 * std::max(0, legend_rows - 1);
  const double bottom = height - kBottom;

  // Ranges over everything drawn.
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  for (const Series& s : c.series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (s.mark != Mark::kHorizontal && plottable(s.x[i], c.x.log)) {
        x_min = std::min(x_min, s.x[i]);
        x_max = std::max(x_max, s.x[i]);
      }
    }
    for (size_t i = 0; i < s.y.size(); ++i) {
      if (s.mark != Mark::kVertical && plottable(s.y[i], c.y.log)) {
        y_min = std::min(y_min, s.y[i]);
        y_max = std::max(y_max, s.y[i]);
      }
    }
  }
  const bool empty = !(x_max >= x_min) && !(y_max >= y_min);
  if (!(x_max >= x_min)) x_min = x_max = 0;
  if (!(y_max >= y_min)) y_min = y_max = c.y.log ? 1 : 0;
  if (c.x_end > x_max) x_max = c.x_end;
  const Scale sx = make_scale(c.x, x_min, x_max, kLeft, kWidth - kRight, 8);
  const Scale sy = make_scale(c.y, y_min, y_max * (c.y.log ? 1.0 : 1.04), bottom, top, 5);

  std::string out;
  const std::string id = "chart-" + c.kind;
  out += format("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" ", kWidth, height);
  out += "role=\"img\" class=\"chart\" data-chart=\"" + xml(c.kind) + "\" aria-labelledby=\"" + id + "-title\">\n";
  out += "<title id=\"" + id + "-title\">" + xml(c.title) + "</title>\n";
  out += format("<rect class=\"bg\" x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\"/>\n", kWidth, height);
  out += format("<text class=\"title\" x=\"%.0f\" y=\"26\">", kLeft) + xml(c.title) + "</text>\n";

  // Grid and ticks.
  out += "<g class=\"grid\">\n";
  for (size_t i = 0; i < sy.ticks.size(); ++i) {
    const double y = sy(sy.ticks[i]);
    out += format("<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                  sy.labelled[i] ? "major" : "minor", kLeft, y, kWidth - kRight, y);
  }
  for (size_t i = 0; i < sx.ticks.size(); ++i) {
    const double x = sx(sx.ticks[i]);
    out += format("<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                  sx.labelled[i] ? "major" : "minor", x, top, x, bottom);
  }
  out += "</g>\n<g class=\"axis\">\n";
  out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", kLeft, bottom, kWidth - kRight, bottom);
  out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", kLeft, top, kLeft, bottom);
  const double x_step = sx.ticks.size() > 1 ? sx.ticks[1] - sx.ticks[0] : 1;
  for (size_t i = 0; i < sx.ticks.size(); ++i) {
    if (!sx.labelled[i]) continue;
    const double x = sx(sx.ticks[i]);
    out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, bottom, x, bottom + 5);
    out += format("<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, bottom + 20) +
           xml(tick_label(c.x, sx.ticks[i], x_step)) + "</text>\n";
  }
  const double y_step = sy.ticks.size() > 1 ? sy.ticks[1] - sy.ticks[0] : 1;
  for (size_t i = 0; i < sy.ticks.size(); ++i) {
    if (!sy.labelled[i]) continue;
    const double y = sy(sy.ticks[i]);
    out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", kLeft - 5, y, kLeft, y);
    out += format("<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", kLeft - 9, y + 4) +
           xml(tick_label(c.y, sy.ticks[i], y_step)) + "</text>\n";
  }
  out += format("<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (kLeft + kWidth - kRight) / 2,
                height - 12) +
         xml(c.x.label) + "</text>\n";
  out += format("<text class=\"label\" transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">",
                (top + bottom) / 2) +
         xml(c.y.label) + "</text>\n";
  out += "</g>\n";

  // Point labels, placed together so that none covers another or a point.
  std::vector<DrawnLabel> labels;
  {
    std::vector<PointLabel> wanted;
    std::vector<LabelBox> obstacles;
    for (const Series& s : c.series) {
      if (!is_points(s.mark)) continue;
      const double r = radius_of(s.mark);
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!plottable(s.y[i], c.y.log) || !plottable(s.x[i], c.x.log)) continue;
        const double x = sx(s.x[i]), y = sy(s.y[i]);
        if (i < s.labels.size() && !s.labels[i].empty()) {
          wanted.push_back({x, y, text_width(s.labels[i], 12), 12});
          labels.push_back({&s, s.labels[i], x, y, r, {}});
        } else {
          obstacles.push_back({x - r, y - r, x + r, y + r});
        }
      }
    }
    // Reference lines (a target, a found rate) too: a label across one is
    // hard to read.
    for (const Series& s : c.series) {
      if (s.mark == Mark::kHorizontal && !s.y.empty() && plottable(s.y[0], c.y.log)) {
        obstacles.push_back({kLeft, sy(s.y[0]) - 1.5, kWidth - kRight, sy(s.y[0]) + 1.5});
      } else if (s.mark == Mark::kVertical && !s.x.empty() && plottable(s.x[0], c.x.log)) {
        obstacles.push_back({sx(s.x[0]) - 1.5, top, sx(s.x[0]) + 1.5, bottom});
      }
    }
    // Every labelled point counts with the larger radius: a probe's circle.
    double radius = 0;
    for (const DrawnLabel& l : labels) radius = std::max(radius, l.radius);
    const std::vector<PlacedLabel> placed = place_labels(wanted, radius, {kLeft, top, kWidth - kRight, bottom}, obstacles);
    for (size_t i = 0; i < labels.size(); ++i) labels[i].placed = placed[i];
  }

  // Series: reference lines (targets, found values) under the data.
  std::vector<const Series*> order;
  for (const Series& s : c.series) {
    if (s.mark == Mark::kHorizontal || s.mark == Mark::kVertical) order.push_back(&s);
  }
  for (const Series& s : c.series) {
    if (s.mark != Mark::kHorizontal && s.mark != Mark::kVertical) order.push_back(&s);
  }
  for (const Series* series : order) {
    const Series& s = *series;
    out += "<g class=\"series\" data-series=\"" + xml(s.key) + "\"";
    if (s.mark == Mark::kHorizontal) {
      out += " data-y=\"" + data_list(c.y.data_format, s.y, {}, false) + "\">\n";
      if (!s.y.empty() && plottable(s.y[0], c.y.log)) {
        const double y = sy(s.y[0]);
        out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                      kLeft, y, kWidth - kRight, y, s.color.c_str(), dash_of(s.mark).c_str());
      }
    } else if (s.mark == Mark::kVertical) {
      out += " data-x=\"" + data_list(c.x.data_format, s.x, {}, false) + "\">\n";
      if (!s.x.empty() && plottable(s.x[0], c.x.log)) {
        const double x = sx(s.x[0]);
        out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>\n", x,
                      top, x, bottom, s.color.c_str());
      }
    } else {
      out += " data-x=\"" + data_list(c.x.data_format, s.x, s.y, c.y.log) + "\"";
      out += " data-y=\"" + data_list(c.y.data_format, s.y, s.y, c.y.log) + "\">\n";
      if (is_points(s.mark)) {
        for (size_t i = 0; i < s.x.size(); ++i) {
          if (!plottable(s.y[i], c.y.log)) continue;
          out += format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%g\" fill=\"%s\"/>\n", sx(s.x[i]), sy(s.y[i]),
                        radius_of(s.mark), s.color.c_str());
        }
        for (const DrawnLabel& l : labels) {
          if (l.series != &s) continue;
          const LabelBox& b = l.placed.box;
          if (l.placed.leader) {
            // From the point's edge to the nearest point of the label.
            const double tx = std::clamp(l.x, b.x0, b.x1), ty = std::clamp(l.y, b.y0, b.y1);
            const double dx = tx - l.x, dy = ty - l.y, d = std::hypot(dx, dy);
            if (d > l.radius) {
              out += format("<line class=\"leader\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                            l.x + dx / d * l.radius, l.y + dy / d * l.radius, tx, ty);
            }
          }
          out += format("<text class=\"point\" x=\"%.1f\" y=\"%.1f\">", b.x0, b.y1 - 2.5) + xml(l.text) +
                 "</text>\n";
        }
      } else {
        // One polyline per run of plottable points; a lone point is a dot.
        std::vector<std::pair<double, double>> run;
        auto flush = [&] {
          if (run.size() == 1) {
            out += format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", run[0].first, run[0].second,
                          s.color.c_str());
          } else if (run.size() > 1) {
            out += "<polyline fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"2\" stroke-linejoin=\"round\"" +
                   dash_of(s.mark) + " points=\"";
            for (size_t i = 0; i < run.size(); ++i) {
              out += format(i ? " %.1f,%.1f" : "%.1f,%.1f", run[i].first, run[i].second);
            }
            out += "\"/>\n";
          }
          run.clear();
        };
        for (size_t i = 0; i < s.x.size(); ++i) {
          if (plottable(s.y[i], c.y.log) && plottable(s.x[i], c.x.log)) {
            run.emplace_back(sx(s.x[i]), sy(s.y[i]));
          } else {
            flush();
          }
        }
        flush();
      }
    }
    out += "</g>\n";
  }
  if (empty) {
    out += format("<text class=\"empty\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data</text>\n",
                  (kLeft + kWidth - kRight) / 2, (top + bottom) / 2);
  }

  // Legend.
  out += "<g class=\"legend\">\n";
  for (const Item& item : items) {
    const Series& s = *item.s;
    const double y = 48 + 22.0 * item.row;
    if (is_points(s.mark)) {
      out += format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%g\" fill=\"%s\"/>\n", item.x + 11, y - 4,
                    radius_of(s.mark), s.color.c_str());
    } else {
      out += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n",
                    item.x, y - 4, item.x + 24, y - 4, s.color.c_str(), s.mark == Mark::kVertical ? "2" : "2.5",
                    dash_of(s.mark).c_str());
    }
    out += format("<text class=\"key\" x=\"%.1f\" y=\"%.1f\">", item.x + 30, y) + xml(s.name) + "</text>\n";
  }
  out += "</g>\n</svg>\n";
  return out;
}

// ---------------------------------------------------------------------------
// The page.

constexpr const char* kBlue = "#2563eb";
constexpr const char* kOrange = "#ea580c";
constexpr const char* kGreen = "#16a34a";
constexpr const char* kRed = "#dc2626";
constexpr const char* kPurple = "#7c3aed";
constexpr const char* kGrey = "#6b7280";
constexpr const char* kDark = "#374151";

// x of a window's point: its middle (the data-x the test reads back).
std::vector<double> window_middles(const SeriesSummary& series) {
  std::vector<double> x;
  for (const SeriesPoint& w : series.windows) x.push_back(w.t + w.seconds / 2);
  return x;
}

Axis time_axis() { return {"run time (s)", Unit::kSeconds, false, "%.6f", true}; }

double run_end(const SeriesSummary& series) {
  return series.windows.empty() ? 0 : series.windows.back().t + series.windows.back().seconds;
}

std::string window_text(const SeriesSummary& series) {
  return format_duration_ns(series.window_seconds * 1e9);
}

// Served rate, and in open loop the offered rate. Closed loop has no
// schedule (offered = served), so an offered line would only hide the
// served one.
Chart rate_chart(const SeriesSummary& series, bool open_loop) {
  Chart c;
  c.kind = "rate";
  c.x_end = run_end(series);
  c.title = open_loop ? "Offered and served rate" : "Served rate";
  c.x = time_axis();
  c.y = {"events/s", Unit::kRate, false, "%.1f"};
  Series served{"served (completed)", "served_per_s", kBlue, Mark::kLine, window_middles(series), {}, {}};
  for (const SeriesPoint& w : series.windows) served.y.push_back(w.served_per_s);
  c.series = {served};
  if (open_loop) {
    Series offered{"offered (scheduled arrivals)", "offered_per_s", kOrange, Mark::kDashedLine, window_middles(series),
                   {}, {}};
    for (const SeriesPoint& w : series.windows) offered.y.push_back(w.offered_per_s);
    // The offered line ends with the schedule; the windows after its last
    // arrival (a backlog draining) have no offered point.
    for (size_t i = series.windows.size(); i-- > 0 && series.windows[i].offered == 0;) offered.y[i] = kNaN;
    c.series.push_back(offered);
  }
  return c;
}

// p50, p99, p99.9 and the max of each window, so that the worst login is on
// the chart's scale, and the run's max (the highest window max) labelled.
Chart latency_chart(const SeriesSummary& series, double target_ns) {
  Chart c;
  c.kind = "latency";
  c.x_end = run_end(series);
  c.title = "Login latency per window";
  c.x = time_axis();
  c.y = {"login latency (log scale)", Unit::kMicros, true, "%.3f"};
  Series p50{"p50", "p50_us", kGreen, Mark::kLine, window_middles(series), {}, {}};
  Series p99{"p99", "p99_us", kOrange, Mark::kLine, window_middles(series), {}, {}};
  Series p999{"p99.9", "p999_us", kRed, Mark::kDottedLine, window_middles(series), {}, {}};
  Series max{"max", "max_us", kDark, Mark::kDots, window_middles(series), {}, {}};
  size_t highest = series.windows.size();
  for (size_t i = 0; i < series.windows.size(); ++i) {
    const SeriesPoint& w = series.windows[i];
    p50.y.push_back(w.logins ? w.p50_ns / 1e3 : kNaN);
    p99.y.push_back(w.logins ? w.p99_ns / 1e3 : kNaN);
    p999.y.push_back(w.logins ? w.p999_ns / 1e3 : kNaN);
    max.y.push_back(w.logins ? w.max_ns / 1e3 : kNaN);
    if (w.logins && (highest == series.windows.size() || w.max_ns > series.windows[highest].max_ns)) highest = i;
  }
  if (highest < series.windows.size()) {
    max.labels.assign(series.windows.size(), "");
    max.labels[highest] = "max " + format_duration_ns(static_cast<double>(series.windows[highest].max_ns));
  }
  c.series = {p50, p99, p999, max};
  if (target_ns > 0) {
    c.series.push_back({"target p99 " + format_duration_ns(target_ns), "target_p99_us", kGrey, Mark::kHorizontal, {},
                        {target_ns / 1e3}, {}});
  }
  return c;
}

// Errors and roles revoked each get a chart of their own: errors are tens a
// window where revocations are hundreds, and on a shared axis read as zero.
// Both per second, as the rate chart, so that every time chart has one unit.
Chart per_second_chart(const SeriesSummary& series, const char* kind, const std::string& title,
                       const std::string& axis, const std::string& name, const char* key, const char* color,
                       double SeriesPoint::*field) {
  Chart c;
  c.kind = kind;
  c.x_end = run_end(series);
  c.title = title;
  c.x = time_axis();
  c.y = {axis, Unit::kRate, false, "%.1f"};
  Series s{name, key, color, Mark::kLine, window_middles(series), {}, {}};
  for (const SeriesPoint& w : series.windows) s.y.push_back(w.*field);
  c.series = {s};
  return c;
}

Chart errors_chart(const SeriesSummary& series) {
  return per_second_chart(series, "errors", "Errors per second", "errors/s", "errors (results with status error)",
                          "errors_per_s", kRed, &SeriesPoint::errors_per_s);
}

Chart revoked_chart(const SeriesSummary& series) {
  return per_second_chart(series, "revoked", "Roles revoked per second", "roles revoked/s",
                          "roles revoked (by the deltas)", "roles_revoked_per_s", kPurple,
                          &SeriesPoint::roles_revoked_per_s);
}

Chart probes_chart(const CapacityResult& capacity, double target_ns) {
  Chart c;
  c.kind = "probes";
  c.title = "Capacity search: p99 of each probe";
  c.x = {"offered rate (events/s)", Unit::kRate, false, "%.1f", false, false};
  c.y = {"login p99 (log scale)", Unit::kMicros, true, "%.3f"};
  Series passed{"probe passed", "passed", kGreen, Mark::kPoints, {}, {}, {}};
  Series failed{"probe failed", "failed", kRed, Mark::kPoints, {}, {}, {}};
  int n = 0;
  for (const CapacityProbe& p : capacity.probes) {
    if (p.rate == 0) continue;  // the closed-loop probe has no offered rate
    Series& s = p.passed ? passed : failed;
    s.x.push_back(p.rate);
    s.y.push_back(p.p99_ns / 1e3);
    s.labels.push_back(std::to_string(++n));  // the order of the bisection
  }
  c.series = {passed, failed};
  c.series.push_back({"target p99 " + format_duration_ns(target_ns), "target_p99_us", kGrey, Mark::kHorizontal, {},
                      {target_ns / 1e3}, {}});
  if (capacity.capacity > 0) {
    c.series.push_back({"capacity " + with_commas(capacity.capacity) + " events/s", "capacity", kBlue,
                        Mark::kVertical, {capacity.capacity}, {}, {}});
  }
  c.series.push_back({"closed-loop ceiling " + with_commas(capacity.closed_loop_throughput) + " events/s",
                      "closed_loop", kPurple, Mark::kVertical, {capacity.closed_loop_throughput}, {}, {}});
  return c;
}

constexpr const char* kStyle = R"(
:root { color-scheme: light; }
body { margin: 0; background: #f3f4f6; color: #111827;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; }
p.sub { margin: 0 0 18px; color: #4b5563; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin: 0 0 8px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 14px;
  display: flex; flex-direction: column; justify-content: space-between; }
.card .k { font-size: 13px; color: #6b7280; }
.card .v { font-size: 21px; font-weight: 600; margin-top: 4px; white-space: nowrap; }
.card .v.bad { color: #dc2626; }
figure { margin: 0 0 18px; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 8px 10px; }
figcaption { font-size: 14px; color: #4b5563; margin: 4px 12px 2px; line-height: 1.45; }
svg.chart { display: block; width: 100%; height: auto; }
svg.chart .bg { fill: #fff; }
svg.chart text { fill: #374151;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
svg.chart .title { font-size: 17px; font-weight: 600; fill: #111827; }
svg.chart .tick { font-size: 13px; }
svg.chart .label { font-size: 14px; fill: #111827; }
svg.chart .key { font-size: 13px; }
svg.chart .point { font-size: 12px; fill: #374151; }
svg.chart line.leader { stroke: #9ca3af; stroke-width: 1; }
svg.chart .empty { font-size: 16px; fill: #9ca3af; }
svg.chart .grid line.major { stroke: #e5e7eb; stroke-width: 1; }
svg.chart .grid line.minor { stroke: #f3f4f6; stroke-width: 1; }
svg.chart .axis line { stroke: #6b7280; stroke-width: 1; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid #e5e7eb; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 6px 12px; border-bottom: 1px solid #f0f1f3; }
th { width: 150px; color: #374151; font-weight: 600; white-space: nowrap; }
td { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 13px;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.notes { font-size: 14px; color: #4b5563; line-height: 1.5; }
.verdict { display: flex; align-items: center; gap: 20px; margin: 0 0 14px; padding: 14px 20px;
  border-radius: 8px; border: 2px solid; background: #fff; }
.verdict.pass { border-color: #16a34a; background: #f0fdf4; }
.verdict.fail { border-color: #dc2626; background: #fef2f2; }
.verdict .word { font-size: 34px; font-weight: 800; letter-spacing: 1px; }
.verdict.pass .word { color: #15803d; }
.verdict.fail .word { color: #b91c1c; }
.verdict ul { margin: 0; padding-left: 18px; font-size: 16px; }
.verdict .targets { margin: 6px 0 0; font-size: 13px; color: #4b5563; }
.caveat { margin: 0 0 14px; padding: 8px 16px; border-radius: 8px; font-size: 14px; }
.caveat p { margin: 6px 0; }
.caveat ul { margin: 4px 0; padding-left: 18px; }
.caveat.steady { background: #fff; border: 1px solid #e5e7eb; color: #4b5563; }
.caveat.unsteady { background: #fffbeb; border: 2px solid #d97706; color: #78350f; }
)";

void card(std::string* out, const std::string& name, const std::string& value, bool bad = false) {
  *out += "<div class=\"card\"><div class=\"k\">" + xml(name) + "</div><div class=\"v" + (bad ? " bad" : "") + "\">" +
          xml(value) + "</div></div>\n";
}

void figure(std::string* out, const Chart& chart, const std::string& caption) {
  *out += "<figure>\n" + render_chart(chart) + "<figcaption>" + xml(caption) + "</figcaption>\n</figure>\n";
}

void time_charts(std::string* out, const SeriesSummary& series, bool open_loop, double target_ns) {
  const std::string w = window_text(series);
  figure(out, rate_chart(series, open_loop),
         open_loop ? "Events per second in each " + w +
                         " window of run time. Offered counts events by their scheduled arrival, served by when "
                         "the engine call returned: served below offered is a queue building, served after the "
                         "offered line ends is the backlog draining."
                   : "Events per second completed in each " + w +
                         " window of run time. Closed loop sends each event as the last one finishes, so there "
                         "is no offered rate apart from the served one.");
  figure(out, latency_chart(series, target_ns),
         "Percentiles of the latency of the logins (and stale replays) that completed in each " + w + " window" +
             (open_loop ? ", measured from scheduled arrival, so queueing counts"
                        : ", the engine's service time (closed loop)") +
             ", and each window's slowest login (dots; the run's slowest is labelled). Log scale; a window "
             "without logins has no point.");
  figure(out, errors_chart(series),
         "Events answered with status error (the storm's bad lines) per second of each " + w +
             " window, by completion time.");
  figure(out, revoked_chart(series),
         "App roles revoked by the deltas (a role a user held and no longer holds) per second of each " + w +
             " window, by completion time.");
}

// The verdict first: PASS or FAIL in large letters, the reasons, the targets.
void verdict_banner(std::string* out, const Verdict& v) {
  *out += std::string("<section class=\"verdict ") + (v.pass ? "pass" : "fail") + "\" data-pass=\"" +
          (v.pass ? "true" : "false") + "\">\n<div class=\"word\">" + (v.pass ? "PASS" : "FAIL") +
          "</div>\n<div class=\"why\">\n<ul>\n";
  for (const std::string& reason : v.reasons()) *out += "<li class=\"reason\">" + xml(reason) + "</li>\n";
  *out += "</ul>\n<p class=\"targets\">" + xml("Target: " + v.targets_text()) + "</p>\n</div>\n</section>\n";
}

// Whether the capacity search can be believed (simulator/capacity_caveat.h).
void caveat_box(std::string* out, const CapacityResult& c) {
  const std::string rates = "closed-loop rate " + with_commas(c.closed_loop_throughput) + " events/s before the search, " +
                            with_commas(c.closed_loop_after) + " after (" + format("%.1f", c.caveat.spread * 100) +
                            "% apart)";
  if (c.caveat.trustworthy) {
    *out += "<section class=\"caveat steady\" data-trustworthy=\"true\"><p>" +
            xml("Steady machine: " + rates + ".") + "</p></section>\n";
    return;
  }
  *out += "<section class=\"caveat unsteady\" data-trustworthy=\"false\">\n<p><strong>" +
          xml("The capacity search is not trustworthy:") + "</strong></p>\n<ul>\n";
  for (const std::string& reason : c.caveat.reasons) *out += "<li class=\"reason\">" + xml(reason) + "</li>\n";
  *out += "</ul>\n<p>" + xml("Run it again on a quieter machine. The " + rates + ".") + "</p>\n</section>\n";
}

}  // namespace

std::string format_report_html(const SimulationReport& r) {
  const std::string heading = report_heading(r);
  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n";
  out += "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" xml:lang=\"en\">\n<head>\n";
  out += "<meta charset=\"UTF-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
  out += "<title>" + xml("ClaimMap simulation report — " + heading.substr(heading.find(':') + 2)) + "</title>\n";
  out += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<main>\n";
  out += "<h1>ClaimMap simulation report</h1>\n";
  out += "<p class=\"sub\">" + xml(heading) + " · " + xml(r.organisation) + "</p>\n";
  const Verdict verdict = report_verdict(r);
  verdict_banner(&out, verdict);
  if (r.capacity) caveat_box(&out, *r.capacity);

  const double target_ns = r.options.p99_target_seconds * 1e9;
  // The run's latency chart draws the verdict's p99 target, if it has one.
  const double run_target_ns = verdict.targets.p99_seconds ? *verdict.targets.p99_seconds * 1e9 : 0;
  out += "<div class=\"cards\">\n";
  if (r.run) {
    const ReplayResult& run = *r.run;
    card(&out, "events", with_commas(static_cast<double>(run.tally.events)));
    card(&out, run.kept_up() ? "throughput (events/s)" : "throughput (events/s): fell behind",
         with_commas(run.throughput()), !run.kept_up());
    if (run.open_loop) card(&out, "offered, mean (events/s)", with_commas(run.offered_rate));
    card(&out, run.open_loop ? "login p99" : "login p99 (service)",
         format_duration_ns(run.login_latency.percentile(0.99)),
         run_target_ns > 0 && static_cast<double>(run.login_latency.percentile(0.99)) > run_target_ns);
    card(&out, "login max", format_duration_ns(static_cast<double>(run.login_latency.max())));
    card(&out, "errors", with_commas(static_cast<double>(run.tally.errors)));
    card(&out, "roles revoked", with_commas(static_cast<double>(run.tally.roles_revoked)));
  }
  if (r.capacity) {
    const CapacityResult& c = *r.capacity;
    card(&out, "capacity (events/s)", c.capacity > 0 ? with_commas(c.capacity) : "none found", c.capacity <= 0);
    card(&out, "p99 target", format_duration_ns(target_ns));
    card(&out, "closed-loop ceiling (events/s)", with_commas(c.closed_loop_throughput));
  }
  card(&out, "memory per user", format("%.0f bytes", r.bytes_per_user()));
  card(&out, "logins signed with", std::string(sign_algorithm_name(r.options.generator.sign)));
  out += "</div>\n";

  if (r.capacity) {
    const CapacityResult& c = *r.capacity;
    out += "<h2>Capacity search</h2>\n";
    figure(&out, probes_chart(c, target_ns),
           "Each open-loop probe (numbered in the order they ran) offered a steady rate for " +
               format("%g", r.options.probe_seconds) + " s, and at least " +
               with_commas(static_cast<double>(CapacityOptions{}.min_probe_events)) +
               " events (longer at low rates); it passes when the engine kept up (served at least 97% of it) and "
               "login p99, from scheduled arrival, stayed within the target. The capacity is the highest passing "
               "rate; the closed-loop probes before and after the search measured the ceiling and how steady the "
               "machine was.");
    const std::string rate = with_commas(c.series_rate) + " events/s offered";
    out += "<h2>" +
           xml(c.capacity > 0 ? "The probe at capacity: " + rate : "No probe passed: the last probe, " + rate) +
           "</h2>\n";
    time_charts(&out, c.series, true, target_ns);
  } else if (r.run) {
    out += "<h2>Over the run</h2>\n";
    time_charts(&out, r.run->series, r.run->open_loop, run_target_ns);
  }

  out += "<h2>Summary</h2>\n<table>\n";
  for (const ReportRow& row : report_rows(r)) {
    out += "<tr><th>" + xml(row.name) + "</th><td>" + xml(row.value) + "</td></tr>\n";
  }
  out += "</table>\n";
  out += "<h2>How to read it</h2>\n<p class=\"notes\">";
  out += xml(
      "Times are run time: the clock stops while the simulator generates events, so generating is not measured. "
      "The run is cut into equal windows (a power of two of milliseconds long; 24 to 64 of them); served events, "
      "errors, roles revoked and latencies count in the window in which the engine call returned, offered events in "
      "the window of their scheduled arrival. Every time chart is per second: a window's rate is its count over "
      "its length; the last window ends "
      "with the run (its offered rate, with the schedule). The same numbers are in the --json report under "
      "\"series\" (docs/simulator.md).");
  out += "</p>\n</main>\n</body>\n</html>\n";
  return out;
}

Status check_report_writable(const std::string& path) {
  return check_output_file(path, OutputWrite::kReplaced);
}

Status write_report_html(const std::string& path, std::string_view page) {
  return write_text_file_atomically(path, page);
}

}  // namespace claimmap::sim
