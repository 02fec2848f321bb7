// `claimmap eval` (docs/spec.md §10, §7.6 for --reload-at).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tbb/task_arena.h>

#include "claimmap/paths.h"
#include "claimmap/service.h"
#include "claimmap/stream.h"
#include "cli/command.h"
#include "cli/flag_values.h"
#include "support/progress_bar.h"

namespace claimmap::cli {
namespace {

struct EvalArgs {
  std::string config, state, save_state, output, input = "-";
  std::vector<std::string> reload_at;
  unsigned threads = 1;
  bool changes_only = false;
  bool explain = false;
  bool no_progress = false;
  std::optional<int64_t> now;  // --now: the time signed tokens are checked against
};

// Every output is checked, and the input looked at, before anything is
// loaded: a path that cannot work fails at once (exit 1), not after a long
// state load, and a --save-state that cannot be written not after the run.
Status check_paths(const EvalArgs& args) {
  if (!args.output.empty()) {
    if (Status s = check_output_file(args.output, OutputWrite::kInPlace); !s.ok()) return s;
  }
  if (!args.save_state.empty()) {
    if (Status s = check_output_file(args.save_state, OutputWrite::kReplaced); !s.ok()) return s;
  }
  // A FIFO or a pipe is event input as good as a file (`eval <(gen)`); not
  // opened yet, since opening a FIFO waits for its writer.
  if (args.input != "-") return check_input_stream(args.input);
  struct stat st {};
  if (::fstat(0, &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status(ErrorCode::kIoError, "cannot read standard input: is a directory");
  }
  return Status();
}

// The event input, opened for reading: a file, a FIFO (the open waits for
// its writer, as a reader of a FIFO should) or a device; never a directory.
Result<int> open_input(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status(ErrorCode::kIoError, "cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  // Again on the open file: the path may have changed since check_paths().
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status(ErrorCode::kIoError, "cannot read " + path + ": is a directory");
  }
  return fd;
}

int run_eval(const EvalArgs& args) {
  if (Status s = check_paths(args); !s.ok()) return fail(s);
  OpenReport open;
  EngineOptions engine_options;
  engine_options.now_seconds = args.now;
  // The engine reads a state file on the threads of the TBB arena it is
  // opened in: --threads bounds the whole run, loading included.
  Result<std::unique_ptr<Engine>> engine = Status(ErrorCode::kInternal, "the engine was not opened");
  tbb::task_arena(static_cast<int>(args.threads == 0 ? 1 : args.threads)).execute([&] {
    engine = open_engine(args.config, args.state, &open, engine_options);
  });
  if (!engine.ok()) return fail(open.error_lines(engine.status()), engine.status());
  if (open.state_loaded) std::fprintf(stderr, "state: %s\n", open.state.to_string().c_str());

  StreamOptions options;
  options.changes_only = args.changes_only;
  options.explain = args.explain;
  options.threads = args.threads;
  // Every reload file is checked before any event is read (exit 2, all errors).
  std::vector<std::string> problems;
  Status first_failure;
  for (const std::string& spec : args.reload_at) {
    ConfigReport report;
    Result<ReloadPoint> point = parse_reload_point(spec, &report);
    if (point.ok()) {
      options.reloads.push_back(point.value());
      continue;
    }
    for (std::string& line : report.error_lines()) problems.push_back(std::move(line));
    problems.push_back(point.status().message());
    if (first_failure.ok()) first_failure = point.status();
  }
  if (!first_failure.ok()) return fail(problems, first_failure);

  int in_fd = 0;
  if (args.input != "-") {
    Result<int> opened = open_input(args.input);
    if (!opened.ok()) return fail(opened.status());
    in_fd = opened.value();
  }
  int out_fd = 1;
  if (!args.output.empty()) {
    out_fd = ::open(args.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      const Status s(ErrorCode::kIoError, "cannot write " + args.output + ": " + std::strerror(errno));
      if (in_fd != 0) ::close(in_fd);
      return fail(s);
    }
  }
  // A progress bar on a terminal when the input is a file of known size.
  std::atomic<uint64_t> bytes_done{0}, events_done{0};
  struct stat input_stat {};
  const bool show_progress = !args.no_progress && in_fd != 0 && support::stderr_is_terminal() &&
                             ::fstat(in_fd, &input_stat) == 0 && S_ISREG(input_stat.st_mode);
  if (show_progress) {
    options.progress_bytes = &bytes_done;
    options.progress_events = &events_done;
  }
  support::ProgressBar bar(show_progress, "eval", static_cast<uint64_t>(input_stat.st_size), &bytes_done,
                           support::ProgressStyle{true, &events_done});
  StreamSummary summary;
  Status s = run_stream(*engine.value(), in_fd, out_fd, options, &summary);
  bar.stop();
  if (in_fd != 0) ::close(in_fd);
  if (out_fd != 1 && ::close(out_fd) != 0 && s.ok()) s = Status(ErrorCode::kIoError, "cannot close " + args.output);
  std::fputs(summary.to_text().c_str(), stderr);
  if (!s.ok()) return fail(s);
  if (!args.save_state.empty()) {
    if (Status w = engine.value()->save_state_file(args.save_state); !w.ok()) return fail(w);
  }
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Evaluate an NDJSON event stream and print per-event deltas");
  cmd->add_option("--config", args->config, "config file (JSON)")->required();
  cmd->add_option("--state", args->state, "load user state first (NDJSON or binary snapshot)");
  cmd->add_option("--save-state", args->save_state, "write the user state after the run (.ndjson: NDJSON)");
  cmd->add_option("--threads", args->threads, "worker threads")->check(CLI::Range(1u, 256u));
  cmd->add_flag("--changes-only", args->changes_only, "print only lines that changed something, and errors");
  cmd->add_flag("--explain", args->explain,
                "add to each line with a delta why: mappings and claim values, removal reasons, role sources (docs/spec.md §17)");
  cmd->add_option("--reload-at", args->reload_at, "N=FILE: reload config FILE just before input line N (repeatable)")
      ->allow_extra_args(false)
      ->take_all();
  cmd->add_flag("--no-progress", args->no_progress, "no progress bar, even on a terminal");
  add_now_option(cmd, &args->now);
  cmd->add_option("-o,--output", args->output, "output file, or - for stdout (the default)");
  cmd->add_option("INPUT", args->input, "NDJSON events, or - for stdin");
  return {cmd, [args] {
            // "-o -" is standard output, as INPUT "-" is standard input (not
            // a file named "-", which no user means).
            if (args->output == "-") args->output.clear();
            return run_eval(*args);
          }};
}

}  // namespace claimmap::cli
