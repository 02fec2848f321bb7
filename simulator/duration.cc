#include "simulator/duration.h"

#include <charconv>
#include <cstdio>

namespace claimmap::sim {

std::optional<double> parse_duration(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr == text.data()) return std::nullopt;
  const std::string_view unit(ptr, static_cast<size_t>(end - ptr));
  double scale;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "ms") scale = 1e-3;
  else if (unit == "us" || unit == "\xc2\xb5s") scale = 1e-6;
  else if (unit == "ns") scale = 1e-9;
  else return std::nullopt;
  if (!(value > 0)) return std::nullopt;
  return value * scale;
}

std::string format_duration_ns(double nanos, int digits) {
  char buf[48];
  if (nanos < 1e3) std::snprintf(buf, sizeof buf, "%.0f ns", nanos);
  else if (nanos < 1e6) std::snprintf(buf, sizeof buf, "%.*g \xc2\xb5s", digits, nanos / 1e3);
  else if (nanos < 1e9) std::snprintf(buf, sizeof buf, "%.*g ms", digits, nanos / 1e6);
  else std::snprintf(buf, sizeof buf, "%.*g s", digits, nanos / 1e9);
  return buf;
}

}  // namespace claimmap::sim
