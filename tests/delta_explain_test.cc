// docs/spec.md §17 "Explain a delta": `eval --explain` and `?explain=1` add
// an "explain" object to every ok line with a delta. Exact lines for each
// reason a group goes (no_match, mapping_changed, group_deleted, unassigned,
// suspended, deleted), for what a group comes with (mappings and values, or
// manual), and for the sources of roles; byte-identical at 1, 2 and 8
// threads; and without the flag, §8's lines unchanged.
#include <gtest/gtest.h>

#include <string>

#include "claimmap/engine.h"
#include "claimmap/stream.h"
#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

std::string login(const std::string& oid, const std::string& groups, const std::string& extra = "") {
  return R"({"claims": )" + entra_login(oid, groups, extra) + "}";
}

// An engine whose lines are all explained.
class Explained {
 public:
  explicit Explained(const std::string& config = kBaseConfig) : engine_(must_load(config)) {}
  std::string line(const std::string& line) {
    std::string out;
    (void)engine_.process_to_ndjson(line, ++seq_, &out, nullptr, DeltaOptions{true});
    return out;
  }
  std::string reload(const std::string& config) {
    Result<ReloadResult> r = engine_.reload(must_load(config), DeltaOptions{true});
    EXPECT_TRUE(r.ok());
    std::string out;
    r.value().append_ndjson(0, &out);
    return out;
  }
  Engine& engine() { return engine_; }

 private:
  Engine engine_;
  uint64_t seq_ = 0;
};

constexpr const char* kU1Login = R"(["g-mkt", "g-read"])";

TEST(DeltaExplain, ALoginNamesTheMappingsAndValuesOfEachGroupAndTheGroupsOfEachRole) {
  Explained e;
  EXPECT_EQ(e.line(login("u1", kU1Login, R"(, "dept": "Sales")")),
            R"({"seq": 1, "cause": "login", "provider": "entra", "subject": "u1", "status": "ok", "new_user": true, )"
            R"("groups_added": ["marketing", "readers"], "groups_removed": [], "roles_granted": ["Crm.Editor", "Crm.Viewer"], "roles_revoked": [], )"
            R"("explain": {"groups_added": {"marketing": {"mappings": ["m-mkt"], "values": ["g-mkt"]}, )"
            R"("readers": {"mappings": ["m-read", "m-read2"], "values": ["Sales", "g-read"]}}, )"
            R"("roles_granted": {"Crm.Editor": {"groups": ["marketing"]}, "Crm.Viewer": {"groups": ["marketing", "readers"]}}}})"
            "\n");
}

TEST(DeltaExplain, AGroupNoMappingMatchesAnyMoreGoesWithNoMatch) {
  Explained e;
  (void)e.line(login("u1", kU1Login));
  EXPECT_EQ(e.line(login("u1", R"(["g-read"])")),
            R"({"seq": 2, "cause": "login", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, )"
            R"("groups_added": [], "groups_removed": ["marketing"], "roles_granted": [], "roles_revoked": ["Crm.Editor"], )"
            R"("explain": {"groups_removed": {"marketing": {"reason": "no_match"}}, )"
            R"("roles_revoked": {"Crm.Editor": {"groups": ["marketing"]}}}})"
            "\n");
}

TEST(DeltaExplain, ALoginThatChangesNothingHasNoExplain) {
  Explained e;
  (void)e.line(login("u1", kU1Login));
  EXPECT_EQ(e.line(login("u1", kU1Login)),
            R"({"seq": 2, "cause": "login", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, )"
            R"("groups_added": [], "groups_removed": [], "roles_granted": [], "roles_revoked": []})"
            "\n");
  // Nor has an error line.
  EXPECT_EQ(e.line("{"),
            R"({"seq": 3, "status": "error", "error": {"code": "malformed_json", "message": "invalid JSON: bad structure"}})" "\n");
}

TEST(DeltaExplain, AssignAndUnassign) {
  Explained e;
  (void)e.line(login("u2", "[]"));
  EXPECT_EQ(e.line(R"({"type": "assign", "provider": "entra", "subject": "u2", "group": "readers"})"),
            R"({"seq": 2, "cause": "assign", "provider": "entra", "subject": "u2", "status": "ok", "new_user": false, )"
            R"("groups_added": ["readers"], "groups_removed": [], "roles_granted": ["Crm.Viewer"], "roles_revoked": [], )"
            R"("explain": {"groups_added": {"readers": {"manual": true}}, "roles_granted": {"Crm.Viewer": {"groups": ["readers"]}}}})"
            "\n");
  EXPECT_EQ(e.line(R"({"type": "unassign", "provider": "entra", "subject": "u2", "group": "readers"})"),
            R"({"seq": 3, "cause": "unassign", "provider": "entra", "subject": "u2", "status": "ok", "new_user": false, )"
            R"("groups_added": [], "groups_removed": ["readers"], "roles_granted": [], "roles_revoked": ["Crm.Viewer"], )"
            R"("explain": {"groups_removed": {"readers": {"reason": "unassigned"}}, "roles_revoked": {"Crm.Viewer": {"groups": ["readers"]}}}})"
            "\n");
}

TEST(DeltaExplain, DirectRolesSayDirect) {
  Explained e;
  (void)e.line(login("u1", R"(["g-read"])"));
  EXPECT_EQ(e.line(R"({"type": "grant", "provider": "entra", "subject": "u1", "role": "Ops.Pager"})"),
            R"({"seq": 2, "cause": "grant", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, )"
            R"("groups_added": [], "groups_removed": [], "roles_granted": ["Ops.Pager"], "roles_revoked": [], )"
            R"("explain": {"roles_granted": {"Ops.Pager": {"direct": true}}}})"
            "\n");
  // A role held through a group too is not granted by the direct grant: no line change.
  EXPECT_EQ(e.line(R"({"type": "grant", "provider": "entra", "subject": "u1", "role": "Crm.Viewer"})"),
            R"({"seq": 3, "cause": "grant", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, )"
            R"("groups_added": [], "groups_removed": [], "roles_granted": [], "roles_revoked": []})"
            "\n");
  EXPECT_EQ(e.line(R"({"type": "revoke", "provider": "entra", "subject": "u1", "role": "Ops.Pager"})"),
            R"({"seq": 4, "cause": "revoke", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, )"
            R"("groups_added": [], "groups_removed": [], "roles_granted": [], "roles_revoked": ["Ops.Pager"], )"
            R"("explain": {"roles_revoked": {"Ops.Pager": {"direct": true}}}})"
            "\n");
}

TEST(DeltaExplain, SuspendResumeAndDelete) {
  Explained e;
  (void)e.line(login("u1", R"(["g-mkt"])"));
  (void)e.line(R"({"type": "assign", "provider": "entra", "subject": "u1", "group": "readers"})");
  (void)e.line(R"({"type": "grant", "provider": "entra", "subject": "u1", "role": "Crm.Viewer"})");
  EXPECT_EQ(e.line(R"({"type": "suspend", "provider": "entra", "subject": "u1"})"),
            R"({"seq": 4, "cause": "suspend", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, )"
            R"("groups_added": [], "groups_removed": ["marketing", "readers"], "roles_granted": [], "roles_revoked": ["Crm.Editor", "Crm.Viewer"], )"
            R"("explain": {"groups_removed": {"marketing": {"reason": "suspended"}, "readers": {"reason": "suspended"}}, )"
            R"("roles_revoked": {"Crm.Editor": {"groups": ["marketing"]}, "Crm.Viewer": {"groups": ["marketing", "readers"], "direct": true}}}})"
            "\n");
  // Resumed: the mapped group comes back with its mapping (no login, so no
  // values), the assigned one as manual.
  EXPECT_EQ(e.line(R"({"type": "resume", "provider": "entra", "subject": "u1"})"),
            R"({"seq": 5, "cause": "resume", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, )"
            R"("groups_added": ["marketing", "readers"], "groups_removed": [], "roles_granted": ["Crm.Editor", "Crm.Viewer"], "roles_revoked": [], )"
            R"("explain": {"groups_added": {"marketing": {"mappings": ["m-mkt"]}, "readers": {"manual": true}}, )"
            R"("roles_granted": {"Crm.Editor": {"groups": ["marketing"]}, "Crm.Viewer": {"groups": ["marketing", "readers"], "direct": true}}}})"
            "\n");
  EXPECT_EQ(e.line(R"({"type": "delete", "provider": "entra", "subject": "u1"})"),
            R"({"seq": 6, "cause": "delete", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, )"
            R"("groups_added": [], "groups_removed": ["marketing", "readers"], "roles_granted": [], "roles_revoked": ["Crm.Editor", "Crm.Viewer"], )"
            R"("explain": {"groups_removed": {"marketing": {"reason": "deleted"}, "readers": {"reason": "deleted"}}, )"
            R"("roles_revoked": {"Crm.Editor": {"groups": ["marketing"]}, "Crm.Viewer": {"groups": ["marketing", "readers"], "direct": true}}}})"
            "\n");
}

std::string without(std::string config, const std::string& part) {
  const size_t at = config.find(part);
  EXPECT_NE(at, std::string::npos) << part;
  config.erase(at, part.size());
  return config;
}

TEST(DeltaExplain, AReloadThatDropsTheMappingSaysMappingChanged) {
  Explained e;
  (void)e.line(login("u1", kU1Login));
  const std::string next =
      without(kBaseConfig, R"({"id": "m-mkt", "provider": "entra", "claim": "groups", "value": "g-mkt", "group": "marketing"},)");
  EXPECT_EQ(e.reload(next),
            R"({"seq": 0, "cause": "reload", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, )"
            R"("groups_added": [], "groups_removed": ["marketing"], "roles_granted": [], "roles_revoked": ["Crm.Editor"], )"
            R"("explain": {"groups_removed": {"marketing": {"reason": "mapping_changed"}}, "roles_revoked": {"Crm.Editor": {"groups": ["marketing"]}}}})"
            "\n");
}

TEST(DeltaExplain, AReloadThatDeletesTheGroupSaysGroupDeleted) {
  Explained e;
  (void)e.line(login("u3", "[]", R"(, "level": 42)"));
  (void)e.line(R"({"type": "assign", "provider": "entra", "subject": "u3", "group": "readers"})");
  std::string next = without(kBaseConfig, R"({"id": "hr", "stage": "prod", "roles": ["Hr.Admin"]},)");
  next = without(next, R"({"id": "m-level", "provider": "entra", "claim": "level", "value": "42", "group": "hr"},)");
  next = without(next, R"({"id": "m-flag", "provider": "entra", "claim": "hr_flag", "value": "true", "group": "hr"},)");
  next = without(next, R"(,
    {"id": "m-saml2", "provider": "adfs", "claim": "memberOf", "value": "CN=HR", "delimiter": ";", "group": "hr"})");
  EXPECT_EQ(e.reload(next),
            R"({"seq": 0, "cause": "reload", "provider": "entra", "subject": "u3", "status": "ok", "new_user": false, )"
            R"("groups_added": [], "groups_removed": ["hr"], "roles_granted": [], "roles_revoked": ["Hr.Admin"], )"
            R"("explain": {"groups_removed": {"hr": {"reason": "group_deleted"}}, "roles_revoked": {"Hr.Admin": {"groups": ["hr"]}}}})"
            "\n");
}

TEST(DeltaExplain, AReloadThatGivesAGroupARoleNamesTheGroup) {
  Explained e;
  (void)e.line(login("u2", R"(["g-read"])"));
  std::string next = kBaseConfig;
  const std::string from = R"({"id": "readers", "stage": "prod", "roles": ["Crm.Viewer"]})";
  next.replace(next.find(from), from.size(), R"({"id": "readers", "stage": "prod", "roles": ["Crm.Viewer", "Ops.Pager"]})");
  EXPECT_EQ(e.reload(next),
            R"({"seq": 0, "cause": "reload", "provider": "entra", "subject": "u2", "status": "ok", "new_user": false, )"
            R"("groups_added": [], "groups_removed": [], "roles_granted": ["Ops.Pager"], "roles_revoked": [], )"
            R"("explain": {"roles_granted": {"Ops.Pager": {"groups": ["readers"]}}}})"
            "\n");
}

TEST(DeltaExplain, PatternAndDelimitedValuesAreTheValuesThatMatched) {
  std::string config = kBaseConfig;
  config.replace(config.find(R"({"id": "m-saml",)"), 0,
                 R"({"id": "m-pre", "provider": "entra", "claim": "groups", "match": "prefix", "value": "crm-", "group": "marketing"}, )");
  Explained e(config);
  EXPECT_EQ(e.line(login("u5", R"(["crm-b", "crm-a", "g-mkt"])")),
            R"({"seq": 1, "cause": "login", "provider": "entra", "subject": "u5", "status": "ok", "new_user": true, )"
            R"("groups_added": ["marketing"], "groups_removed": [], "roles_granted": ["Crm.Editor", "Crm.Viewer"], "roles_revoked": [], )"
            R"("explain": {"groups_added": {"marketing": {"mappings": ["m-mkt", "m-pre"], "values": ["crm-a", "crm-b", "g-mkt"]}}, )"
            R"("roles_granted": {"Crm.Editor": {"groups": ["marketing"]}, "Crm.Viewer": {"groups": ["marketing"]}}}})"
            "\n");
  // A delimited SAML value: the part that matched, not the whole attribute.
  EXPECT_EQ(e.line(R"({"provider": "adfs", "claims": {"sub": "s1", "memberOf": "CN=Ops; CN=Other"}})"),
            R"({"seq": 2, "cause": "login", "provider": "adfs", "subject": "s1", "status": "ok", "new_user": true, )"
            R"("groups_added": ["devs"], "groups_removed": [], "roles_granted": ["Ops.Pager"], "roles_revoked": [], )"
            R"("explain": {"groups_added": {"devs": {"mappings": ["m-saml"], "values": ["CN=Ops"]}}, )"
            R"("roles_granted": {"Ops.Pager": {"groups": ["devs"]}}}})"
            "\n");
}

// A workload with every kind of line, and a reload midway.
std::string workload() {
  std::string in;
  for (int i = 0; i < 3000; ++i) {
    const std::string u = "u" + std::to_string(i % 400);
    switch (i % 7) {
      case 0: in += login(u, kU1Login, R"(, "dept": "Sales")") + "\n"; break;
      case 1: in += login(u, R"(["g-read"])") + "\n"; break;
      case 2: in += R"({"type": "assign", "provider": "entra", "subject": ")" + u + R"(", "group": "hr"})" "\n"; break;
      case 3: in += login(u, "[]", R"(, "level": 42)") + "\n"; break;
      case 4: in += R"({"type": "grant", "provider": "entra", "subject": ")" + u + R"(", "role": "Crm.Editor"})" "\n"; break;
      case 5: in += (i % 3 ? R"({"type": "suspend", "provider": "entra", "subject": ")"
                           : R"({"type": "resume", "provider": "entra", "subject": ")") + u + "\"}\n"; break;
      default: in += R"({"type": "unassign", "provider": "entra", "subject": ")" + u + R"(", "group": "hr"})" "\n"; break;
    }
  }
  return in;
}

std::string run(const std::string& input, unsigned threads, bool explain) {
  Engine engine(must_load(kBaseConfig));
  StreamOptions options;
  options.threads = threads;
  options.explain = explain;
  options.reloads.push_back(
      {1500, must_load(without(kBaseConfig, R"({"id": "m-read", "provider": "entra", "claim": "groups", "value": "g-read", "group": "readers"},)"))});
  return eval_stream(engine, input, options);
}

TEST(DeltaExplain, ByteIdenticalAtOneTwoAndEightThreads) {
  const std::string input = workload();
  const std::string one = run(input, 1, true);
  EXPECT_EQ(run(input, 2, true), one);
  EXPECT_EQ(run(input, 8, true), one);
  EXPECT_NE(one.find(R"("reason": "mapping_changed")"), std::string::npos);
  EXPECT_NE(one.find(R"("reason": "suspended")"), std::string::npos);
}

TEST(DeltaExplain, WithoutTheFlagTheLinesAreTheSameLessTheExplain) {
  const std::string input = workload();
  const std::string plain = run(input, 2, false);
  EXPECT_EQ(plain.find("explain"), std::string::npos);
  std::string stripped;
  size_t explained = 0;
  for (const std::string& line : lines_of(run(input, 2, true))) {
    const size_t at = line.find(R"(, "explain": )");
    if (at == std::string::npos) {
      stripped += line + "\n";
    } else {
      ++explained;
      stripped += line.substr(0, at) + "}\n";
    }
  }
  EXPECT_GT(explained, 1000u);
  EXPECT_EQ(stripped, plain);
}

}  // namespace
}  // namespace claimmap::testing
