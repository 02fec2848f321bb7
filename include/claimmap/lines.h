// claimmap/lines.h — how an input becomes event lines (docs/spec.md §8).
// The one definition of the line limit and of the line rules: the engine's
// line reader, process_batch, the state reader, `claimmap publish` and the
// simulator's bad lines all use these.
//
// Header-only and stateless: safe from any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace claimmap {

// Lines longer than this (without the newline) get event_too_large unless
// EngineOptions::max_line_bytes says otherwise.
inline constexpr size_t kDefaultMaxLineBytes = size_t{1} << 20;

// A line's content: the line (without its newline) less one final CR, as
// input written on Windows ends its lines.
constexpr std::string_view line_content(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Whether a line's content holds no event: empty, or only spaces and tabs.
// Such a line is skipped without a result, but counted: the seq of the
// lines after it says where they were in the input.
constexpr bool is_blank_line(std::string_view content) {
  for (char c : content) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

}  // namespace claimmap
