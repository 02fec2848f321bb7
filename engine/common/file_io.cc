#include "engine/common/file_io.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>

namespace claimmap {
namespace {

Status io_error(const std::string& what, const std::string& path, int error) {
  return Status(ErrorCode::kIoError, what + " " + path + ": " + std::strerror(error));
}

// `path` with its trailing slashes gone ("/" stays "/").
std::string without_trailing_slashes(const std::string& path) {
  size_t end = path.size();
  while (end > 1 && path[end - 1] == '/') --end;
  return path.substr(0, end);
}

// The directory a path is in ("." for a bare name, "/" for "/x").
std::string directory_of(const std::string& path) {
  const std::string p = without_trailing_slashes(path);
  const size_t slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  size_t end = slash;
  while (end > 0 && p[end - 1] == '/') --end;  // "a//b" is in "a"
  return end == 0 ? "/" : p.substr(0, end);
}

// The last component of a path ("c" for "a/b/c").
std::string name_of(const std::string& path) {
  const std::string p = without_trailing_slashes(path);
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// What a file that is not a regular file is, for a message.
std::string kind_of(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO or pipe";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "a special file";
}

// "cannot read PATH: is a directory" / "…: is a FIFO or pipe, not a regular file".
Status not_a_regular_file(const std::string& path, mode_t mode) {
  return Status(ErrorCode::kIoError, "cannot read " + path + ": is " + kind_of(mode) +
                                         (S_ISDIR(mode) ? "" : ", not a regular file"));
}

Status empty_path(const char* what) {
  return Status(ErrorCode::kIoError, std::string(what) + " \"\": an empty path");
}

// access() with the effective ids, as open() checks them (plain access()
// uses the real ids, which differ in a setuid program).
bool may(const std::string& path, int mode) { return ::faccessat(AT_FDCWD, path.c_str(), mode, AT_EACCESS) == 0; }

// Closes a descriptor on every return path.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

// A file-size limit (RLIMIT_FSIZE) would otherwise kill the process with
// SIGXFSZ in the middle of a write; ignored, the write fails with EFBIG and
// the save is refused cleanly, the old file kept.
void ignore_sigxfsz() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGXFSZ, SIG_IGN); });
}

// Room a temp name takes beyond the file's own name: write_file_atomically
// adds ".tmp.PID.N" (PID up to 10 digits, N up to 20), other writers less.
constexpr size_t kTempSuffixRoom = 5 + 10 + 1 + 20;

}  // namespace

Result<std::string> read_file(const std::string& path) {
  if (path.empty()) return empty_path("cannot open");
  // stat first, for the message: a socket cannot be opened at all (ENXIO,
  // "No such device or address", which says nothing useful), and opening a
  // device can do something of its own (a tape rewinds).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return io_error("cannot open", path, errno);
  if (!S_ISREG(st.st_mode)) return not_a_regular_file(path, st.st_mode);
  // O_NONBLOCK: should the path become a FIFO between the stat and the open,
  // the open must not wait for a writer; the fstat below refuses it. On a
  // regular file O_NONBLOCK changes nothing.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return io_error("cannot open", path, errno);
  FdCloser closer{fd};
  if (::fstat(fd, &st) != 0) return io_error("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) return not_a_regular_file(path, st.st_mode);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  std::string data;
  try {
    // The size fstat gives is all that is ever allocated (see the header).
    if (size > data.max_size() - kReadPadding) throw std::length_error("too large");
    data.reserve(static_cast<size_t>(size) + kReadPadding);
    data.resize(static_cast<size_t>(size));
  } catch (const std::exception&) {  // std::bad_alloc, std::length_error
    return Status(ErrorCode::kIoError,
                  "cannot read " + path + ": " + std::to_string(size) + " bytes do not fit in memory");
  }
  auto changed = [&](const char* how) {
    return Status(ErrorCode::kIoError, "cannot read " + path + ": it " + how + " while being read (" +
                                           std::to_string(size) +
                                           " bytes when opened); is something writing it in place?");
  };
  size_t done = 0;
  for (;;) {
    // Once `size` bytes are in, one more byte is asked for: there must be none.
    char extra = 0;
    char* into = done < data.size() ? data.data() + done : &extra;
    const size_t want = done < data.size() ? data.size() - done : 1;
    const ssize_t n = ::read(fd, into, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", path, errno);
    }
    if (n == 0) break;
    if (done == data.size()) return changed("grew");
    done += static_cast<size_t>(n);
  }
  if (done < data.size()) return changed("shrank");
  return data;
}

Status write_file_atomically(const std::string& path, std::string_view contents) {
  ignore_sigxfsz();
  static std::atomic<uint64_t> counter{0};
  // In the same directory, so that the rename cannot cross file systems.
  const std::string temp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  // Messages name `path`, which the caller knows, and then the temp file.
  auto error = [&](const std::string& what, const std::string& file, int e) {
    return Status(ErrorCode::kIoError, "cannot write " + path + ": " + what + " " + file + ": " + std::strerror(e));
  };
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return error("cannot create", temp, errno);
  // Any failure from here removes the temp file; the old file is untouched
  // until the rename, which replaces it whole.
  auto fail = [&](const char* what, int e) {
    ::close(fd);
    ::unlink(temp.c_str());
    return error(what, temp, e);
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
    const int e = errno;
    ::unlink(temp.c_str());
    return error("cannot close", temp, e);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(temp.c_str());
    return error("cannot rename", temp, e);
  }
  // The rename is durable once the directory entry is: fsync the directory.
  const std::string dir = directory_of(path);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return error("cannot open directory", dir, errno);
  const int synced = ::fsync(dir_fd);
  const int e = errno;
  ::close(dir_fd);
  if (synced != 0) return error("cannot fsync directory", dir, e);
  return Status();
}

Status check_output_file(const std::string& path, OutputWrite how) {
  if (path.empty()) return empty_path("cannot write");
  auto refuse = [&](const std::string& why) { return Status(ErrorCode::kIoError, "cannot write " + path + ": " + why); };
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return refuse("is a directory");
    if (how == OutputWrite::kReplaced && !S_ISREG(st.st_mode)) {
      // Renaming a temp file over a device or a FIFO would replace it.
      return refuse("is " + kind_of(st.st_mode) + "; it would be replaced whole (written beside it, then renamed), "
                    "so it must be a regular file");
    }
    // A read-only file says its owner does not want it overwritten, even
    // where a rename could replace it.
    if (!may(path, W_OK)) return refuse(std::strerror(errno));
    if (how == OutputWrite::kInPlace) return Status();
  } else if (errno != ENOENT) {
    return refuse(std::strerror(errno));  // "Not a directory" for /etc/passwd/x, "Permission denied", …
  } else if (path.back() == '/') {
    return refuse("names a directory, not a file");
  }
  // Created (or replaced) in its directory: the directory must exist and let
  // us add an entry; a replaced file's directory is also opened to fsync it.
  const std::string dir = directory_of(path);
  if (::stat(dir.c_str(), &st) != 0) {
    return errno == ENOENT ? refuse("directory " + dir + " does not exist") : refuse(dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return refuse(dir + " is not a directory");
  const int dir_access = W_OK | X_OK | (how == OutputWrite::kReplaced ? R_OK : 0);
  if (!may(dir, dir_access)) return refuse("directory " + dir + ": " + std::strerror(errno));
  if (how == OutputWrite::kReplaced) {
    const std::string name = name_of(path);
    if (name.size() + kTempSuffixRoom > NAME_MAX) {
      return refuse("the name is too long for the temporary file written beside it (" + std::to_string(name.size()) +
                    " bytes)");
    }
  }
  return Status();
}

Status check_output_directory(const std::string& dir) {
  if (dir.empty()) return empty_path("cannot write into");
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Status(ErrorCode::kIoError, "cannot write into " + dir + ": is " + kind_of(st.st_mode) + ", not a directory");
    if (!may(dir, W_OK | X_OK)) return io_error("cannot write into", dir, errno);
    return Status();
  }
  if (errno != ENOENT) return io_error("cannot write into", dir, errno);
  // Missing: it and its missing parents are created under the nearest
  // directory that exists, which must let us.
  std::string ancestor = directory_of(dir);
  for (;;) {
    if (::stat(ancestor.c_str(), &st) == 0) break;
    if (errno != ENOENT) return io_error("cannot create " + dir + ":", ancestor, errno);
    const std::string up = directory_of(ancestor);
    if (up == ancestor) return io_error("cannot create", dir, ENOENT);
    ancestor = up;
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status(ErrorCode::kIoError, "cannot create " + dir + ": " + ancestor + " is " + kind_of(st.st_mode) + ", not a directory");
  }
  if (!may(ancestor, W_OK | X_OK)) return io_error("cannot create " + dir + ": directory", ancestor, errno);
  return Status();
}

Status check_input_file(const std::string& path) {
  if (path.empty()) return empty_path("cannot open");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return io_error("cannot open", path, errno);
  if (!S_ISREG(st.st_mode)) return not_a_regular_file(path, st.st_mode);
  if (!may(path, R_OK)) return io_error("cannot open", path, errno);
  return Status();
}

Status check_input_stream(const std::string& path) {
  if (path.empty()) return empty_path("cannot open");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return io_error("cannot open", path, errno);
  if (S_ISDIR(st.st_mode)) return Status(ErrorCode::kIoError, "cannot read " + path + ": is a directory");
  if (S_ISSOCK(st.st_mode)) {
    return Status(ErrorCode::kIoError, "cannot read " + path + ": is a socket, not a file, a pipe or a device");
  }
  if (!may(path, R_OK)) return io_error("cannot open", path, errno);
  return Status();
}

}  // namespace claimmap
