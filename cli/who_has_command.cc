// `claimmap who-has` (docs/spec.md §7.8): who holds a role, an app or a
// group, and through what.
#include <cstdio>
#include <memory>
#include <string>

#include "claimmap/service.h"
#include "cli/command.h"

namespace claimmap::cli {
namespace {

struct WhoHasArgs {
  std::string config, state, role, app, group;
};

int run_who_has(const WhoHasArgs& args) {
  if (args.role.empty() + args.app.empty() + args.group.empty() != 2) {
    std::fprintf(stderr, "who-has: give one of --role, --app or --group\n");
    return 2;
  }
  AccessQuery query;
  if (!args.role.empty()) query = {AccessQuery::Kind::kRole, args.role};
  if (!args.app.empty()) query = {AccessQuery::Kind::kApp, args.app};
  if (!args.group.empty()) query = {AccessQuery::Kind::kGroup, args.group};
  OpenReport open;
  Result<std::unique_ptr<Engine>> engine = open_engine(args.config, args.state, &open);
  if (!engine.ok()) return fail(open.error_lines(engine.status()), engine.status());
  Result<std::vector<AccessHolder>> holders = engine.value()->who_has(query);
  if (!holders.ok()) return fail(holders.status());
  std::string out;
  for (const AccessHolder& h : holders.value()) append_ndjson(h, query.kind, &out);
  return write_stdout(out) ? 0 : 1;
}

}  // namespace

Command add_who_has_command(CLI::App& app) {
  auto args = std::make_shared<WhoHasArgs>();
  auto* cmd = app.add_subcommand("who-has", "List the users holding a role, an app or a group, and how");
  cmd->add_option("--config", args->config, "config file (JSON)")->required();
  cmd->add_option("--state", args->state, "the user state (NDJSON or binary snapshot)")->required();
  auto* role = cmd->add_option("--role", args->role, "a role id");
  auto* app_option = cmd->add_option("--app", args->app, "an app: every role of it");
  auto* group = cmd->add_option("--group", args->group, "a group id");
  role->excludes(app_option)->excludes(group);
  app_option->excludes(group);
  return {cmd, [args] { return run_who_has(*args); }};
}

}  // namespace claimmap::cli
