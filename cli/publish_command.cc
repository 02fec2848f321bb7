// `claimmap publish` (docs/spec.md §14, docs/scaleout.md): an event stream
// into JetStream, and reload markers. Wiring only: worker/publisher.h.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "claimmap/paths.h"
#include "cli/command.h"
#include "worker/publisher.h"

namespace claimmap::cli {

Command add_publish_command(CLI::App& app) {
  struct Args {
    scaleout::PublishOptions options;
    std::string input;
    double events_dedup_s = 120, deltas_dedup_s = 600;
  };
  auto args = std::make_shared<Args>();
  args->options.nats_url = "nats://127.0.0.1:4222";
  auto* cmd = app.add_subcommand("publish", "Publish an event stream (and reload markers) to NATS JetStream partitions");
  cmd->add_option("--nats", args->options.nats_url, "NATS server URL(s), comma-separated (default nats://127.0.0.1:4222)");
  cmd->add_option("--partitions", args->options.partitions, "number of partitions of the group")
      ->required()
      ->check(CLI::Range(1u, 4096u));
  cmd->add_option("--config", args->options.reload_config,
                  "NEW: append a reload marker to every partition (before INPUT's lines, if any)");
  cmd->add_option("--routing-config", args->options.routing_config,
                  "route lines by this config instead of the group's current one");
  cmd->add_option("--seed-state", args->options.seed_state,
                  "S: the group's initial state (either form), split into each partition's first checkpoint");
  cmd->add_option("--first-seq", args->options.first_seq,
                  "number the first line N (default: after the last line already in the stream)");
  cmd->add_option("--replicas", args->options.settings.replicas, "replicas of streams created now (default 1)")
      ->check(CLI::Range(1, 5));
  cmd->add_option("--dedup-window", args->events_dedup_s, "events stream de-duplication window in seconds, if created now");
  cmd->add_option("--results-dedup-window", args->deltas_dedup_s, "deltas stream de-duplication window in seconds, if created now");
  cmd->add_option("--max-pending", args->options.max_pending, "acknowledgements outstanding at once")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  cmd->add_option("INPUT", args->input, "NDJSON events, or - for stdin (default: stdin, unless --config alone)");
  return {cmd, [args] {
            scaleout::PublishOptions o = args->options;
            o.input = args->input.empty() && o.reload_config.empty() && o.seed_state.empty() ? "-" : args->input;
            // Every file is looked at before connecting, so that a bad path
            // fails at once (exit 1) and not after the streams are set up.
            for (const std::string* path : {&o.reload_config, &o.routing_config, &o.seed_state}) {
              if (path->empty()) continue;
              if (Status s = check_input_file(*path); !s.ok()) return fail(s);
            }
            if (o.input != "-" && !o.input.empty()) {
              if (Status s = check_input_stream(o.input); !s.ok()) return fail(s);
            }
            o.settings.events_dedup_ms = static_cast<int64_t>(std::llround(args->events_dedup_s * 1000));
            o.settings.deltas_dedup_ms = static_cast<int64_t>(std::llround(args->deltas_dedup_s * 1000));
            scaleout::PublishReport report;
            std::vector<std::string> problems;
            Status s = scaleout::run_publish(o, &report, &problems);
            if (!s.ok()) {
              problems.push_back(s.message());
              return fail(problems, s);
            }
            std::fputs(report.to_text().c_str(), stderr);
            return 0;
          }};
}

}  // namespace claimmap::cli
