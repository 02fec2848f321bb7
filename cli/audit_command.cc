// `claimmap audit` (docs/spec.md §17): least-privilege and lockout findings
// of a config and its state as NDJSON, a summary on stderr.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "claimmap/service.h"
#include "cli/command.h"
#include "claimmap/paths.h"
#include "support/audit_page.h"

namespace claimmap::cli {
namespace {

struct AuditArgs {
  std::string config, state, replay, report_html;
  std::optional<int64_t> now;  // --now: the time the replay's signed tokens are checked against
};

int run_audit(const AuditArgs& args) {
  // A page that cannot be written fails now, not after the walk.
  if (!args.report_html.empty()) {
    if (Status s = check_output_file(args.report_html, OutputWrite::kReplaced); !s.ok()) return fail(s);
  }
  OpenReport open;
  EngineOptions engine_options;
  engine_options.now_seconds = args.now;
  Result<std::unique_ptr<Engine>> engine = open_engine(args.config, args.state, &open, engine_options);
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
  if (!args.report_html.empty()) {
    const std::string page = support::render_audit_page({args.config, args.state, &report});
    if (Status s = write_text_file_atomically(args.report_html, page); !s.ok()) return fail(s);
    std::fprintf(stderr, "audit page: %s\n", args.report_html.c_str());
  }
  return write_stdout(report.to_ndjson()) ? 0 : 1;
}

}  // namespace

Command add_audit_command(CLI::App& app) {
  auto args = std::make_shared<AuditArgs>();
  auto* cmd = app.add_subcommand("audit", "Find over-granted, unused and fragile parts of a config and its state");
  cmd->add_option("--config", args->config, "config file (JSON)")->required();
  cmd->add_option("--state", args->state, "the user state (NDJSON or binary snapshot)")->required();
  cmd->add_option("--replay", args->replay, "login lines (NDJSON): a mapping they match is in use");
  add_now_option(cmd, &args->now);
  cmd->add_option("--report", args->report_html, "also write a self-contained page (who holds each app, and how) to FILE.html");
  return {cmd, [args] { return run_audit(*args); }};
}

}  // namespace claimmap::cli
