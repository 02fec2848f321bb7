// Small text helpers shared by every JSON reader and writer in the engine: one
// place that escapes strings, checks number syntax and counts code points.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace claimmap::json_text {

// Appends `s` as a JSON string literal (with quotes). Escapes `"`, `\` and
// control characters; every other byte, UTF-8 included, is copied as is.
void append_quoted(std::string& out, std::string_view s);
std::string quoted(std::string_view s);

// True when `s` is exactly a JSON number (RFC 8259 §6 grammar).
bool is_number(std::string_view s);
// True when `s` is a JSON number without fraction or exponent ("1000", "-3").
bool is_integer(std::string_view s);

// Strips the whitespace simdjson leaves after a raw token.
std::string_view trim_json_whitespace(std::string_view s);

// Number of Unicode code points in valid UTF-8 text.
size_t count_code_points(std::string_view utf8);

// Shortest text that reads back as `value`; integral values print without a
// fraction ("1700000000"), as they came in.
void append_double(std::string& out, double value);

}  // namespace claimmap::json_text
