// simulator/report.h — the figures of one simulation, as a table for a
// person or JSON for CI (the same figures in both).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulator/capacity.h"
#include "simulator/replay.h"
#include "simulator/simulate.h"
#include "simulator/verdict.h"

namespace claimmap::sim {

struct SimulationReport {
  SimulateOptions options;
  unsigned threads = 1;
  std::string organisation;  // Generator::describe()
  std::string signing = "unsigned";  // signing_description(): which algorithm signed the logins
  size_t mappings = 0, active_mappings = 0;
  // The generated config's mappings by `match` and its templates and login
  // requirements (docs/spec.md §16), as load_config counted them, and the
  // groups the organisation made for its templates to name.
  size_t exact_mappings = 0, prefix_mappings = 0, glob_mappings = 0, regex_mappings = 0;
  size_t template_mappings = 0, template_groups = 0, require_rules = 0;
  double setup_seconds = 0;       // generating the organisation and users' state
  double config_load_seconds = 0;  // load_config: validating and compiling the generated config
  double state_load_seconds = 0;  // Engine::import_state
  uint64_t users_loaded = 0;
  // Memory: the engine's own count of its user state, and the process RSS.
  uint64_t state_bytes = 0, users = 0;
  uint64_t rss_bytes = 0;
  uint64_t rss_growth_loading_state = 0;
  std::optional<ReplayResult> run;
  std::optional<CapacityResult> capacity;

  double bytes_per_user() const { return users ? static_cast<double>(state_bytes) / users : 0; }
};

// Whether the run (or the capacity search) met its targets
// (simulator/verdict.h): the first rows of the text report, the top of the
// page, the --json report's "verdict".
Verdict report_verdict(const SimulationReport& report);

std::string format_report_text(const SimulationReport& report);
std::string format_report_json(const SimulationReport& report);

// The text report is its heading line ("claimmap simulate: closed loop, 8
// threads, seed 42") and then these rows (name, value), which the --report
// page (simulator/report_html.h) shows as its summary table.
struct ReportRow {
  std::string name, value;
};
std::string report_heading(const SimulationReport& report);
std::vector<ReportRow> report_rows(const SimulationReport& report);

// Resident set size of this process now, from /proc/self/statm (0 if unknown).
uint64_t current_rss_bytes();

}  // namespace claimmap::sim
