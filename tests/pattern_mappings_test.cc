// docs/spec.md §16 (prefix, glob and regex mappings, group templates, login
// requirements), rule by rule, through the engine's own output: every test
// feeds lines to the engine and compares the EXACT output line, or the
// exact validation report.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/counters.h"
#include "claimmap/engine.h"
#include "claimmap/impact.h"
#include "claimmap/query.h"
#include "claimmap/stream.h"
#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

// Two stages; okta's scope is prod only, so a dev group is out of its scope.
// Mappings are added per test.
std::string config_with(const std::string& mappings, const std::string& require = "",
                        const std::string& extra_groups = "") {
  return R"({"version": 1, "stages": ["prod", "dev"],
    "providers": [{"id": "okta", "type": "oidc", "issuer": "https://okta", "scope": ["prod"])" +
         (require.empty() ? "" : ", \"require\": " + require) + R"(}],
    "roles": [{"id": "R.crm", "app": "crm"}, {"id": "R.erp", "app": "erp"}, {"id": "R.eng", "app": "eng"},
              {"id": "R.dev", "app": "dev"}],
    "groups": [{"id": "app-crm", "stage": "prod", "roles": ["R.crm"]},
               {"id": "app-erp", "stage": "prod", "roles": ["R.erp"]},
               {"id": "app-dev", "stage": "dev", "roles": ["R.dev"]},
               {"id": "eng", "stage": "prod", "roles": ["R.eng"]},
               {"id": "Sales", "stage": "prod", "roles": ["R.crm"]},
               {"id": "x-Sales-y", "stage": "prod", "roles": ["R.crm"]},
               {"id": "g--b", "stage": "prod", "roles": ["R.erp"]},
               {"id": "g-a-b", "stage": "prod", "roles": ["R.crm"]})" +
         extra_groups + R"(],
    "mappings": [)" + mappings + "]}";
}

std::string login(const std::string& sub, const std::string& groups, const std::string& extra = "") {
  return R"({"claims": {"iss": "https://okta", "sub": ")" + sub + R"(", "groups": )" + groups + extra + "}}";
}

std::string ok_line(int seq, const std::string& sub, bool new_user, const std::string& added,
                    const std::string& removed, const std::string& granted, const std::string& revoked) {
  return R"({"seq": )" + std::to_string(seq) + R"(, "cause": "login", "provider": "okta", "subject": ")" + sub +
         R"(", "status": "ok", "new_user": )" + (new_user ? "true" : "false") + R"(, "groups_added": [)" + added +
         R"(], "groups_removed": [)" + removed + R"(], "roles_granted": [)" + granted + R"(], "roles_revoked": [)" +
         revoked + "]}\n";
}

std::string denied_line(int seq, const std::string& sub, int rule) {
  return R"({"seq": )" + std::to_string(seq) + R"(, "cause": "login", "provider": "okta", "subject": ")" + sub +
         R"(", "status": "denied", "denied": {"rule": )" + std::to_string(rule) +
         R"(}, "new_user": false, "groups_added": [], "groups_removed": [], "roles_granted": [], "roles_revoked": []})"
         "\n";
}

std::string mapping(const std::string& id, const std::string& match, const std::string& value, const std::string& group,
                    const std::string& delimiter = "") {
  std::string m = R"({"id": ")" + id + R"(", "provider": "okta", "claim": "groups", "value": )" + value +
                  R"(, "group": ")" + group + "\"";
  if (!match.empty()) m += R"(, "match": ")" + match + "\"";
  if (!delimiter.empty()) m += R"(, "delimiter": ")" + delimiter + "\"";
  return m + "}";
}

// --- match kinds ------------------------------------------------------------

TEST(PatternMatch, ExactIsTheDefaultAndNamedExactIsTheSame) {
  EngineHarness h(config_with(mapping("m1", "", "\"CRM\"", "app-crm") + "," +
                              mapping("m2", "exact", "\"ERP\"", "app-erp")));
  EXPECT_EQ(h.line(login("u1", R"(["CRM", "ERP", "CRM-x", "erp"])")),
            ok_line(1, "u1", true, R"("app-crm", "app-erp")", "", R"("R.crm", "R.erp")", ""));
}

TEST(PatternMatch, PrefixMatchesValuesThatStartWithItIncludingItself) {
  EngineHarness h(config_with(mapping("m1", "prefix", "\"Eng-\"", "eng")));
  EXPECT_EQ(h.line(login("u1", R"(["Eng-"])")), ok_line(1, "u1", true, R"("eng")", "", R"("R.eng")", ""));
  EXPECT_EQ(h.line(login("u2", R"(["Eng-Platform"])")), ok_line(2, "u2", true, R"("eng")", "", R"("R.eng")", ""));
  EXPECT_EQ(h.line(login("u3", R"(["eng-platform", "XEng-", "Eng"])")), ok_line(3, "u3", true, "", "", "", ""));
}

TEST(PatternMatch, GlobStarQuestionAndEscapes) {
  EngineHarness h(config_with(mapping("m1", "glob", R"("CRM-*-?")", "app-crm") + "," +
                              mapping("m2", "glob", R"("lit\\*")", "app-erp")));
  // * takes any run (empty included), ? one code point (a two-byte é too).
  EXPECT_EQ(h.line(login("u1", R"(["CRM--1"])")), ok_line(1, "u1", true, R"("app-crm")", "", R"("R.crm")", ""));
  EXPECT_EQ(h.line(login("u2", R"(["CRM-eu-west-é"])")), ok_line(2, "u2", true, R"("app-crm")", "", R"("R.crm")", ""));
  EXPECT_EQ(h.line(login("u3", R"(["CRM-eu-12", "CRM-x", "xCRM-a-1"])")), ok_line(3, "u3", true, "", "", "", ""));
  // An escaped * is a star, nothing else.
  EXPECT_EQ(h.line(login("u4", R"(["lit*"])")), ok_line(4, "u4", true, R"("app-erp")", "", R"("R.erp")", ""));
  EXPECT_EQ(h.line(login("u5", R"(["litx", "lit"])")), ok_line(5, "u5", true, "", "", "", ""));
  // Nothing else is special: a dot or a bracket is itself.
  EngineHarness dots(config_with(mapping("m1", "glob", R"("a.[b]*")", "eng")));
  EXPECT_EQ(dots.line(login("u1", R"(["axb", "a.b"])")), ok_line(1, "u1", true, "", "", "", ""));
  EXPECT_EQ(dots.line(login("u2", R"(["a.[b]c"])")), ok_line(2, "u2", true, R"("eng")", "", R"("R.eng")", ""));
}

TEST(PatternMatch, RegexIsAnchoredAtBothEndsAndCaseSensitive) {
  EngineHarness h(config_with(mapping("m1", "regex", R"("APP_[a-z]+")", "app-crm")));
  EXPECT_EQ(h.line(login("u1", R"(["APP_crm"])")), ok_line(1, "u1", true, R"("app-crm")", "", R"("R.crm")", ""));
  EXPECT_EQ(h.line(login("u2", R"(["xAPP_crm", "APP_crm1", "app_crm", "APP_"])")), ok_line(2, "u2", true, "", "", "", ""));
}

TEST(PatternMatch, PatternsApplyToDelimitedPartsAndNumbers) {
  EngineHarness h(config_with(mapping("m1", "prefix", "\"Eng-\"", "eng", ";") + "," +
                              R"({"id": "m2", "provider": "okta", "claim": "level", "value": "4[0-9]", "match": "regex", "group": "app-erp"})"));
  EXPECT_EQ(h.line(login("u1", R"("Sales; Eng-Core ;x")", R"(, "level": 42)")),
            ok_line(1, "u1", true, R"("app-erp", "eng")", "", R"("R.eng", "R.erp")", ""));
}

// --- templates --------------------------------------------------------------

TEST(GroupTemplates, WholeValue) {
  EngineHarness h(config_with(mapping("m1", "glob", R"("*")", "{value}")));
  EXPECT_EQ(h.line(login("u1", R"(["Sales", "eng", "nobody"])")),
            ok_line(1, "u1", true, R"("Sales", "eng")", "", R"("R.crm", "R.eng")", ""));
}

TEST(GroupTemplates, CapturesAndTextAround) {
  EngineHarness h(config_with(mapping("m1", "regex", R"v("APP_([a-z]+)_(?:users|admins)")v", "app-{1}") + "," +
                              mapping("m2", "prefix", R"("S")", "x-{value}-y")));
  EXPECT_EQ(h.line(login("u1", R"(["APP_crm_users", "APP_erp_admins", "Sales"])")),
            ok_line(1, "u1", true, R"("app-crm", "app-erp", "x-Sales-y")", "", R"("R.crm", "R.erp")", ""));
}

TEST(GroupTemplates, AnUnsetCaptureIsEmpty) {
  EngineHarness h(config_with(mapping("m1", "regex", R"v("(a)?-(b)")v", "g-{1}-{2}")));
  EXPECT_EQ(h.line(login("u1", R"(["-b"])")), ok_line(1, "u1", true, R"("g--b")", "", R"("R.erp")", ""));
  EXPECT_EQ(h.line(login("u2", R"(["a-b"])")), ok_line(2, "u2", true, R"("g-a-b")", "", R"("R.crm")", ""));
}

TEST(GroupTemplates, UnknownAndOutOfScopeGroupsAreSkipped) {
  EngineHarness h(config_with(mapping("m1", "regex", R"v("APP_(\\w+)")v", "app-{1}")));
  // app-dev exists but is in stage dev, outside okta's scope; app-hr does not exist.
  EXPECT_EQ(h.line(login("u1", R"(["APP_dev", "APP_hr", "APP_crm"])")),
            ok_line(1, "u1", true, R"("app-crm")", "", R"("R.crm")", ""));
}

TEST(GroupTemplates, ProvenanceIsTheMappingId) {
  EngineHarness h(config_with(mapping("m-tpl", "glob", R"("app-*")", "{value}") + "," +
                              mapping("m-fixed", "", R"("app-crm")", "app-crm")));
  (void)h.line(login("u1", R"(["app-crm", "app-erp"])"));
  EXPECT_EQ(h.engine().export_state(),
            R"({"provider": "okta", "subject": "u1", "mapped": {"app-crm": ["m-fixed", "m-tpl"], "app-erp": ["m-tpl"]}, )"
            R"("manual": [], "direct_roles": [], "last_iat": null, "suspended": false})"
            "\n");
}

// --- requirements -----------------------------------------------------------

const char* kRequire =
    R"([{"claim": "amr", "value": "mfa"}, {"claim": "email", "value": "*@example.com", "match": "glob"}])";

TEST(LoginRequirements, PassingLoginsAreMappedAsUsual) {
  EngineHarness h(config_with(mapping("m1", "", "\"CRM\"", "app-crm"), kRequire));
  EXPECT_EQ(h.line(login("u1", R"(["CRM"])", R"(, "amr": ["pwd", "mfa"], "email": "a@example.com")")),
            ok_line(1, "u1", true, R"("app-crm")", "", R"("R.crm")", ""));
}

TEST(LoginRequirements, TheFirstRuleNotMetIsReportedAndNothingChanges) {
  EngineHarness h(config_with(mapping("m1", "", "\"CRM\"", "app-crm"), kRequire));
  EXPECT_EQ(h.line(login("u1", R"(["CRM"])", R"(, "amr": ["pwd"], "email": "a@example.com")")), denied_line(1, "u1", 0));
  EXPECT_EQ(h.line(login("u1", R"(["CRM"])", R"(, "amr": "mfa", "email": "a@evil.com")")), denied_line(2, "u1", 1));
  EXPECT_EQ(h.line(login("u1", R"(["CRM"])", R"(, "email": "a@evil.com")")), denied_line(3, "u1", 0));
  // Not created.
  EXPECT_EQ(h.engine().export_state(), "");
  EXPECT_EQ(h.engine().user_count(), 0u);
}

TEST(LoginRequirements, AnOverageClaimNeverSatisfiesARule) {
  EngineHarness h(config_with(mapping("m1", "", "\"CRM\"", "app-crm"), R"([{"claim": "groups", "value": "CRM"}])"));
  EXPECT_EQ(h.line(R"({"claims": {"iss": "https://okta", "sub": "u1", "_claim_names": {"groups": "src1"}}})"),
            denied_line(1, "u1", 0));
}

TEST(LoginRequirements, DeniedComesBeforeSuspendedAndStaleAndMovesNoIat) {
  EngineHarness h(config_with(mapping("m1", "", "\"CRM\"", "app-crm"), R"([{"claim": "amr", "value": "mfa"}])"));
  EXPECT_EQ(h.line(login("u1", R"(["CRM"])", R"(, "amr": "mfa", "iat": 100)")),
            ok_line(1, "u1", true, R"("app-crm")", "", R"("R.crm")", ""));
  // An older token that fails a rule: denied, not stale.
  EXPECT_EQ(h.line(login("u1", R"([])", R"(, "iat": 50)")), denied_line(2, "u1", 0));
  // A newer one that fails: denied, and last_iat is not moved to 300 ...
  EXPECT_EQ(h.line(login("u1", R"([])", R"(, "iat": 300)")), denied_line(3, "u1", 0));
  // ... so a passing login at 200 is applied, not stale.
  EXPECT_EQ(h.line(login("u1", R"([])", R"(, "amr": "mfa", "iat": 200)")),
            ok_line(4, "u1", false, "", R"("app-crm")", "", R"("R.crm")"));
  // A suspended user who fails a rule: denied.
  (void)h.line(R"({"type": "suspend", "provider": "okta", "subject": "u1"})");
  EXPECT_EQ(h.line(login("u1", R"(["CRM"])", R"(, "iat": 400)")), denied_line(6, "u1", 0));
  EXPECT_EQ(h.line(login("u1", R"(["CRM"])", R"(, "amr": "mfa", "iat": 400)")),
            R"({"seq": 7, "cause": "login", "provider": "okta", "subject": "u1", "status": "suspended", "new_user": false, "groups_added": [], "groups_removed": [], "roles_granted": [], "roles_revoked": []})"
            "\n");
}

TEST(LoginRequirements, RulesWithPatternsAndDelimiters) {
  EngineHarness h(config_with(mapping("m1", "", "\"CRM\"", "app-crm"),
                              R"([{"claim": "roles", "value": "Emp", "match": "prefix", "delimiter": ","},
                                  {"claim": "tid", "value": "[0-9a-f]{4}", "match": "regex"}])"));
  EXPECT_EQ(h.line(login("u1", R"(["CRM"])", R"(, "roles": "x, Employee", "tid": "0a1f")")),
            ok_line(1, "u1", true, R"("app-crm")", "", R"("R.crm")", ""));
  EXPECT_EQ(h.line(login("u2", R"(["CRM"])", R"(, "roles": "x, Employee", "tid": "0a1f0")")), denied_line(2, "u2", 1));
}

TEST(LoginRequirements, CountedApartFromErrors) {
  Engine engine(must_load(config_with(mapping("m1", "", "\"CRM\"", "app-crm"), R"([{"claim": "amr", "value": "mfa"}])")));
  StreamSummary summary;
  (void)eval_stream(engine, login("u1", "[]") + "\n" + login("u2", "[]", R"(, "amr": "mfa")") + "\n", {}, &summary);
  EXPECT_EQ(summary.counters.denied, 1u);
  EXPECT_EQ(summary.counters.ok, 1u);
  EXPECT_EQ(summary.counters.errors, 0u);
  EXPECT_NE(summary.to_text().find("(1 ok, 0 stale, 0 suspended, 1 denied, 0 errors)"), std::string::npos)
      << summary.to_text();
}

// --- reload and state loads -------------------------------------------------

TEST(TemplateReload, KeptWhenTheMappingIsUnchangedAndTheGroupStillInScope) {
  const std::string tpl = mapping("m1", "glob", R"("app-*")", "{value}");
  Engine engine(must_load(config_with(tpl)));
  (void)engine.process(login("u1", R"(["app-crm", "app-erp"])"), 1);
  // Unchanged mapping, app-erp moved to stage dev (out of okta's scope), app-crm kept.
  std::string moved = config_with(tpl);
  moved.replace(moved.find(R"("app-erp", "stage": "prod")"), 26, R"("app-erp", "stage": "dev" )");
  Result<ReloadResult> r = engine.reload(must_load(moved));
  ASSERT_TRUE(r.ok());
  std::string out;
  r.value().append_ndjson(0, &out);
  EXPECT_EQ(out, R"({"seq": 0, "cause": "reload", "provider": "okta", "subject": "u1", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["app-erp"], "roles_granted": [], "roles_revoked": ["R.erp"]})"
                 "\n");
  EXPECT_EQ(engine.export_state(),
            R"({"provider": "okta", "subject": "u1", "mapped": {"app-crm": ["m1"]}, "manual": [], "direct_roles": [], "last_iat": null, "suspended": false})"
            "\n");
}

TEST(TemplateReload, DroppedWhenTheMatchKindChanges) {
  Engine engine(must_load(config_with(mapping("m1", "glob", R"("app-crm")", "{value}"))));
  (void)engine.process(login("u1", R"(["app-crm"])"), 1);
  Result<ReloadResult> r = engine.reload(must_load(config_with(mapping("m1", "prefix", R"("app-crm")", "{value}"))));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().deltas.size(), 1u);
  EXPECT_EQ(r.value().deltas[0].groups_removed, Names{"app-crm"});
}

TEST(TemplateReload, DroppedWhenTheGroupIsDeleted) {
  const std::string tpl = mapping("m1", "glob", R"("*")", "{value}");
  Engine engine(must_load(config_with(tpl, "", R"(, {"id": "temp", "stage": "prod", "roles": ["R.eng"]})")));
  (void)engine.process(login("u1", R"(["temp", "eng"])"), 1);
  Result<ReloadResult> r = engine.reload(must_load(config_with(tpl)));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().deltas.size(), 1u);
  EXPECT_EQ(r.value().deltas[0].groups_removed, Names{"temp"});
  EXPECT_EQ(r.value().deltas[0].roles_revoked, Names{});  // eng still grants R.eng
}

TEST(TemplateStateLoad, NdjsonAndSnapshotFollowTheReloadRule) {
  const std::string tpl = mapping("m1", "glob", R"("app-*")", "{value}");
  Engine engine(must_load(config_with(tpl)));
  (void)engine.process(login("u1", R"(["app-crm", "app-erp"])"), 1);
  const std::string ndjson = engine.export_state();
  const std::string snapshot = ::testing::TempDir() + "/pattern_state.snap";
  ASSERT_TRUE(engine.save_state_file(snapshot).ok());

  // Same config: everything kept.
  for (const std::string& source : {ndjson, read_all(snapshot)}) {
    Engine same(must_load(config_with(tpl)));
    StateLoadReport report;
    ASSERT_TRUE(same.import_state(source, &report).ok());
    EXPECT_EQ(report.dropped_mapped, 0u);
    EXPECT_EQ(same.export_state(), ndjson);
  }
  // app-erp out of scope: that membership goes, from either form.
  std::string moved = config_with(tpl);
  moved.replace(moved.find(R"("app-erp", "stage": "prod")"), 26, R"("app-erp", "stage": "dev" )");
  for (const std::string& source : {ndjson, read_all(snapshot)}) {
    Engine changed(must_load(moved));
    StateLoadReport report;
    ASSERT_TRUE(changed.import_state(source, &report).ok());
    EXPECT_EQ(report.dropped_mapped, 1u);
    EXPECT_EQ(changed.export_state(),
              R"({"provider": "okta", "subject": "u1", "mapped": {"app-crm": ["m1"]}, "manual": [], "direct_roles": [], "last_iat": null, "suspended": false})"
              "\n");
  }
  // The snapshot knows the match kind: a glob become a prefix drops both.
  Engine rekind(must_load(config_with(mapping("m1", "prefix", R"("app-")", "{value}"))));
  StateLoadReport report;
  ASSERT_TRUE(rekind.import_state(read_all(snapshot), &report).ok());
  EXPECT_EQ(report.dropped_mapped, 2u);
}

// --- impact analysis: who-has, diff, lockouts ----------------------------------

TEST(PatternImpact, WhoHasNamesTheTemplateAndPatternMappings) {
  EngineHarness h(config_with(mapping("m-tpl", "regex", R"v("APP_([a-z]+)")v", "app-{1}") + "," +
                              mapping("m-pre", "prefix", R"("CRM")", "app-crm")));
  (void)h.line(login("u1", R"(["APP_crm", "CRM-x"])"));
  (void)h.line(login("u2", R"(["APP_erp"])"));
  Result<std::vector<AccessHolder>> crm = h.engine().who_has({AccessQuery::Kind::kGroup, "app-crm"});
  ASSERT_TRUE(crm.ok());
  std::string out;
  for (const AccessHolder& holder : crm.value()) append_ndjson(holder, AccessQuery::Kind::kGroup, &out);
  EXPECT_EQ(out, R"({"provider": "okta", "subject": "u1", "group": "app-crm", "mapped": ["m-pre", "m-tpl"]})"
                 "\n");
  Result<std::vector<AccessHolder>> erp = h.engine().who_has({AccessQuery::Kind::kRole, "R.erp"});
  ASSERT_TRUE(erp.ok());
  out.clear();
  for (const AccessHolder& holder : erp.value()) append_ndjson(holder, AccessQuery::Kind::kRole, &out);
  EXPECT_EQ(out, R"({"provider": "okta", "subject": "u2", "role": "R.erp", "via": [{"group": "app-erp", "mapped": ["m-tpl"]}]})"
                 "\n");
}

TEST(PatternImpact, DiffOfANarrowedTemplateReportsTheRevocationsAndTheLockout) {
  EngineHarness h(config_with(mapping("m-tpl", "regex", R"v("APP_([a-z]+)")v", "app-{1}")));
  (void)h.line(login("u1", R"(["APP_crm", "APP_erp"])"));
  (void)h.line(login("u2", R"(["APP_crm"])"));
  // The template's regex narrowed to crm: a changed mapping revokes what it
  // justified (docs/spec.md §7, §16), and nobody holds R.erp any more.
  const Config next = must_load(config_with(mapping("m-tpl", "regex", R"v("APP_(crm)")v", "app-{1}")));
  Result<ImpactReport> r = analyse_change(h.engine(), next);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const ImpactReport& report = r.value();
  EXPECT_EQ(report.users_affected, 2u);
  EXPECT_EQ(report.groups_removed, (std::map<std::string, uint64_t>{{"app-crm", 2}, {"app-erp", 1}}));
  EXPECT_EQ(report.to_ndjson(),
            R"({"seq": 0, "cause": "reload", "provider": "okta", "subject": "u1", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["app-crm", "app-erp"], "roles_granted": [], "roles_revoked": ["R.crm", "R.erp"]})"
            "\n"
            R"({"seq": 0, "cause": "reload", "provider": "okta", "subject": "u2", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["app-crm"], "roles_granted": [], "roles_revoked": ["R.crm"]})"
            "\n"
            R"({"lockout": "role", "role": "R.crm", "app": "crm", "holders_before": 2, "holders_after": 0})"
            "\n"
            R"({"lockout": "role", "role": "R.erp", "app": "erp", "holders_before": 1, "holders_after": 0})"
            "\n"
            R"({"lockout": "app", "app": "crm", "holders_before": 2, "holders_after": 0})"
            "\n"
            R"({"lockout": "app", "app": "erp", "holders_before": 1, "holders_after": 0})"
            "\n");
  // A replay of the next logins grants crm again: its lockout goes, erp's stays.
  const std::string replay_text = login("u1", R"(["APP_crm", "APP_erp"])") + "\n";
  const std::string_view replay = replay_text;
  EngineHarness again(config_with(mapping("m-tpl", "regex", R"v("APP_([a-z]+)")v", "app-{1}")));
  (void)again.line(login("u1", R"(["APP_crm", "APP_erp"])"));
  Result<ImpactReport> with_replay = analyse_change(again.engine(), next, &replay);
  ASSERT_TRUE(with_replay.ok());
  ASSERT_EQ(with_replay.value().lockouts.size(), 2u);
  EXPECT_EQ(with_replay.value().lockouts[0].role, "R.erp");
  EXPECT_EQ(with_replay.value().lockouts[1].app, "erp");
}

// --- validation -------------------------------------------------------------

std::vector<std::string> errors_of(const std::string& json) {
  ConfigReport report;
  EXPECT_FALSE(load_config(json, &report).ok());
  std::vector<std::string> out;
  for (const auto& e : report.errors) out.push_back(e.to_string());
  return out;
}

TEST(PatternValidation, EveryErrorWithItsPath) {
  const std::vector<std::string> errors = errors_of(config_with(
      mapping("bad-regex", "regex", R"("APP_(crm")", "eng") + "," +
          mapping("bad-glob", "glob", R"("crm\\")", "eng") + "," +
          mapping("too-many", "regex", R"v("(a)-(b)")v", "g-{3}") + "," +
          mapping("not-regex", "prefix", R"("a")", "g-{1}") + "," +
          mapping("bad-kind", "fuzzy", R"("a")", "eng"),
      R"([{"claim": "amr", "value": "mfa", "match": "regex["}, {"claim": "amr", "value": "(", "match": "regex"}, {"claim": "amr"}])"));
  EXPECT_EQ(errors, (std::vector<std::string>{
                        R"(providers[0].require[0].match: must be "exact", "prefix", "glob" or "regex", not "regex[")",
                        "providers[0].require[2].value: missing",
                        "mappings[4].match: must be \"exact\", \"prefix\", \"glob\" or \"regex\", not \"fuzzy\"",
                        "providers[0].require[1].value: invalid regex in rule 1 of provider \"okta\": missing ): (",
                        "mappings[0].value: invalid regex in mapping \"bad-regex\": missing ): APP_(crm",
                        R"(mappings[1].value: invalid glob in mapping "bad-glob": ends with a lone "\": escape it as "\\" to match a backslash)",
                        "mappings[2].group: uses {3}, but the regex has 2 capture groups",
                        R"(mappings[3].group: uses {1}, but only a regex mapping has capture groups (match is "prefix"))",
                    }));
}

TEST(PatternValidation, ATemplateNeedNotNameAnExistingGroupAndIsNeverInactive) {
  ConfigReport report;
  ASSERT_TRUE(load_config(config_with(mapping("m1", "glob", R"("*")", "team-{value}")), &report).ok());
  EXPECT_TRUE(report.inactive_mappings.empty());
  EXPECT_EQ(report.active_mappings, 1u);
}

TEST(PatternValidation, SummaryByKindAndPatternsThatCanNeverMatch) {
  ConfigReport report;
  ASSERT_TRUE(load_config(config_with(mapping("e", "", R"("a")", "eng") + "," +
                                          mapping("p", "prefix", R"("a;b")", "eng", ";") + "," +
                                          mapping("g", "glob", R"(" x*")", "eng", ";") + "," +
                                          mapping("g2", "glob", R"("x*")", "{value}") + "," +
                                          mapping("r", "regex", R"v("(x)")v", "app-{1}"),
                                      R"([{"claim": "amr", "value": "mfa"}])"),
                          &report)
                  .ok());
  ASSERT_EQ(report.match_summary.size(), 1u);
  const ProviderMatchSummary& s = report.match_summary[0];
  EXPECT_EQ(s.provider, "okta");
  EXPECT_EQ(s.exact, 1u);
  EXPECT_EQ(s.prefix, 1u);
  EXPECT_EQ(s.glob, 2u);
  EXPECT_EQ(s.regex, 1u);
  EXPECT_EQ(s.templates, 2u);
  EXPECT_EQ(s.require_rules, 1u);
  EXPECT_EQ(s.never_match, 2u);
  std::vector<std::string> warnings;
  for (const auto& w : report.warnings) warnings.push_back(w.to_string());
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          R"(mappings[1].value: starts with text that holds its delimiter ";", so it can never match a part)",
                          "mappings[2].value: starts with a space or tab, so it can never match a trimmed part",
                      }));
}

// --- determinism --------------------------------------------------------------

TEST(PatternMatch, ByteIdenticalAtOneTwoAndEightThreads) {
  const std::string config = config_with(
      mapping("m1", "regex", R"v("APP_([a-z]+)_(users|admins)")v", "app-{1}") + "," +
          mapping("m2", "glob", R"("*")", "{value}") + "," + mapping("m3", "prefix", R"("Eng")", "eng"),
      R"([{"claim": "amr", "value": "mfa"}])");
  std::string input;
  const char* values[] = {"APP_crm_users", "APP_erp_admins", "Sales", "EngX", "APP_dev_users", "nobody", "eng"};
  for (int i = 0; i < 3000; ++i) {
    std::string groups = "[";
    for (int k = 0; k < 1 + i % 4; ++k) groups += std::string(k ? ", " : "") + "\"" + values[(i + k * 3) % 7] + "\"";
    groups += "]";
    input += login("u" + std::to_string(i % 300), groups,
                   std::string(i % 11 == 0 ? "" : R"(, "amr": "mfa")") + R"(, "iat": )" + std::to_string(i)) +
             "\n";
  }
  std::string first;
  for (unsigned threads : {1u, 2u, 8u}) {
    Engine engine(must_load(config));
    StreamOptions options;
    options.threads = threads;
    const std::string out = eval_stream(engine, input, options);
    if (threads == 1) {
      first = out;
      EXPECT_NE(out.find("\"status\": \"denied\""), std::string::npos);
      EXPECT_NE(out.find("\"app-erp\""), std::string::npos);
    } else {
      EXPECT_EQ(out, first) << threads << " threads";
    }
  }
}

}  // namespace
}  // namespace claimmap::testing
