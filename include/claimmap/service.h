// claimmap/service.h — the few steps every front end repeats: open an
// engine from a config file and a state file, inspect or convert a state
// file, read and write whole files. The CLI, the simulator, the server and
// the worker call these, so that a config or state is loaded and reported
// the same way everywhere. Command-line policy (exit codes, what a flag's
// file holds) is the `claimmap` command's own, not the library's (cli/ in
// the source tree).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "claimmap/state.h"
#include "claimmap/status.h"

namespace claimmap {

// What opening an engine found, for a person: every config error (with its
// path) and warning, and what loading the state dropped.
struct OpenReport {
  std::string config_path;
  ConfigReport config;
  bool state_loaded = false;
  StateLoadReport state;

  // "error: PATH: …" lines for the config's errors, then the failure itself.
  std::vector<std::string> error_lines(const Status& failure) const;
};

// Loads and compiles `config_path`, builds an engine and, when `state_path`
// is non-empty, loads that state (either form, docs/spec.md §9). kInvalidConfig,
// kInvalidState or kIoError otherwise, with `report` saying why.
[[nodiscard]] Result<std::unique_ptr<Engine>> open_engine(const std::string& config_path,
                                                          const std::string& state_path, OpenReport* report,
                                                          EngineOptions options = {});

// The same with the config already loaded (`serve` may start on a config it
// stored itself, docs/server.md): builds the engine and loads `state_path`
// when non-empty. `report->config_path` is left as the caller set it.
[[nodiscard]] Result<std::unique_ptr<Engine>> open_engine(const Config& config, const std::string& state_path,
                                                          OpenReport* report, EngineOptions options = {});

// A scratch engine with `engine`'s config and a copy of its state, for
// analyse_change() while `engine` keeps serving (`PUT /v1/config?dry_run=1`).
// Callers serialise it with their own reloads.
[[nodiscard]] Result<std::unique_ptr<Engine>> copy_engine(const Engine& engine);

// `claimmap state inspect`: what a state file is and whether it is whole.
struct StateFileInfo {
  struct Section {
    std::string name;  // "meta", "names", "users 1", …
    uint64_t offset = 0, length = 0;
    bool ok = false;  // its checksum matches
  };
  std::string path;
  std::string form;  // "ndjson" or "binary snapshot"
  uint32_t format_version = 0;
  uint64_t config_fingerprint = 0;  // of the config written under; 0 unknown
  uint64_t users = 0;
  uint64_t bytes = 0;
  std::vector<Section> sections;
  Status damage;  // ok, or the first problem found (named by section or line)
  std::string to_text() const;
};
// kIoError only when the file cannot be read; damage is reported in the info.
[[nodiscard]] Result<StateFileInfo> inspect_state_file(const std::string& path);

// `claimmap state convert IN OUT`: the users of IN (either form) written to
// OUT in the form its name asks for (".ndjson": NDJSON, else the binary
// snapshot), atomically. By name, without a config: a snapshot made from
// NDJSON knows its mappings' ids, not their definitions. IN is refused
// whole when damaged (kInvalidState), and OUT is then not written. OUT is
// checked (check_output_file, kReplaced) before IN is read; either path
// unusable is kIoError.
[[nodiscard]] Status convert_state_file(const std::string& in, const std::string& out, uint64_t* users_converted);

// A whole regular file's bytes; kIoError naming the file when it cannot be
// read, or is a directory, a FIFO, a socket or a device (claimmap/paths.h:
// a FIFO with no writer is refused, not waited on).
[[nodiscard]] Result<std::string> read_text_file(const std::string& path);

// Writes `contents` to `path` durably and atomically (temp file in the same
// directory, fsync, rename, fsync the directory): a reader, or a restart
// after a crash at any point, finds the old file or the whole new one.
// kIoError naming the file on any failure, the old file then untouched.
[[nodiscard]] Status write_text_file_atomically(const std::string& path, std::string_view contents);

}  // namespace claimmap
