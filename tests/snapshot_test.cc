// docs/spec.md §9, binary form: round trip, loading under a changed config, and
// refusal of damaged or truncated snapshots without half-loading.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/test_util.h"

namespace claimmap::testing {
namespace {


class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.run(entra_login("u1", R"(["g-mkt", "g-read"])", R"(, "iat": 1700000000.5, "dept": "Sales")"));
    h_.run(R"({"type": "assign", "provider": "kc", "subject": "k\u0000 2", "group": "hr"})");
    h_.run(R"({"type": "grant", "provider": "entra", "subject": "u1", "role": "Ops.Pager"})");
    h_.run(R"({"type": "suspend", "provider": "adfs", "subject": "s3"})");
    // ctest runs each test in its own process, in parallel: one file each.
    path_ = ::testing::TempDir() + "/claimmap_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" + std::to_string(::getpid()) + ".snap";
    ASSERT_TRUE(h_.engine().save_state_file(path_).ok());
  }
  void TearDown() override { std::remove(path_.c_str()); }

  void expect_refused(const std::string& bytes, const std::string& message_part) {
    write_all(path_, bytes);
    EngineHarness other;
    other.run(entra_login("keep", "[]"));
    const std::string before = other.engine().export_state();
    Status s = other.engine().load_state_file(path_);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidState) << s.message();
    EXPECT_NE(s.message().find(message_part), std::string::npos) << s.message();
    EXPECT_EQ(other.engine().export_state(), before) << "a refused snapshot must change nothing";
  }

  EngineHarness h_;
  std::string path_;
};

TEST_F(SnapshotTest, IsBinaryAndRoundTrips) {
  const std::string bytes = read_all(path_);
  EXPECT_EQ(bytes.compare(0, 7, "CLMSNAP"), 0);
  EngineHarness other;
  StateLoadReport report;
  ASSERT_TRUE(other.engine().load_state_file(path_, &report).ok());
  EXPECT_EQ(report.users, 3u);
  EXPECT_EQ(other.engine().export_state(), h_.engine().export_state());
}

TEST_F(SnapshotTest, SameStateGivesSameBytes) {
  const std::string again = path_ + ".again";
  ASSERT_TRUE(h_.engine().save_state_file(again).ok());
  EXPECT_EQ(read_all(again), read_all(path_));
  std::remove(again.c_str());
}

TEST_F(SnapshotTest, LoadsUnderAChangedConfigLikeNdjson) {
  std::string config = kBaseConfig;
  const std::string mapping =
      R"({"id": "m-mkt", "provider": "entra", "claim": "groups", "value": "g-mkt", "group": "marketing"},)";
  config.erase(config.find(mapping), mapping.size());
  EngineHarness other(config);
  StateLoadReport report;
  ASSERT_TRUE(other.engine().load_state_file(path_, &report).ok());
  EXPECT_EQ(report.dropped_mapped, 1u);
  EXPECT_EQ(other.engine().effective_roles("entra", "u1"), Names({"Crm.Viewer", "Ops.Pager"}));
}

TEST_F(SnapshotTest, TruncatedIsRefused) {
  const std::string bytes = read_all(path_);
  expect_refused(bytes.substr(0, bytes.size() - 1), "truncated");
  expect_refused(bytes.substr(0, 20), "truncated");
  expect_refused(bytes.substr(0, bytes.size() / 2), "truncated");
}

TEST_F(SnapshotTest, FlippedByteIsRefused) {
  std::string bytes = read_all(path_);
  bytes[bytes.size() / 2] ^= 0x20;
  expect_refused(bytes, "checksum");
}

TEST_F(SnapshotTest, TrailingBytesAreRefused) { expect_refused(read_all(path_) + "x", "trailing"); }

TEST_F(SnapshotTest, OtherVersionIsRefused) {
  std::string bytes = read_all(path_);
  bytes[8] = 3;
  expect_refused(bytes, "format version 3, newer than this build reads");
}

TEST_F(SnapshotTest, NdjsonNameGetsTheNdjsonForm) {
  const std::string ndjson = path_ + ".ndjson";
  ASSERT_TRUE(h_.engine().save_state_file(ndjson).ok());
  EXPECT_EQ(read_all(ndjson), h_.engine().export_state());
  std::remove(ndjson.c_str());
}

}  // namespace
}  // namespace claimmap::testing
