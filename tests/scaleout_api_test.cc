// What the scale-out layer asks of the engine (include/claimmap/scaleout.h,
// docs/spec.md §14) and its partition function (docs/scaleout.md): the user
// a line is about, the state as bytes, merging and splitting states, and the
// documented FNV-1a partition numbers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "claimmap/scaleout.h"
#include "worker/publisher.h"

namespace claimmap {
namespace {

constexpr const char* kConfig = R"({
  "version": 1, "stages": ["prod"],
  "providers": [
    {"id": "entra", "type": "oidc", "issuer": "https://login.example/t/v2.0", "scope": ["prod"], "subject_claim": "oid"},
    {"id": "okta", "type": "oidc", "issuer": "https://okta.example", "scope": "organization"}
  ],
  "roles": [{"id": "Crm.Viewer", "app": "Crm"}],
  "groups": [{"id": "sales", "stage": "prod", "roles": ["Crm.Viewer"]}],
  "mappings": [{"id": "m1", "provider": "entra", "claim": "groups", "value": "g1", "group": "sales"}]
})";

Config config() {
  Result<Config> c = load_config(kConfig);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.value();
}

TEST(ScaleoutApi, EventUserReadsProviderAndSubjectAsTheEngineDoes) {
  const Config c = config();
  // An envelope, a bare token found by iss (subject from subject_claim), a push.
  EventUser u = event_user(c, R"({"provider": "entra", "claims": {"oid": "u1", "groups": ["g1"]}})");
  EXPECT_TRUE(u.known);
  EXPECT_EQ(u.provider, "entra");
  EXPECT_EQ(u.subject, "u1");
  u = event_user(c, R"({"iss": "https://okta.example", "sub": 1000})");
  EXPECT_TRUE(u.known);
  EXPECT_EQ(u.provider, "okta");
  EXPECT_EQ(u.subject, "1000");
  u = event_user(c, "{\"type\": \"assign\", \"provider\": \"okta\", \"subject\": \"k1\", \"group\": \"nope\"}\r");
  EXPECT_TRUE(u.known) << "an unknown group still names its user";
  EXPECT_EQ(u.subject, "k1");
  // Nothing to route by: partition 0.
  EXPECT_FALSE(event_user(c, "{not json").known);
  EXPECT_FALSE(event_user(c, R"({"iss": "https://elsewhere", "sub": "x"})").known);
  EXPECT_FALSE(event_user(c, R"({"provider": "entra", "claims": {"sub": "no oid"}})").known);
  EXPECT_FALSE(event_user(c, std::string(100, ' ') + "{}", 50).known) << "over the line limit";
}

TEST(ScaleoutApi, StateBytesRoundTripAndSplitMerge) {
  const Config c = config();
  Engine a(c);
  for (const char* line : {R"({"provider": "entra", "claims": {"oid": "u1", "groups": ["g1"], "iat": 5}})",
                           R"({"provider": "entra", "claims": {"oid": "u2", "groups": []}})",
                           R"({"type": "grant", "provider": "okta", "subject": "k1", "role": "Crm.Viewer"})"}) {
    (void)a.process(line);
  }
  const std::string snapshot = save_state_bytes(a);
  Engine b(c);
  ASSERT_TRUE(load_state_bytes(b, snapshot).ok());
  EXPECT_EQ(b.export_state(), a.export_state());
  ASSERT_TRUE(load_state_bytes(b, "").ok()) << "empty bytes: an empty state";
  EXPECT_EQ(b.user_count(), 0u);
  EXPECT_FALSE(load_state_bytes(b, snapshot.substr(0, snapshot.size() / 2)).ok()) << "a truncated snapshot";

  uint64_t users = 0;
  Result<std::vector<std::string>> parts = split_state_to_ndjson(
      snapshot, 3, [](std::string_view p, std::string_view s) { return scaleout::partition_of(p, s, 3); }, &users);
  ASSERT_TRUE(parts.ok()) << parts.status().to_string();
  EXPECT_EQ(users, 3u);
  std::vector<std::string_view> views(parts.value().begin(), parts.value().end());
  Result<std::string> merged = merge_states_to_ndjson(views, &users);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged.value(), a.export_state());
  // A user in two partitions is refused.
  EXPECT_FALSE(merge_states_to_ndjson({a.export_state(), a.export_state()}).ok());
}

TEST(ScaleoutApi, PartitionIsTheDocumentedFnv1a) {
  // docs/scaleout.md's Python gives these.
  EXPECT_EQ(scaleout::partition_of("entra", "u1", 8), 7u);
  EXPECT_EQ(scaleout::partition_of("okta", "k1", 8), 0u);
  EXPECT_EQ(scaleout::partition_of("", "", 1000003), 0xaf63bd4c8601b7dfull % 1000003);  // FNV-1a of one 0x00 byte
  EXPECT_EQ(scaleout::partition_of("entra", "u1", 1), 0u);
}

}  // namespace
}  // namespace claimmap
