#include "server/serve.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "claimmap/service.h"
#include "server/server_app.h"
#include "server/start_config.h"
#include "server/state_owner.h"
#include "support/listen_address.h"
#include "support/tls_context.h"

namespace claimmap::server {

namespace {

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Saves the state, then records the file as the server's own
// (server/state_owner.h). A sidecar that cannot be written is reported, not
// fatal: the state is saved, and the next start asks for --overwrite-state.
Status save_state(const Engine& engine, const std::string& path) {
  if (Status s = engine.save_state_file(path); !s.ok()) return s;
  if (Status s = record_state_ownership(path); !s.ok()) {
    std::fprintf(stderr, "claimmap serve: warning: %s\n", s.message().c_str());
  }
  return Status();
}

// Writes the snapshot every `seconds` until stopped (a separate thread, so a
// large save never holds an I/O thread; events continue during it).
class SnapshotTimer {
 public:
  SnapshotTimer(Engine& engine, std::string path, double seconds) {
    if (path.empty() || seconds <= 0) return;
    thread_ = std::thread([this, &engine, path, seconds] {
      std::unique_lock<std::mutex> lock(mutex_);
      const auto period = std::chrono::duration<double>(seconds);
      while (!cv_.wait_for(lock, period, [this] { return stopped_; })) {
        lock.unlock();
        if (Status s = save_state(engine, path); !s.ok()) {
          std::fprintf(stderr, "claimmap serve: periodic snapshot failed: %s\n", s.message().c_str());
        }
        lock.lock();
      }
    });
  }
  ~SnapshotTimer() { stop(); }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;
};

// A rotation that drops or renames a limited credential leaves its
// --rate-limit matching nobody: serving goes on (refusing a good new
// tokens file for it would block the rotation, often the revocation, it is
// for), but the operator is told, by name. A limit follows the name
// (server/rate_limiter.h), so one whose credential comes back applies again,
// and that is said too. Printed before the SIGHUP's summary line.
void warn_of_rate_limits(const ServeOptions& options, const CredentialSet& before, const CredentialSet& after) {
  const std::vector<std::string> missing_before = limits_without_credential(options.rate_limits, before);
  const std::vector<std::string> missing_after = limits_without_credential(options.rate_limits, after);
  const auto has = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (const std::string& name : missing_after) {
    std::fprintf(stderr,
                 "claimmap serve: SIGHUP: warning: --rate-limit %s limits nobody now: %s has no credential of that "
                 "name (dropped or renamed); it applies again if one comes back\n",
                 name.c_str(), options.tokens_file.c_str());
  }
  for (const std::string& name : missing_before) {
    if (!has(missing_after, name)) {
      std::fprintf(stderr, "claimmap serve: SIGHUP: --rate-limit %s applies again: %s names it once more\n",
                   name.c_str(), options.tokens_file.c_str());
    }
  }
}

// SIGHUP (docs/server.md "Rotation"): what is re-read without a restart.
// Each part keeps what it had when its new files are bad, and says so.
void reload_on_sighup(const ServeOptions& options, support::HttpListener& listener, bool tls,
                      CredentialStore& credentials, AuditLog* audit_log) {
  if (Status s = listener.reload_tls(); !s.ok()) {
    std::fprintf(stderr, "claimmap serve: SIGHUP: TLS certificate and key kept as they were: %s\n", s.message().c_str());
  } else if (tls) {
    std::fprintf(stderr, "claimmap serve: SIGHUP: TLS certificate and key re-read (for new connections)\n");
  }
  if (!options.tokens_file.empty()) {
    Result<CredentialSet> next = support::load_tokens_file(options.tokens_file);
    if (next.ok()) {
      warn_of_rate_limits(options, *credentials.current(), next.value());
      const size_t n = next.value().credentials().size();
      credentials.replace(std::move(next.value()));
      std::fprintf(stderr, "claimmap serve: SIGHUP: %zu credentials from %s\n", n, options.tokens_file.c_str());
    } else {
      std::fprintf(stderr, "claimmap serve: SIGHUP: credentials kept as they were: %s\n",
                   next.status().message().c_str());
    }
  }
  if (audit_log != nullptr) {
    if (Status s = audit_log->reopen(); !s.ok()) {
      std::fprintf(stderr, "claimmap serve: SIGHUP: %s; audited requests get 503 until it can be reopened\n",
                   s.message().c_str());
    }
  }
  std::fflush(stderr);
}

// Who may call and what is recorded (docs/spec.md §13 "Hardened serving"),
// read and checked before the state is loaded: a bad tokens file, rate
// limit, TLS file or audit log path fails in a moment, not after the
// minutes a large state can take to load.
struct ServingPieces {
  std::shared_ptr<CredentialStore> credentials;
  std::unique_ptr<AuditLog> audit_log;
};

Result<ServingPieces> prepare_serving(const ServeOptions& options, const support::ListenerOptions& limits) {
  Result<CredentialSet> credential_set = options.tokens_file.empty()
                                             ? Result<CredentialSet>(CredentialSet::single_token(options.token))
                                             : support::load_tokens_file(options.tokens_file);
  if (!credential_set.ok()) return credential_set.status();
  if (const std::vector<std::string> missing = limits_without_credential(options.rate_limits, credential_set.value());
      !missing.empty()) {
    return Status(ErrorCode::kInvalidArgument, "--rate-limit names no credential: " + missing.front());
  }
  // Only a check: the listener reads the files again when it starts.
  if (limits.tls.enabled()) {
    if (Result<std::shared_ptr<boost::asio::ssl::context>> tls = support::make_server_tls_context(limits.tls);
        !tls.ok()) {
      return tls.status();
    }
  }
  ServingPieces pieces;
  pieces.credentials = std::make_shared<CredentialStore>(std::move(credential_set.value()));
  if (!options.audit_log_path.empty()) {
    Result<std::unique_ptr<AuditLog>> opened_log = AuditLog::open(options.audit_log_path);
    if (!opened_log.ok()) return Status(ErrorCode::kIoError, opened_log.status().message());
    pieces.audit_log = std::move(opened_log.value());
  }
  return pieces;
}

}  // namespace

Status run_serve(const ServeOptions& options) {
  // Each failure is printed here, where its wording is known, and returned.
  auto refuse = [](ErrorCode code, const std::string& message) {
    std::fprintf(stderr, "claimmap serve: %s\n", message.c_str());
    return Status(code, message);
  };
  support::ListenerOptions limits = options.limits;
  if (!support::split_listen_address(options.listen, &limits.address, &limits.port)) {
    return refuse(ErrorCode::kInvalidArgument, "--listen wants HOST:PORT, got \"" + options.listen + "\"");
  }
  limits.threads = options.threads == 0 ? 1 : options.threads;
  std::string store_path = options.config_store_path;
  if (store_path.empty() && !options.state_path.empty()) store_path = options.state_path + ".config";
  if (!store_path.empty() && (store_path == options.state_path || store_path == options.config_path)) {
    return refuse(ErrorCode::kInvalidArgument, "the config store " + store_path + " would overwrite the " +
                                                   (store_path == options.state_path ? "--state" : "--config") +
                                                   " file");
  }
  Result<ServingPieces> pieces = prepare_serving(options, limits);
  if (!pieces.ok()) return refuse(pieces.status().code(), pieces.status().message());
  std::shared_ptr<CredentialStore> credentials = std::move(pieces.value().credentials);
  std::unique_ptr<AuditLog> audit_log = std::move(pieces.value().audit_log);
  if (!options.state_path.empty()) {
    if (Status s = check_state_ownership(options.state_path, options.overwrite_state); !s.ok()) {
      return refuse(s.code(), s.message());
    }
  }
  // The config last applied with PUT /v1/config, if one was stored, else --config.
  std::vector<std::string> error_lines;
  Result<StartConfig> start = choose_start_config(options.config_path, store_path, &error_lines);
  if (!start.ok()) {
    for (const std::string& line : error_lines) std::fprintf(stderr, "%s\n", line.c_str());
    return start.status();
  }
  for (const std::string& line : start.value().lines) std::fprintf(stderr, "%s\n", line.c_str());

  // A missing state file starts empty (the first stop writes it).
  const bool have_state = !options.state_path.empty() && file_exists(options.state_path);
  OpenReport open;
  open.config_path = options.config_path;
  EngineOptions engine_options;
  engine_options.first_config_version = start.value().version;
  Result<std::unique_ptr<Engine>> opened =
      open_engine(start.value().config, have_state ? options.state_path : "", &open, engine_options);
  if (!opened.ok()) {
    for (const std::string& line : open.error_lines(opened.status())) std::fprintf(stderr, "%s\n", line.c_str());
    return opened.status();
  }
  Engine& engine = *opened.value();
  if (have_state) {
    std::fprintf(stderr, "claimmap serve: state %s: %zu users", options.state_path.c_str(), open.state.users);
    // Also when the snapshot was written under another config than the one
    // served: after a restart that is a sign the config was not the one the
    // server last ran (docs/spec.md §9.5).
    if (open.state.dropped() > 0 || open.state.config_changed) {
      std::fprintf(stderr, " (%s)", open.state.to_string().c_str());
    }
    std::fprintf(stderr, "\n");
  }
  if (!options.scim_provider.empty() && !engine.config().has_provider(options.scim_provider)) {
    return refuse(ErrorCode::kInvalidArgument,
                  "--scim-provider " + options.scim_provider + " is not a provider of the config");
  }

  // SIGTERM, SIGINT and SIGHUP are taken by one thread with sigwait,
  // blocked in all others (the I/O threads inherit the mask), so a signal
  // never interrupts a request half-way.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  ServerSettings settings;
  settings.token = options.token;
  settings.scim_provider = options.scim_provider;
  settings.config_store = start.value().store.get();
  settings.config_dir = config_folder(options.config_path);
  settings.credentials = credentials;
  settings.audit_log = audit_log.get();
  settings.rate_limits = options.rate_limits;
  ServerApp app(engine, std::move(settings));
  support::HttpListener listener(limits, [&app](const support::HttpRequest& r) { return app.handle(r); });
  if (Status s = listener.start(); !s.ok()) return refuse(s.code(), s.message());
  const bool tls = limits.tls.enabled();
  std::fprintf(stderr, "claimmap serve: listening on %s://%s:%u%s\n", tls ? "https" : "http", limits.address.c_str(),
               static_cast<unsigned>(listener.port()),
               limits.tls.client_ca_file.empty() ? "" : " (client certificates required)");
  std::fflush(stderr);

  std::thread signal_thread([&] {
    for (;;) {
      int signal = 0;
      sigwait(&signals, &signal);
      if (signal == SIGHUP) {
        reload_on_sighup(options, listener, tls, *credentials, audit_log.get());
        continue;
      }
      std::fprintf(stderr, "claimmap serve: %s: finishing the requests in flight\n", signal == SIGTERM ? "SIGTERM" : "SIGINT");
      listener.stop();
      return;
    }
  });
  SnapshotTimer snapshots(engine, options.state_path, options.snapshot_every_seconds);
  listener.run();  // returns once stopped and every accepted request is answered
  signal_thread.join();
  snapshots.stop();
  if (!options.state_path.empty()) {
    if (Status s = save_state(engine, options.state_path); !s.ok()) {
      return refuse(ErrorCode::kIoError, "final snapshot failed: " + s.message());
    }
    std::fprintf(stderr, "claimmap serve: state saved to %s (%zu users)\n", options.state_path.c_str(),
                 engine.user_count());
  }
  return Status();
}

}  // namespace claimmap::server
