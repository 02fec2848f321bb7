#include "engine/common/file_io.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace claimmap {
namespace {

Status io_error(const std::string& what, const std::string& path, int error) {
  return Status(ErrorCode::kIoError, what + " " + path + ": " + std::strerror(error));
}

// The directory a path is in ("." for a bare name).
std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// A file-size limit (RLIMIT_FSIZE) would otherwise kill the process with
// SIGXFSZ in the middle of a write; ignored, the write fails with EFBIG and
// the save is refused cleanly, the old file kept.
void ignore_sigxfsz() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGXFSZ, SIG_IGN); });
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path, errno);
  std::string data;
  // One read of the whole size when it is known (a regular file).
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size > 0) data.reserve(static_cast<size_t>(size));
  ::lseek(fd, 0, SEEK_SET);
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = io_error("cannot read", path, errno);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

Status write_file_atomically(const std::string& path, std::string_view contents) {
  ignore_sigxfsz();
  static std::atomic<uint64_t> counter{0};
  // In the same directory, so that the rename cannot cross file systems.
  const std::string temp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", temp, errno);
  // Any failure from here removes the temp file; the old file is untouched
  // until the rename, which replaces it whole.
  auto fail = [&](const char* what, int error) {
    ::close(fd);
    ::unlink(temp.c_str());
    return io_error(what, temp, error);
  };
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write", errno);  // ENOSPC: disk full; EFBIG: file-size limit
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot fsync", errno);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return io_error("cannot close", temp, error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return io_error("cannot rename into", path, error);
  }
  // The rename is durable once the directory entry is: fsync the directory.
  const std::string dir = directory_of(path);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return io_error("cannot open directory", dir, errno);
  const int synced = ::fsync(dir_fd);
  const int error = errno;
  ::close(dir_fd);
  if (synced != 0) return io_error("cannot fsync directory", dir, error);
  return Status();
}

}  // namespace claimmap
