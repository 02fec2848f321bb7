#include "claimmap/service.h"

#include "claimmap/scaleout.h"
#include "engine/common/file_io.h"

namespace claimmap {

std::vector<std::string> OpenReport::error_lines(const Status& failure) const {
  std::vector<std::string> lines = config.error_lines();
  if (failure.code() == ErrorCode::kInvalidConfig) {
    lines.push_back(config_path + ": " + failure.message());
  } else {
    lines.push_back(failure.message());
  }
  return lines;
}

Result<std::unique_ptr<Engine>> open_engine(const std::string& config_path, const std::string& state_path,
                                            OpenReport* report, EngineOptions options) {
  report->config_path = config_path;
  Result<Config> config = load_config_file(config_path, &report->config);
  if (!config.ok()) return config.status();
  return open_engine(config.value(), state_path, report, options);
}

Result<std::unique_ptr<Engine>> open_engine(const Config& config, const std::string& state_path, OpenReport* report,
                                            EngineOptions options) {
  auto engine = std::make_unique<Engine>(config, options);
  if (!state_path.empty()) {
    if (Status s = engine->load_state_file(state_path, &report->state); !s.ok()) return s;
    report->state_loaded = true;
  }
  return engine;
}

Result<std::unique_ptr<Engine>> copy_engine(const Engine& engine) {
  EngineOptions options = engine.options();  // the same clock for tokens and line limit
  options.first_config_version = engine.config_version();
  auto copy = std::make_unique<Engine>(engine.config(), options);
  // Under the same config nothing is dropped: the copy holds the same users.
  // Through the binary snapshot, not NDJSON: no text to format and parse
  // again (docs/spec.md §9.3).
  if (Status s = load_state_bytes(*copy, save_state_bytes(engine)); !s.ok()) return s;
  return copy;
}

Result<std::string> read_text_file(const std::string& path) { return read_file(path); }

Status write_text_file_atomically(const std::string& path, std::string_view contents) {
  return write_file_atomically(path, contents);
}

}  // namespace claimmap
