// libFuzzer harness for config loading: the loader, validator and
// compiler never crash on any text, and a config is accepted exactly when
// validation found no error. An accepted config then serves a few logins.
// A broken invariant aborts, so that libFuzzer keeps the input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "claimmap/config.h"
#include "claimmap/engine.h"

namespace {

[[noreturn]] void broken(const char* invariant, std::string_view detail) {
  std::fprintf(stderr, "invariant broken: %s\n%.*s\n", invariant, static_cast<int>(std::min<size_t>(detail.size(), 2000)),
               detail.data());
  std::abort();
}

// Logins in every shape the seed configs name, so that accepted configs
// exercise the compiled tables too.
constexpr std::string_view kLogins[] = {
    R"({"iss": "https://login.example/t/v2.0", "oid": "u", "sub": "u", "groups": ["g-mkt", "a", "b"], "iat": 1})",
    R"({"provider": "kc", "claims": {"sub": "u", "realm_access": {"roles": ["admin"]}, "groups": "a;b"}})",
    R"({"provider": "adfs", "claims": {"sub": "u", "memberOf": "CN=Ops;CN=HR", "m": "a, b"}})",
    R"({"provider": "entra", "claims": {"oid": "u", "_claim_names": {"groups": "src1"}}})",
    // tests/data/pattern_config.json's patterns, templates and requirements (docs/spec.md §16).
    R"({"provider": "entra", "claims": {"oid": "u", "tid": "contoso-1", "dept": "sales", "groups": ["g-read-x", "HR-eu-1", "APP_crm_users"]}})",
    R"({"provider": "kc", "claims": {"sub": "u", "realm_access": {"roles": ["employee", "admin"]}, "groups": "app-crm; x"}})",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  claimmap::ConfigReport report;
  claimmap::Result<claimmap::Config> config = claimmap::load_config(text, &report);
  if (config.ok() != report.errors.empty()) broken("accepted exactly when there is no error", text);
  if (!config.ok()) {
    if (config.status().code() != claimmap::ErrorCode::kInvalidConfig) broken("a rejected config is kInvalidConfig", text);
    for (const auto& e : report.errors) {
      if (e.message.empty()) broken("every error says what is wrong", e.path);
    }
    return 0;
  }
  const claimmap::ConfigReport& kept = config.value().report();
  if (!kept.errors.empty() || kept.mappings < kept.active_mappings ||
      kept.mappings - kept.active_mappings != kept.inactive_mappings.size()) {
    broken("an accepted config's report is consistent", text);
  }
  claimmap::Engine engine(config.value());
  uint64_t seq = 0;
  for (std::string_view login : kLogins) engine.process(login, ++seq);
  return 0;
}
