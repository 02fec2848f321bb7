// `claimmap worker` (docs/spec.md §14, docs/scaleout.md): a member of the
// group on NATS JetStream; --export-state / --export-deltas read the group's
// state and results. Wiring only: worker/worker.h, worker/group_export.h.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "claimmap/paths.h"
#include "claimmap/service.h"
#include "cli/command.h"
#include "cli/flag_values.h"
#include "worker/group_export.h"
#include "worker/worker.h"

namespace claimmap::cli {
namespace {

// An export's output, checked before the group is read ("-": stdout).
Status check_export_output(const std::string& path) {
  return path == "-" ? Status() : check_output_file(path, OutputWrite::kInPlace);
}

int write_output(const std::string& path, const std::string& text) {
  if (path == "-") return write_stdout(text) ? 0 : 1;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::fprintf(stderr, "cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    return 1;
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int write_error = errno;
  if (std::fclose(f) != 0 || !written) {
    std::fprintf(stderr, "cannot write %s: %s\n", path.c_str(), std::strerror(written ? errno : write_error));
    return 1;
  }
  return 0;
}

}  // namespace

Command add_worker_command(CLI::App& app) {
  struct Args {
    scaleout::WorkerOptions options;
    double lease_ttl_s = 5, checkpoint_interval_s = 10, metrics_every_s = 2;
    double events_dedup_s = 120, deltas_dedup_s = 600;
    std::string export_state, export_deltas;
    std::string metrics_token_file;
  };
  auto args = std::make_shared<Args>();
  args->options.nats_url = "nats://127.0.0.1:4222";
  auto* cmd = app.add_subcommand("worker", "Serve partitions of an event stream from NATS JetStream, as a group");
  cmd->add_option("--nats", args->options.nats_url, "NATS server URL(s), comma-separated (default nats://127.0.0.1:4222)");
  cmd->add_option("--config", args->options.config_path, "the group's base config (before any reload marker)");
  cmd->add_option("--partitions", args->options.partitions, "number of partitions of the group")
      ->check(CLI::Range(1u, 4096u));
  cmd->add_option("--name", args->options.name, "this worker's name in the group (default HOST-PID)");
  cmd->add_option("--lease-ttl", args->lease_ttl_s, "seconds a lease outlives its worker, if the bucket is created now (default 5)")
      ->check(CLI::Range(0.2, 3600.0));
  cmd->add_option("--checkpoint-every", args->options.runner.checkpoint_events, "checkpoint a partition every N events (default 50000)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  cmd->add_option("--checkpoint-interval", args->checkpoint_interval_s, "… or every T seconds with something new (default 10)")
      ->check(CLI::Range(0.05, 86400.0));
  cmd->add_option("--fetch-batch", args->options.runner.fetch_batch, "messages fetched at once (default 512)")
      ->check(CLI::Range(1, 65536));
  cmd->add_option("--max-partitions", args->options.max_partitions, "never own more than N partitions");
  cmd->add_flag("--explain", args->options.runner.explain,
                "result lines carry why (docs/spec.md §17); give every worker of the group the same");
  cmd->add_option("--metrics-file", args->options.metrics_file, "write Prometheus metrics here (atomically) every few seconds");
  auto* metrics_listen = cmd->add_option("--metrics-listen", args->options.metrics_listen,
                                         "serve GET /metrics (the server's metric families and the worker's) on HOST:PORT");
  // The endpoint over HTTPS (docs/server.md "TLS"): the pair goes together.
  auto* metrics_cert = cmd->add_option("--metrics-tls-cert", args->options.metrics_tls.cert_file,
                                       "serve --metrics-listen over HTTPS only, with this PEM certificate (chain)");
  auto* metrics_key = cmd->add_option("--metrics-tls-key", args->options.metrics_tls.key_file,
                                      "the PEM private key of --metrics-tls-cert (unencrypted)");
  metrics_cert->needs(metrics_key)->needs(metrics_listen);
  cmd->add_option("--metrics-token-file", args->metrics_token_file,
                  "GET /metrics of --metrics-listen needs the bearer token on this file's first line")
      ->needs(metrics_listen);
  metrics_key->needs(metrics_cert);
  cmd->add_option("--metrics-every", args->metrics_every_s, "seconds between metrics file writes (default 2)")
      ->check(CLI::Range(0.1, 3600.0));
  cmd->add_option("--replicas", args->options.settings.replicas, "replicas of streams and buckets created now (default 1)")
      ->check(CLI::Range(1, 5));
  cmd->add_option("--dedup-window", args->events_dedup_s, "events stream de-duplication window in seconds, if created now");
  cmd->add_option("--results-dedup-window", args->deltas_dedup_s, "deltas stream de-duplication window in seconds, if created now");
  cmd->add_option("--export-state", args->export_state,
                  "do not join: write the group's state now (every partition's last checkpoint, the events after it replayed; NDJSON) to FILE or -");
  cmd->add_option("--export-deltas", args->export_deltas,
                  "do not join: write every result line stored on claimmap.deltas.* to FILE or -");
  return {cmd, [args] {
            scaleout::WorkerOptions o = args->options;
            if (!args->export_state.empty()) {
              if (Status s = check_export_output(args->export_state); !s.ok()) return fail(s);
              std::string text;
              uint64_t users = 0, replayed = 0;
              if (Status s = scaleout::export_group_state(o.nats_url, o.partitions, o.config_path, &text, &users, &replayed);
                  !s.ok()) {
                return fail(s);
              }
              std::fprintf(stderr, "export: %llu users (%llu events replayed after the partitions' checkpoints)\n",
                           static_cast<unsigned long long>(users), static_cast<unsigned long long>(replayed));
              return write_output(args->export_state, text);
            }
            if (!args->export_deltas.empty()) {
              if (Status s = check_export_output(args->export_deltas); !s.ok()) return fail(s);
              std::string text;
              uint64_t lines = 0;
              if (Status s = scaleout::export_group_deltas(o.nats_url, &text, &lines); !s.ok()) return fail(s);
              std::fprintf(stderr, "export: %llu result lines\n", static_cast<unsigned long long>(lines));
              return write_output(args->export_deltas, text);
            }
            if (o.config_path.empty() || o.partitions == 0) {
              std::fprintf(stderr, "worker: --config and --partitions are required (unless --export-state or --export-deltas)\n");
              return 2;
            }
            // Written every few seconds through a temp file and a rename
            // (worker/worker.cc), and otherwise only logged when it fails:
            // a path that cannot work stops the worker before it joins.
            if (!o.metrics_file.empty()) {
              if (Status s = check_output_file(o.metrics_file, OutputWrite::kReplaced); !s.ok()) {
                return fail({"--metrics-file: " + s.message()}, s);
              }
            }
            if (!args->metrics_token_file.empty()) {
              Result<std::string> token = read_token_file(args->metrics_token_file);
              if (!token.ok()) return fail({"--metrics-token-file: " + token.status().message()}, token.status());
              o.metrics_token = token.value();
            }
            o.settings.lease_ttl_ms = static_cast<int64_t>(std::llround(args->lease_ttl_s * 1000));
            o.settings.events_dedup_ms = static_cast<int64_t>(std::llround(args->events_dedup_s * 1000));
            o.settings.deltas_dedup_ms = static_cast<int64_t>(std::llround(args->deltas_dedup_s * 1000));
            o.runner.checkpoint_ms = static_cast<int64_t>(std::llround(args->checkpoint_interval_s * 1000));
            o.metrics_every_ms = static_cast<int64_t>(std::llround(args->metrics_every_s * 1000));
            scaleout::install_worker_signal_handlers();
            std::vector<std::string> problems;
            Status s = scaleout::run_worker(o, &problems);
            if (!s.ok()) {
              problems.push_back(s.message());
              return fail(problems, s);
            }
            return 0;
          }};
}

}  // namespace claimmap::cli
