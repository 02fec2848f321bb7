// The public entry points of claimmap/config.h: read → validate → compile.
#include "claimmap/config.h"

#include <algorithm>
#include <functional>

#include "engine/config/compiled_config.h"
#include "engine/config/compiler.h"
#include "engine/config/config_loader.h"
#include "engine/config/config_validator.h"
#include "engine/common/file_io.h"

namespace claimmap {

std::vector<std::string> ConfigReport::error_lines() const {
  std::vector<std::string> lines;
  lines.reserve(errors.size());
  for (const ConfigProblem& p : errors) lines.push_back("error: " + p.to_string());
  return lines;
}

const ConfigReport& Config::report() const { return compiled_->report; }
size_t Config::compiled_bytes() const { return compiled_->bytes; }

std::vector<std::string> Config::provider_ids() const {
  std::vector<std::string> ids;
  for (const CompiledProvider& p : compiled_->providers) ids.push_back(p.def.id);
  return ids;  // providers are indexed in id order
}

std::vector<std::string> Config::group_ids() const {
  std::vector<std::string> ids;
  for (const CompiledGroup& g : compiled_->groups) ids.push_back(g.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool Config::has_provider(std::string_view id) const {
  return compiled_->provider_by_id.find(id) != compiled_->provider_by_id.end();
}

bool Config::has_group(std::string_view id) const {
  return compiled_->find_group(id).has_value();
}

namespace {

// Reads, validates and compiles. `text` is the config's JSON, with
// `readable_padding` bytes readable past its end; `release` (if given) frees
// the text once it is read, before the tables are built, so that a large
// config's text and its tables are not held at the same time.
Result<Config> load(std::string_view text, size_t readable_padding, const std::function<void()>& release,
                    ConfigReport* report_out, const std::string& base_dir) {
  ConfigReport report;
  ConfigModel model;
  ValidationResult validation;
  const bool parsed = read_config_model(text, base_dir, &model, &report.errors, readable_padding);
  if (release) release();
  if (parsed) validation = validate_config_model(model, &report);
  if (!report.errors.empty()) {
    const size_t count = report.errors.size();
    if (report_out) *report_out = std::move(report);
    return Status(ErrorCode::kInvalidConfig,
                  "config has " + std::to_string(count) + (count == 1 ? " error" : " errors"));
  }
  auto compiled = compile_config(std::move(model), validation, std::move(report));
  if (report_out) *report_out = compiled->report;
  if (const size_t count = compiled->report.errors.size()) {  // patterns too large to compile together
    return Status(ErrorCode::kInvalidConfig, "config has " + std::to_string(count) + (count == 1 ? " error" : " errors"));
  }
  return ConfigAccess::make(std::move(compiled));
}

}  // namespace

Result<Config> load_config(std::string_view json, ConfigReport* report_out, const std::string& base_dir) {
  return load(json, 0, nullptr, report_out, base_dir);
}

Result<Config> load_config_file(const std::string& path, ConfigReport* report) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  std::string& json = text.value();
  return load(json, json.capacity() - json.size(), [&json] { std::string().swap(json); }, report,
              config_folder(path));
}

std::string config_folder(const std::string& config_path) {
  const size_t slash = config_path.rfind('/');
  if (slash == std::string::npos) return "";
  return config_path.substr(0, slash == 0 ? 1 : slash);
}

}  // namespace claimmap
