// `claimmap diff` (docs/spec.md §7.7): a config change's impact, applied to
// nothing on disk.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "claimmap/impact.h"
#include "claimmap/paths.h"
#include "claimmap/service.h"
#include "cli/command.h"

namespace claimmap::cli {
namespace {

struct DiffArgs {
  std::string config, new_config, state, replay;
  bool explain = false;
  std::optional<int64_t> now;  // --now: the time the replay's signed tokens are checked against
};

int run_diff(const DiffArgs& args) {
  // The files read after the state (which can take long to load) are
  // looked at first, so that a bad path fails at once.
  for (const std::string* path : {&args.new_config, &args.replay}) {
    if (path->empty()) continue;
    if (Status s = check_input_file(*path); !s.ok()) return fail(s);
  }
  OpenReport open;
  EngineOptions engine_options;
  engine_options.now_seconds = args.now;
  Result<std::unique_ptr<Engine>> engine = open_engine(args.config, args.state, &open, engine_options);
  if (!engine.ok()) return fail(open.error_lines(engine.status()), engine.status());
  if (open.state.dropped() > 0 || open.state.users_without_provider > 0) {
    std::fprintf(stderr, "state: %s\n", open.state.to_string().c_str());
  }
  OpenReport next_report;
  next_report.config_path = args.new_config;
  Result<Config> next = load_config_file(args.new_config, &next_report.config);
  if (!next.ok()) return fail(next_report.error_lines(next.status()), next.status());
  std::string replay_text;
  if (!args.replay.empty()) {
    Result<std::string> text = read_text_file(args.replay);
    if (!text.ok()) return fail(text.status());
    replay_text = std::move(text.value());
  }
  const std::string_view replay_view(replay_text);
  // The engine is this command's own copy of the state: nothing is saved.
  Result<ImpactReport> impact =
      analyse_change(*engine.value(), next.value(), args.replay.empty() ? nullptr : &replay_view,
                     DeltaOptions{args.explain});
  if (!impact.ok()) return fail(impact.status());
  if (!write_stdout(impact.value().to_ndjson())) return 1;
  std::fputs(impact.value().summary_text().c_str(), stderr);
  return impact.value().has_lockout() ? 3 : 0;
}

}  // namespace

Command add_diff_command(CLI::App& app) {
  auto args = std::make_shared<DiffArgs>();
  auto* cmd = app.add_subcommand(
      "diff", "Show what a new config would revoke, and any lockout, without applying it (exit 3 on a lockout)");
  cmd->add_option("--config", args->config, "the config in force (JSON)")->required();
  cmd->add_option("--new-config", args->new_config, "the config to test (JSON)")->required();
  cmd->add_option("--state", args->state, "the user state (NDJSON or binary snapshot)")->required();
  cmd->add_option("--replay", args->replay, "NDJSON logins to evaluate after the change");
  cmd->add_flag("--explain", args->explain, "add to each reload and replay line why (docs/spec.md §17)");
  add_now_option(cmd, &args->now);
  return {cmd, [args] { return run_diff(*args); }};
}

}  // namespace claimmap::cli
