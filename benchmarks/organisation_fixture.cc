#include "benchmarks/organisation_fixture.h"

#include <algorithm>
#include <cstdlib>

namespace claimmap::bench {
namespace {

constexpr int kGroups = 100;

Config must_load(const std::string& json) {
  Result<Config> c = load_config(json);
  if (!c.ok()) std::abort();
  return c.value();
}

}  // namespace

std::string organisation_config_json(bool changed) {
  std::string roles, groups, mappings;
  for (int g = 0; g < kGroups; ++g) {
    const std::string n = std::to_string(g);
    roles += std::string(g ? "," : "") + R"({"id": "App)" + n + R"(.Read", "app": "App)" + n + R"("},)" +
             R"({"id": "App)" + n + R"(.Write", "app": "App)" + n + R"("})";
    groups += std::string(g ? "," : "") + R"({"id": "grp)" + n + R"(", "stage": "prod", "roles": ["App)" + n +
              R"(.Read", "App)" + n + R"(.Write"]})";
    if (changed && (g == 3 || g == 57)) continue;  // the change: two mappings deleted
    mappings += std::string(mappings.empty() ? "" : ",") + R"({"id": "m)" + n +
                R"(", "provider": "idp", "claim": "groups", "value": "g)" + n + R"(", "group": "grp)" + n + R"("})";
  }
  return R"({"version": 1, "stages": ["prod"], "providers": [{"id": "idp", "type": "oidc", "issuer": "https://idp.example", "scope": ["prod"]}], "roles": [)" +
         roles + R"(], "groups": [)" + groups + R"(], "mappings": [)" + mappings + "]}";
}

std::vector<int> organisation_groups_of(uint64_t i) {
  std::vector<int> g;
  uint64_t x = i * 0x9e3779b97f4a7c15ull + 1;
  while (g.size() < 5) {
    x ^= x >> 31, x *= 0xbf58476d1ce4e5b9ull, x ^= x >> 29;
    const int pick = static_cast<int>(x % kGroups);
    if (std::find(g.begin(), g.end(), pick) == g.end()) g.push_back(pick);
  }
  std::sort(g.begin(), g.end());
  return g;
}

std::string organisation_state_ndjson(uint64_t users) {
  std::string out;
  out.reserve(users * 160);
  for (uint64_t i = 0; i < users; ++i) {
    out += R"({"provider": "idp", "subject": "u)" + std::to_string(i) + R"(", "mapped": {)";
    bool first = true;  // the loader does not need the groups in name order
    for (int g : organisation_groups_of(i)) {
      out += std::string(first ? "" : ", ") + "\"grp" + std::to_string(g) + "\": [\"m" + std::to_string(g) + "\"]";
      first = false;
    }
    out += R"(}, "manual": [], "direct_roles": [], "last_iat": 1700000000, "suspended": false})"
           "\n";
  }
  return out;
}

std::string organisation_login(uint64_t i) {
  std::string line = R"({"iss": "https://idp.example", "sub": "u)" + std::to_string(i) + R"(", "iat": 1700000000, "groups": [)";
  bool first = true;
  for (int g : organisation_groups_of(i)) {
    line += std::string(first ? "" : ", ") + "\"g" + std::to_string(g) + "\"";
    first = false;
  }
  return line + "]}";
}

OrganisationFixture::OrganisationFixture(uint64_t n)
    : before(must_load(organisation_config_json(false))),
      after(must_load(organisation_config_json(true))),
      users(n),
      state(organisation_state_ndjson(n)) {}

const OrganisationFixture& organisation_fixture(uint64_t users) {
  static OrganisationFixture f(users);
  return f;
}

}  // namespace claimmap::bench
