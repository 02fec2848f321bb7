// Cuts an NDJSON input into lines, a large block at a time, without copying
// lines: each block keeps simdjson's padding after its end, so every line can
// be parsed in place. Blank lines (empty, or only spaces and tabs, docs/spec.md §8)
// are counted but not returned; a line's final CR is dropped; a line longer
// than the limit is measured while it streams past, never held whole.
//
// Not thread-safe: one reader per input. Blocks are owned by the caller and
// may be processed on other threads once next() has filled them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "claimmap/status.h"

namespace claimmap {

struct LineRef {
  uint64_t seq = 0;            // 1-based input line number
  size_t offset = 0;           // into LineBlock::bytes
  size_t length = 0;           // without newline and final CR
  bool oversize = false;       // longer than the limit: bytes not kept
  uint64_t oversize_length = 0;
};

struct LineBlock {
  std::vector<char> bytes;
  std::vector<LineRef> lines;  // the block's non-blank lines, in input order
  uint64_t input_bytes = 0;    // their bytes, newlines included

  std::string_view text(const LineRef& line) const { return {bytes.data() + line.offset, line.length}; }
};

class LineReader {
 public:
  LineReader(int fd, size_t block_bytes, size_t max_line_bytes);
  // Reads bytes in memory instead (copied block by block, like a file's).
  LineReader(std::string_view input, size_t block_bytes, size_t max_line_bytes);

  // Fills `block` with the next lines. Sets *done once the input is exhausted
  // and the block holds the last lines (possibly none). Fails only on read errors.
  Status next(LineBlock* block, bool* done);

  uint64_t lines_seen() const { return seq_; }  // blank lines included

 private:
  // Like read(2): bytes read, 0 at the end, -1 with errno on failure.
  ssize_t read_some(char* into, size_t capacity);
  void add_line(LineBlock* block, size_t offset, size_t length);
  void add_oversize(LineBlock* block, uint64_t length);

  int fd_;  // -1: reading memory_
  std::string_view memory_;
  size_t block_bytes_;
  size_t max_line_bytes_;
  std::vector<char> carry_;  // a partial line left over from the last block
  uint64_t skipping_ = 0;    // > 0 while an over-long line streams past
  bool eof_ = false;
  uint64_t seq_ = 0;
};

}  // namespace claimmap
