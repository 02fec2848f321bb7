// claimmap: argument parsing and wiring only; every behaviour is the engine's.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ClaimMap: login-time claim mapping engine"};
  app.require_subcommand(1);
  claimmap::cli::add_validate_command(app);
  claimmap::cli::add_eval_command(app);
  claimmap::cli::add_simulate_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Bad usage is exit 2 (SPEC §10); --help is a success.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return claimmap::cli::exit_code();
}
