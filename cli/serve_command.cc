// `claimmap serve` (docs/spec.md §13): options only; the server is server/serve.h.
#include <memory>

#include "cli/command.h"
#include "server/serve.h"

namespace claimmap::cli {

Command add_serve_command(CLI::App& app) {
  auto options = std::make_shared<server::ServeOptions>();
  auto* cmd = app.add_subcommand("serve", "Serve the engine over HTTP, with SCIM 2.0 push provisioning");
  cmd->add_option("--config", options->config_path, "the config (JSON)")->required();
  cmd->add_option("--state", options->state_path,
                  "state loaded at start if it exists (either form), written at stop and by --snapshot-every");
  cmd->add_option("--config-store", options->config_store_path,
                  "where PUT /v1/config keeps the config it applies, served again after a restart "
                  "(default: STATE.config beside --state)");
  cmd->add_option("--listen", options->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "I/O threads")->capture_default_str();
  cmd->add_option("--token-file", options->token_file, "file whose first line is the bearer token")->required();
  cmd->add_option("--scim-provider", options->scim_provider, "the provider whose users SCIM manages (/scim/v2)");
  cmd->add_option("--snapshot-every", options->snapshot_every_seconds, "also write --state every SECONDS");
  auto* read_timeout_ms = cmd->add_option_function<double>(
      "--read-timeout", [options](double s) { options->limits.read_timeout = std::chrono::milliseconds(static_cast<long>(s * 1000)); },
      "seconds a request may take to arrive whole (default 30)");
  auto* idle_timeout_ms = cmd->add_option_function<double>(
      "--idle-timeout", [options](double s) { options->limits.idle_timeout = std::chrono::milliseconds(static_cast<long>(s * 1000)); },
      "seconds a kept-alive connection may wait for its next request (default 60)");
  read_timeout_ms->check(CLI::PositiveNumber);
  idle_timeout_ms->check(CLI::PositiveNumber);
  cmd->add_option("--max-connections", options->limits.max_connections, "open connections beyond which new ones get 503")
      ->capture_default_str();
  return {cmd, [options] { return server::run_serve(*options); }};
}

}  // namespace claimmap::cli
