// docs/spec.md §17: `explain` of one user and `audit` of a config and its
// state, asserting exact lines.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "claimmap/audit.h"
#include "claimmap/engine.h"
#include "claimmap/explain.h"
#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

std::string login(const std::string& oid, const std::string& groups, const std::string& extra = "") {
  return R"({"claims": )" + entra_login(oid, groups, extra) + "}";
}

// kBaseConfig (tests/test_util.h): entra maps g-mkt → marketing (Crm.Editor,
// Crm.Viewer), g-read and dept Sales → readers (Crm.Viewer), level 42 and
// hr_flag true → hr (Hr.Admin), g-devs → devs (stage dev: inactive for entra).
void seed(EngineHarness& h) {
  (void)h.line(login("u1", R"(["g-mkt", "g-read"])", R"(, "dept": "Sales")"));
  (void)h.line(R"({"type": "assign", "provider": "entra", "subject": "u1", "group": "readers"})");
  (void)h.line(R"({"type": "grant", "provider": "entra", "subject": "u1", "role": "Crm.Viewer"})");
  (void)h.line(login("u2", R"(["g-read"])"));
  (void)h.line(login("u3", "[]", R"(, "level": 42)"));
  (void)h.line(R"({"type": "suspend", "provider": "entra", "subject": "u3"})");
  (void)h.line(R"({"type": "grant", "provider": "entra", "subject": "u3", "role": "Ops.Pager"})");
}

TEST(ExplainUser, GroupsWithProvenanceAndRolesWithSources) {
  EngineHarness h;
  seed(h);
  std::optional<UserExplanation> u1 = h.engine().explain_user("entra", "u1");
  ASSERT_TRUE(u1);
  EXPECT_EQ(u1->to_json(),
            R"({"provider": "entra", "subject": "u1", "groups": {"marketing": {"mapped": ["m-mkt"]}, "readers": {"mapped": ["m-read", "m-read2"], "manual": true}}, )"
            R"("roles": {"Crm.Editor": {"groups": ["marketing"]}, "Crm.Viewer": {"groups": ["marketing", "readers"], "direct": true}}})"
            "\n");
}

TEST(ExplainUser, ASuspendedUserSaysSoAndHoldsNothing) {
  EngineHarness h;
  seed(h);
  std::optional<UserExplanation> u3 = h.engine().explain_user("entra", "u3");
  ASSERT_TRUE(u3);
  EXPECT_EQ(u3->to_json(), R"({"provider": "entra", "subject": "u3", "suspended": true, "groups": {}, "roles": {}})"
                           "\n");
}

TEST(ExplainUser, AnUnknownUserIsNone) {
  EngineHarness h;
  seed(h);
  EXPECT_FALSE(h.engine().explain_user("entra", "nobody"));
  EXPECT_FALSE(h.engine().explain_user("nope", "u1"));
}

TEST(Audit, EveryFindingKindSortedByKindThenId) {
  // A group without roles, and a mapping onto it, added to the base config.
  std::string config = kBaseConfig;
  config.replace(config.find(R"({"id": "devs")"), 0, R"({"id": "idle", "stage": "prod", "roles": []}, )");
  config.replace(config.find(R"({"id": "m-saml",)"), 0,
                 R"({"id": "m-idle", "provider": "entra", "claim": "groups", "value": "g-idle", "group": "idle"}, )");
  EngineHarness h(config);
  seed(h);
  (void)h.line(login("u4", "[]", R"(, "hr_flag": true)"));  // the one holder of Hr
  const AuditReport report = h.engine().audit();
  EXPECT_EQ(report.users, 4u);
  EXPECT_EQ(report.suspended_users, 1u);
  EXPECT_EQ(report.to_ndjson(),
            R"({"finding": "app_single_holder", "app": "Hr", "provider": "entra", "subject": "u4"})" "\n"
            R"({"finding": "direct_role", "role": "Crm.Viewer", "holders": 1})" "\n"
            R"({"finding": "direct_role", "role": "Ops.Pager", "holders": 1})" "\n"
            R"({"finding": "group_empty", "group": "devs"})" "\n"
            R"({"finding": "group_empty", "group": "idle"})" "\n"
            R"({"finding": "group_without_roles", "group": "idle"})" "\n"
            R"({"finding": "mapping_inactive", "mapping": "m-devs", "reason": "group \"devs\" is in stage \"dev\", outside the scope of provider \"entra\""})" "\n"
            R"({"finding": "mapping_unused", "mapping": "m-idle"})" "\n"
            R"({"finding": "mapping_unused", "mapping": "m-kc"})" "\n"
            R"({"finding": "mapping_unused", "mapping": "m-ns"})" "\n"
            R"({"finding": "mapping_unused", "mapping": "m-saml"})" "\n"
            R"({"finding": "mapping_unused", "mapping": "m-saml2"})" "\n"
            R"({"finding": "role_unheld", "role": "Ops.Pager"})" "\n");
  // Crm has two holders (u1, and u2 through readers): not a single-holder app.
}

TEST(Audit, AReplayMarksTheMappingsItMatchesAsUsedAndAppliesNothing) {
  EngineHarness h;
  seed(h);
  const std::string replay_text = login("u9", "[]", R"(, "hr_flag": true)") + "\n\n" +
                                  R"({"provider": "kc", "claims": {"sub": "k1", "realm_access": {"roles": ["admin"]}}})" "\n";
  const std::string_view replay = replay_text;
  const AuditReport report = h.engine().audit(&replay);
  EXPECT_EQ(report.replay_logins, 2u);
  const std::string out = report.to_ndjson();
  EXPECT_EQ(out.find(R"("mapping": "m-flag")"), std::string::npos) << out;
  EXPECT_EQ(out.find(R"("mapping": "m-kc")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("mapping": "m-ns")"), std::string::npos) << out;
  EXPECT_FALSE(h.engine().find_user("entra", "u9"));  // nothing applied
}

TEST(ForEachUser, VisitsEveryUserOnceWithTheRecordFindUserGives) {
  EngineHarness h;
  seed(h);
  std::vector<std::string> lines;
  h.engine().for_each_user([&](const UserRecord& r) { lines.push_back(r.to_state_line()); });
  std::sort(lines.begin(), lines.end());
  std::vector<std::string> expected;
  for (const char* subject : {"u1", "u2", "u3"}) expected.push_back(h.engine().find_user("entra", subject)->to_state_line());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(lines, expected);
  // The effective sets too: u1's, and u3's empty while suspended.
  std::map<std::string, std::vector<std::string>> roles;
  h.engine().for_each_user([&](const UserRecord& r) { roles[r.subject] = r.effective_roles; });
  EXPECT_EQ(roles["u1"], (std::vector<std::string>{"Crm.Editor", "Crm.Viewer"}));
  EXPECT_EQ(roles["u2"], (std::vector<std::string>{"Crm.Viewer"}));
  EXPECT_TRUE(roles["u3"].empty());
  EXPECT_EQ(roles.size(), 3u);
}

TEST(ForEachUser, AnEmptyEngineVisitsNobody) {
  EngineHarness h;
  size_t visits = 0;
  h.engine().for_each_user([&](const UserRecord&) { ++visits; });
  EXPECT_EQ(visits, 0u);
}

TEST(Audit, RefusedReplayLinesAreCountedAndSaid) {
  EngineHarness h;
  seed(h);
  const std::string replay_text = login("u9", "[]", R"(, "hr_flag": true)") + "\n{not json\n" +
                                  R"({"provider": "nope", "claims": {"sub": "x"}})" "\n";
  const std::string_view replay = replay_text;
  const AuditReport report = h.engine().audit(&replay);
  EXPECT_EQ(report.replay_logins, 1u);
  EXPECT_EQ(report.replay_refused, 2u);
  EXPECT_NE(report.summary_text().find("\nreplay: 2 lines refused, matching nothing (an expired signed token needs --now)\n"),
            std::string::npos)
      << report.summary_text();
}

}  // namespace
}  // namespace claimmap::testing
