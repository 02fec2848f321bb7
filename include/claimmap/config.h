// claimmap/config.h — loading, validating and compiling a mapping config.
//
// A config (docs/spec.md §2) is read once, validated completely (every problem is
// reported with its JSON path, nothing is half-loaded) and compiled into
// immutable lookup tables. The resulting Config is a cheap handle to those
// tables: copying it shares them, and any number of threads may read one
// Config at once. A reload builds a new Config; engines swap handles.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/status.h"

namespace claimmap {

// One finding about a config, e.g. {"mappings[3].value", "longer than 256 characters"}.
struct ConfigProblem {
  std::string path;
  std::string message;
  std::string to_string() const { return path.empty() ? message : path + ": " + message; }
};

// One provider's mappings by how they match (docs/spec.md §16), for
// `validate`: a config with thousands of patterns shows its shape at a glance.
struct ProviderMatchSummary {
  std::string provider;
  size_t exact = 0, prefix = 0, glob = 0, regex = 0;  // mappings by `match`
  size_t templates = 0;      // mappings whose group is a template
  size_t require_rules = 0;  // login requirements
  size_t never_match = 0;    // mappings and rules that can never match (each also a warning)
};

// What validation found. Errors reject the config; warnings and inactive
// mappings do not (an inactive mapping loads but never matches, docs/spec.md §2).
struct ConfigReport {
  std::vector<ConfigProblem> errors;
  std::vector<ConfigProblem> warnings;
  std::vector<ConfigProblem> inactive_mappings;
  size_t stages = 0;
  size_t providers = 0;
  size_t roles = 0;
  size_t groups = 0;
  size_t mappings = 0;
  size_t active_mappings = 0;
  std::vector<ProviderMatchSummary> match_summary;  // by provider, in file order

  // Every error as a line for a person, "error: PATH: MESSAGE", in the
  // report's order: what the CLI prints and logs say of a refused config.
  std::vector<std::string> error_lines() const;
};

class CompiledConfig;  // engine-internal: the lookup tables (engine/config/compiled_config.h)

class Config {
 public:
  // The validation report, including the warnings of an accepted config.
  const ConfigReport& report() const;
  // Memory held by the compiled lookup tables, in bytes (approximate).
  size_t compiled_bytes() const;

  // The ids the config defines, sorted bytewise (docs/spec.md §2).
  std::vector<std::string> provider_ids() const;
  std::vector<std::string> group_ids() const;
  bool has_provider(std::string_view id) const;
  bool has_group(std::string_view id) const;

 private:
  friend class ConfigAccess;  // engine-internal (engine/config/compiled_config.h)
  explicit Config(std::shared_ptr<const CompiledConfig> compiled) : compiled_(std::move(compiled)) {}
  std::shared_ptr<const CompiledConfig> compiled_;
};

// Parses, validates and compiles `json`. On failure the status is
// kInvalidConfig and `report` (if given) lists every error with its path;
// on success `report` holds the warnings and counts. A provider's
// `jwks_file` (docs/spec.md §15) is read now, relative to `base_dir` (the
// current directory when empty): a Config holds its keys, and a reload —
// a new Config — reads the file again, which is how keys rotate.
Result<Config> load_config(std::string_view json, ConfigReport* report = nullptr, const std::string& base_dir = "");

// The same, reading the file first: kIoError if it cannot be read or is not
// a regular file (a directory, a FIFO, a device; claimmap/paths.h). A
// `jwks_file` is relative to the config file's folder.
Result<Config> load_config_file(const std::string& path, ConfigReport* report = nullptr);

// The folder a config file's relative paths (`jwks_file`) are read from:
// the file's own ("" for a bare file name, i.e. the current directory).
// For a caller that holds a config's text apart from its file (the server's
// PUT /v1/config, the workers) and passes it as load_config's base_dir.
std::string config_folder(const std::string& config_path);

}  // namespace claimmap
