// server/config_store.h — where `claimmap serve` keeps the config last
// applied with `PUT /v1/config` (docs/server.md "An applied config survives a
// restart"; docs/spec.md §13), so that a restart serves it again, at the
// version it was applied as, instead of falling back to the --config file.
//
// The file: one header line, then the config's bytes exactly as they were
// PUT (so `tail -n +2 FILE` gives the config back):
//
//   claimmap-applied-config 1 version=3 bytes=2817 crc32=5f1d0c2a base_crc32=0e9ac311 applied_unix_ms=1718000000000
//   {"providers": [...], ...}
//
// `1` is the format; `version` the config version the engine gave it;
// `bytes` and `crc32` (CRC-32, lower-case hex) are of the config bytes, so a
// truncated or altered file is refused rather than half-trusted; `base_crc32`
// is of the --config file served when it was applied (serve warns when that
// file has changed since); `applied_unix_ms` is when. Unknown `key=value`
// fields are ignored, for later additions.
//
// Thread-safety: none. The server calls save() and restore_previous() under
// its config mutex (server/server_app.h), load() once before serving.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "claimmap/status.h"

namespace claimmap::server {

// One applied config, as the store holds it.
struct AppliedConfig {
  uint64_t version = 0;  // >= 1
  std::string text;      // the config's bytes, as PUT
  std::optional<uint32_t> base_crc32;  // of the --config file served when it was applied
  int64_t applied_unix_ms = 0;
};

// CRC-32 (the zlib/PNG polynomial) of `bytes`.
uint32_t crc32_of(std::string_view bytes);

// The file's bytes for `applied`, and back. parse_applied_config names what
// is wrong (kInvalidConfig): not a store, an unknown format, a missing or bad
// field, a length or checksum that does not match.
std::string format_applied_config(const AppliedConfig& applied);
[[nodiscard]] Result<AppliedConfig> parse_applied_config(std::string_view file);

class ConfigStore {
 public:
  // `base_crc32`: of the --config file this process serves as its base,
  // written into every save.
  ConfigStore(std::string path, uint32_t base_crc32) : path_(std::move(path)), base_crc32_(base_crc32) {}

  const std::string& path() const { return path_; }

  // What the file holds: nullopt when it does not exist; kIoError when it
  // cannot be read; kInvalidConfig (the message names the file) when it is
  // damaged. Remembers the file's bytes for restore_previous().
  [[nodiscard]] Result<std::optional<AppliedConfig>> load();

  // Replaces the file whole with `text` as config version `version`,
  // durably (written, fsynced and renamed into place before it returns:
  // engine/common/file_io.h). On failure the old file is untouched.
  // REQUIRES: load() was called first (it learns what restore_previous()
  // would put back).
  [[nodiscard]] Status save(std::string_view text, uint64_t version);

  // Puts back what the last successful save() replaced — the older file, or
  // no file — for when the config it stored could not be applied.
  [[nodiscard]] Status restore_previous();

 private:
  std::string path_;
  uint32_t base_crc32_;
  std::optional<std::string> current_;   // the file's bytes now (nullopt: no file)
  std::optional<std::string> previous_;  // before the last save
};

}  // namespace claimmap::server
