// `claimmap audit` (docs/spec.md §17): least-privilege and lockout findings
// of a config and its state as NDJSON, a summary on stderr.
#include <cstdio>
#include <memory>
#include <string>

#include "claimmap/service.h"
#include "cli/command.h"

namespace claimmap::cli {
namespace {

struct AuditArgs {
  std::string config, state, replay;
};

int run_audit(const AuditArgs& args) {
  OpenReport open;
  Result<std::unique_ptr<Engine>> engine = open_engine(args.config, args.state, &open);
  if (!engine.ok()) return fail(open.error_lines(engine.status()), engine.status());
  std::string replay_text;
  if (!args.replay.empty()) {
    Result<std::string> text = read_text_file(args.replay);
    if (!text.ok()) return fail(text.status());
    replay_text = std::move(text.value());
  }
  const std::string_view replay = replay_text;
  const AuditReport report = engine.value()->audit(args.replay.empty() ? nullptr : &replay);
  std::fputs(report.summary_text().c_str(), stderr);
  return write_stdout(report.to_ndjson()) ? 0 : 1;
}

}  // namespace

Command add_audit_command(CLI::App& app) {
  auto args = std::make_shared<AuditArgs>();
  auto* cmd = app.add_subcommand("audit", "Find over-granted, unused and fragile parts of a config and its state");
  cmd->add_option("--config", args->config, "config file (JSON)")->required();
  cmd->add_option("--state", args->state, "the user state (NDJSON or binary snapshot)")->required();
  cmd->add_option("--replay", args->replay, "login lines (NDJSON): a mapping they match is in use");
  return {cmd, [args] { return run_audit(*args); }};
}

}  // namespace claimmap::cli
