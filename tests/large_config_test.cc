// A config larger than one piece of the parallel load (docs/spec.md §2.2:
// the mappings are read and checked in pieces of 65,536 on several
// threads): its report is the one a single pass gives — every problem, in
// file order — and what loads matches what was written. `make tsan` runs
// these too: the pieces share the parsed document and the indexes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"

namespace claimmap::testing {
namespace {

constexpr size_t kMappings = 150'000;  // three pieces

// A config of kMappings mappings: "m-N" maps value "v-N" of claim "groups"
// to group "g-(N % 100)"; `bad` lists mappings to spoil, each in its own way.
std::string large_config(const std::vector<size_t>& bad = {}) {
  std::string json = R"({"version": 1, "stages": ["prod"], "providers": [{"id": "entra", "type": "oidc", )"
                     R"("issuer": "https://login.example/t", "scope": "organization"}], )"
                     R"("roles": [{"id": "App.User", "app": "App"}], "groups": [)";
  for (int g = 0; g < 100; ++g) {
    json += (g ? ", " : "") + std::string(R"({"id": "g-)") + std::to_string(g) +
            R"(", "stage": "prod", "roles": ["App.User"]})";
  }
  json += R"(], "mappings": [)";
  for (size_t i = 0; i < kMappings; ++i) {
    const std::string n = std::to_string(i);
    std::string group = "g-" + std::to_string(i % 100), provider = "entra", extra;
    for (size_t k = 0; k < bad.size(); ++k) {
      if (bad[k] != i) continue;
      if (k % 3 == 0) group = "nope";
      if (k % 3 == 1) provider = "okta";
      if (k % 3 == 2) extra = R"(, "colour": "red")";
    }
    json += (i ? ", " : "") + std::string(R"({"id": "m-)") + n + R"(", "provider": ")" + provider +
            R"(", "claim": "groups", "value": "v-)" + n + R"(", "group": ")" + group + "\"" + extra + "}";
  }
  json += "]}";
  return json;
}

TEST(LargeConfig, EveryProblemInFileOrderAcrossPieces) {
  // One problem in each piece, and two in the last, each kind twice.
  const std::vector<size_t> bad = {5, 70'000, 140'000, 140'001, 149'999, 65'535};
  ConfigReport report;
  Result<Config> config = load_config(large_config(bad), &report);
  ASSERT_FALSE(config.ok());
  std::vector<std::string> lines = report.error_lines();
  EXPECT_EQ(lines, (std::vector<std::string>{
                       // The reader's problems (unknown members) come first, then the references'.
                       "error: mappings[65535].colour: unknown member",
                       "error: mappings[140000].colour: unknown member",
                       "error: mappings[5].group: unknown group \"nope\"",
                       "error: mappings[70000].provider: unknown provider \"okta\"",
                       "error: mappings[140001].group: unknown group \"nope\"",
                       "error: mappings[149999].provider: unknown provider \"okta\"",
                   }));
}

TEST(LargeConfig, LoadsWhatWasWritten) {
  ConfigReport report;
  Result<Config> config = load_config(large_config(), &report);
  ASSERT_TRUE(config.ok()) << (report.errors.empty() ? "" : report.error_lines().front());
  EXPECT_EQ(report.mappings, kMappings);
  EXPECT_EQ(report.active_mappings, kMappings);
  ASSERT_EQ(report.match_summary.size(), 1u);
  EXPECT_EQ(report.match_summary[0].exact, kMappings);
  Engine engine(config.value());
  // A mapping of each piece matches, with its own group.
  for (size_t i : {size_t{0}, size_t{65535}, size_t{65536}, size_t{131072}, kMappings - 1}) {
    const std::string value = "v-" + std::to_string(i), group = "g-" + std::to_string(i % 100);
    const Delta d = engine.process(R"({"provider": "entra", "claims": {"sub": "u)" + std::to_string(i) +
                                   R"(", "groups": [")" + value + R"("]}})");
    ASSERT_EQ(d.groups_added, std::vector<std::string>{group}) << i;
  }
}

}  // namespace
}  // namespace claimmap::testing
