// Bad paths are values (docs/spec.md §10): every loader of the library, given
// a directory, a FIFO with no writer, a socket, a device or a missing file,
// returns a kIoError naming the path and what it is — no exception, no
// abort, no wait — and the output checks of claimmap/paths.h refuse what
// cannot be written while creating nothing.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "claimmap/paths.h"
#include "claimmap/service.h"
#include "cli/flag_values.h"
#include "engine/common/file_io.h"
#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

namespace fs = std::filesystem;

// A scratch directory holding one of each kind of bad path. A FIFO read
// that waited for a writer would hang the test: alarm() turns that into a
// failure (the default SIGALRM kills the binary) instead.
class FilePaths : public ::testing::Test {
 protected:
  void SetUp() override {
    ::alarm(60);
    dir_ = ::testing::TempDir() + "file_paths_" + std::to_string(::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_ + "/subdir");
    fifo_ = dir_ + "/fifo";
    ASSERT_EQ(::mkfifo(fifo_.c_str(), 0644), 0);
    socket_ = dir_ + "/sock";
    socket_fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(socket_.size(), sizeof addr.sun_path);
    socket_.copy(addr.sun_path, socket_.size());
    ASSERT_EQ(::bind(socket_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    file_ = dir_ + "/file";
    std::ofstream(file_) << "x\n";
  }
  void TearDown() override {
    ::close(socket_fd_);
    fs::remove_all(dir_);
    ::alarm(0);
  }

  // Each bad input with the words its message must hold.
  struct BadInput {
    std::string path, says;
  };
  std::vector<BadInput> bad_inputs() const {
    return {{dir_ + "/subdir", "is a directory"},
            {fifo_, "is a FIFO or pipe, not a regular file"},
            {socket_, "is a socket, not a regular file"},
            {"/dev/null", "is a character device, not a regular file"},
            {dir_ + "/missing.json", "No such file or directory"},
            {file_ + "/x", "Not a directory"}};
  }

  // Runs `load` on every bad input: a kIoError naming the path and the kind.
  void expect_refused(const std::string& what, const std::function<Status(const std::string&)>& load) {
    for (const BadInput& bad : bad_inputs()) {
      Status s;
      EXPECT_NO_THROW(s = load(bad.path)) << what << " " << bad.path;
      EXPECT_EQ(s.code(), ErrorCode::kIoError) << what << " " << bad.path << ": " << s.message();
      EXPECT_NE(s.message().find(bad.path), std::string::npos) << what << ": " << s.message();
      EXPECT_NE(s.message().find(bad.says), std::string::npos) << what << ": " << s.message();
    }
  }

  std::string dir_, fifo_, socket_, file_;
  int socket_fd_ = -1;
};

TEST_F(FilePaths, ReadFileRefusesWhatIsNotARegularFile) {
  expect_refused("read_file", [](const std::string& p) { return read_file(p).status(); });
  EXPECT_EQ(read_file("").status().code(), ErrorCode::kIoError);
  Result<std::string> good = read_file(file_);
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ(good.value(), "x\n");
}

TEST_F(FilePaths, ReadFileReadsAnEmptyFile) {
  std::ofstream(dir_ + "/empty").flush();
  Result<std::string> empty = read_file(dir_ + "/empty");
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ(empty.value(), "");
}

// A regular file that holds more than its size says (procfs reports 0) is
// refused, as one that grows while read would be: never read short.
TEST_F(FilePaths, ReadFileRefusesAFileWhoseSizeChangesUnderIt) {
  Result<std::string> proc = read_file("/proc/self/status");
  ASSERT_FALSE(proc.ok());
  EXPECT_EQ(proc.status().code(), ErrorCode::kIoError);
  EXPECT_NE(proc.status().message().find("grew while being read"), std::string::npos) << proc.status().message();
}

// The parallel reader (state files) refuses what read_file refuses, with the
// same message, and reads what it reads — here across several 8 MiB pieces,
// with simdjson's padding zeroed past the end.
TEST_F(FilePaths, ParallelReadIsReadFileInPieces) {
  expect_refused("read_file_in_parallel", [](const std::string& p) { return read_file_in_parallel(p).status(); });
  const Result<FileBytes> proc = read_file_in_parallel("/proc/self/status");
  ASSERT_FALSE(proc.ok());
  EXPECT_EQ(proc.status().message(), read_file("/proc/self/status").status().message());
  std::string big(size_t{20} << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7919 % 26));
  std::ofstream(dir_ + "/big", std::ios::binary) << big;
  const Result<FileBytes> read = read_file_in_parallel(dir_ + "/big");
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_TRUE(read.value().view() == big);
  for (size_t i = 0; i < kReadPadding; ++i) EXPECT_EQ(read.value().view().data()[big.size() + i], '\0');
  std::ofstream(dir_ + "/empty2").flush();
  const Result<FileBytes> empty = read_file_in_parallel(dir_ + "/empty2");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.value().size(), 0u);
}

// The piece reader (NDJSON state loads) refuses what read_file refuses, with
// the same message, reads any range, and refuses a file that shrinks or grows
// under it.
TEST_F(FilePaths, FileReaderReadsPiecesAndRefusesAFileThatChangesSize) {
  expect_refused("FileReader::open", [](const std::string& p) { return FileReader::open(p).status(); });
  Result<FileReader> proc = FileReader::open("/proc/self/status");
  ASSERT_TRUE(proc.ok()) << proc.status().message();
  EXPECT_EQ(proc.value().check_no_more().message(), read_file("/proc/self/status").status().message());
  const std::string path = dir_ + "/pieces";
  std::ofstream(path, std::ios::binary) << "0123456789";
  Result<FileReader> file = FileReader::open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file.value().size(), 10u);
  char piece[4] = {};
  ASSERT_TRUE(file.value().read(piece, 6, 4).ok());
  EXPECT_EQ(std::string_view(piece, 4), "6789");
  EXPECT_TRUE(file.value().check_no_more().ok());
  ASSERT_EQ(::truncate(path.c_str(), 7), 0);
  const Status shrank = file.value().read(piece, 6, 4);
  EXPECT_EQ(shrank.code(), ErrorCode::kIoError);
  EXPECT_NE(shrank.message().find(path + ": it shrank while being read"), std::string::npos) << shrank.message();
  std::ofstream(path, std::ios::binary) << "0123456789ab";
  EXPECT_NE(file.value().check_no_more().message().find("grew while being read"), std::string::npos);
}

// An NDJSON state that shrinks while it is loaded is refused whole, never
// loaded short: here procfs, whose size says 0 and which then holds more.
TEST_F(FilePaths, StateLoadRefusesAFileWhoseSizeChangesUnderIt) {
  Engine engine(must_load(kBaseConfig));
  const Status s = engine.load_state_file("/proc/self/status");
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_NE(s.message().find("grew while being read"), std::string::npos) << s.message();
}

TEST_F(FilePaths, LoadersReturnAStatusForEveryBadPath) {
  expect_refused("load_config_file", [](const std::string& p) { return load_config_file(p).status(); });
  expect_refused("read_text_file", [](const std::string& p) { return read_text_file(p).status(); });
  expect_refused("read_token_file", [](const std::string& p) { return cli::read_token_file(p).status(); });
  expect_refused("inspect_state_file", [](const std::string& p) { return inspect_state_file(p).status(); });
  expect_refused("load_state_file", [](const std::string& p) {
    Engine engine(must_load(kBaseConfig));
    return engine.load_state_file(p);
  });
  expect_refused("open_engine --config", [](const std::string& p) {
    OpenReport report;
    return open_engine(p, "", &report).status();
  });
  const std::string config = dir_ + "/config.json";
  std::ofstream(config) << kBaseConfig;
  expect_refused("open_engine --state", [&config](const std::string& p) {
    OpenReport report;
    return open_engine(config, p, &report).status();
  });
  expect_refused("convert_state_file IN", [this](const std::string& p) {
    return convert_state_file(p, dir_ + "/out.ndjson", nullptr);
  });
  EXPECT_FALSE(fs::exists(dir_ + "/out.ndjson"));
  ConfigReport report;
  Result<ReloadPoint> reload = cli::parse_reload_point("3=" + dir_ + "/subdir", &report);
  EXPECT_EQ(reload.status().code(), ErrorCode::kIoError);
  EXPECT_NE(reload.status().message().find("is a directory"), std::string::npos) << reload.status().message();
}

TEST_F(FilePaths, UnreadableFileIsRefused) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads a mode-000 file";
  const std::string locked = dir_ + "/locked.json";
  std::ofstream(locked) << kBaseConfig;
  ::chmod(locked.c_str(), 0);
  Status s = load_config_file(locked).status();
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_NE(s.message().find("cannot open " + locked + ": Permission denied"), std::string::npos) << s.message();
  EXPECT_EQ(check_input_file(locked).code(), ErrorCode::kIoError);
}

TEST_F(FilePaths, InputChecksTellFilesFromStreams) {
  EXPECT_TRUE(check_input_file(file_).ok());
  EXPECT_TRUE(check_input_stream(file_).ok());
  // A FIFO (or a pipe, `eval <(gen)`) and a device are event streams...
  EXPECT_TRUE(check_input_stream(fifo_).ok());
  EXPECT_TRUE(check_input_stream("/dev/null").ok());
  // ...but not files to load whole.
  EXPECT_EQ(check_input_file(fifo_).code(), ErrorCode::kIoError);
  EXPECT_EQ(check_input_file("/dev/null").code(), ErrorCode::kIoError);
  for (const std::string& bad : {dir_ + "/subdir", socket_, dir_ + "/missing"}) {
    const Status s = check_input_stream(bad);
    EXPECT_EQ(s.code(), ErrorCode::kIoError) << bad;
    EXPECT_NE(s.message().find(bad), std::string::npos) << s.message();
  }
  EXPECT_NE(check_input_stream(dir_ + "/subdir").message().find("is a directory"), std::string::npos);
}

TEST_F(FilePaths, OutputChecksRefuseWhatCannotBeWrittenAndCreateNothing) {
  for (const OutputWrite how : {OutputWrite::kInPlace, OutputWrite::kReplaced}) {
    EXPECT_TRUE(check_output_file(dir_ + "/new.ndjson", how).ok());
    EXPECT_TRUE(check_output_file(file_, how).ok());
    struct Case {
      std::string path, says;
    };
    for (const Case& c : std::vector<Case>{{dir_ + "/subdir", "is a directory"},
                                           {dir_ + "/subdir/", "is a directory"},
                                           {dir_ + "/nowhere/out", "directory " + dir_ + "/nowhere does not exist"},
                                           {file_ + "/out", "Not a directory"},
                                           {dir_ + "/new/", "names a directory"},
                                           {"", "an empty path"}}) {
      const Status s = check_output_file(c.path, how);
      EXPECT_EQ(s.code(), ErrorCode::kIoError) << c.path;
      EXPECT_NE(s.message().find("cannot write " + c.path), std::string::npos) << s.message();
      EXPECT_NE(s.message().find(c.says), std::string::npos) << s.message();
    }
  }
  EXPECT_FALSE(fs::exists(dir_ + "/new.ndjson"));
  EXPECT_FALSE(fs::exists(dir_ + "/nowhere"));
  // Written in place, a FIFO or /dev/null is a fine output; replaced by a
  // rename, it would be destroyed.
  EXPECT_TRUE(check_output_file(fifo_, OutputWrite::kInPlace).ok());
  EXPECT_TRUE(check_output_file("/dev/null", OutputWrite::kInPlace).ok());
  for (const std::string& special : {fifo_, std::string("/dev/null"), socket_}) {
    const Status s = check_output_file(special, OutputWrite::kReplaced);
    EXPECT_EQ(s.code(), ErrorCode::kIoError) << special;
    EXPECT_NE(s.message().find("must be a regular file"), std::string::npos) << s.message();
  }
  // A name too long for the temp file beside it.
  EXPECT_EQ(check_output_file(dir_ + "/" + std::string(240, 'n'), OutputWrite::kReplaced).code(), ErrorCode::kIoError);
  EXPECT_TRUE(check_output_file(dir_ + "/" + std::string(240, 'n'), OutputWrite::kInPlace).ok());
}

TEST_F(FilePaths, OutputChecksHonourPermissions) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may write anywhere";
  const std::string locked = dir_ + "/locked";
  fs::create_directories(locked);
  std::ofstream(dir_ + "/readonly") << "x";
  ::chmod((dir_ + "/readonly").c_str(), 0444);
  ::chmod(locked.c_str(), 0555);
  EXPECT_EQ(check_output_file(locked + "/out", OutputWrite::kInPlace).code(), ErrorCode::kIoError);
  EXPECT_EQ(check_output_file(dir_ + "/readonly", OutputWrite::kReplaced).code(), ErrorCode::kIoError);
  EXPECT_EQ(check_output_directory(locked + "/a/b").code(), ErrorCode::kIoError);
  ::chmod(locked.c_str(), 0755);
}

TEST_F(FilePaths, OutputDirectoryCheck) {
  EXPECT_TRUE(check_output_directory(dir_).ok());
  EXPECT_TRUE(check_output_directory(dir_ + "/a/b/c").ok());
  EXPECT_FALSE(fs::exists(dir_ + "/a"));
  for (const std::string& bad : {file_, file_ + "/a", fifo_, std::string()}) {
    const Status s = check_output_directory(bad);
    EXPECT_EQ(s.code(), ErrorCode::kIoError) << bad;
    EXPECT_NE(s.message().find(bad.empty() ? "empty path" : bad), std::string::npos) << s.message();
  }
}

TEST_F(FilePaths, ConvertChecksOutBeforeReadingIn) {
  // IN is a FIFO with no writer: were it read first, it would be refused for
  // being a FIFO; OUT's problem is reported instead, IN untouched.
  const Status s = convert_state_file(fifo_, dir_ + "/subdir", nullptr);
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_NE(s.message().find("cannot write " + dir_ + "/subdir: is a directory"), std::string::npos) << s.message();
}

TEST_F(FilePaths, SaveStateNamesThePathWhenItFails) {
  Engine engine(must_load(kBaseConfig));
  const Status s = engine.save_state_file(dir_ + "/nowhere/state.bin");
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_EQ(s.message().rfind("cannot write " + dir_ + "/nowhere/state.bin: ", 0), 0u) << s.message();
}

}  // namespace
}  // namespace claimmap::testing
