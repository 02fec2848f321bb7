// `claimmap serve` (docs/spec.md §13): options, and the files it needs looked
// at before it starts; the server is server/serve.h.
#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include "claimmap/paths.h"
#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/flag_values.h"
#include "server/serve.h"

namespace claimmap::cli {
namespace {

// The server's options, and the flag only the command line has: the token
// is read here and handed to the server as a string.
struct ServeArgs {
  server::ServeOptions options;
  std::string token_file;
  std::vector<std::string> rate_limits;  // NAME=N/s, parsed in check_serve_paths
};

// The files serve needs, looked at before anything is loaded or listened on
// (server/serve.cc reads the config and state again, for itself). The state is written at
// stop and by --snapshot-every, after the server has run: a path that cannot
// be written fails now (exit 1), not at the final snapshot. A state path that
// does not exist yet is fine: the server starts empty and writes it. The
// token file is read for good: its token goes into args->options.
Status check_serve_paths(ServeArgs* args) {
  // An empty first line is exit 2 and an unreadable file exit 1, as
  // everywhere else.
  if (args->token_file.empty() == args->options.tokens_file.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "give one of --token-file (one token, every scope) or --tokens-file (named credentials with scopes)");
  }
  if (!args->token_file.empty()) {
    Result<std::string> token = read_token_file(args->token_file);
    if (!token.ok()) return token.status();
    args->options.token = token.value();
  }
  for (const std::string& spec : args->rate_limits) {
    Result<server::RateLimit> limit = server::parse_rate_limit(spec);
    if (!limit.ok()) return limit.status();
    args->options.rate_limits.push_back(limit.value());
  }
  const server::ServeOptions& options = args->options;
  if (!options.audit_log_path.empty()) {
    if (Status s = check_output_file(options.audit_log_path, OutputWrite::kInPlace); !s.ok()) return s;
  }
  if (Status s = check_input_file(options.config_path); !s.ok()) return s;
  // Their contents are checked by the listener, which reads them (and again
  // at every SIGHUP); a path that is not a readable file fails here as any
  // input does.
  for (const std::string* tls_file : {&options.limits.tls.cert_file, &options.limits.tls.key_file,
                                      &options.limits.tls.client_ca_file}) {
    if (tls_file->empty()) continue;
    if (Status s = check_input_file(*tls_file); !s.ok()) return s;
  }
  // The config store is replaced at every PUT /v1/config: writable now, or
  // the first change would be refused.
  if (!options.config_store_path.empty()) {
    if (Status s = check_output_file(options.config_store_path, OutputWrite::kReplaced); !s.ok()) return s;
  }
  if (options.state_path.empty()) return Status();
  if (Status s = check_output_file(options.state_path, OutputWrite::kReplaced); !s.ok()) return s;
  struct stat st {};
  if (::stat(options.state_path.c_str(), &st) == 0) return check_input_file(options.state_path);
  return Status();
}

}  // namespace

Command add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  server::ServeOptions* options = &args->options;
  auto* cmd = app.add_subcommand("serve", "Serve the engine over HTTP, with SCIM 2.0 push provisioning");
  cmd->add_option("--config", options->config_path, "the config (JSON)")->required();
  cmd->add_option("--state", options->state_path,
                  "state loaded at start if it exists (either form), written at stop and by --snapshot-every");
  cmd->add_flag("--overwrite-state", options->overwrite_state,
               "let the server rewrite a .ndjson --state it did not write itself (a dataset's or a hand-written one)");
  cmd->add_option("--config-store", options->config_store_path,
                  "where PUT /v1/config keeps the config it applies, served again after a restart "
                  "(default: STATE.config beside --state)");
  cmd->add_option("--listen", options->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "I/O threads")->capture_default_str();
  cmd->add_option("--token-file", args->token_file, "file whose first line is the bearer token (every scope)");
  cmd->add_option("--tokens-file", options->tokens_file,
                  "credentials, one a line: NAME SCOPE[,SCOPE...] SHA256HEX; scopes events, scim, admin, read, "
                  "metrics; re-read on SIGHUP");
  cmd->add_option("--audit-log", options->audit_log_path,
                  "append one NDJSON line per state-changing or who-holds-what request; reopened on SIGHUP");
  cmd->add_option("--rate-limit", args->rate_limits, "NAME=N/s: at most N requests a second for credential NAME (429 beyond)")
      ->take_all();
  cmd->add_option("--scim-provider", options->scim_provider, "the provider whose users SCIM manages (/scim/v2)");
  cmd->add_option("--snapshot-every", options->snapshot_every_seconds, "also write --state every SECONDS");
  auto* read_timeout_ms = cmd->add_option_function<double>(
      "--read-timeout", [args](double s) { args->options.limits.read_timeout = std::chrono::milliseconds(static_cast<long>(s * 1000)); },
      "seconds a request may take to arrive whole (default 30)");
  auto* idle_timeout_ms = cmd->add_option_function<double>(
      "--idle-timeout", [args](double s) { args->options.limits.idle_timeout = std::chrono::milliseconds(static_cast<long>(s * 1000)); },
      "seconds a kept-alive connection may wait for its next request (default 60)");
  read_timeout_ms->check(CLI::PositiveNumber);
  idle_timeout_ms->check(CLI::PositiveNumber);
  cmd->add_option("--max-connections", options->limits.max_connections, "open connections beyond which new ones get 503")
      ->capture_default_str();
  // HTTPS (docs/server.md "TLS"): the pair goes together, and a client CA
  // means nothing without it.
  support::TlsOptions* tls = &options->limits.tls;
  auto* cert = cmd->add_option("--tls-cert", tls->cert_file,
                               "serve HTTPS only (TLS 1.2, 1.3) with this PEM certificate (chain); re-read on SIGHUP");
  auto* key = cmd->add_option("--tls-key", tls->key_file, "the PEM private key of --tls-cert (unencrypted); re-read on SIGHUP");
  auto* client_ca = cmd->add_option("--client-ca", tls->client_ca_file,
                                    "with --tls-cert: require a client certificate signed by this PEM CA (mutual TLS)");
  cert->needs(key);
  key->needs(cert);
  client_ca->needs(cert);
  return {cmd, [args] {
            if (Status s = check_serve_paths(args.get()); !s.ok()) {
              std::fprintf(stderr, "claimmap serve: %s\n", s.message().c_str());
              return exit_code_for(s);
            }
            // run_serve has reported a failure itself; only its code is left to map.
            return exit_code_for(server::run_serve(args->options));
          }};
}

}  // namespace claimmap::cli
