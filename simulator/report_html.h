// simulator/report_html.h — `claimmap simulate --report FILE.html`
// (docs/spec.md §11): the report as one self-contained page for a browser.
//
// The page is XHTML (well-formed XML in the XHTML namespace, with inline SVG
// in the SVG namespace), so an XML parser reads it as well as a browser does.
// Nothing comes from elsewhere: no script, no stylesheet, image or font file,
// no external link. It holds:
//   - the verdict first (report_verdict(), simulator/verdict.h: PASS or FAIL,
//     the reasons, the targets), and after --find-capacity whether the
//     search can be trusted (simulator/capacity_caveat.h);
//   - headline figures and the summary table (report_rows(): the same rows
//     as the text report);
//   - per time window of the run (simulator/series.h), every chart per
//     second: the served rate (and the offered rate, in open loop only);
//     login p50, p99, p99.9 and each window's max, the run's max labelled;
//     errors; roles revoked (each of those two on a chart of its own);
//   - after --find-capacity: every probe's offered rate against its p99, with
//     the target p99, the capacity found and the closed-loop ceiling drawn in
//     (the time charts are then of the probe at capacity); the probes'
//     numbers are placed clear of each other (simulator/label_layout.h).
//
// Every chart is an <svg data-chart="rate|latency|errors|revoked|probes">
// with a viewBox and width 100%. Each series in it is a <g class="series"
// data-series="KEY" data-x="…" data-y="…"> whose attributes list the plotted
// values, printed as the --json report prints them (docs/simulator.md), so a
// test can check the picture against the numbers.
#pragma once

#include <string>
#include <string_view>

#include "claimmap/status.h"
#include "simulator/report.h"

namespace claimmap::sim {

std::string format_report_html(const SimulationReport& report);

// Writes `page` to `path` durably and atomically (write_text_file_atomically,
// claimmap/service.h: a temporary file beside it, fsynced, renamed over it),
// so that `path` is never half written. kIoError naming `path` if it cannot.
Status write_report_html(const std::string& path, std::string_view page);
// Whether write_report_html(path, …) can write the page (a temporary file
// beside it, renamed over it: check_output_file, kReplaced): checked before
// a long run, so that a bad path fails at once. Creates nothing. kIoError
// naming the path and the reason if not.
Status check_report_writable(const std::string& path);

}  // namespace claimmap::sim
