#include "cli/commands.h"

namespace claimmap::cli {

// Registered by the simulator work (issue 6); until then the command does not exist.
void add_simulate_command(CLI::App&) {}

}  // namespace claimmap::cli
