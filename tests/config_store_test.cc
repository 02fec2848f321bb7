// The applied-config store of `claimmap serve` (server/config_store.h,
// server/start_config.h; docs/server.md "An applied config survives a
// restart"): the file format and what is refused, the store's save and
// restore, which config a start chooses, and PUT /v1/config through
// ServerApp::handle (stored before it is applied; a store that cannot be
// written applies nothing; a dry run stores nothing). The restart over a real
// socket is tests/server_config_store_test.sh.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/exit_code.h"
#include "server/config_store.h"
#include "server/server_app.h"
#include "server/start_config.h"
#include "support/http_types.h"
#include "tests/test_util.h"

namespace claimmap::server {
namespace {

using claimmap::testing::kBaseConfig;
using claimmap::testing::must_load;
using support::HttpRequest;
using support::HttpResponse;
using support::parse_target;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
void write_all(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }
bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// kBaseConfig without the `kc` provider and its mappings: a real change.
std::string changed_config() {
  std::string c = kBaseConfig;
  auto erase_line = [&c](const std::string& needle) {
    const size_t at = c.find(needle);
    ASSERT_NE(at, std::string::npos) << needle;
    const size_t start = c.rfind('\n', at) + 1;
    c.erase(start, c.find('\n', at) + 1 - start);
  };
  erase_line(R"({"id": "kc", "type": "oidc")");
  erase_line(R"({"id": "m-kc")");
  erase_line(R"({"id": "m-ns")");
  return c;
}

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/config_store_test.XXXXXX";
    dir_ = ::mkdtemp(name);
  }
  ~TempDir() { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

// ---- the file format ----

TEST(AppliedConfigFormat, IsOneHeaderLineThenTheConfigVerbatim) {
  AppliedConfig a{7, "{\"x\": 1}\n\n", 0x1234abcd, 1718000000123};
  const std::string file = format_applied_config(a);
  EXPECT_EQ(file.substr(0, file.find('\n')),
            "claimmap-applied-config 1 version=7 bytes=10 crc32=" + [&] {
              char b[9];
              std::snprintf(b, sizeof b, "%08x", crc32_of(a.text));
              return std::string(b);
            }() + " base_crc32=1234abcd applied_unix_ms=1718000000123");
  EXPECT_EQ(file.substr(file.find('\n') + 1), a.text);
  Result<AppliedConfig> back = parse_applied_config(file);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back.value().version, 7u);
  EXPECT_EQ(back.value().text, a.text);
  EXPECT_EQ(back.value().base_crc32, 0x1234abcdu);
  EXPECT_EQ(back.value().applied_unix_ms, 1718000000123);
}

TEST(AppliedConfigFormat, Crc32IsTheStandardOne) {
  EXPECT_EQ(crc32_of("123456789"), 0xcbf43926u);  // the CRC-32 check value
}

TEST(AppliedConfigFormat, UnknownFieldsAreIgnored) {
  std::string file = format_applied_config({3, "{}", std::nullopt, 5});
  file.insert(file.find('\n'), " later_addition=yes");
  Result<AppliedConfig> back = parse_applied_config(file);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back.value().version, 3u);
  EXPECT_FALSE(back.value().base_crc32.has_value());
}

TEST(AppliedConfigFormat, DamageIsRefusedAndNamed) {
  const std::string good = format_applied_config({4, "{\"providers\": []}", 1, 2});
  const size_t eol = good.find('\n');
  struct Case {
    std::string file, why;
  };
  std::string altered = good;
  altered[eol + 3] ^= 1;
  std::string bad_version = good;
  bad_version.replace(bad_version.find("version=4"), 9, "version=0");
  std::string no_crc = good;
  no_crc.erase(no_crc.find(" crc32="), 15);
  const Case cases[] = {
      {"", "no header line"},
      {"{\"providers\": []}\n", "not an applied-config file"},
      {"claimmap-applied-config 2 version=4\n{}", "format 2"},
      {good.substr(0, good.size() - 1), "truncated"},
      {good + "x", "altered"},
      {altered, "checksum"},
      {bad_version, "version"},
      {no_crc, "lacks"},
  };
  for (const Case& c : cases) {
    Result<AppliedConfig> r = parse_applied_config(c.file);
    ASSERT_FALSE(r.ok()) << c.file;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidConfig);
    EXPECT_NE(r.status().message().find(c.why), std::string::npos) << r.status().message();
  }
}

// ---- ConfigStore ----

TEST(ConfigStore, MissingFileIsNoStoredConfig) {
  TempDir dir;
  ConfigStore store(dir.path("state.config"), 9);
  Result<std::optional<AppliedConfig>> r = store.load();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r.value().has_value());
}

TEST(ConfigStore, SaveThenLoadGivesTheConfigAndItsVersion) {
  TempDir dir;
  ConfigStore store(dir.path("state.config"), 9);
  ASSERT_TRUE(store.load().ok());
  ASSERT_TRUE(store.save("{\"a\": 1}", 2).ok());
  ConfigStore again(dir.path("state.config"), 9);
  Result<std::optional<AppliedConfig>> r = again.load();
  ASSERT_TRUE(r.ok() && r.value().has_value()) << r.status().message();
  EXPECT_EQ(r.value()->version, 2u);
  EXPECT_EQ(r.value()->text, "{\"a\": 1}");
  EXPECT_EQ(r.value()->base_crc32, 9u);
  EXPECT_GT(r.value()->applied_unix_ms, 0);
}

TEST(ConfigStore, RestorePreviousPutsBackTheOlderFileOrNone) {
  TempDir dir;
  const std::string path = dir.path("state.config");
  ConfigStore store(path, 0);
  ASSERT_TRUE(store.load().ok());
  ASSERT_TRUE(store.save("first", 2).ok());
  const std::string first = read_all(path);
  ASSERT_TRUE(store.save("second", 3).ok());
  ASSERT_TRUE(store.restore_previous().ok());
  EXPECT_EQ(read_all(path), first);

  TempDir fresh;
  ConfigStore none(fresh.path("state.config"), 0);
  ASSERT_TRUE(none.load().ok());
  ASSERT_TRUE(none.save("only", 2).ok());
  ASSERT_TRUE(none.restore_previous().ok());
  EXPECT_FALSE(exists(fresh.path("state.config")));
}

TEST(ConfigStore, AFailedSaveLeavesTheFileAsItWas) {
  TempDir dir;
  ConfigStore store(dir.path("no-such-dir/state.config"), 0);
  ASSERT_TRUE(store.load().ok());
  const Status s = store.save("x", 2);
  EXPECT_EQ(s.code(), ErrorCode::kIoError);
  EXPECT_FALSE(exists(dir.path("no-such-dir")));
}

TEST(ConfigStore, ADamagedFileIsRefusedNamingIt) {
  TempDir dir;
  const std::string path = dir.path("state.config");
  write_all(path, "claimmap-applied-config 1 version=2 bytes=99 crc32=00000000\n{}");
  ConfigStore store(path, 0);
  Result<std::optional<AppliedConfig>> r = store.load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidConfig);
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
}

// ---- which config a start chooses ----

TEST(StartConfig, WithoutAStoreTheConfigFileAtVersion1) {
  TempDir dir;
  write_all(dir.path("c.json"), kBaseConfig);
  std::vector<std::string> errors;
  Result<StartConfig> start = choose_start_config(dir.path("c.json"), dir.path("s.config"), &errors);
  ASSERT_TRUE(start.ok()) << start.status().message();
  EXPECT_EQ(start.value().version, 1u);
  ASSERT_NE(start.value().store, nullptr);
  ASSERT_EQ(start.value().lines.size(), 1u);
  EXPECT_EQ(start.value().lines[0], "claimmap serve: config " + dir.path("c.json") +
                                        " (version 1; a config applied by PUT /v1/config is kept in " +
                                        dir.path("s.config") + ")");

  Result<StartConfig> nowhere = choose_start_config(dir.path("c.json"), "", &errors);
  ASSERT_TRUE(nowhere.ok());
  EXPECT_EQ(nowhere.value().store, nullptr);
  EXPECT_NE(nowhere.value().lines[0].find("lasts until the process stops"), std::string::npos);
}

TEST(StartConfig, AStoredConfigWinsAtItsVersion) {
  TempDir dir;
  write_all(dir.path("c.json"), kBaseConfig);
  write_all(dir.path("s.config"), format_applied_config({5, changed_config(), crc32_of(kBaseConfig), 1}));
  std::vector<std::string> errors;
  Result<StartConfig> start = choose_start_config(dir.path("c.json"), dir.path("s.config"), &errors);
  ASSERT_TRUE(start.ok()) << start.status().message();
  EXPECT_EQ(start.value().version, 5u);
  EXPECT_FALSE(start.value().config.has_provider("kc"));
  ASSERT_EQ(start.value().lines.size(), 1u);  // the base is unchanged: no warning
  EXPECT_EQ(start.value().lines[0].rfind("claimmap serve: config version 5 from " + dir.path("s.config") +
                                             " (applied by PUT /v1/config at 1970-01-01T00:00:00Z; --config " +
                                             dir.path("c.json") + " is the base)",
                                         0),
            0u)
      << start.value().lines[0];
}

TEST(StartConfig, AChangedBaseIsNotServedButWarnedOf) {
  TempDir dir;
  write_all(dir.path("c.json"), kBaseConfig);
  write_all(dir.path("s.config"), format_applied_config({2, changed_config(), crc32_of("an older base"), 1}));
  std::vector<std::string> errors;
  Result<StartConfig> start = choose_start_config(dir.path("c.json"), dir.path("s.config"), &errors);
  ASSERT_TRUE(start.ok()) << start.status().message();
  EXPECT_EQ(start.value().version, 2u);
  ASSERT_EQ(start.value().lines.size(), 2u);
  EXPECT_NE(start.value().lines[1].find("warning: --config " + dir.path("c.json") + " has changed"), std::string::npos);
}

TEST(StartConfig, ADamagedStoreRefusesTheStart) {
  TempDir dir;
  write_all(dir.path("c.json"), kBaseConfig);
  std::string file = format_applied_config({2, changed_config(), std::nullopt, 1});
  write_all(dir.path("s.config"), file.substr(0, file.size() - 10));
  std::vector<std::string> errors;
  Result<StartConfig> start = choose_start_config(dir.path("c.json"), dir.path("s.config"), &errors);
  ASSERT_FALSE(start.ok());
  EXPECT_EQ(cli::exit_code_for(start.status()), 2);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find(dir.path("s.config") + " is damaged"), std::string::npos) << errors[0];
}

TEST(StartConfig, AnInvalidStoredConfigRefusesTheStartListingEveryError) {
  TempDir dir;
  write_all(dir.path("c.json"), kBaseConfig);
  std::string bad = kBaseConfig;
  bad.replace(bad.find("\"group\": \"marketing\""), 20, "\"group\": \"nope\"");
  write_all(dir.path("s.config"), format_applied_config({3, bad, std::nullopt, 1}));
  std::vector<std::string> errors;
  Result<StartConfig> start = choose_start_config(dir.path("c.json"), dir.path("s.config"), &errors);
  ASSERT_FALSE(start.ok());
  EXPECT_EQ(cli::exit_code_for(start.status()), 2);
  ASSERT_GE(errors.size(), 3u);
  EXPECT_EQ(errors[0], "error: mappings[0].group: unknown group \"nope\"");
  EXPECT_NE(errors[1].find(dir.path("s.config") + ": the config stored there (version 3) is invalid"),
            std::string::npos)
      << errors[1];
}

TEST(StartConfig, AnInvalidBaseIsRefusedEvenWithAStore) {
  TempDir dir;
  write_all(dir.path("c.json"), "{}");
  write_all(dir.path("s.config"), format_applied_config({2, kBaseConfig, std::nullopt, 1}));
  std::vector<std::string> errors;
  Result<StartConfig> start = choose_start_config(dir.path("c.json"), dir.path("s.config"), &errors);
  ASSERT_FALSE(start.ok());
  EXPECT_EQ(cli::exit_code_for(start.status()), 2);
  EXPECT_EQ(errors.back().rfind(dir.path("c.json") + ": ", 0), 0u) << errors.back();
}

// ---- PUT /v1/config with a store ----

class PutConfigTest : public ::testing::Test {
 protected:
  HttpResponse put(ServerApp& app, const std::string& target, const std::string& body) {
    HttpRequest r;
    r.method = "PUT";
    EXPECT_TRUE(parse_target(target, &r)) << target;
    r.authorization = "Bearer t0ken";
    r.body = body;
    return app.handle(r);
  }
  static std::string header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  TempDir dir_;
  Engine engine_{must_load(kBaseConfig)};
};

TEST_F(PutConfigTest, AnAppliedConfigIsStoredWithItsVersion) {
  ConfigStore store(dir_.path("s.config"), 0);
  ASSERT_TRUE(store.load().ok());
  ServerApp app(engine_, ServerSettings{"t0ken", "", &store});
  const HttpResponse r = put(app, "/v1/config", changed_config());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(header(r, "X-Claimmap-Config-Version"), "2");
  Result<AppliedConfig> stored = parse_applied_config(read_all(dir_.path("s.config")));
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  EXPECT_EQ(stored.value().version, 2u);
  EXPECT_EQ(stored.value().text, changed_config());
}

TEST_F(PutConfigTest, ADryRunOrAnInvalidConfigStoresNothing) {
  ConfigStore store(dir_.path("s.config"), 0);
  ASSERT_TRUE(store.load().ok());
  ServerApp app(engine_, ServerSettings{"t0ken", "", &store});
  EXPECT_EQ(put(app, "/v1/config?dry_run=1", changed_config()).status, 200);
  EXPECT_EQ(put(app, "/v1/config", "{}").status, 400);
  EXPECT_FALSE(exists(dir_.path("s.config")));
  EXPECT_EQ(engine_.config_version(), 1u);
}

TEST_F(PutConfigTest, AStoreThatCannotBeWrittenAppliesNothing) {
  ConfigStore store(dir_.path("gone/s.config"), 0);
  ASSERT_TRUE(store.load().ok());
  ServerApp app(engine_, ServerSettings{"t0ken", "", &store});
  const HttpResponse r = put(app, "/v1/config", changed_config());
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("\"code\":\"io_error\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("nothing applied"), std::string::npos) << r.body;
  EXPECT_EQ(header(r, "X-Claimmap-Config-Version"), "");
  EXPECT_EQ(engine_.config_version(), 1u);
  EXPECT_TRUE(engine_.config().has_provider("kc"));
}

TEST(EngineFirstConfigVersion, StartsTheCount) {
  Engine engine(must_load(kBaseConfig), EngineOptions{.first_config_version = 6});
  EXPECT_EQ(engine.config_version(), 6u);
  Result<ReloadResult> r = engine.reload(must_load(changed_config()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().config_version, 7u);
  EXPECT_EQ(engine.config_version(), 7u);
}

}  // namespace
}  // namespace claimmap::server
