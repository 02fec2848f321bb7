// docs/spec.md §9 under faults: snapshots truncated at every section boundary
// and damaged in every section, a writer killed (SIGKILL) in the middle of a
// save, a full disk, a file-size limit, a read-only directory, refused loads
// while events run, round trips between the two forms, loading under an
// edited config, and saves and loads while other threads process events
// (the StateConcurrency.* tests, which `make tsan` runs under ThreadSanitizer).
//
// ctest runs every test in its own process, in parallel: each uses paths
// unique to the test and the process (see tests/snapshot_test.cc).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "claimmap/service.h"
#include "tests/test_util.h"

// XXH3, header-only, to write snapshots by hand (engine/state/snapshot.h).
#define XXH_INLINE_ALL
#include <xxhash.h>

// Under ThreadSanitizer (`make tsan`): a state load or import swaps the store
// in whole holding the engine's admin mutex and all 64 shard locks
// (UserStore::replace_all), 65 at once, more than TSan's lock-order
// (deadlock) detector can track (64): it stops the process with "CHECK
// failed: sanitizer_deadlock_detector.h:67". Only that detector is turned
// off here; data races are still reported. TSAN_OPTIONS from the
// environment still apply on top of this default.
#if defined(__SANITIZE_THREAD__)
#define CLAIMMAP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CLAIMMAP_TSAN 1
#endif
#endif
#ifdef CLAIMMAP_TSAN
extern "C" const char* __tsan_default_options() { return "detect_deadlocks=0"; }
#endif

namespace claimmap::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Files and directories


// "Suite_Test_PID": unique per test and per process.
std::string unique_tag() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string(info->test_suite_name()) + "_" + info->name() + "_" + std::to_string(::getpid());
}

// A fresh directory of its own, removed with everything in it.
class TempDirectory {
 public:
  TempDirectory() {
    std::string pattern = ::testing::TempDir() + "/claimmap_faults_" + unique_tag() + "_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp " << pattern << ": " << std::strerror(errno);
    }
    path_ = pattern;
  }
  ~TempDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // The names of the entries, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::string path_;
};

// A tmpfs (or bind) mount on a directory, unmounted on destruction.
class ScopedMount {
 public:
  explicit ScopedMount(const std::string& dir) : dir_(dir) {}
  ~ScopedMount() {
    if (mounted_ && ::umount2(dir_.c_str(), 0) != 0) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  // A tmpfs of `size` (mount options, "1m"). False, with errno, when denied.
  bool tmpfs(const std::string& size) {
    const std::string options = "size=" + size + ",mode=0755";
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0;
    error_ = errno;
    options_ = options;
    return mounted_;
  }
  // Makes the mount read-only (the tmpfs remounted, else a read-only bind of itself).
  bool make_read_only() {
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, options_.c_str()) == 0) {
      return true;
    }
    const bool ok = ::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0;
    error_ = errno;
    return ok;
  }
  std::string last_error() const { return std::strerror(error_); }

 private:
  std::string dir_, options_;
  bool mounted_ = false;
  int error_ = 0;
};

// ---------------------------------------------------------------------------
// State texts, in the exact canonical form export_state writes (docs/spec.md §9.2)

// A JSON string as §8.1 writes it.
std::string quote(const std::string& s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// The members after "subject" of one of four kinds of user, all justified by kBaseConfig.
std::string user_rest(size_t kind, size_t i) {
  switch (kind % 4) {
    case 0:
      return R"({"marketing": ["m-mkt"]}, "manual": [], "direct_roles": [], "last_iat": )" +
             std::to_string(1700000000 + i) + R"(, "suspended": false})";
    case 1:
      return R"({"readers": ["m-read", "m-read2"]}, "manual": ["hr"], "direct_roles": ["Ops.Pager"], "last_iat": null, "suspended": false})";
    case 2:
      return R"({}, "manual": [], "direct_roles": [], "last_iat": 1700000000.5, "suspended": true})";
    default:
      return R"({"hr": ["m-flag", "m-level"], "marketing": ["m-mkt"]}, "manual": ["devs"], "direct_roles": ["Crm.Viewer", "Hr.Admin"], "last_iat": 4.444444444444444e+19, "suspended": false})";
  }
}

std::string state_line(const std::string& provider, const std::string& subject, const std::string& rest) {
  return "{\"provider\": " + quote(provider) + ", \"subject\": " + quote(subject) + ", \"mapped\": " + rest + "\n";
}

// `n` entra users PREFIX0000000…, sorted: the NDJSON export of their state.
std::string bulk_state(size_t n, const std::string& prefix, size_t kind_offset = 0) {
  std::string out;
  out.reserve(n * 170);
  char subject[64];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(subject, sizeof subject, "%s%07zu", prefix.c_str(), i);
    out += state_line("entra", subject, user_rest(i + kind_offset, i));
  }
  return out;
}

// A few users of every provider, with subjects that need escapes, sorted.
std::string odd_users_state() {
  std::vector<std::tuple<std::string, std::string, std::string>> users = {
      {"adfs", "CN=Ops;x", R"({"devs": ["m-saml"], "hr": ["m-saml2"]}, "manual": [], "direct_roles": [], "last_iat": null, "suspended": false})"},
      {"adfs", std::string("n\0l", 3), user_rest(2, 0)},
      {"entra", "quote\"back\\slash", user_rest(1, 0)},
      {"entra", "tab\tnew\nline\x01", user_rest(0, 7)},
      {"entra", "\xc3\xa9t\xc3\xa9", R"({}, "manual": [], "direct_roles": [], "last_iat": 0.125, "suspended": false})"},
      {"kc", "1000", R"({"marketing": ["m-kc"], "readers": ["m-ns"]}, "manual": ["readers"], "direct_roles": [], "last_iat": -3, "suspended": true})"},
      {"kc", "k\xe2\x82\xac", R"({"readers": ["m-ns"]}, "manual": ["devs"], "direct_roles": ["Crm.Viewer", "Hr.Admin"], "last_iat": 4.444444444444444e+19, "suspended": false})"},
  };
  std::sort(users.begin(), users.end());
  std::string out;
  for (const auto& [p, s, rest] : users) out += state_line(p, s, rest);
  return out;
}

// The lines of two sorted state texts merged, sorted by provider then subject.
std::string merged_state(const std::string& a, const std::string& b) {
  std::vector<std::string> lines = lines_of(a), more = lines_of(b);
  lines.insert(lines.end(), more.begin(), more.end());
  // Whole lines sort as (provider, subject) here: no provider or subject of
  // these states is a prefix of another, and their escapes keep the order.
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::unique_ptr<Engine> engine_with_state(const Config& config, const std::string& ndjson) {
  auto engine = std::make_unique<Engine>(config);
  Status s = engine->import_state(ndjson);
  EXPECT_TRUE(s.ok()) << s.message();
  return engine;
}

// An engine that already holds a few users: the target of loads that must be refused.
class Target {
 public:
  Target() {
    h_.run(entra_login("keep-1", R"(["g-mkt"])", R"(, "iat": 1700000001)"));
    h_.run(R"({"type": "assign", "provider": "kc", "subject": "keep-2", "group": "hr"})");
    h_.run(R"({"type": "suspend", "provider": "adfs", "subject": "keep-3"})");
    before_ = h_.engine().export_state();
  }
  Engine& engine() { return h_.engine(); }
  const std::string& before() const { return before_; }

  // The load of `path` is refused (kInvalidState, its message holding `part`) and changes nothing.
  ::testing::AssertionResult refuses(const std::string& path, const std::string& part) {
    Status s = h_.engine().load_state_file(path);
    if (s.ok()) return ::testing::AssertionFailure() << path << " loaded, expected a refusal with \"" << part << "\"";
    if (s.code() != ErrorCode::kInvalidState) {
      return ::testing::AssertionFailure() << "code " << static_cast<int>(s.code()) << ", not kInvalidState: " << s.message();
    }
    if (s.message().find(part) == std::string::npos) {
      return ::testing::AssertionFailure() << "message lacks \"" << part << "\": " << s.message();
    }
    if (h_.engine().export_state() != before_) return ::testing::AssertionFailure() << "the refused load changed the state";
    return ::testing::AssertionSuccess() << s.message();
  }

 private:
  EngineHarness h_;
  std::string before_;
};

// ---------------------------------------------------------------------------
// The layout of format version 2 (engine/state/snapshot.h), walked by hand

constexpr size_t kFileHeader = 24, kSectionHeader = 32;

struct SectionSpan {
  uint32_t kind = 0, index = 0;
  uint64_t header = 0, payload = 0, length = 0;
  std::string name() const {
    switch (kind) {
      case 1: return "meta";
      case 2: return "names";
      case 3: return "users " + std::to_string(index + 1);
    }
    return "kind " + std::to_string(kind);
  }
};

template <typename T>
T read_le(const std::string& bytes, size_t at) {
  T v;
  std::memcpy(&v, bytes.data() + at, sizeof v);
  return v;
}

std::vector<SectionSpan> walk_sections(const std::string& bytes) {
  std::vector<SectionSpan> sections;
  if (bytes.size() < kFileHeader) {
    ADD_FAILURE() << "no file header";
    return sections;
  }
  const uint32_t count = read_le<uint32_t>(bytes, 12);
  uint64_t at = kFileHeader;
  for (uint32_t s = 0; s < count && at + kSectionHeader <= bytes.size(); ++s) {
    SectionSpan sec;
    sec.kind = read_le<uint32_t>(bytes, at);
    sec.index = read_le<uint32_t>(bytes, at + 4);
    sec.length = read_le<uint64_t>(bytes, at + 8);
    sec.header = at;
    sec.payload = at + kSectionHeader;
    sections.push_back(sec);
    at = sec.payload + sec.length;
  }
  EXPECT_EQ(sections.size(), count);
  EXPECT_EQ(at, bytes.size()) << "the sections do not end where the file does";
  return sections;
}

// A snapshot of 140,000 users (three user sections of up to 65,536), built
// once per process.
class BigSnapshot : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ndjson_ = new std::string(bulk_state(140000, "u"));
    auto engine = engine_with_state(must_load(kBaseConfig), *ndjson_);
    const std::string path = ::testing::TempDir() + "/claimmap_faults_big_" + std::to_string(::getpid()) + ".snap";
    Status s = engine->save_state_file(path);
    ASSERT_TRUE(s.ok()) << s.message();
    bytes_ = new std::string(read_all(path));
    std::remove(path.c_str());
  }
  static void TearDownTestSuite() {
    delete ndjson_;
    delete bytes_;
    ndjson_ = bytes_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(bytes_, nullptr);
    path_ = ::testing::TempDir() + "/claimmap_faults_" + unique_tag() + ".snap";
    write_all(path_, *bytes_);
    sections_ = walk_sections(*bytes_);
    ASSERT_EQ(sections_.size(), 5u);
    const char* names[] = {"meta", "names", "users 1", "users 2", "users 3"};
    for (size_t i = 0; i < 5; ++i) ASSERT_EQ(sections_[i].name(), names[i]);
  }
  void TearDown() override { std::remove(path_.c_str()); }

  static std::string* ndjson_;
  static std::string* bytes_;
  std::string path_;
  std::vector<SectionSpan> sections_;
};
std::string* BigSnapshot::ndjson_ = nullptr;
std::string* BigSnapshot::bytes_ = nullptr;

TEST_F(BigSnapshot, WholeFileLoads) {
  EngineHarness h;
  StateLoadReport report;
  Status s = h.engine().load_state_file(path_, &report);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(report.users, 140000u);
  EXPECT_FALSE(report.config_changed);
  EXPECT_EQ(report.dropped(), 0u);
  EXPECT_TRUE(h.engine().export_state() == *ndjson_);
  // The user sections hold 65,536 users each.
  EXPECT_EQ(sections_[2].length, sections_[3].length);
  EXPECT_LT(sections_[4].length, sections_[3].length);
}

// 1. Truncated at every section boundary (and just around it), and at 50
// random offsets: refused, "truncated", nothing changed.
TEST_F(BigSnapshot, TruncatedAnywhereIsRefused) {
  const std::string& bytes = *bytes_;
  // offset → what the message must say besides "truncated"
  std::map<uint64_t, std::string> cuts;
  cuts[0] = "empty file";
  for (uint64_t at : {8, 11, 12, 16, 23}) cuts[at] = "inside its file header";
  const size_t n = sections_.size();
  for (size_t i = 0; i < n; ++i) {
    const SectionSpan& s = sections_[i];
    const std::string no_header =
        "section " + std::to_string(i + 1) + " of " + std::to_string(n) + " has no complete header";
    for (uint64_t at : {s.header, s.header + 1, s.header + 24, s.header + kSectionHeader - 1}) cuts[at] = no_header;
    const std::string short_payload = "section " + s.name() + " declares " + std::to_string(s.length) + " bytes";
    for (uint64_t at : {s.payload, s.payload + 1, s.payload + s.length / 2, s.payload + s.length - 1}) {
      cuts[at] = short_payload;
    }
  }
  std::mt19937_64 rng(20240611);
  std::uniform_int_distribution<uint64_t> anywhere(8, bytes.size() - 1);
  size_t random_cuts = 0;
  while (random_cuts < 50) {
    const uint64_t at = anywhere(rng);
    if (cuts.count(at)) continue;
    ++random_cuts;
    auto it = std::upper_bound(sections_.begin(), sections_.end(), at,
                               [](uint64_t v, const SectionSpan& s) { return v < s.header; });
    if (it == sections_.begin()) {
      cuts[at] = "inside its file header";
      continue;
    }
    const size_t i = static_cast<size_t>(it - sections_.begin()) - 1;
    const SectionSpan& s = sections_[i];
    cuts[at] = at < s.payload ? "section " + std::to_string(i + 1) + " of " + std::to_string(n) + " has no complete header"
                              : "section " + s.name() + " declares " + std::to_string(s.length) + " bytes";
  }
  Target target;
  // Each cut is a prefix of the file: cut the one file shorter and shorter.
  for (auto it = cuts.rbegin(); it != cuts.rend(); ++it) {
    ASSERT_EQ(::truncate(path_.c_str(), static_cast<off_t>(it->first)), 0) << std::strerror(errno);
    SCOPED_TRACE("cut at byte " + std::to_string(it->first) + " of " + std::to_string(bytes.size()));
    EXPECT_TRUE(target.refuses(path_, "truncated"));
    EXPECT_TRUE(target.refuses(path_, it->second));
  }
  EXPECT_GE(cuts.size(), 5u * 8 + 6 + 50);
}

// 2. One flipped bit in the file header, in each section's header and in
// each section's payload: refused, the message naming where.
TEST_F(BigSnapshot, FlippedBitInEverySectionIsRefusedAndNamed) {
  std::vector<std::pair<uint64_t, std::string>> flips;
  for (uint64_t at : {12, 13, 15, 16, 23}) flips.emplace_back(at, "file header is damaged");
  for (size_t i = 0; i < sections_.size(); ++i) {
    const SectionSpan& s = sections_[i];
    const std::string header = "header of section " + std::to_string(i + 1) + " (byte " + std::to_string(s.header) + ")";
    for (uint64_t off : {0, 4, 8, 15, 16, 24, 31}) flips.emplace_back(s.header + off, header);
    const std::string payload = "section " + s.name() + " is damaged";
    for (uint64_t at : {s.payload, s.payload + s.length / 3, s.payload + s.length - 1}) flips.emplace_back(at, payload);
  }
  const int fd = ::open(path_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  Target target;
  int bit = 0;
  for (const auto& [at, part] : flips) {
    const char original = (*bytes_)[at];
    const char flipped = static_cast<char>(original ^ (1 << (bit++ % 8)));
    ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(at)), 1);
    SCOPED_TRACE("bit flipped at byte " + std::to_string(at));
    EXPECT_TRUE(target.refuses(path_, part));
    EXPECT_TRUE(target.refuses(path_, "checksum mismatch"));
    ASSERT_EQ(::pwrite(fd, &original, 1, static_cast<off_t>(at)), 1);
  }
  ::close(fd);
  // Restored, it loads again.
  ASSERT_TRUE(target.engine().load_state_file(path_).ok());
  EXPECT_EQ(target.engine().user_count(), 140000u);
}

// `inspect_state_file` names the damaged section and still lists the good ones before it.
TEST_F(BigSnapshot, InspectNamesTheDamagedSection) {
  Result<StateFileInfo> good = inspect_state_file(path_);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.value().form, "binary snapshot");
  EXPECT_EQ(good.value().format_version, 2u);
  EXPECT_EQ(good.value().users, 140000u);
  EXPECT_EQ(good.value().bytes, bytes_->size());
  EXPECT_NE(good.value().config_fingerprint, 0u);
  EXPECT_TRUE(good.value().damage.ok()) << good.value().damage.message();
  ASSERT_EQ(good.value().sections.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(good.value().sections[i].name, sections_[i].name());
    EXPECT_EQ(good.value().sections[i].offset, sections_[i].payload);
    EXPECT_EQ(good.value().sections[i].length, sections_[i].length);
    EXPECT_TRUE(good.value().sections[i].ok);
  }
  std::string damaged = *bytes_;
  damaged[sections_[3].payload + 100] ^= 4;
  write_all(path_, damaged);
  Result<StateFileInfo> bad = inspect_state_file(path_);
  ASSERT_TRUE(bad.ok());
  EXPECT_NE(bad.value().damage.message().find("section users 2 is damaged"), std::string::npos)
      << bad.value().damage.message();
  ASSERT_EQ(bad.value().sections.size(), 4u);
  EXPECT_TRUE(bad.value().sections[2].ok);
  EXPECT_FALSE(bad.value().sections[3].ok);
  EXPECT_NE(bad.value().to_text().find("DAMAGED: "), std::string::npos);
}

// ---------------------------------------------------------------------------
// 3. Headers that are not this build's, and empty files

class SmallSnapshot : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string tag = ::testing::TempDir() + "/claimmap_faults_" + unique_tag();
    path_ = tag + ".snap";
    ndjson_path_ = tag + ".ndjson";
    bare_path_ = tag + ".state";
    state_ = bulk_state(10, "s");
    auto engine = engine_with_state(must_load(kBaseConfig), state_);
    ASSERT_TRUE(engine->save_state_file(path_).ok());
    bytes_ = read_all(path_);
  }
  void TearDown() override {
    for (const std::string* p : {&path_, &ndjson_path_, &bare_path_}) std::remove(p->c_str());
  }
  std::string path_, ndjson_path_, bare_path_, state_, bytes_;
};

TEST_F(SmallSnapshot, WrongMagicIsNotASnapshotAndIsRefused) {
  Target target;
  // Anything that does not start with the magic is NDJSON (docs/spec.md §9.4):
  // a snapshot with a damaged magic is refused as a bad state line.
  for (size_t at : {0, 3, 6, 7}) {
    std::string bytes = bytes_;
    bytes[at] ^= 0x01;
    write_all(path_, bytes);
    SCOPED_TRACE("magic byte " + std::to_string(at));
    EXPECT_TRUE(target.refuses(path_, "state line 1"));
  }
  write_all(path_, bytes_.substr(0, 7));  // "CLMSNAP" without its NUL
  EXPECT_TRUE(target.refuses(path_, "state line 1"));
  Result<StateFileInfo> info = inspect_state_file(path_);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info.value().form, "ndjson");
  EXPECT_FALSE(info.value().damage.ok());
}

TEST_F(SmallSnapshot, NewerOrUnknownFormatVersionIsRefused) {
  Target target;
  std::string bytes = bytes_;
  bytes[8] = 3;
  write_all(path_, bytes);
  EXPECT_TRUE(target.refuses(path_, "newer"));
  EXPECT_TRUE(target.refuses(path_, "format version 3"));
  bytes[8] = 0, bytes[11] = 1;  // 2^24
  write_all(path_, bytes);
  EXPECT_TRUE(target.refuses(path_, "newer"));
  bytes[8] = 0, bytes[11] = 0;
  write_all(path_, bytes);
  EXPECT_TRUE(target.refuses(path_, "format version 0"));
  bytes[8] = 1;  // version 1's reader on a version 2 body
  write_all(path_, bytes);
  EXPECT_TRUE(target.refuses(path_, "snapshot"));
  write_all(path_, bytes_.substr(0, 8));  // the magic alone
  EXPECT_TRUE(target.refuses(path_, "truncated inside its file header"));
}

TEST_F(SmallSnapshot, EmptyFileIsRefusedUnlessNamedNdjson) {
  Target target;
  write_all(path_, "");
  EXPECT_TRUE(target.refuses(path_, "empty"));
  write_all(bare_path_, "");
  EXPECT_TRUE(target.refuses(bare_path_, "empty"));
  Result<StateFileInfo> info = inspect_state_file(path_);
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info.value().damage.ok());
  uint64_t users = 99;
  Status convert = convert_state_file(path_, ndjson_path_, &users);
  EXPECT_EQ(convert.code(), ErrorCode::kInvalidState) << convert.message();
  EXPECT_NE(::access(ndjson_path_.c_str(), F_OK), 0) << "a refused convert wrote its output";

  // An empty .ndjson is an empty state: it replaces the one the engine held.
  write_all(ndjson_path_, "");
  ASSERT_GT(target.engine().user_count(), 0u);
  StateLoadReport report;
  report.users = 77;
  Status s = target.engine().load_state_file(ndjson_path_, &report);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(report.users, 0u);
  EXPECT_EQ(target.engine().user_count(), 0u);
  EXPECT_EQ(target.engine().export_state(), "");
  EXPECT_TRUE(target.engine().effective_roles("entra", "keep-1").empty());
  // ... and an empty state saves as a snapshot that loads back as empty.
  ASSERT_TRUE(target.engine().save_state_file(path_).ok());
  EngineHarness other;
  other.run(entra_login("x", R"(["g-mkt"])"));
  ASSERT_TRUE(other.engine().load_state_file(path_).ok());
  EXPECT_EQ(other.engine().user_count(), 0u);
}

// ---------------------------------------------------------------------------
// 4. SIGKILL in the middle of a save: the target is the old file or a whole new one

// Waits until `count` files whose names start with `prefix` were created in
// the directory `watch` watches (an inotify descriptor); false after 30 s.
bool wait_for_created(int watch, const std::string& prefix, int count) {
  int seen = 0;
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  alignas(inotify_event) char buf[4096];
  while (seen < count && Clock::now() < give_up) {
    pollfd p{watch, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::read(watch, buf, sizeof buf);
    for (ssize_t at = 0; at < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
      if (e->len > 0 && std::string(e->name).rfind(prefix, 0) == 0) ++seen;
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
  return seen >= count;
}

TEST(StateFaults, SigkillDuringSaveLeavesTheOldOrTheNewFile) {
  TempDirectory dir;
  const std::string path = dir.file("state.snap"), source = dir.file("source.snap");
  const Config config = must_load(kBaseConfig);
  const std::string old_state = odd_users_state();
  const std::string new_state = bulk_state(300000, "n");
  ASSERT_TRUE(engine_with_state(config, old_state)->save_state_file(path).ok());
  const std::string old_bytes = read_all(path);
  {
    // The new state's snapshot: what a whole save by the writer gives, byte
    // for byte (the same state gives the same bytes). The writers load it:
    // faster than importing the NDJSON each time.
    auto engine = engine_with_state(config, new_state);
    ASSERT_TRUE(engine->save_state_file(source).ok());
  }
  const std::string new_bytes = read_all(source);
  ASSERT_NE(new_bytes, old_bytes);
  bool new_state_checked = false;

  // Where to kill the writer, which saves again and again onto `path`:
  // `after_temp` 0 counts the delay from its start (it is encoding its first
  // save); k ≥ 1 from the moment it created the temp file of its k-th save
  // (writing, fsync, rename, fsync of the directory: about 20 ms in all).
  struct KillPoint {
    int after_temp, delay_ms;
  };
  int saw_old = 0, saw_new = 0, temp_files = 0, reads = 0;
  for (const KillPoint kp : {KillPoint{0, 0}, {0, 120}, {1, 0}, {1, 3}, {1, 8}, {1, 20}, {1, 60}, {2, 0}}) {
    SCOPED_TRACE("killed " + std::to_string(kp.delay_ms) + " ms after " +
                 (kp.after_temp ? "temp file " + std::to_string(kp.after_temp) + " appeared" : "it started"));
    write_all(path, old_bytes);
    const int watch = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ASSERT_GE(watch, 0);
    ASSERT_GE(::inotify_add_watch(watch, dir.path().c_str(), IN_CREATE), 0);
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Its own engine; saves onto the same path until killed.
      ::close(ready[0]);
      Engine engine(config);
      if (!engine.load_state_file(source).ok()) ::_exit(3);
      const char go = 1;
      if (::write(ready[1], &go, 1) != 1) ::_exit(4);
      for (;;) {
        if (!engine.save_state_file(path).ok()) ::_exit(5);
      }
    }
    ::close(ready[1]);
    // Meanwhile a reader only ever sees the old file or the whole new one.
    std::atomic<bool> killed{false};
    int torn_reads = 0, reader_reads = 0;
    std::thread reader([&] {
      while (!killed.load()) {
        const std::string seen = read_all(path);
        ++reader_reads;
        if (seen != old_bytes && seen != new_bytes) ++torn_reads;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // leave the CPU to the writer
      }
    });
    char go = 0;
    const bool started = ::read(ready[0], &go, 1) == 1;
    ::close(ready[0]);
    bool temp_seen = true;
    if (started && kp.after_temp > 0) {
      temp_seen = wait_for_created(watch, "state.snap.tmp." + std::to_string(child) + ".", kp.after_temp);
    }
    if (started) std::this_thread::sleep_for(std::chrono::milliseconds(kp.delay_ms));
    ::kill(child, SIGKILL);
    int status = 0;
    const pid_t waited = ::waitpid(child, &status, 0);
    killed = true;
    reader.join();
    ::close(watch);
    reads += reader_reads;
    EXPECT_EQ(torn_reads, 0) << "a reader saw a file that is neither the old one nor the whole new one";
    ASSERT_EQ(waited, child);
    ASSERT_TRUE(started) << "the writer died before saving (exit " << WEXITSTATUS(status) << ")";
    ASSERT_TRUE(temp_seen) << "the writer created no temp file beside the target";
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer stopped by itself: exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
        << " (5: a save failed)";

    // The target is whole: the old file, or a new one that loads as the new state.
    const std::string now = read_all(path);
    if (now == old_bytes) {
      ++saw_old;
      EXPECT_LT(kp.after_temp, 2) << "the writer had finished a save, yet the old file is there";
    } else {
      ++saw_new;
      if (now != new_bytes || !new_state_checked) {
        Engine checker(config);
        StateLoadReport report;
        Status s = checker.load_state_file(path, &report);
        ASSERT_TRUE(s.ok()) << "torn file after SIGKILL (" << now.size() << " bytes): " << s.message();
        ASSERT_EQ(report.users, 300000u);
        ASSERT_TRUE(checker.export_state() == new_state) << "the file is neither the old state nor the new one";
        new_state_checked = true;
      }
    }
    // Only temp files of the killed writer may be left beside it: PATH.tmp.PID.N.
    const std::string temp_prefix = "state.snap.tmp." + std::to_string(child) + ".";
    for (const std::string& name : dir.entries()) {
      if (name == "state.snap" || name == "source.snap") continue;
      EXPECT_EQ(name.rfind(temp_prefix, 0), 0u) << "unexpected file " << name;
      ++temp_files;
      std::remove(dir.file(name).c_str());
    }
  }
  EXPECT_GT(saw_old, 0);
  EXPECT_GT(saw_new, 0);
  std::printf("[          ] %d kills left the old file, %d a whole new one; %d temp files left behind; %d reads "
              "during the saves\n",
              saw_old, saw_new, temp_files, reads);
}

// ---------------------------------------------------------------------------
// 5. A full disk, and a file-size limit; 6. a read-only directory

// A state of `users` users whose snapshot is larger than 1 MiB for 40,000.
constexpr size_t kLargeUsers = 40000;

TEST(StateFaults, FullDiskRefusesTheSaveAndKeepsTheOldFile) {
  TempDirectory dir;
  ScopedMount mount(dir.path());
  if (!mount.tmpfs("1m")) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << mount.last_error()
                 << "); StateFaults.FileSizeLimitRefusesTheSaveAndKeepsTheOldFile covers a failed write";
  }
  const Config config = must_load(kBaseConfig);
  const std::string path = dir.file("state.snap");
  const std::string small = bulk_state(20, "s");
  ASSERT_TRUE(engine_with_state(config, small)->save_state_file(path).ok());
  const std::string old_bytes = read_all(path);
  auto large = engine_with_state(config, bulk_state(kLargeUsers, "l"));
  for (const std::string& target : {path, dir.file("state.ndjson")}) {
    SCOPED_TRACE(target);
    Status s = large->save_state_file(target);
    EXPECT_EQ(s.code(), ErrorCode::kIoError) << s.message();
    EXPECT_NE(s.message().find("No space left"), std::string::npos) << s.message();
  }
  EXPECT_EQ(read_all(path), old_bytes);
  Engine checker(config);
  Status s = checker.load_state_file(path);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(checker.export_state(), small);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"state.snap"}) << "a temp file was left behind";
  // The space the failed writes took is free again: a small save still works.
  EXPECT_TRUE(engine_with_state(config, bulk_state(30, "t"))->save_state_file(path).ok());
}

TEST(StateFaults, FileSizeLimitRefusesTheSaveAndKeepsTheOldFile) {
  TempDirectory dir;
  const Config config = must_load(kBaseConfig);
  const std::string path = dir.file("state.snap");
  const std::string small = bulk_state(20, "s");
  ASSERT_TRUE(engine_with_state(config, small)->save_state_file(path).ok());
  const std::string old_bytes = read_all(path);
  const std::string large = bulk_state(kLargeUsers / 4, "l");
  ASSERT_LT(old_bytes.size(), 64u * 1024);

  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(report[0]);
    auto say = [&](int code, const std::string& what) {
      (void)!::write(report[1], what.data(), what.size());
      ::_exit(code);
    };
    Engine engine(config);
    if (!engine.import_state(large).ok()) say(10, "import failed");
    const rlimit limit{64 * 1024, 64 * 1024};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) say(11, std::string("setrlimit: ") + std::strerror(errno));
    for (const std::string& target : {path, dir.file("state.ndjson")}) {
      Status s = engine.save_state_file(target);
      if (s.ok()) say(12, target + ": the save beyond the size limit succeeded");
      if (s.code() != ErrorCode::kIoError) say(13, target + ": not kIoError: " + s.message());
      if (s.message().find("File too large") == std::string::npos) say(14, target + ": " + s.message());
    }
    if (read_all(path) != old_bytes) say(15, "the old file changed");
    for (const auto& e : fs::directory_iterator(dir.path())) {
      if (e.path().filename() != "state.snap") say(16, "left behind: " + e.path().filename().string());
    }
    say(0, "");
  }
  ::close(report[1]);
  std::string why;
  char buf[512];
  for (ssize_t n; (n = ::read(report[0], buf, sizeof buf)) > 0;) why.append(buf, static_cast<size_t>(n));
  ::close(report[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_FALSE(WIFSIGNALED(status)) << "the writer was killed by signal " << WTERMSIG(status)
                                    << (WTERMSIG(status) == SIGXFSZ ? " (SIGXFSZ: the size limit killed it)" : "");
  EXPECT_EQ(WEXITSTATUS(status), 0) << why;
  EXPECT_EQ(read_all(path), old_bytes);
  Engine checker(config);
  ASSERT_TRUE(checker.load_state_file(path).ok());
  EXPECT_EQ(checker.export_state(), small);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"state.snap"});
}

TEST(StateFaults, ReadOnlyDirectoryRefusesTheSaveAndKeepsTheOldFile) {
  TempDirectory dir;
  ScopedMount mount(dir.path());
  if (!mount.tmpfs("4m")) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << mount.last_error()
                 << "), and root ignores file modes: no read-only directory to test with";
  }
  const Config config = must_load(kBaseConfig);
  const std::string path = dir.file("state.snap");
  const std::string small = bulk_state(20, "s");
  ASSERT_TRUE(engine_with_state(config, small)->save_state_file(path).ok());
  const std::string old_bytes = read_all(path);
  if (!mount.make_read_only()) GTEST_SKIP() << "cannot remount read-only here (" << mount.last_error() << ")";
  auto other = engine_with_state(config, bulk_state(500, "o"));
  for (const std::string& target : {path, dir.file("state.ndjson")}) {
    SCOPED_TRACE(target);
    Status s = other->save_state_file(target);
    EXPECT_EQ(s.code(), ErrorCode::kIoError) << s.message();
    EXPECT_NE(s.message().find("Read-only file system"), std::string::npos) << s.message();
  }
  // convert_state_file writes the same way.
  Status convert = convert_state_file(path, dir.file("copy.ndjson"), nullptr);
  EXPECT_EQ(convert.code(), ErrorCode::kIoError) << convert.message();
  EXPECT_EQ(read_all(path), old_bytes);
  Engine checker(config);
  ASSERT_TRUE(checker.load_state_file(path).ok());
  EXPECT_EQ(checker.export_state(), small);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"state.snap"});
}

// ---------------------------------------------------------------------------
// 7. A refused load changes nothing, while other threads process logins

// A login of `subject` numbered k: iat k; odd k puts the user in marketing
// (m-mkt), even k in readers (m-read and m-read2 both).
std::string numbered_login(const std::string& subject, uint64_t k) {
  return k % 2 ? entra_login(subject, R"(["g-mkt"])", ", \"iat\": " + std::to_string(k))
               : entra_login(subject, R"(["g-read"])", ", \"dept\": \"Sales\", \"iat\": " + std::to_string(k));
}
// The state line that login leaves.
std::string numbered_line(const std::string& subject, uint64_t k) {
  return state_line("entra", subject,
                    std::string(k % 2 ? R"({"marketing": ["m-mkt"]})" : R"({"readers": ["m-read", "m-read2"]})") +
                        R"(, "manual": [], "direct_roles": [], "last_iat": )" + std::to_string(k) +
                        R"(, "suspended": false})");
}

TEST(StateFaults, RefusedLoadsChangeNothingWhileLoginsRun) {
  TempDirectory dir;
  const Config config = must_load(kBaseConfig);
  const std::string base = bulk_state(5000, "b");
  auto engine = engine_with_state(config, base);

  // Damaged inputs, each with what its refusal must say.
  const std::string other = bulk_state(3000, "x");
  auto other_engine = engine_with_state(config, other);
  ASSERT_TRUE(other_engine->save_state_file(dir.file("good.snap")).ok());
  const std::string snap = read_all(dir.file("good.snap"));
  const std::vector<SectionSpan> sections = walk_sections(snap);
  ASSERT_EQ(sections.size(), 3u);
  std::string flipped = snap;
  flipped[sections[2].payload + sections[2].length / 2] ^= 0x10;
  write_all(dir.file("flipped.snap"), flipped);
  write_all(dir.file("truncated.snap"), snap.substr(0, snap.size() - 3));
  write_all(dir.file("empty.snap"), "");
  const std::vector<std::string> other_lines = lines_of(other);
  write_all(dir.file("bad-line.ndjson"), other_lines[0] + "\n" + other_lines[1] + "\n{\"provider\": \"entra\"}\n");
  write_all(dir.file("repeated.ndjson"), other_lines[0] + "\n" + other_lines[1] + "\n\n" + other_lines[0] + "\n");
  const std::vector<std::pair<std::string, std::string>> bad_files = {
      {dir.file("flipped.snap"), "section users 1 is damaged"},
      {dir.file("truncated.snap"), "truncated"},
      {dir.file("empty.snap"), "empty"},
      {dir.file("bad-line.ndjson"), "state line 3: missing \"subject\""},
      {dir.file("repeated.ndjson"), "state line 4: user repeated (first at state line 1)"},
  };
  const std::string bad_text = other_lines[0] + "\n" + other_lines[1] + "\nnot json\n";

  constexpr int kThreads = 3;
  std::atomic<bool> stop{false};
  std::atomic<int> started{0};
  std::vector<uint64_t> events(kThreads, 0), bad_results(kThreads, 0);
  std::vector<std::string> first_bad(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string subject = "t" + std::to_string(t);
      for (uint64_t k = 1;; ++k) {
        const Delta d = engine->process(numbered_login(subject, k), k);
        // Never stale (a refused load brings back no older iat), never new
        // after the first (a refused load never drops the user).
        if (d.status != DeltaStatus::kOk || d.new_user != (k == 1)) {
          if (bad_results[t]++ == 0) first_bad[t] = "event " + std::to_string(k);
        }
        events[t] = k;
        if (k == 1) started.fetch_add(1);
        if (stop.load()) break;
      }
    });
  }
  while (started.load() < kThreads) std::this_thread::yield();
  int refusals = 0;
  const auto until = Clock::now() + std::chrono::milliseconds(700);
  for (int round = 0; round < 4 || Clock::now() < until; ++round) {
    for (const auto& [path, part] : bad_files) {
      Status s = engine->load_state_file(path);
      EXPECT_EQ(s.code(), ErrorCode::kInvalidState) << path << ": " << s.message();
      EXPECT_NE(s.message().find(part), std::string::npos) << s.message();
      refusals += !s.ok();
    }
    Status s = engine->import_state(bad_text);
    EXPECT_NE(s.message().find("state line 3: not valid JSON"), std::string::npos) << s.message();
    refusals += !s.ok();
    if (round > 200) break;
  }
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_GE(refusals, 24);
  // The base users as they were, and each thread's user as its last login left it.
  std::string threads_state;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(bad_results[t], 0u) << "thread " << t << ": first unexpected result at " << first_bad[t];
    threads_state += numbered_line("t" + std::to_string(t), events[t]);
  }
  EXPECT_TRUE(engine->export_state() == merged_state(base, threads_state));
  EXPECT_EQ(engine->user_count(), 5000u + kThreads);
}

// ---------------------------------------------------------------------------
// 8. Round trips: NDJSON → snapshot → NDJSON gives the same bytes

TEST(StateRoundTrip, ThroughTheEngineIsByteIdentical) {
  TempDirectory dir;
  const Config config = must_load(kBaseConfig);
  // Two user sections, and users that need escapes, of every provider.
  const std::string state = merged_state(bulk_state(70000, "r"), odd_users_state());
  auto engine = engine_with_state(config, state);
  ASSERT_TRUE(engine->export_state() == state) << "import then export is not the identity on a canonical state";
  ASSERT_TRUE(engine->save_state_file(dir.file("s.snap")).ok());
  ASSERT_TRUE(engine->save_state_file(dir.file("s.ndjson")).ok());
  EXPECT_TRUE(read_all(dir.file("s.ndjson")) == state);
  Engine second(config);
  StateLoadReport report;
  Status s = second.load_state_file(dir.file("s.snap"), &report);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(report.users, 70000u + 7);
  EXPECT_EQ(report.dropped(), 0u);
  EXPECT_FALSE(report.config_changed);
  EXPECT_TRUE(second.export_state() == state);
  ASSERT_TRUE(second.save_state_file(dir.file("again.ndjson")).ok());
  EXPECT_TRUE(read_all(dir.file("again.ndjson")) == state);
  ASSERT_TRUE(second.save_state_file(dir.file("again.snap")).ok());
  EXPECT_TRUE(read_all(dir.file("again.snap")) == read_all(dir.file("s.snap"))) << "same state, different bytes";
  EXPECT_EQ(second.effective_roles("kc", "1000"), Names());  // suspended
  EXPECT_EQ(second.effective_roles("adfs", "CN=Ops;x"), Names({"Hr.Admin", "Ops.Pager"}));
}

TEST(StateRoundTrip, ThroughConvertIsByteIdentical) {
  TempDirectory dir;
  // By name, without a config: a provider, groups, roles and mappings no
  // config has round trip too.
  const std::string unknown =
      state_line("okta", "o1", R"({"ghost": ["m-ghost"], "marketing": ["m-a", "m-b"]}, "manual": ["nowhere"], "direct_roles": ["No.Such"], "last_iat": 1e+15, "suspended": false})") +
      state_line("okta", "o2", R"({}, "manual": [], "direct_roles": [], "last_iat": -0.5, "suspended": true})");
  const std::string state = merged_state(merged_state(bulk_state(70000, "r"), odd_users_state()), unknown);
  write_all(dir.file("in.ndjson"), state);
  uint64_t users = 0;
  Status s = convert_state_file(dir.file("in.ndjson"), dir.file("mid.snap"), &users);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(users, 70000u + 7 + 2);
  Result<StateFileInfo> info = inspect_state_file(dir.file("mid.snap"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info.value().form, "binary snapshot");
  EXPECT_EQ(info.value().format_version, 2u);
  EXPECT_EQ(info.value().users, users);
  EXPECT_EQ(info.value().config_fingerprint, 0u);
  EXPECT_TRUE(info.value().damage.ok()) << info.value().damage.message();
  ASSERT_EQ(info.value().sections.size(), 4u);
  EXPECT_EQ(info.value().sections[3].name, "users 2");
  s = convert_state_file(dir.file("mid.snap"), dir.file("out.ndjson"), &users);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(read_all(dir.file("out.ndjson")) == state);
  // And NDJSON to NDJSON, snapshot to snapshot.
  ASSERT_TRUE(convert_state_file(dir.file("in.ndjson"), dir.file("copy.ndjson"), nullptr).ok());
  EXPECT_TRUE(read_all(dir.file("copy.ndjson")) == state);
  ASSERT_TRUE(convert_state_file(dir.file("mid.snap"), dir.file("copy.snap"), nullptr).ok());
  EXPECT_TRUE(read_all(dir.file("copy.snap")) == read_all(dir.file("mid.snap")));
  // An engine's own snapshot converts to the engine's export.
  auto engine = engine_with_state(must_load(kBaseConfig), odd_users_state());
  ASSERT_TRUE(engine->save_state_file(dir.file("engine.snap")).ok());
  ASSERT_TRUE(convert_state_file(dir.file("engine.snap"), dir.file("engine.ndjson"), nullptr).ok());
  EXPECT_EQ(read_all(dir.file("engine.ndjson")), odd_users_state());
  // A snapshot converted from NDJSON loads into an engine as the NDJSON would.
  Engine loaded(must_load(kBaseConfig));
  ASSERT_TRUE(convert_state_file(dir.file("engine.ndjson"), dir.file("converted.snap"), nullptr).ok());
  StateLoadReport report;
  ASSERT_TRUE(loaded.load_state_file(dir.file("converted.snap"), &report).ok());
  EXPECT_EQ(loaded.export_state(), odd_users_state());
  EXPECT_EQ(report.dropped(), 0u);
}

TEST(StateRoundTrip, UnsortedNdjsonComesOutSorted) {
  TempDirectory dir;
  const std::string sorted = odd_users_state();
  std::vector<std::string> lines = lines_of(sorted);
  std::reverse(lines.begin(), lines.end());
  std::string unsorted;
  for (const auto& l : lines) unsorted += l + "\n";
  // Members in another order, lists and groups unsorted, an absent member, a CRLF, a blank line.
  unsorted += "\r\n";
  unsorted += R"({"suspended": false, "direct_roles": ["Hr.Admin", "Crm.Viewer"], "manual": ["readers", "hr"], )"
              R"("mapped": {"readers": ["m-read2", "m-read"], "hr": ["m-level"]}, "subject": "a", "provider": "entra"})"
              "\r\n";
  const std::string expected = merged_state(
      sorted, state_line("entra", "a", R"({"hr": ["m-level"], "readers": ["m-read", "m-read2"]}, "manual": ["hr", "readers"], "direct_roles": ["Crm.Viewer", "Hr.Admin"], "last_iat": null, "suspended": false})"));
  write_all(dir.file("unsorted.ndjson"), unsorted);
  ASSERT_TRUE(convert_state_file(dir.file("unsorted.ndjson"), dir.file("sorted.ndjson"), nullptr).ok());
  EXPECT_EQ(read_all(dir.file("sorted.ndjson")), expected);
  ASSERT_TRUE(convert_state_file(dir.file("unsorted.ndjson"), dir.file("sorted.snap"), nullptr).ok());
  ASSERT_TRUE(convert_state_file(dir.file("sorted.snap"), dir.file("back.ndjson"), nullptr).ok());
  EXPECT_EQ(read_all(dir.file("back.ndjson")), expected);
  auto engine = engine_with_state(must_load(kBaseConfig), unsorted);
  EXPECT_EQ(engine->export_state(), expected);
}

TEST(StateRoundTrip, RepeatedUserRefusesTheConvertNamingBothLines) {
  TempDirectory dir;
  const std::vector<std::string> lines = lines_of(bulk_state(4, "d"));
  // Line 2 and line 5 are the same user (line 4 is blank).
  const std::string text = lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n\n" + lines[1] + "\n" + lines[3] + "\n";
  write_all(dir.file("in.ndjson"), text);
  for (const std::string out : {"out.snap", "out.ndjson"}) {
    Status s = convert_state_file(dir.file("in.ndjson"), dir.file(out), nullptr);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidState) << s.message();
    EXPECT_NE(s.message().find("state line 5: user repeated (first at state line 2)"), std::string::npos)
        << s.message();
    EXPECT_NE(s.message().find(dir.file("in.ndjson")), std::string::npos) << s.message();
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"in.ndjson"}) << "a refused convert wrote something";
  Target target;
  EXPECT_TRUE(target.refuses(dir.file("in.ndjson"), "state line 5: user repeated (first at state line 2)"));
  // Repeated in the other order (the later line sorts first): still both named, first line first.
  const std::string swapped = lines[2] + "\n" + lines[1] + "\n" + lines[2] + "\n";
  write_all(dir.file("swapped.ndjson"), swapped);
  Status s = convert_state_file(dir.file("swapped.ndjson"), dir.file("out.snap"), nullptr);
  EXPECT_NE(s.message().find("state line 3: user repeated (first at state line 1)"), std::string::npos)
      << s.message();
}

// A state line may list an entry twice (a manual group, a direct role, a
// mapping id, a mapped group given as two members): it is one membership,
// and the engine's NDJSON load keeps it once. `state convert` must give the
// same state in either form; and an engine must never hold one entry twice,
// or a `revoke` / `unassign` takes away only one copy and the access stays.
TEST(StateRoundTrip, RepeatedEntriesConvertToTheStateTheEngineLoads) {
  TempDirectory dir;
  const Config config = must_load(kBaseConfig);
  const std::string line =
      R"({"provider": "entra", "subject": "u1", "mapped": {"marketing": ["m-mkt", "m-mkt"], "readers": ["m-read"], )"
      R"("marketing": ["m-mkt"]}, "manual": ["hr", "hr"], "direct_roles": ["Ops.Pager", "Ops.Pager"], "last_iat": 5, )"
      R"("suspended": false})"
      "\n";
  const std::string canonical = state_line(
      "entra", "u1",
      R"({"marketing": ["m-mkt"], "readers": ["m-read"]}, "manual": ["hr"], "direct_roles": ["Ops.Pager"], "last_iat": 5, "suspended": false})");
  ASSERT_EQ(engine_with_state(config, line)->export_state(), canonical);
  write_all(dir.file("in.ndjson"), line);

  // NDJSON to NDJSON: the canonical line (no repeated member name, no repeated id).
  ASSERT_TRUE(convert_state_file(dir.file("in.ndjson"), dir.file("out.ndjson"), nullptr).ok());
  EXPECT_EQ(read_all(dir.file("out.ndjson")), canonical) << "convert kept the repeated entries";

  // NDJSON to a snapshot, loaded by an engine: the state the NDJSON gives.
  ASSERT_TRUE(convert_state_file(dir.file("in.ndjson"), dir.file("mid.snap"), nullptr).ok());
  Engine loaded(config);
  Status s = loaded.load_state_file(dir.file("mid.snap"));
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(loaded.export_state(), canonical) << "the snapshot load stored repeated entries";
  const Delta revoke = loaded.process(R"({"provider": "entra", "subject": "u1", "type": "revoke", "role": "Ops.Pager"})");
  EXPECT_EQ(revoke.roles_revoked, Names({"Ops.Pager"})) << "revoke left the role in place";
  const Delta unassign = loaded.process(R"({"provider": "entra", "subject": "u1", "type": "unassign", "group": "hr"})");
  EXPECT_EQ(unassign.groups_removed, Names({"hr"})) << "unassign left the group in place";
  EXPECT_EQ(loaded.effective_roles("entra", "u1"), Names({"Crm.Editor", "Crm.Viewer"}));

  // A mapped group with no mapping ids holds nothing: both routes agree.
  write_all(dir.file("empty-group.ndjson"), R"({"provider": "entra", "subject": "u2", "mapped": {"marketing": []}})" "\n");
  const std::string u2 = state_line("entra", "u2", R"({}, "manual": [], "direct_roles": [], "last_iat": null, "suspended": false})");
  ASSERT_EQ(engine_with_state(config, read_all(dir.file("empty-group.ndjson")))->export_state(), u2);
  ASSERT_TRUE(convert_state_file(dir.file("empty-group.ndjson"), dir.file("empty-group.snap"), nullptr).ok());
  ASSERT_TRUE(convert_state_file(dir.file("empty-group.snap"), dir.file("via-snap.ndjson"), nullptr).ok());
  EXPECT_EQ(read_all(dir.file("via-snap.ndjson")), u2);
  ASSERT_TRUE(convert_state_file(dir.file("empty-group.ndjson"), dir.file("direct.ndjson"), nullptr).ok());
  EXPECT_EQ(read_all(dir.file("direct.ndjson")), u2) << "NDJSON to NDJSON kept a mapped group with no mapping";
}

// A snapshot written by hand, checksums and all (format version 2,
// engine/state/snapshot.h): the file around a names and a users payload.
template <typename T>
void put_le(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put_str(std::string& out, const std::string& s) {
  put_le<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out += s;
}
std::string hand_made_snapshot(const std::string& names, const std::string& users, uint64_t user_count) {
  auto section = [](std::string& out, uint32_t kind, const std::string& payload) {
    const size_t at = out.size();
    put_le<uint32_t>(out, kind);
    put_le<uint32_t>(out, 0);
    put_le<uint64_t>(out, payload.size());
    put_le<uint64_t>(out, XXH3_64bits(payload.data(), payload.size()));
    put_le<uint64_t>(out, XXH3_64bits(out.data() + at, 24));
    out += payload;
  };
  std::string out("CLMSNAP\0", 8);
  put_le<uint32_t>(out, 2);
  put_le<uint32_t>(out, 3);
  put_le<uint64_t>(out, XXH3_64bits(out.data(), 16));
  std::string meta;
  put_le<uint64_t>(meta, user_count);
  put_le<uint64_t>(meta, 0);
  put_le<uint32_t>(meta, 1);
  section(out, 1, meta);
  section(out, 2, names);
  section(out, 3, users);
  return out;
}

// The same entry twice in one user's record of a snapshot (what `state
// convert` wrote from an NDJSON line that repeats an entry, before it
// removed repeats): the load refuses the record as damaged, or keeps each
// entry once. It must never store two copies, or a `revoke` / `unassign`
// removes one and the access stays.
TEST(StateFaults, SnapshotRecordWithRepeatedEntriesNeverHoldsThemTwice) {
  TempDirectory dir;
  std::string names;
  put_le<uint32_t>(names, 1), put_str(names, "entra");                              // providers
  put_le<uint32_t>(names, 2), put_str(names, "hr"), put_str(names, "marketing");    // groups
  put_le<uint32_t>(names, 1), put_str(names, "Ops.Pager");                          // roles
  put_le<uint32_t>(names, 1);                                                       // mappings
  for (const char* f : {"m-mkt", "entra", "groups", "g-mkt", "", "marketing"}) put_str(names, f);
  put_le<uint8_t>(names, 1 | 2);  // active, defined
  auto user = [](std::string& out, int copies) {
    put_le<uint32_t>(out, 0), put_str(out, "u1"), put_le<double>(out, 5), put_le<uint8_t>(out, 1);
    put_le<uint32_t>(out, copies);
    for (int i = 0; i < copies; ++i) put_le<uint32_t>(out, 1), put_le<uint32_t>(out, 0);  // marketing by m-mkt
    put_le<uint32_t>(out, copies);
    for (int i = 0; i < copies; ++i) put_le<uint32_t>(out, 0);  // manual hr
    put_le<uint32_t>(out, copies);
    for (int i = 0; i < copies; ++i) put_le<uint32_t>(out, 0);  // direct Ops.Pager
  };
  const std::string once_line = state_line(
      "entra", "u1",
      R"({"marketing": ["m-mkt"]}, "manual": ["hr"], "direct_roles": ["Ops.Pager"], "last_iat": 5, "suspended": false})");
  // The writer by hand is right: the record with each entry once loads as that line.
  std::string users_once;
  user(users_once, 1);
  write_all(dir.file("once.snap"), hand_made_snapshot(names, users_once, 1));
  Engine reference(must_load(kBaseConfig));
  Status s = reference.load_state_file(dir.file("once.snap"));
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(reference.export_state(), once_line);

  std::string users_twice;
  user(users_twice, 2);
  write_all(dir.file("twice.snap"), hand_made_snapshot(names, users_twice, 1));
  Target target;
  s = target.engine().load_state_file(dir.file("twice.snap"));
  if (!s.ok()) {
    EXPECT_EQ(s.code(), ErrorCode::kInvalidState) << s.message();
    EXPECT_NE(s.message().find("users 1"), std::string::npos) << s.message();
    EXPECT_EQ(target.engine().export_state(), target.before());
    return;
  }
  EXPECT_EQ(target.engine().export_state(), once_line) << "the load stored repeated entries";
  const Delta revoke = target.engine().process(R"({"provider": "entra", "subject": "u1", "type": "revoke", "role": "Ops.Pager"})");
  EXPECT_EQ(revoke.roles_revoked, Names({"Ops.Pager"})) << "revoke left the role in place";
  const Delta unassign = target.engine().process(R"({"provider": "entra", "subject": "u1", "type": "unassign", "group": "hr"})");
  EXPECT_EQ(unassign.groups_removed, Names({"hr"})) << "unassign left the group in place";
  EXPECT_EQ(target.engine().effective_roles("entra", "u1"), Names({"Crm.Editor", "Crm.Viewer"}));
}

// ---------------------------------------------------------------------------
// 9. Loading under an edited config: the snapshot catches the edit, NDJSON cannot

TEST(StateFaults, EditedMappingIsDroppedFromASnapshotButKeptFromNdjson) {
  TempDirectory dir;
  EngineHarness old_engine;
  old_engine.run(entra_login("u1", R"(["g-mkt", "g-read"])", R"(, "iat": 1700000000)"));
  old_engine.run(entra_login("u2", R"(["g-mkt"])", R"(, "iat": 1700000001)"));
  ASSERT_TRUE(old_engine.engine().save_state_file(dir.file("s.snap")).ok());
  ASSERT_TRUE(old_engine.engine().save_state_file(dir.file("s.ndjson")).ok());

  // The same mapping id with a new value: a different rule (docs/spec.md §7.2).
  std::string edited = kBaseConfig;
  const std::string before = R"("value": "g-mkt", "group": "marketing")";
  ASSERT_NE(edited.find(before), std::string::npos);
  edited.replace(edited.find(before), before.size(), R"("value": "g-mkt-2", "group": "marketing")");

  // The binary snapshot records each mapping's whole definition (format
  // version 2): loading it under the edited config applies the reload rule to
  // every field, so the memberships m-mkt justified are dropped.
  EngineHarness from_snapshot(edited);
  StateLoadReport report;
  ASSERT_TRUE(from_snapshot.engine().load_state_file(dir.file("s.snap"), &report).ok());
  EXPECT_EQ(report.users, 2u);
  EXPECT_TRUE(report.config_changed);
  EXPECT_NE(report.snapshot_config_fingerprint, 0u);
  EXPECT_EQ(report.dropped_mapped, 2u);
  EXPECT_EQ(from_snapshot.engine().effective_roles("entra", "u1"), Names({"Crm.Viewer"}));
  EXPECT_EQ(from_snapshot.engine().effective_roles("entra", "u2"), Names());
  EXPECT_NE(report.to_string().find("written under another config"), std::string::npos) << report.to_string();

  // NDJSON holds only the mapping's id (with its group and the user's
  // provider): the edit cannot be seen, so the membership is kept
  // (docs/spec.md §9.5). This difference between the forms is by design.
  EngineHarness from_ndjson(edited);
  StateLoadReport ndjson_report;
  ASSERT_TRUE(from_ndjson.engine().load_state_file(dir.file("s.ndjson"), &ndjson_report).ok());
  EXPECT_EQ(ndjson_report.users, 2u);
  EXPECT_EQ(ndjson_report.dropped_mapped, 0u);
  EXPECT_FALSE(ndjson_report.config_changed);
  EXPECT_EQ(from_ndjson.engine().effective_roles("entra", "u1"), Names({"Crm.Editor", "Crm.Viewer"}));
  EXPECT_EQ(from_ndjson.engine().effective_roles("entra", "u2"), Names({"Crm.Editor", "Crm.Viewer"}));

  // A reload to the edited config drops what the snapshot load dropped.
  auto reloaded = old_engine.engine().reload(must_load(edited));
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(old_engine.engine().export_state(), from_snapshot.engine().export_state());

  // Under the same config as written, nothing is dropped and nothing changed.
  EngineHarness same;
  StateLoadReport same_report;
  ASSERT_TRUE(same.engine().load_state_file(dir.file("s.snap"), &same_report).ok());
  EXPECT_FALSE(same_report.config_changed);
  EXPECT_EQ(same_report.dropped(), 0u);
  EXPECT_EQ(same.engine().export_state(), read_all(dir.file("s.ndjson")));
}

// ---------------------------------------------------------------------------
// 10. Saves and loads while other threads process events (run under TSan)

// Finds the state line of entra user `subject` in an export, or "".
std::string line_of(const std::string& state, const std::string& subject) {
  const std::string key = "{\"provider\": \"entra\", \"subject\": \"" + subject + "\",";
  const size_t at = state.find(key);
  if (at == std::string::npos) return "";
  return state.substr(at, state.find('\n', at) + 1 - at);
}
uint64_t iat_of(const std::string& line) {
  const size_t at = line.find("\"last_iat\": ");
  return at == std::string::npos ? 0 : std::strtoull(line.c_str() + at + 12, nullptr, 10);
}
// The state without the lines of the given entra subjects.
std::string without(const std::string& state, const std::vector<std::string>& subjects) {
  std::string out = state;
  for (const std::string& s : subjects) {
    const std::string line = line_of(out, s);
    if (!line.empty()) out.erase(out.find(line), line.size());
  }
  return out;
}

TEST(StateConcurrency, SaveWhileLoginsRun) {
  TempDirectory dir;
  const Config config = must_load(kBaseConfig);
  const std::string base = bulk_state(6000, "b");
  auto engine = engine_with_state(config, base);
  constexpr int kThreads = 3;
  std::vector<std::string> login_users, push_users;
  for (int t = 0; t < kThreads; ++t) login_users.push_back("t" + std::to_string(t));
  for (int t = 0; t < kThreads; ++t) push_users.push_back("p" + std::to_string(t));
  std::atomic<bool> stop{false};
  // Per thread: logins begun and logins done (a save sees one in between).
  std::vector<std::atomic<uint64_t>> begun(kThreads), done(kThreads);
  std::vector<uint64_t> not_ok(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t k = 1; !stop.load(); ++k) {
        begun[t].store(k);
        if (engine->process(numbered_login(login_users[t], k), k).status != DeltaStatus::kOk) ++not_ok[t];
        done[t].store(k);
        const std::string push = R"({"provider": "entra", "subject": ")" + push_users[t] + R"(", "type": ")" +
                                 (k % 2 ? "assign" : "unassign") + R"(", "group": "hr"})";
        if (engine->process(push, k).status != DeltaStatus::kOk) ++not_ok[t];
      }
    });
  }
  for (int t = 0; t < kThreads; ++t) {
    while (done[t].load() < 1) std::this_thread::yield();
  }
  const std::string path = dir.file("live.snap");
  std::vector<std::string> all_thread_users = login_users;
  all_thread_users.insert(all_thread_users.end(), push_users.begin(), push_users.end());
  int saves = 0;
  uint64_t changed = 0;  // logins that ran between two saves, to show the threads really raced
  const auto until = Clock::now() + std::chrono::milliseconds(1200);
  std::vector<uint64_t> last_seen(kThreads, 0);
  while (saves < 4 || (Clock::now() < until && saves < 40)) {
    std::vector<uint64_t> low(kThreads), high(kThreads);
    for (int t = 0; t < kThreads; ++t) low[t] = done[t].load();
    Status s = engine->save_state_file(path);
    for (int t = 0; t < kThreads; ++t) high[t] = begun[t].load();
    ASSERT_TRUE(s.ok()) << s.message();
    ++saves;
    Engine checker(config);
    Status loaded = checker.load_state_file(path);
    ASSERT_TRUE(loaded.ok()) << "save " << saves << ": " << loaded.message();
    const std::string state = checker.export_state();
    for (int t = 0; t < kThreads; ++t) {
      // The login user is exactly as one of its logins left it: iat k and
      // the groups of login k, never groups of one login with another's iat.
      const std::string line = line_of(state, login_users[t]);
      const uint64_t k = iat_of(line);
      EXPECT_TRUE(line == numbered_line(login_users[t], k)) << "save " << saves << ": " << line;
      EXPECT_GE(k, low[t]) << "save " << saves << " lost a login done before it began";
      EXPECT_LE(k, high[t]) << "save " << saves << " holds a login not begun when it returned";
      changed += k - std::min(k, last_seen[t]);
      last_seen[t] = k;
      const std::string push_line = line_of(state, push_users[t]);
      if (!push_line.empty()) {
        EXPECT_TRUE(push_line == state_line("entra", push_users[t], R"({}, "manual": ["hr"], "direct_roles": [], "last_iat": null, "suspended": false})") ||
                    push_line == state_line("entra", push_users[t], R"({}, "manual": [], "direct_roles": [], "last_iat": null, "suspended": false})"))
            << push_line;
      }
    }
    EXPECT_TRUE(without(state, all_thread_users) == base) << "save " << saves << ": the untouched users changed";
  }
  stop = true;
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(not_ok[t], 0u) << "thread " << t;
  EXPECT_GT(changed, 0u) << "no login ran between saves";
}

TEST(StateConcurrency, LoadReplacesEverythingAtOnce) {
  TempDirectory dir;
  const Config config = must_load(kBaseConfig);
  // Two states with no user in common, one as a snapshot, one as NDJSON.
  const std::string state_a = bulk_state(6000, "a", 1), state_b = bulk_state(4000, "c", 2);
  const std::string file_a = dir.file("a.snap"), file_b = dir.file("b.ndjson");
  ASSERT_TRUE(engine_with_state(config, state_a)->save_state_file(file_a).ok());
  write_all(file_b, state_b);
  auto engine = engine_with_state(config, state_b);

  constexpr int kThreads = 3;
  std::vector<std::string> subjects;
  for (int t = 0; t < kThreads; ++t) subjects.push_back("t" + std::to_string(t));
  std::atomic<bool> stop{false};
  std::vector<std::atomic<uint64_t>> done(kThreads);
  std::vector<uint64_t> events(kThreads, 0), ok(kThreads, 0), created(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Until told to stop, then one login more, which starts after the last load returned.
      for (uint64_t k = 1;; ++k) {
        const bool last = stop.load();
        const Delta d = engine->process(numbered_login(subjects[t], k), k);
        ++events[t];
        // The files do not hold this user, so no state makes its login stale.
        if (d.status == DeltaStatus::kOk) ++ok[t];
        if (d.new_user) ++created[t];
        done[t].store(k);
        if (last) break;
      }
    });
  }
  for (int t = 0; t < kThreads; ++t) {
    while (done[t].load() < 1) std::this_thread::yield();
  }
  int loads = 0;
  const auto until = Clock::now() + std::chrono::milliseconds(1200);
  while (loads < 6 || (Clock::now() < until && loads < 60)) {
    const bool a = loads % 2 == 0;
    StateLoadReport report;
    Status s = engine->load_state_file(a ? file_a : file_b, &report);
    ASSERT_TRUE(s.ok()) << s.message();
    ++loads;
    EXPECT_EQ(report.users, a ? 6000u : 4000u);
    // Whole: exactly the file's users, plus the threads' users (re)created since.
    EXPECT_TRUE(without(engine->export_state(), subjects) == (a ? state_a : state_b)) << "load " << loads;
  }
  if (loads % 2 == 1) {  // end on B
    ASSERT_TRUE(engine->load_state_file(file_b).ok());
    ++loads;
  }
  stop = true;
  for (auto& th : threads) th.join();
  std::string threads_state;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(ok[t], events[t]) << "thread " << t << ": an event was lost or refused";
    EXPECT_GE(created[t], 1u);
    threads_state += numbered_line(subjects[t], events[t]);
  }
  EXPECT_TRUE(engine->export_state() == merged_state(state_b, threads_state));
}

}  // namespace
}  // namespace claimmap::testing
