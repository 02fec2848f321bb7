// Whole-file reads and atomic writes (temp file, fsync, rename), as values;
// the path checks of include/claimmap/paths.h are implemented here too.
// Free functions with no state: call from any thread. Nothing here throws.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "claimmap/paths.h"
#include "claimmap/status.h"

namespace claimmap {

// The whole of the regular file at `path`, or kIoError naming the path:
//   "cannot open PATH: No such file or directory" (or Permission denied, …),
//   "cannot read PATH: is a directory",
//   "cannot read PATH: is a FIFO, not a regular file" (a socket, a device…).
// Only a regular file is read: a directory has no bytes to give; a FIFO, a
// socket or a device has no end we can count on (a FIFO with no writer
// would block the caller forever, /dev/zero never ends). The open never
// blocks (O_NONBLOCK), so a path swapped for a FIFO after the check is
// refused too, not waited on.
// The size fstat gives when the file is opened is what is read, and all that
// is allocated: a file that grows or shrinks while it is read (written in
// place by something else, not replaced by rename) is refused, "changed size
// while being read", rather than parsed torn — a state cut at a line end
// would load as fewer users without a word. A file too large for memory is a
// kIoError too, not a std::bad_alloc.
// The string has at least kReadPadding bytes of capacity past its end, so
// that simdjson can parse it where it is (its SIMDJSON_PADDING) instead of
// in a padded copy: a 190 MB config is not copied once more.
inline constexpr size_t kReadPadding = 64;
Result<std::string> read_file(const std::string& path);

// A file's bytes, read by read_file_in_parallel, with kReadPadding zero
// bytes past the end (simdjson's padding).
class FileBytes {
 public:
  std::string_view view() const { return {data_.get(), size_}; }
  size_t size() const { return size_; }

 private:
  friend Result<FileBytes> read_file_in_parallel(const std::string& path);
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
};

// read_file's checks and errors, for a large file: 8 MiB pieces read with
// pread on the threads of the caller's TBB arena, into a buffer that is not
// zero-filled first (a state file of hundreds of MB is read in a fraction of
// the time one read() and a memset take; its pages fault in on every thread).
Result<FileBytes> read_file_in_parallel(const std::string& path);

// A regular file opened for reading in pieces, with read_file's checks and
// errors: for a file too large to hold whole, read by several threads into
// buffers they reuse. The size is fstat's at the open; a piece the file no
// longer holds is "shrank", and check_no_more() after the last piece
// refuses a file that grew — as read_file refuses both. read() may be called
// from any thread at once (pread); the reader owns its descriptor.
class FileReader {
 public:
  static Result<FileReader> open(const std::string& path);
  FileReader(FileReader&& other) noexcept : fd_(other.fd_), size_(other.size_), path_(std::move(other.path_)) {
    other.fd_ = -1;
  }
  FileReader& operator=(FileReader&&) = delete;
  ~FileReader();

  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Reads [offset, offset + n) into `into` (n bytes of room).
  Status read(char* into, uint64_t offset, size_t n) const;
  Status check_no_more() const;

 private:
  FileReader(int fd, uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_;
  uint64_t size_;
  std::string path_;
};

// Writes `contents` to `path` so that a reader — or a restart after a crash
// at any point — sees the old file or the whole new one, never a torn one:
// write to a temp file in the same directory, fsync it, rename it over
// `path`, fsync the directory. On any failure (a full disk, a file-size
// limit, a read-only directory) the old file is untouched, the temp file is
// removed, and the status names `path` and the problem (kIoError). Ignores
// SIGXFSZ for the process, so that a file-size limit is an error and not a
// kill. Callers that write after long work check the path first with
// check_output_file(path, OutputWrite::kReplaced).
Status write_file_atomically(const std::string& path, std::string_view contents);

}  // namespace claimmap
