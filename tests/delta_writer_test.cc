// The result line of a login (docs/spec.md §8), written from ids with the
// config's names copied in fixed moves (engine/sync/delta_writer.cc), must
// be the line the public Delta gives (names quoted one by one): names on
// both sides of the one-move limit, and claim values that grant more groups
// than the matcher copies in one move.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "claimmap/delta.h"
#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

// Group and role ids of `n` bytes, distinct by their first letter.
std::string id_of(char first, size_t n) { return std::string(1, first) + std::string(n - 1, 'x'); }

std::string wide_config() {
  // Names of 1 to 130 bytes: a quoted name with its ", " fits one 64-byte
  // move up to 60 bytes. "dept": "all" maps 12 groups (over the 8 pairs a
  // claim value's grants are copied in), "some" 6 (within them).
  const size_t sizes[] = {1, 30, 59, 60, 61, 62, 63, 64, 100, 130, 7, 8};
  std::string roles, groups, mappings;
  for (size_t i = 0; i < 12; ++i) {
    const std::string role = id_of(static_cast<char>('A' + i), sizes[i]);
    const std::string group = id_of(static_cast<char>('a' + i), sizes[11 - i]);
    roles += std::string(i ? ", " : "") + R"({"id": ")" + role + R"(", "app": "App"})";
    groups += std::string(i ? ", " : "") + R"({"id": ")" + group + R"(", "stage": "prod", "roles": [")" + role + "\"]}";
    mappings += R"(, {"id": "all-)" + std::to_string(i) + R"(", "provider": "entra", "claim": "dept", "value": "all", "group": ")" + group + "\"}";
    if (i % 2 == 0) {  // "some": 6 groups, within one move but more than one pair
      mappings += R"(, {"id": "some-)" + std::to_string(i) + R"(", "provider": "entra", "claim": "dept", "value": "some", "group": ")" + group + "\"}";
    }
    mappings += R"(, {"id": "one-)" + std::to_string(i) + R"(", "provider": "entra", "claim": "groups", "value": "g)" + std::to_string(i) + R"(", "group": ")" + group + "\"}";
  }
  return R"({"version": 1, "stages": ["prod"],
    "providers": [{"id": "entra", "type": "oidc", "issuer": "https://login.example/t/v2.0", "scope": ["prod"], "subject_claim": "oid"}],
    "roles": [)" + roles + R"(], "groups": [)" + groups + R"(], "mappings": [)" + mappings.substr(2) + "]}";
}

// The line for `event` both ways, from two engines fed the same lines.
void expect_same_line(EngineHarness& by_ids, EngineHarness& by_names, const std::string& event) {
  const std::string line = by_ids.line(event);
  std::string want;
  append_ndjson(by_names.run(event), &want);
  EXPECT_EQ(line, want);
}

TEST(DeltaWriter, LongAndShortNamesAndWideGrantsWriteTheDeltasLine) {
  EngineHarness by_ids(wide_config()), by_names(wide_config());
  const char* events[] = {
      // All twelve groups at once (12 pairs from one claim value), then a
      // few, then none: every name is granted and revoked at least once.
      R"({"iss": "https://login.example/t/v2.0", "oid": "u1", "iat": 1, "dept": "all"})",
      R"({"iss": "https://login.example/t/v2.0", "oid": "u1", "iat": 2, "groups": ["g3", "g9", "g0"]})",
      R"({"iss": "https://login.example/t/v2.0", "oid": "u1", "iat": 3, "groups": ["g1", "g2", "g4", "g5", "g6", "g7", "g8", "g10", "g11"], "dept": "none"})",
      R"({"iss": "https://login.example/t/v2.0", "oid": "u1", "iat": 4, "dept": "all", "groups": ["g1", "g11"]})",
      R"({"iss": "https://login.example/t/v2.0", "oid": "u1", "iat": 5, "dept": "some", "groups": ["g1"]})",
      R"({"iss": "https://login.example/t/v2.0", "oid": "u1", "iat": 6})",
  };
  for (const char* e : events) expect_same_line(by_ids, by_names, e);
  // And the values really granted what they map.
  EngineHarness h(wide_config());
  const Delta d = h.run(events[0]);
  EXPECT_EQ(d.groups_added.size(), 12u);
  EXPECT_EQ(d.roles_granted.size(), 12u);
  EXPECT_TRUE(std::is_sorted(d.groups_added.begin(), d.groups_added.end()));
  EngineHarness h2(wide_config());
  EXPECT_EQ(h2.run(events[4]).groups_added.size(), 7u);  // "some" and g1
}

}  // namespace
}  // namespace claimmap::testing
