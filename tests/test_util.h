// Helpers shared by the tests: build an engine from a config text and run
// event lines through it, as `claimmap eval` would.
#pragma once

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "claimmap/stream.h"

namespace claimmap::testing {

// A small config covering every provider shape; tests add to it as needed.
inline const char* kBaseConfig = R"({
  "version": 1,
  "stages": ["dev", "prod"],
  "providers": [
    {"id": "entra", "type": "oidc", "issuer": "https://login.example/t/v2.0", "scope": ["prod"], "subject_claim": "oid"},
    {"id": "kc", "type": "oidc", "issuer": "https://kc.example/realms/corp", "scope": "organization"},
    {"id": "adfs", "type": "saml", "scope": ["dev", "prod"]}
  ],
  "roles": [
    {"id": "Crm.Editor", "app": "Crm"}, {"id": "Crm.Viewer", "app": "Crm"},
    {"id": "Hr.Admin", "app": "Hr"}, {"id": "Ops.Pager", "app": "Ops"}
  ],
  "groups": [
    {"id": "marketing", "stage": "prod", "roles": ["Crm.Editor", "Crm.Viewer"]},
    {"id": "readers", "stage": "prod", "roles": ["Crm.Viewer"]},
    {"id": "hr", "stage": "prod", "roles": ["Hr.Admin"]},
    {"id": "devs", "stage": "dev", "roles": ["Ops.Pager"]}
  ],
  "mappings": [
    {"id": "m-mkt", "provider": "entra", "claim": "groups", "value": "g-mkt", "group": "marketing"},
    {"id": "m-read", "provider": "entra", "claim": "groups", "value": "g-read", "group": "readers"},
    {"id": "m-read2", "provider": "entra", "claim": "dept", "value": "Sales", "group": "readers"},
    {"id": "m-devs", "provider": "entra", "claim": "groups", "value": "g-devs", "group": "devs"},
    {"id": "m-level", "provider": "entra", "claim": "level", "value": "42", "group": "hr"},
    {"id": "m-flag", "provider": "entra", "claim": "hr_flag", "value": "true", "group": "hr"},
    {"id": "m-kc", "provider": "kc", "claim": "/realm_access/roles", "value": "admin", "group": "marketing"},
    {"id": "m-ns", "provider": "kc", "claim": "https://example.com/roles", "value": "reader", "group": "readers"},
    {"id": "m-saml", "provider": "adfs", "claim": "memberOf", "value": "CN=Ops", "delimiter": ";", "group": "devs"},
    {"id": "m-saml2", "provider": "adfs", "claim": "memberOf", "value": "CN=HR", "delimiter": ";", "group": "hr"}
  ]
})";

inline Config must_load(const std::string& json) {
  ConfigReport report;
  Result<Config> config = load_config(json, &report);
  if (!config.ok()) {
    std::string all;
    for (const auto& e : report.errors) all += e.to_string() + "\n";
    ADD_FAILURE() << "config rejected:\n" << all;
    std::abort();
  }
  return config.value();
}

// An engine plus a line counter, so each call's seq follows the last.
class EngineHarness {
 public:
  explicit EngineHarness(const std::string& config_json = kBaseConfig) : engine_(must_load(config_json)) {}

  Delta run(const std::string& line) { return engine_.process(line, ++seq_); }
  std::string line(const std::string& line) {
    std::string out;
    (void)engine_.process_to_ndjson(line, ++seq_, &out);
    return out;
  }
  Engine& engine() { return engine_; }

 private:
  Engine engine_;
  uint64_t seq_ = 0;
};

inline std::string entra_login(const std::string& oid, const std::string& groups_json, const std::string& extra = "") {
  return R"({"iss": "https://login.example/t/v2.0", "oid": ")" + oid + R"(", "groups": )" + groups_json + extra + "}";
}

using Names = std::vector<std::string>;

// Runs `input` through run_stream (what `claimmap eval` runs) via in-memory
// files and returns the output.
inline std::string eval_stream(Engine& engine, const std::string& input, StreamOptions options = {},
                               StreamSummary* summary = nullptr) {
  const int in = ::memfd_create("in", 0), out = ::memfd_create("out", 0);
  EXPECT_EQ(::write(in, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::lseek(in, 0, SEEK_SET);
  StreamSummary local;
  Status s = run_stream(engine, in, out, options, summary ? summary : &local);
  EXPECT_TRUE(s.ok()) << s.message();
  std::string result(static_cast<size_t>(::lseek(out, 0, SEEK_END)), '\0');
  EXPECT_EQ(::pread(out, result.data(), result.size(), 0), static_cast<ssize_t>(result.size()));
  ::close(in);
  ::close(out);
  return result;
}

// A file's bytes, and writing them (tests that damage files on purpose).
inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
inline void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace claimmap::testing
