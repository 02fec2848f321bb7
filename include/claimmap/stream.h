// claimmap/stream.h — evaluating an NDJSON event stream (what `claimmap eval`
// runs): lines in, one output line per non-blank input line out, in input
// order (SPEC §8), plus a summary.
//
// Not thread-safe per call: one run_stream() reads one input. It may run while
// other threads call the same Engine.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "claimmap/engine.h"
#include "claimmap/status.h"

namespace claimmap {

struct StreamOptions {
  bool changes_only = false;  // leave out lines that changed nothing (docs/semantics.md)
  unsigned threads = 1;
};

struct StreamSummary {
  uint64_t lines = 0;   // input lines, blank ones included
  uint64_t events = 0;  // non-blank lines
  uint64_t ok = 0, stale = 0, suspended = 0, errors = 0;
  std::array<uint64_t, kEventErrorCodeCount + 1> errors_by_code{};  // indexed by ErrorCode
  uint64_t new_users = 0;
  uint64_t groups_added = 0, groups_removed = 0, roles_granted = 0, roles_revoked = 0;
  uint64_t input_bytes = 0;
  double seconds = 0;

  // A few lines for a person (the CLI prints it to stderr).
  std::string to_text() const;
};

// Reads NDJSON from file descriptor `in_fd` to its end and writes output lines
// to `out_fd`. Fails only on I/O errors (kIoError); bad lines are output lines.
Status run_stream(Engine& engine, int in_fd, int out_fd, const StreamOptions& options, StreamSummary* summary);

}  // namespace claimmap
