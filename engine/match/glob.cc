#include "engine/match/glob.h"

#include <re2/re2.h>

namespace claimmap {
namespace {

// Bytes of the UTF-8 sequence that starts with `lead` (1 for a stray byte:
// the value is valid UTF-8, checked by the config's JSON parser).
size_t sequence_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

}  // namespace

std::optional<std::string> glob_to_regex(std::string_view glob, std::string* error) {
  // (?s): `*` and `?` take any code point, a newline included.
  std::string out = "(?s)";
  for (size_t i = 0; i < glob.size();) {
    const char c = glob[i];
    if (c == '*') {
      out += ".*";
      ++i;
      continue;
    }
    if (c == '?') {
      out += ".";
      ++i;
      continue;
    }
    if (c == '\\') {
      if (i + 1 == glob.size()) {
        *error = "ends with a lone \"\\\": escape it as \"\\\\\" to match a backslash";
        return std::nullopt;
      }
      ++i;
    }
    const size_t n = std::min(sequence_length(static_cast<unsigned char>(glob[i])), glob.size() - i);
    out += RE2::QuoteMeta(re2::StringPiece(glob.data() + i, n));
    i += n;
  }
  return out;
}

std::string glob_literal_text(std::string_view glob) {
  std::string out;
  for (size_t i = 0; i < glob.size(); ++i) {
    if (glob[i] == '*' || glob[i] == '?') break;
    if (glob[i] == '\\' && i + 1 < glob.size()) ++i;
    out.push_back(glob[i]);
  }
  return out;
}

}  // namespace claimmap
