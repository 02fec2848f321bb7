#include "server/config_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/crc.hpp>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "claimmap/service.h"

namespace claimmap::server {
namespace {

constexpr std::string_view kMagic = "claimmap-applied-config";
constexpr std::string_view kFormat = "1";

Status damaged(std::string_view why) { return Status(ErrorCode::kInvalidConfig, std::string(why)); }

template <typename T>
bool parse_number(std::string_view text, T* out, int base = 10) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string hex32(uint32_t value) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", value);
  return buf;
}

}  // namespace

uint32_t crc32_of(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

std::string format_applied_config(const AppliedConfig& a) {
  std::string out(kMagic);
  out += ' ';
  out += kFormat;
  out += " version=" + std::to_string(a.version);
  out += " bytes=" + std::to_string(a.text.size());
  out += " crc32=" + hex32(crc32_of(a.text));
  if (a.base_crc32) out += " base_crc32=" + hex32(*a.base_crc32);
  out += " applied_unix_ms=" + std::to_string(a.applied_unix_ms);
  out += '\n';
  out += a.text;
  return out;
}

Result<AppliedConfig> parse_applied_config(std::string_view file) {
  const size_t eol = file.find('\n');
  if (eol == std::string_view::npos) return damaged("no header line");
  std::string_view header = file.substr(0, eol);
  const std::string_view text = file.substr(eol + 1);

  // Space-separated fields: the magic word, the format, then key=value.
  std::vector<std::string_view> fields;
  while (!header.empty()) {
    const size_t space = header.find(' ');
    if (space != 0) fields.push_back(header.substr(0, space));
    if (space == std::string_view::npos) break;
    header.remove_prefix(space + 1);
  }
  if (fields.empty() || fields[0] != kMagic) return damaged("not an applied-config file (no \"claimmap-applied-config\" header)");
  if (fields.size() < 2 || fields[1] != kFormat) {
    return damaged("format " + std::string(fields.size() < 2 ? "missing" : fields[1]) + " is not one this claimmap reads (1)");
  }
  AppliedConfig a;
  bool have_version = false, have_bytes = false, have_crc = false;
  uint64_t bytes = 0;
  uint32_t crc = 0;
  for (size_t i = 2; i < fields.size(); ++i) {
    const size_t eq = fields[i].find('=');
    if (eq == std::string_view::npos) return damaged("header field \"" + std::string(fields[i]) + "\" is not key=value");
    const std::string_view key = fields[i].substr(0, eq), value = fields[i].substr(eq + 1);
    bool ok = true;
    if (key == "version") {
      ok = parse_number(value, &a.version) && a.version >= 1;
      have_version = true;
    } else if (key == "bytes") {
      ok = parse_number(value, &bytes);
      have_bytes = true;
    } else if (key == "crc32") {
      ok = value.size() == 8 && parse_number(value, &crc, 16);
      have_crc = true;
    } else if (key == "base_crc32") {
      uint32_t base = 0;
      ok = value.size() == 8 && parse_number(value, &base, 16);
      a.base_crc32 = base;
    } else if (key == "applied_unix_ms") {
      ok = parse_number(value, &a.applied_unix_ms);
    }  // other keys: a later format's additions, ignored
    if (!ok) return damaged("header field " + std::string(key) + " has a bad value \"" + std::string(value) + "\"");
  }
  if (!have_version || !have_bytes || !have_crc) return damaged("the header lacks version=, bytes= or crc32=");
  if (text.size() != bytes) {
    return damaged("the config is " + std::to_string(text.size()) + " bytes, the header says " + std::to_string(bytes) +
                   " (truncated or altered)");
  }
  if (crc32_of(text) != crc) return damaged("the config's checksum does not match the header's (altered)");
  a.text = std::string(text);
  return a;
}

Result<std::optional<AppliedConfig>> ConfigStore::load() {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      current_.reset();
      return std::optional<AppliedConfig>();
    }
    return Status(ErrorCode::kIoError, "cannot read the config store " + path_ + ": " + std::strerror(errno));
  }
  Result<std::string> file = read_text_file(path_);
  if (!file.ok()) return file.status();
  Result<AppliedConfig> applied = parse_applied_config(file.value());
  if (!applied.ok()) {
    return Status(applied.status().code(), "the config store " + path_ + " is damaged: " + applied.status().message());
  }
  current_ = std::move(file.value());
  return std::optional<AppliedConfig>(std::move(applied.value()));
}

Status ConfigStore::save(std::string_view text, uint64_t version) {
  AppliedConfig a;
  a.version = version;
  a.text = std::string(text);
  a.base_crc32 = base_crc32_;
  a.applied_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string file = format_applied_config(a);
  if (Status s = write_text_file_atomically(path_, file); !s.ok()) return s;
  previous_ = std::move(current_);
  current_ = std::move(file);
  return Status();
}

Status ConfigStore::restore_previous() {
  if (previous_) {
    if (Status s = write_text_file_atomically(path_, *previous_); !s.ok()) return s;
  } else if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return Status(ErrorCode::kIoError, "cannot remove the config store " + path_ + ": " + std::strerror(errno));
  }
  current_ = std::move(previous_);
  previous_.reset();
  return Status();
}

}  // namespace claimmap::server
