// docs/spec.md §4: which mappings a login's claims match. Each test runs a login
// through the engine and checks the groups it grants.
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

Names groups_of(EngineHarness& h, const std::string& token) {
  Delta d = h.run(token);
  EXPECT_TRUE(d.ok()) << d.error.message();
  return d.groups_added;
}

TEST(Matcher, StringCandidateMatchesExactly) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, entra_login("u1", R"("g-mkt")")), Names({"marketing"}));
}

TEST(Matcher, ArrayGivesEachElement) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, entra_login("u1", R"(["g-mkt", "g-read", "other"])")), Names({"marketing", "readers"}));
}

TEST(Matcher, ComparisonIsCaseSensitiveAndByteExact) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, entra_login("u1", R"(["G-MKT", "g-mkt ", " g-read"])")), Names{});
}

TEST(Matcher, ValuesAreComparedAfterJsonUnescaping) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, entra_login("u1", R"(["g\u002dmkt"])")), Names({"marketing"}));
}

TEST(Matcher, NumberGivesItsLiteralText) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, entra_login("u1", "[]", R"(, "level": 42)")), Names({"hr"}));
  EngineHarness h2;
  // 42.0 and 4.2e1 are other literal texts than the mapping's "42".
  EXPECT_EQ(groups_of(h2, entra_login("u2", "[]", R"(, "level": 42.0)")), Names{});
  EXPECT_EQ(groups_of(h2, entra_login("u3", "[]", R"(, "level": 4.2e1)")), Names{});
}

TEST(Matcher, StringOfTheNumberAlsoMatches) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, entra_login("u1", "[]", R"(, "level": "42")")), Names({"hr"}));
}

TEST(Matcher, BooleanGivesItsLiteralText) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, entra_login("u1", "[]", R"(, "hr_flag": true)")), Names({"hr"}));
  EXPECT_EQ(groups_of(h, entra_login("u2", "[]", R"(, "hr_flag": false)")), Names{});
}

TEST(Matcher, NumbersAndBooleansInsideArrays) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, entra_login("u1", "[]", R"(, "level": [1, 42], "hr_flag": [false])")), Names({"hr"}));
}

TEST(Matcher, ObjectsNestedArraysAndNullsInsideArraysAreSkipped) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, entra_login("u1", R"([{"g-mkt": 1}, ["g-mkt"], null, "g-read"])")), Names({"readers"}));
}

TEST(Matcher, ObjectClaimGivesNothing) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, entra_login("u1", R"({"id": "g-mkt"})")), Names{});
}

TEST(Matcher, AbsentOrNullClaimMatchesNothing) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, entra_login("u1", "null")), Names{});
  EXPECT_EQ(groups_of(h, R"({"iss": "https://login.example/t/v2.0", "oid": "u2"})"), Names{});
}

TEST(Matcher, InactiveMappingNeverMatches) {
  EngineHarness h;  // m-devs: group devs is in stage dev, entra's scope is prod
  EXPECT_EQ(groups_of(h, entra_login("u1", R"(["g-devs"])")), Names{});
}

TEST(Matcher, SeveralMappingsToOneGroupCountOnce) {
  EngineHarness h;
  Delta d = h.run(entra_login("u1", R"(["g-read"])", R"(, "dept": "Sales")"));
  EXPECT_EQ(d.groups_added, Names({"readers"}));
  EXPECT_EQ(d.roles_granted, Names({"Crm.Viewer"}));
}

TEST(Matcher, OnlyTheLoginProvidersMappingsTakePart) {
  EngineHarness h;  // "admin" under /realm_access/roles is a kc mapping, not entra's
  EXPECT_EQ(groups_of(h, entra_login("u1", "[]", R"(, "realm_access": {"roles": ["admin"]})")), Names{});
}

TEST(Matcher, JsonPointerClaimReachesNestedValues) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, R"({"iss": "https://kc.example/realms/corp", "sub": "k1", "realm_access": {"roles": ["user", "admin"]}})"),
            Names({"marketing"}));
}

TEST(Matcher, JsonPointerThroughMissingOrWrongTypeMatchesNothing) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, R"({"iss": "https://kc.example/realms/corp", "sub": "k1", "realm_access": ["admin"]})"), Names{});
  EXPECT_EQ(groups_of(h, R"({"iss": "https://kc.example/realms/corp", "sub": "k2", "realm_access": {"other": 1}})"), Names{});
}

TEST(Matcher, NonPointerClaimIsOneLiteralMemberName) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, R"({"iss": "https://kc.example/realms/corp", "sub": "k1", "https://example.com/roles": ["reader"]})"),
            Names({"readers"}));
  // Not read as a path into nested objects.
  EXPECT_EQ(groups_of(h, R"({"iss": "https://kc.example/realms/corp", "sub": "k2", "https://example.com": {"roles": "reader"}})"),
            Names{});
}

std::string saml(const std::string& subject, const std::string& member_of) {
  return R"({"type": "login", "provider": "adfs", "claims": {"sub": ")" + subject + R"(", "memberOf": )" + member_of +
         "}}";
}

TEST(Matcher, DelimiterSplitsTrimsAndDropsEmptyParts) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, saml("s1", R"("CN=Sales; CN=Ops ;;  ;CN=HR")")), Names({"devs", "hr"}));
}

TEST(Matcher, DelimiterAppliesToEveryArrayElement) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, saml("s1", R"(["CN=Sales;CN=Ops", "CN=HR"])")), Names({"devs", "hr"}));
}

TEST(Matcher, DelimiterTrimOnlySpaceAndTab) {
  EngineHarness h;
  EXPECT_EQ(groups_of(h, saml("s1", R"("\tCN=Ops\t;\nCN=HR")")), Names({"devs"}));
}

TEST(Matcher, WithoutDelimiterTheWholeValueMustMatch) {
  EngineHarness h;  // entra's groups mapping has no delimiter: no forging a second group
  EXPECT_EQ(groups_of(h, entra_login("u1", R"("g-read;g-mkt")")), Names{});
}

TEST(Matcher, MultiCharacterDelimiterSplitsOnTheWholeString) {
  std::string config = kBaseConfig;
  const std::string needle = R"("delimiter": ";", "group": "devs")";
  config.replace(config.find(needle), needle.size(), R"("delimiter": "||", "group": "devs")");
  EngineHarness h(config);
  EXPECT_EQ(groups_of(h, saml("s1", R"("CN=Sales|CN=Ops|| CN=Ops")")), Names({"devs"}));
  EXPECT_EQ(groups_of(h, saml("s2", R"("CN=Sales|CN=Ops")")), Names{});
}

std::string overage_login(const std::string& oid, const std::string& rest) {
  return R"({"iss": "https://login.example/t/v2.0", "oid": ")" + oid + R"(", "iat": 10)" + rest + "}";
}

TEST(Matcher, OverageKeepsMembershipsOfTheMissingClaim) {
  EngineHarness h;
  h.run(overage_login("u1", R"(, "groups": ["g-mkt"], "dept": "Sales")"));
  Delta d = h.run(overage_login("u1", R"(, "_claim_names": {"groups": "src1"}, "dept": "Other")"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.overage, Names({"groups"}));
  // marketing came from the indeterminate claim and stays; readers came from dept, which was read.
  EXPECT_EQ(d.groups_removed, Names({"readers"}));
  EXPECT_EQ(d.roles_revoked, Names{});  // Crm.Viewer is still granted by marketing
  EXPECT_EQ(h.engine().effective_roles("entra", "u1"), Names({"Crm.Editor", "Crm.Viewer"}));
}

TEST(Matcher, OverageGrantsNothingNew) {
  EngineHarness h;
  Delta d = h.run(overage_login("u1", R"(, "_claim_names": {"groups": "src1"})"));
  EXPECT_EQ(d.groups_added, Names{});
  EXPECT_EQ(d.overage, Names({"groups"}));
}

TEST(Matcher, ClaimNamesDoNotApplyWhenTheClaimIsPresent) {
  EngineHarness h;
  h.run(overage_login("u1", R"(, "groups": ["g-mkt"])"));
  Delta d = h.run(overage_login("u1", R"(, "groups": [], "_claim_names": {"groups": "src1"})"));
  EXPECT_EQ(d.groups_removed, Names({"marketing"}));
  EXPECT_TRUE(d.overage.empty());
}

TEST(Matcher, ClaimNamesMustBeAnObject) {
  EngineHarness h;
  h.run(overage_login("u1", R"(, "groups": ["g-mkt"])"));
  Delta d = h.run(overage_login("u1", R"(, "_claim_names": ["groups"])"));
  EXPECT_EQ(d.groups_removed, Names({"marketing"}));
}

TEST(Matcher, OverageCoversJsonPointersByFirstToken) {
  EngineHarness h;
  const std::string kc = R"({"iss": "https://kc.example/realms/corp", "sub": "k1")";
  h.run(kc + R"(, "realm_access": {"roles": ["admin"]}})");
  Delta d = h.run(kc + R"(, "_claim_names": {"realm_access": "src"}})");
  EXPECT_TRUE(d.groups_removed.empty());
  EXPECT_EQ(d.overage, Names({"realm_access"}));
}

}  // namespace
}  // namespace claimmap::testing
