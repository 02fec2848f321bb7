#include "cli/commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "claimmap/stream.h"

namespace claimmap::cli {
namespace {

int g_exit_code = 0;

int exit_code_for(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kOk: return 0;
    case ErrorCode::kIoError: return 1;
    default: return 2;
  }
}

void print_problems(const char* label, const std::vector<ConfigProblem>& problems) {
  for (const auto& p : problems) std::fprintf(stderr, "%s: %s\n", label, p.to_string().c_str());
}

// Loads a config, printing every error; nullopt (and the exit code set) on failure.
std::optional<Config> load_config_or_report(const std::string& path) {
  ConfigReport report;
  Result<Config> config = load_config_file(path, &report);
  if (!config.ok()) {
    print_problems("error", report.errors);
    std::fprintf(stderr, "%s: %s\n", path.c_str(), config.status().message().c_str());
    set_exit_code(exit_code_for(config.status()));
    return std::nullopt;
  }
  return config.value();
}

}  // namespace

int exit_code() { return g_exit_code; }
void set_exit_code(int code) { g_exit_code = code; }

void add_validate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "Check a config and print a summary; exit 2 with every error");
  auto path = std::make_shared<std::string>();
  cmd->add_option("CONFIG", *path, "config file (JSON)")->required();
  cmd->callback([path] {
    auto config = load_config_or_report(*path);
    if (!config) return;
    const ConfigReport& report = config->report();
    std::printf("%s: valid\n", path->c_str());
    std::printf("stages: %zu\nproviders: %zu\nroles: %zu\ngroups: %zu\nmappings: %zu (%zu active, %zu inactive)\n",
                report.stages, report.providers, report.roles, report.groups, report.mappings, report.active_mappings,
                report.mappings - report.active_mappings);
    std::printf("compiled tables: %zu bytes\n", config->compiled_bytes());
    for (const auto& p : report.inactive_mappings) std::printf("inactive: %s\n", p.to_string().c_str());
    for (const auto& p : report.warnings) std::printf("warning: %s\n", p.to_string().c_str());
  });
}

void add_eval_command(CLI::App& app) {
  struct Args {
    std::string config, state, save_state, output, input = "-";
    unsigned threads = 1;
    bool changes_only = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("eval", "Evaluate an NDJSON event stream and print per-event deltas");
  cmd->add_option("--config", args->config, "config file (JSON)")->required();
  cmd->add_option("--state", args->state, "load user state first (NDJSON, SPEC §9)");
  cmd->add_option("--save-state", args->save_state, "write the user state after the run");
  cmd->add_option("--threads", args->threads, "worker threads")->check(CLI::Range(1u, 256u));
  cmd->add_flag("--changes-only", args->changes_only, "print only lines that changed something, and errors");
  cmd->add_option("-o,--output", args->output, "output file (default stdout)");
  cmd->add_option("INPUT", args->input, "NDJSON events, or - for stdin");
  cmd->callback([args] {
    auto config = load_config_or_report(args->config);
    if (!config) return;
    Engine engine(*config);
    if (!args->state.empty()) {
      StateLoadReport report;
      if (Status s = engine.load_state_file(args->state, &report); !s.ok()) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return set_exit_code(exit_code_for(s));
      }
      std::fprintf(stderr, "state: %s\n", report.to_string().c_str());
    }
    int in_fd = 0;
    if (args->input != "-") {
      in_fd = ::open(args->input.c_str(), O_RDONLY | O_CLOEXEC);
      if (in_fd < 0) {
        std::perror(args->input.c_str());
        return set_exit_code(1);
      }
    }
    int out_fd = 1;
    if (!args->output.empty()) {
      out_fd = ::open(args->output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (out_fd < 0) {
        std::perror(args->output.c_str());
        return set_exit_code(1);
      }
    }
    StreamOptions options;
    options.changes_only = args->changes_only;
    options.threads = args->threads;
    StreamSummary summary;
    Status s = run_stream(engine, in_fd, out_fd, options, &summary);
    if (in_fd != 0) ::close(in_fd);
    if (out_fd != 1 && ::close(out_fd) != 0) s = Status(ErrorCode::kIoError, "cannot close " + args->output);
    std::fputs(summary.to_text().c_str(), stderr);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return set_exit_code(1);
    }
    if (!args->save_state.empty()) {
      if (Status w = engine.save_state_file(args->save_state); !w.ok()) {
        std::fprintf(stderr, "%s\n", w.message().c_str());
        return set_exit_code(exit_code_for(w));
      }
    }
  });
}

}  // namespace claimmap::cli
