// The subcommands of `claimmap` (SPEC §10). Each registers its options on the
// CLI11 app and a callback that runs it and records the process exit code:
// 0 done (per-line errors included), 1 I/O failure, 2 bad usage or config.
#pragma once

#include <CLI/CLI.hpp>

namespace claimmap::cli {

void add_validate_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_simulate_command(CLI::App& app);  // cli/simulate_command.cc

int exit_code();
void set_exit_code(int code);

}  // namespace claimmap::cli
