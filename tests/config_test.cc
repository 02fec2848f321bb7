// docs/spec.md §2: every validation rule, each reported with its JSON path.
#include <gtest/gtest.h>

#include <algorithm>

#include "claimmap/config.h"
#include "tests/test_util.h"

namespace claimmap {
namespace {

// Replaces the first occurrence of `from` in the base config with `to`.
std::string edited(const std::string& from, const std::string& to) {
  std::string s = testing::kBaseConfig;
  const size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

ConfigReport errors_of(const std::string& json) {
  ConfigReport report;
  Result<Config> config = load_config(json, &report);
  EXPECT_FALSE(config.ok());
  if (!config.ok()) {
    EXPECT_EQ(config.status().code(), ErrorCode::kInvalidConfig);
  }
  return report;
}

bool has_error(const ConfigReport& r, const std::string& path, const std::string& fragment) {
  return std::any_of(r.errors.begin(), r.errors.end(), [&](const ConfigProblem& p) {
    return p.path == path && p.message.find(fragment) != std::string::npos;
  });
}

std::string all_errors(const ConfigReport& r) {
  std::string s;
  for (const auto& e : r.errors) s += e.to_string() + "\n";
  return s;
}

TEST(Config, BaseConfigLoadsWithCounts) {
  ConfigReport report;
  Result<Config> config = load_config(testing::kBaseConfig, &report);
  ASSERT_TRUE(config.ok()) << all_errors(report);
  EXPECT_EQ(report.providers, 3u);
  EXPECT_EQ(report.roles, 4u);
  EXPECT_EQ(report.groups, 4u);
  EXPECT_EQ(report.mappings, 10u);
}

TEST(Config, OidcMappingOutsideScopeLoadsInactive) {
  ConfigReport report;
  ASSERT_TRUE(load_config(testing::kBaseConfig, &report).ok());
  // m-devs maps entra (scope prod) to devs (stage dev).
  ASSERT_EQ(report.inactive_mappings.size(), 1u);
  EXPECT_NE(report.inactive_mappings[0].message.find("m-devs"), std::string::npos);
  EXPECT_EQ(report.active_mappings, 9u);
}

TEST(Config, OrganizationScopeCoversEveryStage) {
  const std::string json = edited(R"("group": "marketing"},
    {"id": "m-ns")", R"("group": "devs"},
    {"id": "m-ns")");
  ConfigReport report;
  ASSERT_TRUE(load_config(json, &report).ok()) << all_errors(report);
  EXPECT_EQ(report.inactive_mappings.size(), 1u);  // still only m-devs
}

TEST(Config, ReportsEveryErrorAtOnce) {
  std::string json = edited(R"("value": "g-mkt")", R"("value": ")" + std::string(257, 'x') + R"(")");
  json.replace(json.find(R"("claim": "dept")"), 15, R"("claim": "")");
  json.replace(json.find(R"("group": "hr"})"), 14, R"("group": "nope"})");
  const ConfigReport r = errors_of(json);
  EXPECT_TRUE(has_error(r, "mappings[0].value", "longer than 256 characters")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "mappings[2].claim", "empty")) << all_errors(r);
  EXPECT_TRUE(has_error(r, "mappings[4].group", "unknown group \"nope\"")) << all_errors(r);
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);
}

TEST(Config, LengthsCountCodePointsNotBytes) {
  // 256 two-byte characters: 512 bytes, 256 code points: allowed.
  std::string value;
  for (int i = 0; i < 256; ++i) value += "\xC3\xA9";
  ConfigReport report;
  EXPECT_TRUE(load_config(edited(R"("value": "g-mkt")", R"("value": ")" + value + R"(")"), &report).ok())
      << all_errors(report);
  const ConfigReport r = errors_of(edited(R"("value": "g-mkt")", R"("value": ")" + value + "\xC3\xA9\""));
  EXPECT_TRUE(has_error(r, "mappings[0].value", "longer than 256")) << all_errors(r);
}

TEST(Config, ClaimLimitIsFiftyCharacters) {
  ConfigReport ok;
  EXPECT_TRUE(load_config(edited(R"("claim": "dept")", R"("claim": ")" + std::string(50, 'c') + R"(")"), &ok).ok());
  const ConfigReport r = errors_of(edited(R"("claim": "dept")", R"("claim": ")" + std::string(51, 'c') + R"(")"));
  EXPECT_TRUE(has_error(r, "mappings[2].claim", "longer than 50")) << all_errors(r);
}

TEST(Config, EmptyValueIsAnError) {
  const ConfigReport r = errors_of(edited(R"("value": "g-mkt")", R"("value": "")"));
  EXPECT_TRUE(has_error(r, "mappings[0].value", "empty")) << all_errors(r);
}

TEST(Config, DelimiterAbsentNullOrEmptyMeansNone) {
  ConfigReport report;
  EXPECT_TRUE(load_config(edited(R"("value": "g-mkt",)", R"("value": "g-mkt", "delimiter": null,)"), &report).ok());
  EXPECT_TRUE(load_config(edited(R"("value": "g-mkt",)", R"("value": "g-mkt", "delimiter": "",)"), &report).ok());
  EXPECT_TRUE(load_config(edited(R"("value": "g-mkt",)", R"("value": "g-mkt", "delimiter": "||;",)"), &report).ok());
  const ConfigReport r = errors_of(edited(R"("value": "g-mkt",)", R"("value": "g-mkt", "delimiter": "||;;",)"));
  EXPECT_TRUE(has_error(r, "mappings[0].delimiter", "longer than 3")) << all_errors(r);
}

TEST(Config, DuplicateIdsAreErrors) {
  const ConfigReport r = errors_of(edited(R"({"id": "m-read", )", R"({"id": "m-mkt", )"));
  EXPECT_TRUE(has_error(r, "mappings[1].id", "duplicate id \"m-mkt\"")) << all_errors(r);
  const ConfigReport g = errors_of(edited(R"({"id": "readers", )", R"({"id": "marketing", )"));
  EXPECT_TRUE(has_error(g, "groups[1].id", "duplicate id")) << all_errors(g);
}

TEST(Config, EmptyIdIsAnError) {
  const ConfigReport r = errors_of(edited(R"({"id": "Hr.Admin", )", R"({"id": "", )"));
  EXPECT_TRUE(has_error(r, "roles[2].id", "empty")) << all_errors(r);
}

TEST(Config, ReferencesMustResolve) {
  EXPECT_TRUE(has_error(errors_of(edited(R"("roles": ["Crm.Viewer"]})", R"("roles": ["Crm.Nope"]})")),
                        "groups[1].roles[0]", "unknown role"));
  EXPECT_TRUE(has_error(errors_of(edited(R"("stage": "prod", "roles": ["Hr.Admin"])", R"("stage": "qa", "roles": ["Hr.Admin"])")),
                        "groups[2].stage", "unknown stage"));
  EXPECT_TRUE(has_error(errors_of(edited(R"("provider": "kc", "claim": "/realm)", R"("provider": "okta", "claim": "/realm)")),
                        "mappings[6].provider", "unknown provider \"okta\""));
  EXPECT_TRUE(has_error(errors_of(edited(R"("scope": ["dev", "prod"]})", R"("scope": ["dev", "uat"]})")),
                        "providers[2].scope[1]", "unknown stage"));
}

TEST(Config, TwoProvidersCannotShareAnIssuer) {
  const ConfigReport r = errors_of(edited("https://kc.example/realms/corp", "https://login.example/t/v2.0"));
  EXPECT_TRUE(has_error(r, "providers[1].issuer", "same issuer as providers[0]")) << all_errors(r);
}

TEST(Config, SamlOrganizationScopeCannotHaveMappings) {
  const ConfigReport r = errors_of(edited(R"("type": "saml", "scope": ["dev", "prod"])", R"("type": "saml", "scope": "organization")"));
  EXPECT_TRUE(has_error(r, "mappings[8].provider",
                        "group mapping isn't available for SAML providers with Organization scope"))
      << all_errors(r);
}

TEST(Config, SamlMappingOutsideScopeIsAnError) {
  const ConfigReport r = errors_of(edited(R"("type": "saml", "scope": ["dev", "prod"])", R"("type": "saml", "scope": ["prod"])"));
  // m-saml maps to devs (stage dev): an error for SAML, not an inactive mapping.
  EXPECT_TRUE(has_error(r, "mappings[8].group", "outside the scope of SAML provider")) << all_errors(r);
}

TEST(Config, UnknownMembersAreErrors) {
  EXPECT_TRUE(has_error(errors_of(edited(R"({"id": "m-mkt", )", R"({"id": "m-mkt", "valeu": "x", )")),
                        "mappings[0].valeu", "unknown member"));
  EXPECT_TRUE(has_error(errors_of(edited(R"("version": 1,)", R"("version": 1, "extra": true,)")), "extra",
                        "unknown member"));
}

TEST(Config, VersionMustBeOne) {
  EXPECT_TRUE(has_error(errors_of(edited(R"("version": 1,)", R"("version": 2,)")), "version", "must be 1"));
  EXPECT_TRUE(has_error(errors_of(edited(R"("version": 1,)", "")), "version", "missing"));
}

TEST(Config, TypesAreChecked) {
  EXPECT_TRUE(has_error(errors_of(edited(R"("value": "g-mkt")", R"("value": 42)")), "mappings[0].value",
                        "must be a string"));
  EXPECT_TRUE(has_error(errors_of(edited(R"("type": "oidc", "issuer": "https://login)", R"("type": "ldap", "issuer": "https://login)")),
                        "providers[0].type", "must be \"oidc\" or \"saml\""));
  EXPECT_TRUE(has_error(errors_of(edited(R"("scope": "organization")", R"("scope": "everything")")), "providers[1].scope",
                        "\"organization\" or a list"));
}

TEST(Config, DuplicateMemberNamesAreErrors) {
  const ConfigReport r = errors_of(edited(R"({"id": "m-mkt", )", R"({"id": "m-mkt", "id": "m-x", )"));
  EXPECT_TRUE(has_error(r, "mappings[0].id", "more than once")) << all_errors(r);
}

TEST(Config, BadJsonPointerIsAnError) {
  const ConfigReport r = errors_of(edited(R"("claim": "/realm_access/roles")", R"("claim": "/realm~2access")"));
  EXPECT_TRUE(has_error(r, "mappings[6].claim", "JSON Pointer")) << all_errors(r);
}

TEST(Config, NotJsonIsOneClearError) {
  ConfigReport report;
  Result<Config> config = load_config("{\"version\": 1,", &report);
  ASSERT_FALSE(config.ok());
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_NE(report.errors[0].message.find("not valid JSON"), std::string::npos);
}

TEST(Config, WarnsWhenValueContainsItsDelimiter) {
  ConfigReport report;
  ASSERT_TRUE(load_config(edited(R"("value": "CN=Ops")", R"("value": "CN=Ops;CN=Dev")"), &report).ok());
  ASSERT_FALSE(report.warnings.empty());
  EXPECT_EQ(report.warnings[0].path, "mappings[8].value");
}

TEST(Config, MissingFileIsAnIoError) {
  Result<Config> config = load_config_file("/nonexistent/config.json");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace claimmap
