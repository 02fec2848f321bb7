// How the stream cuts its input into blocks (engine/parse/line_reader.h): a
// block holds about block_bytes of lines — no more than one line past it,
// from a file as from memory — and a line longer than a block (but within
// the limit) still comes whole. The pipeline's block size is chosen for the
// cache (engine/stream/pipeline.cc), so a reader that read far more than a
// block at a time would silently undo that choice.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <string>

#include "engine/parse/line_reader.h"

namespace claimmap {
namespace {

constexpr size_t kBlock = 64;
constexpr size_t kMaxLine = 4096;

// Every line through a reader, checking each block's size; the lines joined
// by '\n' into *joined.
void read_all(LineReader& reader, size_t longest_line, std::string* joined) {
  LineBlock block;
  for (bool done = false; !done;) {
    ASSERT_TRUE(reader.next(&block, &done).ok());
    size_t bytes = 0;
    for (const LineRef& line : block.lines) {
      bytes += line.length + 1;
      joined->append(block.text(line));
      joined->push_back('\n');
    }
    // At most a block, plus the one line that crossed its end.
    EXPECT_LE(bytes, kBlock + longest_line + 1) << "a block of " << block.lines.size() << " lines";
  }
}

std::string short_lines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "{\"n\": " + std::to_string(i) + "}\n";
  return s;
}

TEST(LineReader, MemoryInputComesInBlocksOfAboutBlockBytes) {
  const std::string input = short_lines(500);  // ~6 KB: ~100 blocks of 64 bytes
  LineReader reader(input, kBlock, kMaxLine);
  std::string joined;
  read_all(reader, 12, &joined);
  EXPECT_EQ(joined, input);
  EXPECT_EQ(reader.lines_seen(), 500u);
}

TEST(LineReader, FileInputComesInBlocksOfAboutBlockBytes) {
  const std::string input = short_lines(500);
  char path[] = "/tmp/claimmap-line-reader-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
  LineReader reader(fd, kBlock, kMaxLine);
  std::string joined;
  read_all(reader, 12, &joined);
  close(fd);
  std::remove(path);
  EXPECT_EQ(joined, input);
}

TEST(LineReader, ALineLongerThanABlockStillComesWhole) {
  const std::string long_line = "{\"pad\": \"" + std::string(1000, 'x') + "\"}";
  const std::string input = "{\"a\": 1}\n" + long_line + "\n{\"b\": 2}\n";
  LineReader reader(input, kBlock, kMaxLine);
  std::string joined;
  read_all(reader, long_line.size(), &joined);
  EXPECT_EQ(joined, input);
  EXPECT_EQ(reader.lines_seen(), 3u);
}

}  // namespace
}  // namespace claimmap
