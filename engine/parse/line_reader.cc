#include "engine/parse/line_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include <simdjson.h>

#include "claimmap/lines.h"

namespace claimmap {

LineReader::LineReader(int fd, size_t block_bytes, size_t max_line_bytes)
    : fd_(fd), block_bytes_(block_bytes), max_line_bytes_(max_line_bytes) {}

LineReader::LineReader(std::string_view input, size_t block_bytes, size_t max_line_bytes)
    : fd_(-1), memory_(input), block_bytes_(block_bytes), max_line_bytes_(max_line_bytes) {}

ssize_t LineReader::read_some(char* into, size_t capacity) {
  if (fd_ >= 0) return ::read(fd_, into, capacity);
  const size_t n = std::min(capacity, memory_.size());
  std::memcpy(into, memory_.data(), n);
  memory_.remove_prefix(n);
  return static_cast<ssize_t>(n);
}

void LineReader::add_line(LineBlock* block, size_t offset, size_t length) {
  ++seq_;
  const std::string_view content = line_content(std::string_view(block->bytes.data() + offset, length));
  if (is_blank_line(content)) return;
  length = content.size();
  block->lines.push_back(LineRef{seq_, offset, length, false, 0});
  block->input_bytes += length + 1;
}

void LineReader::add_oversize(LineBlock* block, uint64_t length) {
  ++seq_;
  block->lines.push_back(LineRef{seq_, 0, 0, true, length});
  block->input_bytes += length + 1;
}

Status LineReader::next(LineBlock* block, bool* done) {
  block->lines.clear();
  block->input_bytes = 0;
  // Room for a carried partial line (at most the limit + CR + 1) plus a whole
  // block, and the padding simdjson may read past the last line.
  size_t capacity = block_bytes_ + max_line_bytes_ + 2;
  // Input in memory needs no more room than what is left of it (+1 so that
  // the read that finds its end fits): a server request of one short line
  // must not clear megabytes.
  if (fd_ < 0) capacity = std::min(capacity, carry_.size() + memory_.size() + 1);
  block->bytes.resize(capacity + simdjson::SIMDJSON_PADDING);
  size_t filled = carry_.size();
  if (filled > 0) std::memcpy(block->bytes.data(), carry_.data(), filled);
  carry_.clear();

  while (block->lines.empty() && !eof_) {
    // Read until a block's worth is in (or the input ends).
    const size_t start = filled;
    while (!eof_ && filled - start < block_bytes_ && filled < capacity) {
      // At most a block's worth: the room past it is for a line that runs
      // over the block's end, not for reading more lines than a block holds.
      const size_t want = std::min(capacity - filled, block_bytes_ - (filled - start));
      const ssize_t n = read_some(block->bytes.data() + filled, want);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status(ErrorCode::kIoError, std::string("cannot read input: ") + std::strerror(errno));
      }
      if (n == 0) eof_ = true;
      filled += static_cast<size_t>(n);
    }
    size_t pos = 0;
    for (;;) {
      const void* nl = std::memchr(block->bytes.data() + pos, '\n', filled - pos);
      if (nl == nullptr) break;
      const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - block->bytes.data());
      if (skipping_ > 0) {
        add_oversize(block, skipping_ + (end - pos));
        skipping_ = 0;
      } else {
        add_line(block, pos, end - pos);
      }
      pos = end + 1;
    }
    const size_t rest = filled - pos;
    if (eof_) {
      if (skipping_ > 0) {
        add_oversize(block, skipping_ + rest);
        skipping_ = 0;
      } else if (rest > 0) {
        add_line(block, pos, rest);  // a final line without newline
      }
    } else if (skipping_ > 0 || rest > max_line_bytes_ + 1) {
      skipping_ += rest;  // too long already (the +1 allows a final CR): measure and drop
      filled = 0;
    } else if (!block->lines.empty()) {
      carry_.assign(block->bytes.data() + pos, block->bytes.data() + filled);
    } else {
      // No complete line yet: keep the partial line at the front and read on.
      std::memmove(block->bytes.data(), block->bytes.data() + pos, rest);
      filled = rest;
    }
  }
  *done = eof_ && carry_.empty() && skipping_ == 0;
  return Status();
}

}  // namespace claimmap
