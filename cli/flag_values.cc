#include "cli/flag_values.h"

#include <charconv>

#include "claimmap/service.h"

namespace claimmap::cli {

Result<std::string> read_token_file(const std::string& path) {
  Result<std::string> text = read_text_file(path);
  if (!text.ok()) return text.status();
  std::string token = text.value().substr(0, text.value().find('\n'));
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
  if (token.empty()) return Status(ErrorCode::kInvalidArgument, "token file " + path + " has an empty first line");
  return token;
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

}  // namespace claimmap::cli
