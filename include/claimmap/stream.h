// claimmap/stream.h — evaluating an NDJSON event stream (what `claimmap eval`
// runs): lines in, one output line per non-blank input line out, in input
// order (docs/spec.md §8), plus a summary; config reloads at chosen lines (docs/spec.md §7).
//
// Not thread-safe per call: one run_stream() reads one input. It may run while
// other threads call the same Engine (their reloads included).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/counters.h"
#include "claimmap/engine.h"
#include "claimmap/status.h"

namespace claimmap {

// `eval --reload-at N=FILE`: `config` replaces the engine's just before input
// line `before_line` (1-based, blank lines counted). Its reload lines come
// before that line's result, each with "seq": before_line. A point past the
// last line applies at the end of the input.
struct ReloadPoint {
  uint64_t before_line = 1;
  Config config;
};

struct StreamOptions {
  bool changes_only = false;  // leave out lines that changed nothing (docs/spec.md §8)
  unsigned threads = 1;
  std::vector<ReloadPoint> reloads;  // applied in order of before_line (stable)
  // If set, the input bytes and events done so far, raised after each block
  // (about 64 KiB) is written: for a progress bar on another thread.
  std::atomic<uint64_t>* progress_bytes = nullptr;
  std::atomic<uint64_t>* progress_events = nullptr;
  // `eval --explain` (docs/spec.md §17): every ok line with a delta, reload
  // lines included, gets its "explain" object. Off, the output is §8's, byte
  // for byte, and nothing of it is computed.
  // Last, so that positional initialisers written before it keep their meaning.
  bool explain = false;
};

struct StreamSummary {
  uint64_t lines = 0;      // input lines, blank ones included
  uint64_t input_bytes = 0;
  EventCounters counters;  // every result line, reload lines included
  uint64_t reloads = 0;
  double seconds = 0;

  // A few lines for a person (the CLI prints it to stderr).
  std::string to_text() const;
};

// Reads NDJSON from file descriptor `in_fd` to its end and writes output lines
// to `out_fd`. Fails only on I/O errors (kIoError) and on a reload that
// cannot be applied; bad lines are output lines.
[[nodiscard]] Status run_stream(Engine& engine, int in_fd, int out_fd, const StreamOptions& options,
                                StreamSummary* summary);

// The same over bytes in memory, appending the output to `*output`.
[[nodiscard]] Status run_stream(Engine& engine, std::string_view input, std::string* output,
                                const StreamOptions& options, StreamSummary* summary);

}  // namespace claimmap
