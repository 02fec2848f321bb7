#include "server/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>

namespace claimmap::server {

namespace {

// Room kept reserved past the end of the file, and when to reserve more.
constexpr uint64_t kReserveBytes = uint64_t{1} << 20;
constexpr uint64_t kReserveLow = uint64_t{64} << 10;

// RFC 3339, UTC, milliseconds: 2026-12-06T01:02:03.456Z.
std::string rfc3339(int64_t unix_ms) {
  const time_t secs = static_cast<time_t>(unix_ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[80];  // room for any int the fields could hold, so nothing is ever cut
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return buf;
}

Status io_error(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kIoError, "audit log " + path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

std::string audit_line(const AuditEntry& e, int64_t unix_ms) {
  nlohmann::ordered_json j;
  j["time"] = rfc3339(unix_ms);
  j["credential"] = e.credential;
  j["client"] = e.client;
  j["method"] = e.method;
  j["path"] = e.path;
  if (!e.query.empty()) {
    nlohmann::ordered_json q = nlohmann::ordered_json::object();
    for (const auto& [k, v] : e.query) {
      if (!q.contains(k)) q[k] = v;
    }
    j["query"] = q;
  }
  j["status"] = e.status;
  if (e.counters != nullptr) {
    const EventCounters& c = *e.counters;
    j["events"] = c.events;
    j["errors"] = c.errors;
    j["groups_added"] = c.groups_added;
    j["groups_removed"] = c.groups_removed;
    j["roles_granted"] = c.roles_granted;
    j["roles_revoked"] = c.roles_revoked;
  }
  if (e.config_before != 0) {
    j["config_version_before"] = e.config_before;
    j["config_version_after"] = e.config_after;
  }
  // Invalid UTF-8 in a path is replaced rather than thrown on.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path) {
  std::unique_ptr<AuditLog> log(new AuditLog(path));
  std::lock_guard<std::mutex> lock(log->mutex_);
  if (Status s = log->open_locked(); !s.ok()) return s;
  return log;
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status AuditLog::open_locked() {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return io_error("cannot open", path_);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    errno = EISDIR;
    return io_error("cannot open", path_);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  failure_ = Status();
  reserved_end_ = 0;
  can_reserve_ = S_ISREG(st.st_mode);
  return Status();
}

Status AuditLog::reserve_locked() {
  if (!can_reserve_) return Status();
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return io_error("cannot stat", path_);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (reserved_end_ >= size + kReserveLow) return Status();
  if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(size), static_cast<off_t>(kReserveBytes)) != 0) {
    if (errno == EOPNOTSUPP || errno == ENOSYS || errno == ENODEV) {
      can_reserve_ = false;  // the filesystem cannot: lines are written without
      return Status();
    }
    return io_error("no room for the next lines", path_);
  }
  reserved_end_ = size + kReserveBytes;
  return Status();
}

Status AuditLog::ready() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!failure_.ok()) return failure_;
  if (Status s = reserve_locked(); !s.ok()) return s;  // not sticky: room may come back
  return Status();
}

Status AuditLog::append(const AuditEntry& entry) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string line = audit_line(entry, now_ms);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!failure_.ok()) return failure_;
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failure_ = io_error("write failed", path_);
      return failure_;
    }
    done += static_cast<size_t>(n);
  }
  return Status();
}

Status AuditLog::reopen() {
  std::lock_guard<std::mutex> lock(mutex_);
  Status s = open_locked();
  if (!s.ok()) failure_ = s;  // requests get 503 until a reopen works
  return s;
}

}  // namespace claimmap::server
