// Whole-file reads and atomic writes (temp file, fsync, rename), as values.
#pragma once

#include <string>
#include <string_view>

#include "claimmap/status.h"

namespace claimmap {

Result<std::string> read_file(const std::string& path);

// Writes `contents` to `path` so that a reader sees the old file or the whole
// new one, never a torn one: write to a temp file beside it, fsync, rename.
Status write_file_atomically(const std::string& path, std::string_view contents);

}  // namespace claimmap
