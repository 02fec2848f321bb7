// Checkpoint fencing (worker/checkpoint.h, docs/scaleout.md "Fencing"), on a
// real nats-server started here on a loopback port: an owner that read or
// wrote the partition's newest manifest may replace it; one whose manifest
// has since been replaced by another owner is refused, and the newer
// checkpoint stays. Skipped when nats-server is not installed.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "worker/checkpoint.h"
#include "worker/jetstream.h"

extern char** environ;

namespace claimmap::scaleout {
namespace {

int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  close(s);
  return ntohs(a.sin_port);
}

class CheckpointFence : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v nats-server >/dev/null 2>&1") != 0) GTEST_SKIP() << "nats-server is not installed";
    char dir[] = "/tmp/claimmap-fence-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    const std::string port = std::to_string(free_port());
    const std::string store = dir_ + "/js";
    const char* argv[] = {"nats-server", "-a", "127.0.0.1", "-p", port.c_str(), "-js", "-sd", store.c_str(), nullptr};
    ASSERT_EQ(posix_spawnp(&pid_, "nats-server", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
    const std::string url = "nats://127.0.0.1:" + port;
    // Ready once a connection is accepted and the streams can be made.
    for (int i = 0; i < 100 && js_ == nullptr; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto conn = Connection::open(url, "checkpoint-fence-test");
      if (!conn.ok()) continue;
      auto js = JetStream::open(*conn.value());
      if (!js.ok() || !ensure_streams(*js.value(), GroupSettings{}).ok()) continue;
      conn_ = std::move(conn.value());
      js_ = std::move(js.value());
    }
    ASSERT_NE(js_, nullptr) << "nats-server did not become ready on " << url;
  }

  void TearDown() override {
    js_.reset();
    conn_.reset();
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  static Checkpoint checkpoint(uint64_t covered) {
    Checkpoint c;
    c.partition = 3;
    c.covered = covered;
    c.state = "state up to " + std::to_string(covered);
    return c;
  }

  pid_t pid_ = 0;
  std::string dir_;
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<JetStream> js_;
};

TEST_F(CheckpointFence, AnOwnerWhoseManifestWasReplacedCannotWriteOverTheNewerOne) {
  CheckpointStore store(*js_, 1 << 20);
  // The first owner: no checkpoint yet, so nothing to check against.
  uint64_t first = 0;
  ASSERT_TRUE(store.write(checkpoint(10), &first).ok());
  ASSERT_GT(first, 0u);

  // A successor takes over: it reads that checkpoint and writes a newer one.
  auto read = store.read(3);
  ASSERT_TRUE(read.ok() && read.value().has_value());
  EXPECT_EQ(read.value()->manifest_seq, first);
  uint64_t second = read.value()->manifest_seq;
  ASSERT_TRUE(store.write(checkpoint(20), &second).ok());
  EXPECT_GT(second, first);

  // The first owner, not yet aware, tries to checkpoint its older state.
  const Status stale = store.write(checkpoint(15), &first);
  EXPECT_FALSE(stale.ok());
  EXPECT_NE(stale.message().find("another owner"), std::string::npos) << stale.to_string();

  // The newer checkpoint stays, state and all, and its owner goes on.
  read = store.read(3);
  ASSERT_TRUE(read.ok() && read.value().has_value());
  EXPECT_EQ(read.value()->covered, 20u);
  EXPECT_EQ(read.value()->state, "state up to 20");
  ASSERT_TRUE(store.write(checkpoint(30), &second).ok());
  read = store.read(3);
  ASSERT_TRUE(read.ok() && read.value().has_value());
  EXPECT_EQ(read.value()->covered, 30u);
}

TEST_F(CheckpointFence, AWriteWithoutAFenceIsNotChecked) {
  // `publish --seed-state` writes the first checkpoints with no owner.
  CheckpointStore store(*js_, 1 << 20);
  ASSERT_TRUE(store.write(checkpoint(5)).ok());
  ASSERT_TRUE(store.write(checkpoint(6)).ok());
  auto read = store.read(3);
  ASSERT_TRUE(read.ok() && read.value().has_value());
  EXPECT_EQ(read.value()->covered, 6u);
}

}  // namespace
}  // namespace claimmap::scaleout
