// One `claimmap` subcommand (docs/spec.md §10): each file in cli/ registers
// its options on the CLI11 app and returns how to run it. Running returns the
// process exit code: 0 done (per-line errors included), 1 I/O failure, 2 bad
// usage, config or state, 3 a lockout found by `diff`. Parsing and wiring
// only: every behaviour is the engine's (include/claimmap/).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "claimmap/status.h"

namespace claimmap::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_validate_command(CLI::App& app);  // cli/validate_command.cc
Command add_eval_command(CLI::App& app);      // cli/eval_command.cc
Command add_diff_command(CLI::App& app);      // cli/diff_command.cc
Command add_who_has_command(CLI::App& app);   // cli/who_has_command.cc
Command add_explain_command(CLI::App& app);   // cli/explain_command.cc
Command add_audit_command(CLI::App& app);     // cli/audit_command.cc
Command add_state_command(CLI::App& app);     // cli/state_command.cc
Command add_simulate_command(CLI::App& app);  // cli/simulate_command.cc
Command add_serve_command(CLI::App& app);     // cli/serve_command.cc
Command add_publish_command(CLI::App& app);   // cli/publish_command.cc
Command add_worker_command(CLI::App& app);    // cli/worker_command.cc

// Restarts the process once with glibc's malloc on transparent huge pages,
// unless it runs for days (serve, worker) or was told not to; returns when
// it does not restart (cli/huge_page_malloc.cc).
void restart_with_huge_page_malloc(int argc, char** argv);

// Prints `lines` to stderr, one a line, and returns exit_code_for(status).
int fail(const std::vector<std::string>& lines, const Status& status);
int fail(const Status& status);

// Writes all of `text` to stdout; false (after printing why) on failure.
bool write_stdout(const std::string& text);

// `--now EPOCH_SECONDS` (docs/spec.md §15): the time signed tokens are
// checked against instead of the wall clock, so that output is reproducible.
inline CLI::Option* add_now_option(CLI::App* cmd, std::optional<int64_t>* now) {
  return cmd->add_option_function<int64_t>(
                "--now", [now](const int64_t& seconds) { *now = seconds; },
                "check signed tokens' exp and nbf against this time (seconds since 1970) instead of the clock")
      ->check(CLI::Range(int64_t{0}, int64_t{253402300799}));  // to 9999-12-31
}

}  // namespace claimmap::cli
