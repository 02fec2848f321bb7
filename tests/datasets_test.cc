// The datasets under datasets/ (one folder each: config.json, events.ndjson,
// expected.ndjson, expected-state.ndjson, README.md) are worked examples whose
// expected output was derived by hand from docs/spec.md. This test runs every folder
// it finds through the public API, as `claimmap eval` does, and requires the
// output and the exported state to match byte for byte. A new folder is picked
// up without an edit here. Runs from the repository root (ctest sets it).
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "claimmap/stream.h"

namespace claimmap {
namespace {

namespace fs = std::filesystem;

const fs::path kDatasetsDir = "datasets";

std::vector<fs::path> dataset_dirs() {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kDatasetsDir, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "config.json")) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Empty when equal; otherwise says where the first difference is and shows
// both lines, so a failure can be read without a diff tool.
std::string first_difference(const std::string& actual, const std::string& expected) {
  if (actual == expected) return "";
  const auto got = split_lines(actual);
  const auto want = split_lines(expected);
  for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    const std::string g = i < got.size() ? got[i] : "<no line>";
    const std::string w = i < want.size() ? want[i] : "<no line>";
    if (g != w) {
      return "first difference at output line " + std::to_string(i + 1) + "\n  actual:   " + g +
             "\n  expected: " + w;
    }
  }
  return "the lines are equal but the bytes differ (a missing final newline?)";
}

// A temporary file that removes itself.
class TempFile {
 public:
  TempFile() {
    std::string pattern = (fs::temp_directory_path() / "claimmap-datasets-XXXXXX").string();
    fd_ = mkstemp(pattern.data());
    path_ = pattern;
  }
  ~TempFile() {
    if (fd_ >= 0) close(fd_);
    std::remove(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

struct RunResult {
  std::string output;
  std::string state;
};

// Loads the dataset's config and runs its events as `claimmap eval` would.
RunResult run_dataset(const fs::path& dir, unsigned threads) {
  RunResult result;
  ConfigReport report;
  Result<Config> config = load_config_file((dir / "config.json").string(), &report);
  if (!config.ok()) {
    std::string all;
    for (const auto& e : report.errors) all += "\n  " + e.to_string();
    ADD_FAILURE() << "config rejected: " << config.status().to_string() << all;
    return result;
  }
  Engine engine(config.value());

  const std::string events = (dir / "events.ndjson").string();
  const int in_fd = open(events.c_str(), O_RDONLY);
  if (in_fd < 0) {
    ADD_FAILURE() << "cannot open " << events;
    return result;
  }
  TempFile out;
  if (out.fd() < 0) {
    close(in_fd);
    ADD_FAILURE() << "cannot create a temporary file";
    return result;
  }
  StreamOptions options;
  options.threads = threads;
  StreamSummary summary;
  const Status status = run_stream(engine, in_fd, out.fd(), options, &summary);
  close(in_fd);
  EXPECT_TRUE(status.ok()) << status.to_string();

  result.output = read_file(out.path());
  result.state = engine.export_state();
  return result;
}

TEST(Datasets, AtLeastFiveDatasetsExist) {
  ASSERT_TRUE(fs::is_directory(kDatasetsDir)) << "run from the repository root: no " << kDatasetsDir << " here ("
                                              << fs::current_path() << ")";
  EXPECT_GE(dataset_dirs().size(), 5u);
}

TEST(Datasets, EveryDatasetHasItsFiles) {
  for (const auto& dir : dataset_dirs()) {
    for (const char* name : {"events.ndjson", "expected.ndjson", "expected-state.ndjson", "README.md"}) {
      EXPECT_TRUE(fs::is_regular_file(dir / name)) << dir / name << " is missing";
    }
  }
}

TEST(Datasets, EveryConfigValidates) {
  for (const auto& dir : dataset_dirs()) {
    SCOPED_TRACE(dir.string());
    ConfigReport report;
    Result<Config> config = load_config_file((dir / "config.json").string(), &report);
    EXPECT_TRUE(config.ok()) << config.status().to_string();
    for (const auto& e : report.errors) ADD_FAILURE() << e.to_string();
  }
}

TEST(Datasets, OutputAndStateMatchTheExpectedFiles) {
  for (const auto& dir : dataset_dirs()) {
    SCOPED_TRACE(dir.string());
    const RunResult run = run_dataset(dir, 1);
    const std::string output_diff = first_difference(run.output, read_file(dir / "expected.ndjson"));
    EXPECT_TRUE(output_diff.empty()) << (dir / "expected.ndjson").string() << ": " << output_diff;
    const std::string state_diff = first_difference(run.state, read_file(dir / "expected-state.ndjson"));
    EXPECT_TRUE(state_diff.empty()) << (dir / "expected-state.ndjson").string() << ": " << state_diff;
  }
}

// docs/spec.md §8: the same input and config give byte-identical output whatever the
// thread count.
TEST(Datasets, OutputDoesNotDependOnTheThreadCount) {
  for (const auto& dir : dataset_dirs()) {
    SCOPED_TRACE(dir.string());
    const RunResult run = run_dataset(dir, 4);
    const std::string output_diff = first_difference(run.output, read_file(dir / "expected.ndjson"));
    EXPECT_TRUE(output_diff.empty()) << "with 4 threads, " << (dir / "expected.ndjson").string() << ": "
                                     << output_diff;
    const std::string state_diff = first_difference(run.state, read_file(dir / "expected-state.ndjson"));
    EXPECT_TRUE(state_diff.empty()) << "with 4 threads, " << (dir / "expected-state.ndjson").string() << ": "
                                    << state_diff;
  }
}

}  // namespace
}  // namespace claimmap
