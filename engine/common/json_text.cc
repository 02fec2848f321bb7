#include "engine/common/json_text.h"

#include <charconv>
#include <cmath>
#include <string_view>

namespace claimmap::json_text {

void append_quoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(esc, 6);
      }
    }
  }
  out.append(s.data() + run_start, s.size() - run_start);
  out.push_back('"');
}

std::string quoted(std::string_view s) {
  std::string out;
  append_quoted(out, s);
  return out;
}

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses the RFC 8259 number grammar; reports whether a fraction or exponent was seen.
bool scan_number(std::string_view s, bool* has_fraction_or_exponent) {
  size_t i = 0;
  const size_t n = s.size();
  *has_fraction_or_exponent = false;
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (is_digit(s[i])) {
    while (i < n && is_digit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    *has_fraction_or_exponent = true;
    ++i;
    if (i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    *has_fraction_or_exponent = true;
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) ++i;
  }
  return i == n;
}
}  // namespace

bool is_number(std::string_view s) {
  bool frac;
  return scan_number(s, &frac);
}

bool is_integer(std::string_view s) {
  bool frac;
  return scan_number(s, &frac) && !frac;
}

std::string_view trim_json_whitespace(std::string_view s) {
  while (!s.empty()) {
    const char c = s.back();
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    s.remove_suffix(1);
  }
  return s;
}

size_t count_code_points(std::string_view utf8) {
  size_t count = 0;
  for (const char c : utf8) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

void append_double(std::string& out, double value) {
  char buf[32];
  std::to_chars_result r;
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e15) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(value));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, value);
    // The shortest text of a large integral value can be a bare integer
    // beyond 64 bits ("44444444444444442624"), which many JSON readers refuse
    // (simdjson's DOM, which reads state files, among them): use an exponent.
    if (std::string_view(buf, static_cast<size_t>(r.ptr - buf)).find_first_of(".eE") == std::string_view::npos) {
      r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    }
  }
  out.append(buf, r.ptr);
}

}  // namespace claimmap::json_text
