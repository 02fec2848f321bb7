// Whole-file reads and atomic writes (temp file, fsync, rename), as values.
#pragma once

#include <string>
#include <string_view>

#include "claimmap/status.h"

namespace claimmap {

Result<std::string> read_file(const std::string& path);

// Writes `contents` to `path` so that a reader — or a restart after a crash
// at any point — sees the old file or the whole new one, never a torn one:
// write to a temp file in the same directory, fsync it, rename it over
// `path`, fsync the directory. On any failure (a full disk, a file-size
// limit, a read-only directory) the old file is untouched, the temp file is
// removed, and the status names the problem (kIoError). Ignores SIGXFSZ for
// the process, so that a file-size limit is an error and not a kill.
Status write_file_atomically(const std::string& path, std::string_view contents);

}  // namespace claimmap
