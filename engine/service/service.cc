#include "claimmap/service.h"

#include <charconv>

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

Result<std::string> read_token_file(const std::string& path) {
  Result<std::string> text = read_text_file(path);
  if (!text.ok()) return text.status();
  std::string token = text.value().substr(0, text.value().find('\n'));
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
  if (token.empty()) return Status(ErrorCode::kInvalidArgument, "token file " + path + " has an empty first line");
  return token;
}

Result<std::unique_ptr<Engine>> copy_engine(const Engine& engine) {
  auto copy = std::make_unique<Engine>(engine.config());
  // Under the same config nothing is dropped: the copy holds the same users.
  // Through the binary snapshot, not NDJSON: no text to format and parse
  // again (docs/spec.md §9.3).
  if (Status s = load_state_bytes(*copy, save_state_bytes(engine)); !s.ok()) return s;
  return copy;
}

Result<ReloadPoint> parse_reload_point(std::string_view spec, ConfigReport* report) {
  const size_t eq = spec.find('=');
  uint64_t line = 0;
  const auto [end, ec] = std::from_chars(spec.data(), spec.data() + (eq == std::string_view::npos ? 0 : eq), line);
  if (eq == std::string_view::npos || eq == 0 || ec != std::errc() || end != spec.data() + eq || line < 1 ||
      eq + 1 == spec.size()) {
    return Status(ErrorCode::kInvalidArgument,
                  "--reload-at " + std::string(spec) + ": expected N=FILE with N a line number from 1");
  }
  const std::string path(spec.substr(eq + 1));
  Result<Config> config = load_config_file(path, report);
  if (!config.ok()) {
    // A file that cannot be read is named by its own message already.
    const std::string where = config.status().code() == ErrorCode::kIoError ? "--reload-at " + std::string(spec) : path;
    return Status(config.status().code(), where + ": " + config.status().message());
  }
  return ReloadPoint{line, config.value()};
}

Result<std::string> read_text_file(const std::string& path) { return read_file(path); }

Status write_text_file_atomically(const std::string& path, std::string_view contents) {
  return write_file_atomically(path, contents);
}

int exit_code_for(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kOk: return 0;
    case ErrorCode::kIoError: return 1;
    default: return 2;
  }
}

}  // namespace claimmap
