// claimmap: argument parsing and wiring only; every behaviour is the engine's.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/exit_code.h"

namespace claimmap::cli {

int fail(const std::vector<std::string>& lines, const Status& status) {
  for (const std::string& line : lines) std::fprintf(stderr, "%s\n", line.c_str());
  return exit_code_for(status);
}

int fail(const Status& status) { return fail({status.message()}, status); }

bool write_stdout(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(1, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "cannot write output: %s\n", std::strerror(errno));
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace claimmap::cli

int main(int argc, char** argv) {
  using namespace claimmap::cli;
  restart_with_huge_page_malloc(argc, argv);
  CLI::App app{"ClaimMap: login-time claim mapping engine (docs/spec.md)"};
  app.set_version_flag("--version", "claimmap " CLAIMMAP_VERSION);
  app.require_subcommand(1);
  const Command commands[] = {add_validate_command(app), add_eval_command(app), add_diff_command(app),
                              add_who_has_command(app), add_explain_command(app), add_audit_command(app), add_state_command(app),
                              add_simulate_command(app), add_serve_command(app), add_publish_command(app),
                              add_worker_command(app)};
  // A missing or unknown command is named, with the list (CLI11 would only
  // say "A subcommand is required").
  std::string names;
  bool known = false;
  for (const Command& command : commands) {
    names += (names.empty() ? "" : ", ") + command.app->get_name();
    known = known || (argc > 1 && command.app->get_name() == argv[1]);
  }
  if (argc < 2) {
    std::fprintf(stderr, "claimmap: a command is required: %s (claimmap COMMAND --help)\n", names.c_str());
    return 2;
  }
  if (!known && argv[1][0] != '-') {
    std::fprintf(stderr, "claimmap: unknown command \"%s\"; the commands are: %s (claimmap --help)\n", argv[1],
                 names.c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Bad usage is exit 2 (docs/spec.md §10); --help is a success.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  for (const Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return 2;
}
