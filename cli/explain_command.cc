// `claimmap explain` (docs/spec.md §17): one user's effective groups with
// their provenance and effective roles with their sources.
#include <cstdio>
#include <memory>
#include <string>

#include "claimmap/service.h"
#include "cli/command.h"

namespace claimmap::cli {
namespace {

struct ExplainArgs {
  std::string config, state, provider, subject;
};

int run_explain(const ExplainArgs& args) {
  OpenReport open;
  Result<std::unique_ptr<Engine>> engine = open_engine(args.config, args.state, &open);
  if (!engine.ok()) return fail(open.error_lines(engine.status()), engine.status());
  std::optional<UserExplanation> user = engine.value()->explain_user(args.provider, args.subject);
  if (!user && !engine.value()->config().has_provider(args.provider)) {
    std::fprintf(stderr, "explain: no provider \"%s\" in %s\n", args.provider.c_str(), args.config.c_str());
    return 2;
  }
  if (!user) {
    std::fprintf(stderr, "explain: no user with subject \"%s\" for provider \"%s\" in %s\n", args.subject.c_str(),
                 args.provider.c_str(), args.state.c_str());
    return 2;
  }
  return write_stdout(user->to_json()) ? 0 : 1;
}

}  // namespace

Command add_explain_command(CLI::App& app) {
  auto args = std::make_shared<ExplainArgs>();
  auto* cmd = app.add_subcommand("explain", "Show why one user holds each of its groups and roles");
  cmd->add_option("--config", args->config, "config file (JSON)")->required();
  cmd->add_option("--state", args->state, "the user state (NDJSON or binary snapshot)")->required();
  cmd->add_option("--provider", args->provider, "the user's provider id")->required();
  cmd->add_option("--subject", args->subject, "the user's subject")->required();
  return {cmd, [args] { return run_explain(*args); }};
}

}  // namespace claimmap::cli
