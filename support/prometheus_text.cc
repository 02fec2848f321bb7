#include "support/prometheus_text.h"

#include <cstdio>

namespace claimmap::support {
namespace {

void append_sample_text(std::string_view name, std::string_view labels, const char* value, std::string* out) {
  out->append(name);
  if (!labels.empty()) out->append("{").append(labels).append("}");
  out->append(" ").append(value).append("\n");
}

}  // namespace

void append_family(std::string_view name, std::string_view help, std::string_view type, std::string* out) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void append_sample(std::string_view name, std::string_view labels, uint64_t value, std::string* out) {
  append_sample_text(name, labels, std::to_string(value).c_str(), out);
}

void append_real_sample(std::string_view name, std::string_view labels, double value, std::string* out) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  append_sample_text(name, labels, buf, out);
}

void append_number(double value, std::string* out) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", value);
  out->append(buf);
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace claimmap::support
