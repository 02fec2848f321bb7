// docs/spec.md §5 (sync at login) and §6 (provisioning pushes): deltas and state.
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

std::string login(const std::string& oid, const std::string& groups, int iat, const std::string& extra = "") {
  return entra_login(oid, groups, R"(, "iat": )" + std::to_string(iat) + extra);
}

std::string push(const std::string& type, const std::string& subject, const std::string& extra = "") {
  return R"({"type": ")" + type + R"(", "provider": "entra", "subject": ")" + subject + "\"" + extra + "}";
}

TEST(Sync, FirstLoginCreatesUserAndGrants) {
  EngineHarness h;
  Delta d = h.run(login("u1", R"(["g-mkt"])", 10));
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kOk);
  EXPECT_EQ(d.cause, claimmap::Cause::kLogin);
  EXPECT_EQ(d.provider, "entra");
  EXPECT_EQ(d.subject, "u1");
  EXPECT_TRUE(d.new_user);
  EXPECT_EQ(d.groups_added, Names({"marketing"}));
  EXPECT_EQ(d.roles_granted, Names({"Crm.Editor", "Crm.Viewer"}));
  EXPECT_EQ(h.engine().user_count(), 1u);
}

TEST(Sync, FirstLoginWithNoMatchStillCreatesTheUser) {
  EngineHarness h;
  Delta d = h.run(login("u1", "[]", 10));
  EXPECT_TRUE(d.new_user);
  EXPECT_TRUE(d.groups_added.empty());
  EXPECT_EQ(h.engine().user_count(), 1u);
}

TEST(Sync, NewMappedSetReplacesTheOld) {
  EngineHarness h;
  h.run(login("u1", R"(["g-mkt"])", 10));
  Delta d = h.run(login("u1", R"(["g-read"])", 11));
  EXPECT_FALSE(d.new_user);
  EXPECT_EQ(d.groups_added, Names({"readers"}));
  EXPECT_EQ(d.groups_removed, Names({"marketing"}));
  // Crm.Viewer is held through readers now: neither granted nor revoked.
  EXPECT_EQ(d.roles_granted, Names{});
  EXPECT_EQ(d.roles_revoked, Names({"Crm.Editor"}));
}

TEST(Sync, UnchangedLoginHasAnEmptyDelta) {
  EngineHarness h;
  h.run(login("u1", R"(["g-mkt"])", 10));
  Delta d = h.run(login("u1", R"(["g-mkt"])", 11));
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kOk);
  EXPECT_TRUE(d.groups_added.empty() && d.groups_removed.empty() && d.roles_granted.empty() && d.roles_revoked.empty());
}

TEST(Sync, LeavingEveryGroupRevokesEverything) {
  EngineHarness h;
  h.run(login("u1", R"(["g-mkt", "g-read"])", 10));
  Delta d = h.run(login("u1", "[]", 11));
  EXPECT_EQ(d.groups_removed, Names({"marketing", "readers"}));
  EXPECT_EQ(d.roles_revoked, Names({"Crm.Editor", "Crm.Viewer"}));
}

TEST(Sync, ManualMembershipIsNeverTouchedByALogin) {
  EngineHarness h;
  h.run(push("assign", "u1", R"(, "group": "marketing")"));
  Delta d = h.run(login("u1", "[]", 10));
  EXPECT_TRUE(d.groups_removed.empty());
  // Mapped and manual at once: losing the mapping keeps the manual membership.
  h.run(login("u1", R"(["g-mkt"])", 11));
  d = h.run(login("u1", "[]", 12));
  EXPECT_TRUE(d.groups_removed.empty());
  EXPECT_EQ(h.engine().effective_roles("entra", "u1"), Names({"Crm.Editor", "Crm.Viewer"}));
}

TEST(Sync, RoleHeldDirectlyIsNotRevokedWithItsGroup) {
  EngineHarness h;
  h.run(push("grant", "u1", R"(, "role": "Crm.Editor")"));
  h.run(login("u1", R"(["g-mkt"])", 10));
  Delta d = h.run(login("u1", "[]", 11));
  EXPECT_EQ(d.groups_removed, Names({"marketing"}));
  EXPECT_EQ(d.roles_revoked, Names({"Crm.Viewer"}));
}

TEST(Sync, StaleTokenChangesNothing) {
  EngineHarness h;
  h.run(login("u1", R"(["g-mkt"])", 20));
  Delta d = h.run(login("u1", R"(["g-read"])", 19));
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kStale);
  EXPECT_TRUE(d.groups_added.empty() && d.groups_removed.empty());
  EXPECT_EQ(h.engine().effective_roles("entra", "u1"), Names({"Crm.Editor", "Crm.Viewer"}));
}

TEST(Sync, StaleTokenNeverReGrants) {
  EngineHarness h;
  h.run(login("u1", R"(["g-mkt"])", 10));
  h.run(login("u1", "[]", 20));
  Delta d = h.run(login("u1", R"(["g-mkt"])", 10));  // a replay of the first token
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kStale);
  EXPECT_TRUE(h.engine().effective_roles("entra", "u1").empty());
}

TEST(Sync, EqualIatIsAppliedAgain) {
  EngineHarness h;
  h.run(login("u1", R"(["g-mkt"])", 20));
  Delta d = h.run(login("u1", R"(["g-read"])", 20));
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kOk);
  EXPECT_EQ(d.groups_added, Names({"readers"}));
}

TEST(Sync, NonNumericIatIsIgnored) {
  EngineHarness h;
  h.run(login("u1", R"(["g-mkt"])", 20));
  Delta d = h.run(entra_login("u1", R"(["g-read"])", R"(, "iat": "5")"));
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kOk);
  // The stored highest iat is still 20.
  EXPECT_EQ(h.run(login("u1", "[]", 19)).status, claimmap::DeltaStatus::kStale);
}

TEST(Sync, FractionalIatComparesNumerically) {
  EngineHarness h;
  h.run(entra_login("u1", "[]", R"(, "iat": 1e1)"));
  EXPECT_EQ(h.run(entra_login("u1", "[]", R"(, "iat": 9.5)")).status, claimmap::DeltaStatus::kStale);
  EXPECT_EQ(h.run(entra_login("u1", "[]", R"(, "iat": 10.0)")).status, claimmap::DeltaStatus::kOk);
}

TEST(Sync, SuspendRevokesAllAndResumeRestores) {
  EngineHarness h;
  h.run(login("u1", R"(["g-mkt"])", 10));
  h.run(push("grant", "u1", R"(, "role": "Ops.Pager")"));
  Delta d = h.run(push("suspend", "u1"));
  EXPECT_EQ(d.cause, claimmap::Cause::kSuspend);
  EXPECT_EQ(d.groups_removed, Names({"marketing"}));
  EXPECT_EQ(d.roles_revoked, Names({"Crm.Editor", "Crm.Viewer", "Ops.Pager"}));
  EXPECT_TRUE(h.engine().effective_roles("entra", "u1").empty());
  d = h.run(push("resume", "u1"));
  EXPECT_EQ(d.groups_added, Names({"marketing"}));
  EXPECT_EQ(d.roles_granted, Names({"Crm.Editor", "Crm.Viewer", "Ops.Pager"}));
}

TEST(Sync, SuspendedUsersLoginIsSuspendedWhateverItsIat) {
  EngineHarness h;
  h.run(login("u1", R"(["g-mkt"])", 10));
  h.run(push("suspend", "u1"));
  Delta d = h.run(login("u1", R"(["g-read"])", 5));
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kSuspended);
  d = h.run(login("u1", R"(["g-read"])", 50));
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kSuspended);
  d = h.run(push("resume", "u1"));
  EXPECT_EQ(d.groups_added, Names({"marketing"}));  // the suspended login changed nothing
}

TEST(Sync, DeleteRevokesAllAndForgetsTheUser) {
  EngineHarness h;
  h.run(login("u1", R"(["g-mkt"])", 10));
  Delta d = h.run(push("delete", "u1"));
  EXPECT_EQ(d.groups_removed, Names({"marketing"}));
  EXPECT_EQ(d.roles_revoked, Names({"Crm.Editor", "Crm.Viewer"}));
  EXPECT_EQ(h.engine().user_count(), 0u);
  // Forgotten means the stale guard is gone too: the next login is a new user.
  d = h.run(login("u1", R"(["g-mkt"])", 1));
  EXPECT_TRUE(d.new_user);
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kOk);
}

TEST(Sync, DeleteOfUnknownUserIsAnError) {
  EngineHarness h;
  Delta d = h.run(push("delete", "nobody"));
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kError);
  EXPECT_EQ(d.error.code(), ErrorCode::kUnknownUser);
  EXPECT_EQ(h.engine().user_count(), 0u);
}

TEST(Sync, PushForUnknownUserCreatesIt) {
  EngineHarness h;
  Delta d = h.run(push("assign", "u9", R"(, "group": "hr")"));
  EXPECT_TRUE(d.new_user);
  EXPECT_EQ(d.groups_added, Names({"hr"}));
  EXPECT_EQ(d.roles_granted, Names({"Hr.Admin"}));
}

TEST(Sync, AssignUnassignGrantRevoke) {
  EngineHarness h;
  EXPECT_EQ(h.run(push("assign", "u1", R"(, "group": "readers")")).roles_granted, Names({"Crm.Viewer"}));
  EXPECT_TRUE(h.run(push("assign", "u1", R"(, "group": "readers")")).groups_added.empty());  // idempotent
  EXPECT_EQ(h.run(push("grant", "u1", R"(, "role": "Crm.Viewer")")).roles_granted, Names{});
  EXPECT_EQ(h.run(push("unassign", "u1", R"(, "group": "readers")")).groups_removed, Names({"readers"}));
  Delta d = h.run(push("revoke", "u1", R"(, "role": "Crm.Viewer")"));
  EXPECT_EQ(d.roles_revoked, Names({"Crm.Viewer"}));
}

TEST(Sync, BadPushChangesNothingAndCreatesNoUser) {
  EngineHarness h;
  Delta d = h.run(push("assign", "u1", R"(, "group": "nope")"));
  EXPECT_EQ(d.error.code(), ErrorCode::kUnknownGroup);
  d = h.run(push("grant", "u1", R"(, "role": "nope")"));
  EXPECT_EQ(d.error.code(), ErrorCode::kUnknownRole);
  EXPECT_EQ(h.engine().user_count(), 0u);
}

TEST(Sync, BadLineNeverChangesState) {
  EngineHarness h;
  h.run(login("u1", R"(["g-mkt"])", 10));
  const std::string before = h.engine().export_state();
  h.run(R"({"iss": "https://login.example/t/v2.0", "oid": "u1", "groups": [], "groups": []})");
  h.run(R"({"iss": "https://login.example/t/v2.0", "oid": "u1", "groups": [)");
  EXPECT_EQ(h.engine().export_state(), before);
}

TEST(Sync, UsersAreKeyedByProviderAndSubject) {
  EngineHarness h;
  h.run(login("same", R"(["g-mkt"])", 10));
  Delta d = h.run(R"({"iss": "https://kc.example/realms/corp", "sub": "same"})");
  EXPECT_TRUE(d.new_user);
  EXPECT_EQ(h.engine().user_count(), 2u);
}

TEST(Sync, EffectiveRolesOfUnknownUserIsEmpty) {
  EngineHarness h;
  EXPECT_TRUE(h.engine().effective_roles("entra", "nobody").empty());
  EXPECT_TRUE(h.engine().effective_roles("nope", "nobody").empty());
}

}  // namespace
}  // namespace claimmap::testing
