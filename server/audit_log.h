// server/audit_log.h — `serve --audit-log FILE` (docs/spec.md §13
// "Hardened serving", docs/server.md "Audit log"): one NDJSON line per
// request that changes state or reads who holds what — when, which
// credential, from where, what was asked, the answer's status and what
// changed. Never a token, never a body.
//
// A line is written (appended with one write(2), no user-space buffer)
// before the answer is sent. So that a failing log changes nothing, a
// request asks ready() before it is handled: ready() fails when the file
// could not be (re)opened, a write failed, or the disk has no room for the
// next lines — it keeps 1 MiB reserved past the end of the file
// (fallocate, KEEP_SIZE) where the filesystem supports it, so that the
// line of a request handled after ready() finds its room.
//
// reopen() (SIGHUP) opens the path again, so that logrotate's rename-and-
// signal works; on failure the log stays failed (requests get 503) until a
// reopen succeeds.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/counters.h"
#include "claimmap/status.h"

namespace claimmap::server {

// What one audited request did, as its line says it.
struct AuditEntry {
  std::string_view credential;  // "" when no valid token was given
  std::string_view client;      // "IP:PORT", or ""
  std::string_view method, path;
  // Decoded; only the parameters the route reads (server_app.h's
  // audited_query): never the query as sent, which may carry a secret.
  std::vector<std::pair<std::string, std::string>> query;
  int status = 0;
  const EventCounters* counters = nullptr;  // events applied, when any
  uint64_t config_before = 0, config_after = 0;  // a config change's versions; 0: none
};

// The line (newline included), with the time given in Unix milliseconds.
std::string audit_line(const AuditEntry& entry, int64_t unix_ms);

class AuditLog {
 public:
  // Opens (creates, appends to) `path`; kIoError naming it when it cannot.
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path);
  ~AuditLog();

  // Whether a request may be handled now (see above); the error says why not.
  Status ready();
  // Appends the entry's line, stamped now.
  Status append(const AuditEntry& entry);
  // Opens the path again (SIGHUP).
  Status reopen();

  const std::string& path() const { return path_; }

 private:
  explicit AuditLog(std::string path) : path_(std::move(path)) {}
  Status open_locked();
  Status reserve_locked();

  const std::string path_;
  std::mutex mutex_;
  int fd_ = -1;
  Status failure_;           // why the log cannot take lines now; ok when it can
  uint64_t reserved_end_ = 0;  // bytes of the file reserved so far (0: none, or not supported)
  bool can_reserve_ = true;
};

}  // namespace claimmap::server
