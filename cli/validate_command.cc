// `claimmap validate CONFIG` (docs/spec.md §10).
#include <cstdio>
#include <memory>

#include "claimmap/config.h"
#include "claimmap/service.h"
#include "cli/command.h"

namespace claimmap::cli {

// validate's config, reachable until the process exits (see its end). A
// global with external linkage, so the store cannot be optimised away and
// a leak checker (`make asan`) finds the tables from a root: a
// function-local static the compiler saw unread was dropped, and LSan
// reported the tables as leaked.
const Config* validated_config_kept_until_exit = nullptr;

Command add_validate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "Check a config and print a summary; exit 2 with every error");
  auto path = std::make_shared<std::string>();
  cmd->add_option("CONFIG", *path, "config file (JSON)")->required();
  return {cmd, [path] {
            ConfigReport report;
            Result<Config> config = load_config_file(*path, &report);
            if (!config.ok()) {
              OpenReport open;
              open.config_path = *path;
              open.config = report;
              return fail(open.error_lines(config.status()), config.status());
            }
            std::printf("%s: valid\n", path->c_str());
            std::printf(
                "stages: %zu\nproviders: %zu\nroles: %zu\ngroups: %zu\nmappings: %zu (%zu active, %zu inactive)\n",
                report.stages, report.providers, report.roles, report.groups, report.mappings,
                report.active_mappings, report.mappings - report.active_mappings);
            std::printf("compiled tables: %zu bytes\n", config.value().compiled_bytes());
            // docs/spec.md §16: each provider's mappings by match kind.
            for (const ProviderMatchSummary& m : report.match_summary) {
              std::printf("provider %s: mappings %zu exact, %zu prefix, %zu glob, %zu regex (%zu templates); "
                          "%zu login requirements; %s\n",
                          m.provider.c_str(), m.exact, m.prefix, m.glob, m.regex, m.templates, m.require_rules,
                          m.never_match == 0 ? "every pattern can match"
                                             : (std::to_string(m.never_match) + " can never match (see warnings)").c_str());
            }
            for (const auto& p : report.inactive_mappings) std::printf("inactive: %s\n", p.to_string().c_str());
            for (const auto& p : report.warnings) std::printf("warning: %s\n", p.to_string().c_str());
            // The process ends next: its tables (hundreds of MB at a million
            // mappings) are left to the OS, which drops them whole, rather
            // than freed block by block (as compilers skip freeing their ASTs).
            validated_config_kept_until_exit = new Config(std::move(config).value());
            return 0;
          }};
}

}  // namespace claimmap::cli
