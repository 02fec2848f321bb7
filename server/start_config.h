// server/start_config.h — which config `claimmap serve` starts on
// (docs/server.md "An applied config survives a restart"): the config last
// applied with PUT /v1/config, read back from the config store
// (server/config_store.h) at the version it was applied as, when the store
// holds one; else the --config file, at version 1.
//
// The --config file is read and validated either way: it is the base that
// serve falls back to once the store is removed, and a broken one is better
// refused now than at that later restart. A store that is damaged, or whose
// config this claimmap finds invalid, refuses the start: serving the older
// --config instead would silently undo a change that was answered 200.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/status.h"
#include "server/config_store.h"

namespace claimmap::server {

struct StartConfig {
  Config config;
  uint64_t version = 1;                // EngineOptions::first_config_version
  std::unique_ptr<ConfigStore> store;  // where PUT /v1/config keeps what it applies; null: nowhere
  // For stderr, in order: which config is served and where from, and any
  // warning (the --config file changed since the stored config was applied).
  std::vector<std::string> lines;
};

// `store_path` empty: no store (an applied config then lasts until the
// process stops, and the first line says so). On failure the status is
// kInvalidConfig (exit 2: --config or the stored config has errors, or the
// store is damaged) or kIoError (exit 1: a file cannot be read), and
// `error_lines` holds what to print: every config error with its path, then
// a line naming the file.
[[nodiscard]] Result<StartConfig> choose_start_config(const std::string& config_path, const std::string& store_path,
                                                      std::vector<std::string>* error_lines);

}  // namespace claimmap::server
