#include "engine/common/file_io.h"

#include "engine/common/huge_pages.h"
#include "engine/common/parallel_pieces.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>


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
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
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

namespace {

// Opens `path` for reading whole, after the checks read_file's header names;
// `size` is what fstat gives then. Returns the descriptor (owned by the caller).
Result<int> open_for_reading(const std::string& path, uint64_t* size) {
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
  *size = static_cast<uint64_t>(st.st_size);
  closer.fd = -1;
  return fd;
}

Status changed_while_read(const std::string& path, uint64_t size, const char* how) {
  return Status(ErrorCode::kIoError, "cannot read " + path + ": it " + how + " while being read (" +
                                         std::to_string(size) + " bytes when opened); is something writing it in place?");
}

Status too_large(const std::string& path, uint64_t size) {
  return Status(ErrorCode::kIoError,
                "cannot read " + path + ": " + std::to_string(size) + " bytes do not fit in memory");
}

// Reads [offset, offset + n) of `fd` into `into`: kIoError on a failure,
// "shrank" when the file ends first.
Status read_range(int fd, const std::string& path, uint64_t size, char* into, uint64_t offset, size_t n) {
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd, into + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", path, errno);
    }
    if (got == 0) return changed_while_read(path, size, "shrank");
    done += static_cast<size_t>(got);
  }
  return Status();
}

// Once `size` bytes are in, one more byte is asked for: there must be none.
Status check_no_more(int fd, const std::string& path, uint64_t size) {
  for (;;) {
    char extra = 0;
    const ssize_t got = ::pread(fd, &extra, 1, static_cast<off_t>(size));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return io_error("cannot read", path, errno);
    return got == 0 ? Status() : changed_while_read(path, size, "grew");
  }
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  uint64_t size = 0;
  Result<int> opened = open_for_reading(path, &size);
  if (!opened.ok()) return opened.status();
  FdCloser closer{opened.value()};
  std::string data;
  try {
    // The size fstat gives is all that is ever allocated (see the header).
    if (size > data.max_size() - kReadPadding) throw std::length_error("too large");
    data.reserve(static_cast<size_t>(size) + kReadPadding);
    advise_huge_pages(data.data(), data.capacity());
    data.resize(static_cast<size_t>(size));
  } catch (const std::exception&) {  // std::bad_alloc, std::length_error
    return too_large(path, size);
  }
  if (Status s = read_range(closer.fd, path, size, data.data(), 0, data.size()); !s.ok()) return s;
  if (Status s = check_no_more(closer.fd, path, size); !s.ok()) return s;
  return data;
}

Result<FileReader> FileReader::open(const std::string& path) {
  uint64_t size = 0;
  Result<int> opened = open_for_reading(path, &size);
  if (!opened.ok()) return opened.status();
  return FileReader(opened.value(), size, path);
}

FileReader::~FileReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileReader::read(char* into, uint64_t offset, size_t n) const {
  return read_range(fd_, path_, size_, into, offset, n);
}

Status FileReader::check_no_more() const { return claimmap::check_no_more(fd_, path_, size_); }

Result<FileBytes> read_file_in_parallel(const std::string& path) {
  uint64_t size = 0;
  Result<int> opened = open_for_reading(path, &size);
  if (!opened.ok()) return opened.status();
  FdCloser closer{opened.value()};
  FileBytes bytes;
  try {
    if (size > SIZE_MAX - kReadPadding) throw std::length_error("too large");
    // Not zero-filled: every byte is read over, and the pages are first
    // touched by the reading threads, not by one memset.
    bytes.data_.reset(new char[static_cast<size_t>(size) + kReadPadding]);
    bytes.size_ = static_cast<size_t>(size);
    advise_huge_pages(bytes.data_.get(), bytes.size_);
  } catch (const std::exception&) {
    return too_large(path, size);
  }
  std::memset(bytes.data_.get() + bytes.size_, 0, kReadPadding);
  constexpr size_t kPiece = size_t{8} << 20;
  const size_t pieces = (bytes.size_ + kPiece - 1) / kPiece;
  std::vector<Status> results(pieces);
  for_each_piece(pieces, [&](size_t i) {
    const size_t offset = i * kPiece;
    results[i] = read_range(closer.fd, path, size, bytes.data_.get() + offset, offset,
                            std::min(kPiece, bytes.size_ - offset));
  });
  for (const Status& s : results) {
    if (!s.ok()) return s;
  }
  if (Status s = check_no_more(closer.fd, path, size); !s.ok()) return s;
  return bytes;
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
