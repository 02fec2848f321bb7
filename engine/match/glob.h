// Globs as RE2 patterns (docs/spec.md §16): `*` any run of code points, `?`
// one code point, `\` escapes the next character; everything else is itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace claimmap {

// The RE2 pattern (to be matched anchored at both ends) that accepts what
// `glob` accepts; nullopt with *error set when the glob ends in a lone `\`.
std::optional<std::string> glob_to_regex(std::string_view glob, std::string* error);

// The glob's text before its first `*` or `?`, escapes resolved: every value
// it matches starts with it (`validate` compares it with the delimiter).
std::string glob_literal_text(std::string_view glob);

}  // namespace claimmap
