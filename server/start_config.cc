#include "server/start_config.h"

#include <ctime>

#include "claimmap/service.h"

namespace claimmap::server {
namespace {

// "2024-06-10T08:00:00Z", or "an unknown time" for a store without one.
std::string utc_time(int64_t unix_ms) {
  if (unix_ms <= 0) return "an unknown time";
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  if (::gmtime_r(&seconds, &tm) == nullptr) return "an unknown time";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void add_problems(const ConfigReport& report, std::vector<std::string>* lines) {
  for (std::string& line : report.error_lines()) lines->push_back(std::move(line));
}

}  // namespace

Result<StartConfig> choose_start_config(const std::string& config_path, const std::string& store_path,
                                        std::vector<std::string>* error_lines) {
  // The base: read once, so that its checksum is of the very bytes validated.
  Result<std::string> base_text = read_text_file(config_path);
  if (!base_text.ok()) {
    error_lines->push_back(base_text.status().message());
    return base_text.status();
  }
  ConfigReport base_report;
  Result<Config> base = load_config(base_text.value(), &base_report, config_folder(config_path));
  if (!base.ok()) {
    add_problems(base_report, error_lines);
    error_lines->push_back(config_path + ": " + base.status().message());
    return base.status();
  }
  const uint32_t base_crc32 = crc32_of(base_text.value());

  if (store_path.empty()) {
    return StartConfig{base.value(), 1, nullptr,
                       {"claimmap serve: config " + config_path +
                        " (version 1; a config applied by PUT /v1/config lasts until the process stops: with --state S it "
                        "would be kept in S.config)"}};
  }
  auto store = std::make_unique<ConfigStore>(store_path, base_crc32);
  Result<std::optional<AppliedConfig>> stored = store->load();
  if (!stored.ok()) {
    error_lines->push_back(stored.status().message());
    if (stored.status().code() != ErrorCode::kIoError) {
      error_lines->push_back("claimmap serve: not starting on the older --config " + config_path +
                             ": fix the store, or remove it to serve --config at version 1");
    }
    return stored.status();
  }
  if (!stored.value()) {
    return StartConfig{base.value(), 1, std::move(store),
                       {"claimmap serve: config " + config_path +
                        " (version 1; a config applied by PUT /v1/config is kept in " + store_path + ")"}};
  }

  const AppliedConfig& applied = *stored.value();
  ConfigReport report;
  Result<Config> config = load_config(applied.text, &report, config_folder(config_path));
  if (!config.ok()) {
    // A config an older or newer claimmap accepted, that this one does not.
    add_problems(report, error_lines);
    error_lines->push_back(store_path + ": the config stored there (version " + std::to_string(applied.version) +
                           ") is invalid: " + config.status().message());
    error_lines->push_back("claimmap serve: not starting on the older --config " + config_path +
                           ": fix the store, or remove it to serve --config at version 1");
    return config.status();
  }
  StartConfig start{config.value(), applied.version, std::move(store), {}};
  start.lines.push_back("claimmap serve: config version " + std::to_string(applied.version) + " from " + store_path +
                        " (applied by PUT /v1/config at " + utc_time(applied.applied_unix_ms) + "; --config " +
                        config_path + " is the base)");
  // Someone who edits --config and restarts expects the edit to be served;
  // it is not (the store wins), so say so — unless the file now holds the
  // very config that is served.
  if (applied.base_crc32 && *applied.base_crc32 != base_crc32 && base_text.value() != applied.text) {
    start.lines.push_back("claimmap serve: warning: --config " + config_path +
                          " has changed since version " + std::to_string(applied.version) +
                          " was applied, and is not what is served; to serve it, PUT it to /v1/config, or stop, "
                          "remove " + store_path + " and start again");
  }
  return start;
}

}  // namespace claimmap::server
