// The time series of a replay (simulator/series.h) and the --report page
// (simulator/report_html.h). The page as a whole, parsed by a real XML parser
// and checked against the --json report, is tests/simulator_report_html_test.sh.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "simulator/capacity.h"
#include "simulator/generator.h"
#include "simulator/duration.h"
#include "simulator/histogram.h"
#include "simulator/label_layout.h"
#include "simulator/replay.h"
#include "simulator/report.h"
#include "simulator/report_html.h"
#include "simulator/series.h"

namespace claimmap::sim {
namespace {

constexpr uint64_t kMs = 1'000'000;

TEST(SimulatorSeries, WindowsAreHalfOpenOnTheLeft) {
  TimeSeries s;
  EXPECT_EQ(s.window_ns(), kMs);
  s.record_served(0, 0, 0, false, 0);       // window 0 holds time 0
  s.record_served(kMs, 0, 0, false, 0);     // and its end
  s.record_served(kMs + 1, 0, 0, false, 0);  // window 1 starts just after
  EXPECT_EQ(s.window(0).served, 2u);
  EXPECT_EQ(s.window(1).served, 1u);
}

TEST(SimulatorSeries, WidensByMergingPairsWithoutLosingAnything) {
  TimeSeries s;
  uint64_t errors = 0, revoked = 0;
  for (uint64_t t = 1; t <= 200; ++t) {  // one event a millisecond, 200 ms
    s.record_served(t * kMs, t % 7 == 0, t % 3 == 0, true, t * 1000);
    errors += t % 7 == 0;
    revoked += t % 3 == 0;
  }
  EXPECT_EQ(s.window_ns(), 4 * kMs);  // 200 ms fits 64 windows of 4 ms, not of 2 ms
  uint64_t served = 0, e = 0, r = 0, logins = 0;
  for (int i = 0; i < kSeriesSlots; ++i) {
    served += s.window(i).served;
    e += s.window(i).errors;
    r += s.window(i).roles_revoked;
    logins += s.window(i).login_latency.count();
  }
  EXPECT_EQ(served, 200u);
  EXPECT_EQ(e, errors);
  EXPECT_EQ(r, revoked);
  EXPECT_EQ(logins, 200u);
  // (0, 4 ms] holds the events at 1, 2, 3 and 4 ms; (196, 200] the last four.
  EXPECT_EQ(s.window(0).served, 4u);
  EXPECT_EQ(s.window(49).served, 4u);
  EXPECT_EQ(s.window(49).login_latency.max(), 200'000u);
  EXPECT_EQ(s.window(50).served, 0u);
}

TEST(SimulatorSeries, MergeBringsBothToTheWiderWindow) {
  TimeSeries narrow, wide;
  narrow.record_served(10 * kMs, 1, 0, false, 0);
  wide.record_served(300 * kMs, 0, 2, false, 0);  // 8 ms windows
  ASSERT_EQ(wide.window_ns(), 8 * kMs);
  narrow.merge(wide);
  EXPECT_EQ(narrow.window_ns(), 8 * kMs);
  EXPECT_EQ(narrow.window(1).errors, 1u);         // 10 ms is in (8, 16]
  EXPECT_EQ(narrow.window(37).roles_revoked, 2u);  // 300 ms is in (296, 304]
}

TEST(SimulatorSeries, OpenLoopStartsWideEnoughForItsSchedule) {
  TimeSeries s(2.0);  // a 2 s schedule: 48 windows of 64 ms hold 3.07 s, of 32 ms 1.5 s
  EXPECT_EQ(s.window_ns(), 64 * kMs);
}

TEST(SimulatorSeries, SummaryRatesAndTheLastWindow) {
  TimeSeries s;
  for (uint64_t t = 1; t <= 10; ++t) {
    s.record_offered(t * kMs - kMs / 2);
    s.record_served(t * kMs, 0, 0, true, 1000 * t);
  }
  s.record_served(10 * kMs + 1, 0, 0, false, 0);  // a straggler just past a boundary
  // Closed loop: offered is served; the straggler's window (under a quarter
  // of a window) is folded into the one before.
  SeriesSummary closed = summarise_series(s, (10 * kMs + 1) / 1e9, false);
  ASSERT_EQ(closed.windows.size(), 10u);
  EXPECT_DOUBLE_EQ(closed.window_seconds, 0.001);
  EXPECT_EQ(closed.windows[0].served, 1u);
  EXPECT_NEAR(closed.windows[0].served_per_s, 1000, 1e-6);
  EXPECT_EQ(closed.windows[0].offered, 1u);
  EXPECT_EQ(closed.windows[0].p50_ns, 1000u);
  EXPECT_EQ(closed.windows[9].served, 2u);
  EXPECT_NEAR(closed.windows[9].seconds, 0.001, 1e-8);
  // Open loop: offered counts by arrival; the offered rate of the last
  // window is over the part before the schedule ended.
  SeriesSummary open = summarise_series(s, (10 * kMs + 1) / 1e9, true, 0.0095);
  EXPECT_EQ(open.windows[9].offered, 1u);
  EXPECT_NEAR(open.windows[9].offered_per_s, 2000, 1e-3);
  EXPECT_NEAR(open.windows[0].offered_per_s, 1000, 1e-9);
  // A window with no logins has no percentiles.
  TimeSeries empty;
  empty.record_served(kMs / 2, 1, 0, false, 0);
  SeriesSummary e = summarise_series(empty, 0.0005, false);
  ASSERT_EQ(e.windows.size(), 1u);
  EXPECT_EQ(e.windows[0].logins, 0u);
  EXPECT_EQ(e.windows[0].p99_ns, 0u);
  EXPECT_NEAR(e.windows[0].served_per_s, 1 / 0.0005, 1e-6);
}

TEST(SimulatorSeries, WindowHistogramWithinTwoPercent) {
  WindowLatencyHistogram h;
  std::vector<uint64_t> values;
  for (uint64_t v = 100; v < 50'000'000; v = v * 21 / 20 + 1) values.push_back(v), h.record(v);
  for (double q : {0.1, 0.5, 0.9, 0.99}) {
    const auto rank = static_cast<size_t>(std::ceil(q * values.size()));
    const double exact = static_cast<double>(values[rank - 1]);
    EXPECT_NEAR(static_cast<double>(h.percentile(q)), exact, exact * 0.016) << q;
  }
  WindowLatencyHistogram small;
  for (uint64_t v : {1, 5, 63}) small.record(v);
  EXPECT_EQ(small.percentile(0.5), 5u);
  small.clear();
  EXPECT_EQ(small.count(), 0u);
  EXPECT_EQ(small.percentile(0.5), 0u);
}

struct Rig {
  Generator generator;
  Engine engine;
  explicit Rig(const GeneratorOptions& o) : generator(o), engine(load_config(generator.config_json()).value()) {
    EXPECT_TRUE(engine.import_state(generator.initial_state_ndjson()).ok());
  }
};

GeneratorOptions small_options() {
  GeneratorOptions o;
  o.users = 2000;
  o.mappings = 800;
  o.churn = 0.2;
  o.bad_share = 0.01;
  return o;
}

uint64_t sum(const SeriesSummary& s, uint64_t SeriesPoint::*field) {
  uint64_t n = 0;
  for (const SeriesPoint& w : s.windows) n += w.*field;
  return n;
}

TEST(SimulatorSeries, ReplaySeriesAddsUpToTheRun) {
  Rig rig(small_options());
  for (bool open : {false, true}) {
    ReplayOptions options;
    options.threads = 2;
    options.events = 8000;
    options.window = 3000;
    if (open) options.schedule = ArrivalSchedule(LoadProfile::kRamp, 40000, options.events);
    const ReplayResult r = replay(rig.engine, rig.generator, options);
    const SeriesSummary& s = r.series;
    ASSERT_FALSE(s.windows.empty());
    EXPECT_LE(s.windows.size(), static_cast<size_t>(kSeriesSlots));
    EXPECT_EQ(sum(s, &SeriesPoint::served), r.tally.events) << open;
    EXPECT_EQ(sum(s, &SeriesPoint::offered), r.tally.events) << open;
    EXPECT_EQ(sum(s, &SeriesPoint::errors), r.tally.errors) << open;
    EXPECT_EQ(sum(s, &SeriesPoint::roles_revoked), r.tally.roles_revoked) << open;
    EXPECT_EQ(sum(s, &SeriesPoint::logins), r.login_latency.count()) << open;
    EXPECT_GT(r.tally.errors, 0u);
    const SeriesPoint& last = s.windows.back();
    EXPECT_NEAR(last.t + last.seconds, r.run_seconds, 1e-9) << open;
  }
}

// A small well-formedness check (every start tag closed in order, every
// '&' an entity, no '<' inside attribute values): the shell test parses the
// page with a real XML parser.
bool balanced(const std::string& page, std::string* why) {
  std::vector<std::string> open;
  for (size_t i = 0; i < page.size(); ++i) {
    if (page[i] == '&') {
      const size_t semi = page.find(';', i);
      if (semi == std::string::npos || semi - i > 8) return *why = "bare & at " + std::to_string(i), false;
    }
    if (page[i] != '<') continue;
    const size_t close = page.find('>', i);
    if (close == std::string::npos) return *why = "unclosed <", false;
    const std::string tag = page.substr(i + 1, close - i - 1);
    if (tag.find('<') != std::string::npos) return *why = "< inside a tag: " + tag, false;
    i = close;
    if (tag[0] == '?' || tag[0] == '!') continue;
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return *why = "unexpected </" + tag.substr(1) + ">", false;
      open.pop_back();
      continue;
    }
    if (tag.back() == '/') continue;
    open.push_back(tag.substr(0, tag.find_first_of(" \n")));
  }
  if (!open.empty()) return *why = "<" + open.back() + "> never closed", false;
  return true;
}

// The page's text as XML escapes it ("p99 1 ms &lt;= target 2 ms").
std::string xml_escaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out.push_back(c);
  }
  return out;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(SimulatorReportHtml, PageOfARun) {
  Rig rig(small_options());
  ReplayOptions options;
  options.threads = 2;
  options.events = 5000;
  options.schedule = ArrivalSchedule(LoadProfile::kSteady, 50000, options.events);
  SimulationReport report;
  report.organisation = "org <\"Acme\" & 'Co'>";  // escaped, not markup
  report.run = replay(rig.engine, rig.generator, options);
  const std::string page = format_report_html(report);
  std::string why;
  EXPECT_TRUE(balanced(page, &why)) << why;
  EXPECT_EQ(page.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u);
  EXPECT_NE(page.find("<html xmlns=\"http://www.w3.org/1999/xhtml\""), std::string::npos);
  EXPECT_NE(page.find("org &lt;&quot;Acme&quot; &amp; &#39;Co&#39;&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("href"), std::string::npos);
  EXPECT_EQ(count(page, "<svg xmlns=\"http://www.w3.org/2000/svg\""), 4u);
  for (const char* chart :
       {"data-chart=\"rate\"", "data-chart=\"latency\"", "data-chart=\"errors\"", "data-chart=\"revoked\""}) {
    EXPECT_EQ(count(page, chart), 1u) << chart;
  }
  EXPECT_EQ(page.find("data-chart=\"probes\""), std::string::npos);
  // Open loop: the offered line is drawn; errors and roles revoked are per
  // second, each on its own chart.
  EXPECT_NE(page.find("data-series=\"offered_per_s\""), std::string::npos);
  EXPECT_NE(page.find("data-series=\"errors_per_s\""), std::string::npos);
  EXPECT_NE(page.find("data-series=\"roles_revoked_per_s\""), std::string::npos);
  EXPECT_EQ(page.find("data-series=\"errors\""), std::string::npos);
  // The max is on the latency chart, labelled, and in a card.
  const std::string max = format_duration_ns(static_cast<double>(report.run->login_latency.max()));
  EXPECT_NE(page.find("data-series=\"max_us\""), std::string::npos);
  EXPECT_NE(page.find(">max " + max + "</text>"), std::string::npos) << max;
  EXPECT_NE(page.find("<div class=\"k\">login max</div><div class=\"v\">" + max + "</div>"), std::string::npos);
  // The verdict is at the top, before the first card, and says what
  // report_verdict() says.
  const Verdict verdict = report_verdict(report);
  const size_t banner = page.find(verdict.pass ? "<section class=\"verdict pass\" data-pass=\"true\">"
                                               : "<section class=\"verdict fail\" data-pass=\"false\">");
  ASSERT_NE(banner, std::string::npos);
  EXPECT_LT(banner, page.find("<div class=\"cards\">"));
  for (const std::string& reason : verdict.reasons()) {
    EXPECT_NE(page.find("<li class=\"reason\">" + xml_escaped(reason) + "</li>"), std::string::npos) << reason;
  }
  // Every text report row is in the summary table.
  for (const ReportRow& row : report_rows(report)) {
    EXPECT_NE(page.find("<th>" + row.name + "</th>"), std::string::npos) << row.name;
  }
}

// A closed-loop replay of 3,000 events on 2 threads, reported.
SimulationReport closed_loop_report(Rig& rig) {
  ReplayOptions options;
  options.threads = 2;
  options.events = 3000;
  SimulationReport report;
  report.run = replay(rig.engine, rig.generator, options);
  return report;
}

TEST(SimulatorReportHtml, ClosedLoopHasNoOfferedLine) {
  Rig rig(small_options());
  const SimulationReport report = closed_loop_report(rig);
  ASSERT_FALSE(report.run->open_loop);
  const std::string page = format_report_html(report);
  EXPECT_NE(page.find("data-series=\"served_per_s\""), std::string::npos);
  EXPECT_EQ(page.find("data-series=\"offered_per_s\""), std::string::npos);
  EXPECT_NE(page.find("<title id=\"chart-rate-title\">Served rate</title>"), std::string::npos);
}

TEST(SimulatorReportHtml, VerdictOfATightAndALooseTarget) {
  // No timing in the asserts: no login takes under 1 ns, and none takes an hour.
  Rig rig(small_options());
  SimulationReport report = closed_loop_report(rig);
  report.options.p99_given = true;
  report.options.p99_target_seconds = 1e-9;
  std::string page = format_report_html(report);
  EXPECT_FALSE(report_verdict(report).pass);
  EXPECT_NE(page.find("<div class=\"word\">FAIL</div>"), std::string::npos);
  EXPECT_NE(format_report_text(report).find("verdict          FAIL: p99 "), std::string::npos)
      << format_report_text(report);
  report.options.p99_target_seconds = 3600;
  page = format_report_html(report);
  EXPECT_TRUE(report_verdict(report).pass);
  EXPECT_NE(page.find("<div class=\"word\">PASS</div>"), std::string::npos);
  report.options.json = true;
  EXPECT_NE(format_report_json(report).find("{\"verdict\": {\"pass\": true, \"headline\": \"PASS: p99 "),
            std::string::npos);
}

TEST(SimulatorReportHtml, PageOfACapacitySearch) {
  SimulationReport report;
  report.options.p99_target_seconds = 0.002;
  CapacityResult c;
  c.closed_loop_throughput = 100000;
  c.probes = {{0, 100000, 100000, 1000, 5000, 9000, false},
              {70000, 70000, 69000, 2000, 1'500'000, 1'900'000, true},
              {85000, 85000, 70000, 9000, 40'000'000, 50'000'000, false}};
  c.capacity = 70000;
  c.series_rate = 70000;
  c.series.window_seconds = 0.016;
  c.closed_loop_after = 80000;  // 20% apart: not trustworthy
  c.caveat = assess_capacity_search({100000, 80000, 9000, 70000, 0.002});
  c.series.windows = {{0, 0.016, 1120, 1100, 1000, 2, 7, 70000, 68750, 125, 437.5, 2000, 1'500'000, 1'900'000, 2'500'000},
                      {0.016, 0.016, 1120, 1140, 1100, 0, 3, 70000, 71250, 0, 187.5, 0, 0, 0, 0}};
  c.series.windows[1].logins = 0;  // no logins: no latency point
  report.capacity = c;
  const std::string page = format_report_html(report);
  std::string why;
  EXPECT_TRUE(balanced(page, &why)) << why;
  EXPECT_EQ(count(page, "<svg xmlns=\"http://www.w3.org/2000/svg\""), 5u);
  EXPECT_NE(page.find("data-series=\"passed\" data-x=\"70000.0\" data-y=\"1500.000\""), std::string::npos);
  EXPECT_NE(page.find("data-series=\"failed\" data-x=\"85000.0\" data-y=\"40000.000\""), std::string::npos);
  EXPECT_NE(page.find("data-series=\"target_p99_us\" data-y=\"2000.000\""), std::string::npos);
  EXPECT_NE(page.find("data-series=\"capacity\" data-x=\"70000.0\""), std::string::npos);
  EXPECT_NE(page.find("data-series=\"closed_loop\" data-x=\"100000.0\""), std::string::npos);
  EXPECT_NE(page.find("data-series=\"p99_us\" data-x=\"0.008000\" data-y=\"1500.000\""), std::string::npos);
  EXPECT_NE(page.find("data-series=\"max_us\" data-x=\"0.008000\" data-y=\"2500.000\""), std::string::npos);
  EXPECT_NE(page.find("data-series=\"errors_per_s\" data-x=\"0.008000 0.024000\" data-y=\"125.0 0.0\""),
            std::string::npos);
  EXPECT_NE(page.find("data-series=\"roles_revoked_per_s\" data-x=\"0.008000 0.024000\" data-y=\"437.5 187.5\""),
            std::string::npos);
  // The search found a rate: PASS; but the machine moved, and the page says so.
  EXPECT_NE(page.find("<div class=\"word\">PASS</div>"), std::string::npos);
  EXPECT_NE(page.find("<section class=\"caveat unsteady\" data-trustworthy=\"false\">"), std::string::npos);
  EXPECT_NE(page.find("100,000 events/s before the search and 80,000 after, 20.0% apart"), std::string::npos);
}

// The capacity page's probes near the capacity sit within a few pixels of
// each other: their labels must still not cover one another or a point.
TEST(SimulatorLabelLayout, CrowdedPointsGetSeparateLabels) {
  const LabelBox area{84, 60, 932, 322};
  std::vector<PointLabel> labels;
  for (int i = 0; i < 6; ++i) labels.push_back({700 + 2.0 * i, 200 - 1.5 * i, 7, 12});  // six probes in a heap
  labels.push_back({500, 250, 14, 12});
  const std::vector<PlacedLabel> placed = place_labels(labels, 5.5, area);
  ASSERT_EQ(placed.size(), labels.size());
  for (size_t i = 0; i < placed.size(); ++i) {
    const LabelBox& b = placed[i].box;
    EXPECT_GE(b.x0, area.x0);
    EXPECT_LE(b.x1, area.x1);
    EXPECT_GE(b.y0, area.y0);
    EXPECT_LE(b.y1, area.y1);
    EXPECT_NEAR(b.x1 - b.x0, labels[i].width, 1e-9);
    for (size_t j = 0; j < placed.size(); ++j) {
      if (j != i) {
        EXPECT_FALSE(b.overlaps(placed[j].box)) << i << " and " << j;
      }
      const LabelBox point{labels[j].x - 5.5, labels[j].y - 5.5, labels[j].x + 5.5, labels[j].y + 5.5};
      EXPECT_FALSE(b.overlaps(point)) << "label " << i << " covers point " << j;
    }
  }
  // A lone point keeps its label beside it (right-above), with no leader.
  EXPECT_FALSE(placed.back().leader);
  EXPECT_GT(placed.back().box.x0, 500);
  EXPECT_LT(placed.back().box.y1, 250);
  // Near the right edge, a label goes left instead of leaving the plot.
  const std::vector<PlacedLabel> edge = place_labels({{930, 200, 40, 12}}, 3, area);
  EXPECT_LE(edge[0].box.x1, area.x1);
  EXPECT_LT(edge[0].box.x1, 930);
  // The same input, the same layout.
  const std::vector<PlacedLabel> again = place_labels(labels, 5.5, area);
  for (size_t i = 0; i < placed.size(); ++i) EXPECT_EQ(again[i].box.x0, placed[i].box.x0);
}

TEST(SimulatorReportHtml, WritesWholeOrFails) {
  const std::string dir = ::testing::TempDir() + "report_html_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/r.html";
  ASSERT_TRUE(check_report_writable(path).ok());
  EXPECT_FALSE(std::filesystem::exists(path));  // the check leaves nothing behind
  ASSERT_TRUE(write_report_html(path, "<p>one</p>").ok());
  ASSERT_TRUE(write_report_html(path, "<p>two</p>").ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "<p>two</p>");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
  const Status bad = write_report_html(dir + "/missing/r.html", "x");
  EXPECT_EQ(bad.code(), ErrorCode::kIoError);
  EXPECT_NE(bad.message().find("missing/r.html"), std::string::npos) << bad.message();
  EXPECT_EQ(check_report_writable(dir + "/missing/r.html").code(), ErrorCode::kIoError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace claimmap::sim
