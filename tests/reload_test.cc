// docs/spec.md §7 (config reload, diff, who-has) and §12.3: Engine::reload's
// rules and reload lines, --reload-at through run_stream, reloads while
// events run on other threads (ReloadConcurrency.*, run under
// ThreadSanitizer), who_has and analyse_change.
//
// Every expected line here is written out by hand from the rules of the
// spec, never copied from the engine's output.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <initializer_list>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "claimmap/delta.h"
#include "claimmap/impact.h"
#include "claimmap/query.h"
#include "claimmap/stream.h"
#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

// ---------------------------------------------------------------------------
// Config editing: every reload config is kBaseConfig with a few edits.

// Replaces the one occurrence of `from` in `text` with `to`.
std::string edit(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << "not in the config: " << from;
    return text;
  }
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << "more than once in the config: " << from;
  text.replace(at, from.size(), to);
  return text;
}

// Removes the entries (one per line) of the providers, groups and mappings
// with these ids, and the trailing commas that leaves before a "]".
std::string drop(std::string text, std::initializer_list<std::string> ids) {
  for (const std::string& id : ids) {
    const std::string needle = "\"id\": \"" + id + "\",";
    const size_t at = text.find(needle);
    if (at == std::string::npos) {
      ADD_FAILURE() << "no entry " << id << " in the config";
      continue;
    }
    EXPECT_EQ(text.find(needle, at + 1), std::string::npos) << id;
    const size_t begin = text.rfind('\n', at) + 1;
    const size_t end = text.find('\n', at);
    text.erase(begin, end - begin + 1);
  }
  return std::regex_replace(text, std::regex(R"(,(\s*)\])"), "$1]");
}

// Inserts `entry` first in the array `section` ("providers", "mappings", …).
std::string add(std::string text, const std::string& section, const std::string& entry) {
  return edit(std::move(text), "\"" + section + "\": [", "\"" + section + "\": [\n    " + entry + ",");
}

// ---------------------------------------------------------------------------
// Events.

std::string login(const std::string& oid, const std::string& groups, int iat, const std::string& extra = "") {
  return entra_login(oid, groups, R"(, "iat": )" + std::to_string(iat) + extra);
}
std::string kc_login(const std::string& sub, const std::string& claims, int iat) {
  return R"({"iss": "https://kc.example/realms/corp", "sub": ")" + sub + R"(", "iat": )" + std::to_string(iat) +
         (claims.empty() ? "" : ", " + claims) + "}";
}
std::string adfs_login(const std::string& sub, const std::string& member_of) {
  return R"({"provider": "adfs", "claims": {"sub": ")" + sub + R"(", "memberOf": ")" + member_of + R"("}})";
}
std::string push(const std::string& type, const std::string& provider, const std::string& subject,
                 const std::string& extra = "") {
  return R"({"type": ")" + type + R"(", "provider": ")" + provider + R"(", "subject": ")" + subject + "\"" + extra +
         "}";
}
std::string assign(const std::string& provider, const std::string& subject, const std::string& group) {
  return push("assign", provider, subject, R"(, "group": ")" + group + "\"");
}
std::string grant(const std::string& provider, const std::string& subject, const std::string& role) {
  return push("grant", provider, subject, R"(, "role": ")" + role + "\"");
}

// Runs setup events, each of which must succeed.
void feed(EngineHarness& h, std::initializer_list<std::string> lines) {
  for (const std::string& line : lines) {
    const Delta d = h.run(line);
    EXPECT_EQ(d.status, DeltaStatus::kOk) << line << " → " << d.error.to_string();
  }
}

// ---------------------------------------------------------------------------
// Expected text, written from the spec's shapes (§7.4, §8.1, §9.2).

std::string names_json(const Names& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", \"" : "\"") + names[i] + "\"";
  return out + "]";
}

std::string reload_line(const std::string& provider, const std::string& subject, const Names& groups_removed,
                        const Names& roles_granted, const Names& roles_revoked, uint64_t seq = 0) {
  return "{\"seq\": " + std::to_string(seq) + ", \"cause\": \"reload\", \"provider\": \"" + provider +
         "\", \"subject\": \"" + subject + "\", \"status\": \"ok\", \"new_user\": false, \"groups_added\": [], " +
         "\"groups_removed\": " + names_json(groups_removed) + ", \"roles_granted\": " + names_json(roles_granted) +
         ", \"roles_revoked\": " + names_json(roles_revoked) + "}\n";
}

std::string result_line(uint64_t seq, const std::string& cause, const std::string& provider,
                        const std::string& subject, bool new_user, const Names& groups_added,
                        const Names& groups_removed, const Names& roles_granted, const Names& roles_revoked) {
  return "{\"seq\": " + std::to_string(seq) + ", \"cause\": \"" + cause + "\", \"provider\": \"" + provider +
         "\", \"subject\": \"" + subject + "\", \"status\": \"ok\", \"new_user\": " + (new_user ? "true" : "false") +
         ", \"groups_added\": " + names_json(groups_added) + ", \"groups_removed\": " + names_json(groups_removed) +
         ", \"roles_granted\": " + names_json(roles_granted) + ", \"roles_revoked\": " + names_json(roles_revoked) +
         "}\n";
}

// `mapped` is the JSON object as §9.2 writes it, e.g. {"readers": ["m-read"]}.
std::string user_line(const std::string& provider, const std::string& subject, const std::string& mapped,
                      const Names& manual = {}, const Names& direct = {}, const std::string& iat = "null",
                      bool suspended = false) {
  return "{\"provider\": \"" + provider + "\", \"subject\": \"" + subject + "\", \"mapped\": " + mapped +
         ", \"manual\": " + names_json(manual) + ", \"direct_roles\": " + names_json(direct) +
         ", \"last_iat\": " + iat + ", \"suspended\": " + (suspended ? "true" : "false") + "}\n";
}

// Reloads, checks the invariants every reload line has (§7.4), and returns
// the lines as the engine formats them.
ReloadResult reload_to(Engine& engine, const std::string& config_json) {
  Result<ReloadResult> r = engine.reload(must_load(config_json));
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return {};
  for (const Delta& d : r.value().deltas) {
    EXPECT_EQ(d.cause, Cause::kReload);
    EXPECT_EQ(d.seq, 0u);
    EXPECT_EQ(d.status, DeltaStatus::kOk);
    EXPECT_FALSE(d.new_user);
    EXPECT_TRUE(d.groups_added.empty()) << "a reload never grants a membership";
    EXPECT_TRUE(d.overage.empty());
    EXPECT_TRUE(d.has_changes()) << "a reload line for a user whose access did not change: " << d.subject;
  }
  return std::move(r).value();
}

std::string text_of(const std::vector<Delta>& deltas) {
  std::string out;
  for (const Delta& d : deltas) append_ndjson(d, &out);
  return out;
}

std::string reload_text(Engine& engine, const std::string& config_json) {
  return text_of(reload_to(engine, config_json).deltas);
}

// ---------------------------------------------------------------------------
// §7.1, §7.2: a mapping deleted.

TEST(Reload, DeletedMappingRevokesWhatOnlyItJustified) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-read"])", 10),
           login("u2", R"(["g-read"])", 11, R"(, "dept": "Sales")"),
           login("u3", R"(["g-read", "g-mkt"])", 12)});
  const std::string next = drop(kBaseConfig, {"m-read"});
  // u1: readers only through m-read. u2: readers also through m-read2: kept,
  // no line. u3: readers goes, Crm.Viewer is still granted by marketing.
  EXPECT_EQ(reload_text(h.engine(), next),
            reload_line("entra", "u1", {"readers"}, {}, {"Crm.Viewer"}) +
                reload_line("entra", "u3", {"readers"}, {}, {}));
  EXPECT_EQ(h.engine().export_state(),
            user_line("entra", "u1", "{}", {}, {}, "10") +
                user_line("entra", "u2", R"({"readers": ["m-read2"]})", {}, {}, "11") +
                user_line("entra", "u3", R"({"marketing": ["m-mkt"]})", {}, {}, "12"));
  EXPECT_EQ(h.engine().effective_roles("entra", "u2"), Names({"Crm.Viewer"}));
  EXPECT_EQ(h.engine().effective_roles("entra", "u1"), Names{});
}

TEST(Reload, AddedMappingGrantsNothingUntilTheNextLogin) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-hr"])", 10)});
  const std::string before = h.engine().export_state();
  const std::string next =
      add(kBaseConfig, "mappings",
          R"({"id": "m-hr", "provider": "entra", "claim": "groups", "value": "g-hr", "group": "hr"})");
  EXPECT_EQ(reload_text(h.engine(), next), "");
  EXPECT_EQ(h.engine().export_state(), before);
  Delta d = h.run(login("u1", R"(["g-hr"])", 11));
  EXPECT_EQ(d.groups_added, Names({"hr"}));
  EXPECT_EQ(d.roles_granted, Names({"Hr.Admin"}));
}

// §7.1: a mapping made inactive without being edited.

TEST(Reload, ScopeChangeMakesMappingsInactiveAndRevokes) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-mkt"])", 10),
           kc_login("k1", R"("realm_access": {"roles": ["admin"]})", 10),
           kc_login("k2", R"("https://example.com/roles": ["reader"])", 10),
           kc_login("k3", R"("https://example.com/roles": ["reader"])", 10), assign("kc", "k3", "readers"),
           kc_login("k4", R"("realm_access": {"roles": ["admin"]})", 10), grant("kc", "k4", "Crm.Editor")});
  // kc now covers only "dev": m-kc (marketing, prod) and m-ns (readers,
  // prod) load inactive.
  const std::string next = edit(kBaseConfig, R"("scope": "organization")", R"("scope": ["dev"])");
  EXPECT_EQ(reload_text(h.engine(), next),
            reload_line("kc", "k1", {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}) +
                reload_line("kc", "k2", {"readers"}, {}, {"Crm.Viewer"}) +
                reload_line("kc", "k4", {"marketing"}, {}, {"Crm.Viewer"}));
  EXPECT_EQ(h.engine().export_state(),
            user_line("entra", "u1", R"({"marketing": ["m-mkt"]})", {}, {}, "10") +
                user_line("kc", "k1", "{}", {}, {}, "10") + user_line("kc", "k2", "{}", {}, {}, "10") +
                user_line("kc", "k3", "{}", {"readers"}, {}, "10") +
                user_line("kc", "k4", "{}", {}, {"Crm.Editor"}, "10"));
  // An inactive mapping never matches: the next login grants nothing.
  Delta d = h.run(kc_login("k1", R"("realm_access": {"roles": ["admin"]})", 11));
  EXPECT_EQ(d.status, DeltaStatus::kOk);
  EXPECT_FALSE(d.has_changes());
}

TEST(Reload, GroupStageChangeMakesMappingsInactiveAndRevokes) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-read"])", 10, R"(, "dept": "Sales")"), login("u2", R"(["g-read", "g-mkt"])", 10),
           kc_login("k1", R"("https://example.com/roles": ["reader"])", 10)});
  // readers moves to "dev": entra (scope prod) m-read and m-read2 are
  // inactive; kc (organization) m-ns stays active.
  const std::string next = edit(kBaseConfig, R"({"id": "readers", "stage": "prod")",
                                R"({"id": "readers", "stage": "dev")");
  EXPECT_EQ(reload_text(h.engine(), next), reload_line("entra", "u1", {"readers"}, {}, {"Crm.Viewer"}) +
                                               reload_line("entra", "u2", {"readers"}, {}, {}));
  EXPECT_EQ(h.engine().export_state(),
            user_line("entra", "u1", "{}", {}, {}, "10") +
                user_line("entra", "u2", R"({"marketing": ["m-mkt"]})", {}, {}, "10") +
                user_line("kc", "k1", R"({"readers": ["m-ns"]})", {}, {}, "10"));
}

// §7.2: a mapping edited in place, same id.

TEST(Reload, EditedMappingValueRevokes) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-mkt"])", 10), login("u2", R"(["g-read"])", 10)});
  const std::string next = edit(kBaseConfig, R"("value": "g-mkt")", R"("value": "g-mkt2")");
  EXPECT_EQ(reload_text(h.engine(), next),
            reload_line("entra", "u1", {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}));
  EXPECT_EQ(h.engine().export_state(), user_line("entra", "u1", "{}", {}, {}, "10") +
                                           user_line("entra", "u2", R"({"readers": ["m-read"]})", {}, {}, "10"));
  // The next login may grant again, under the new value.
  Delta d = h.run(login("u1", R"(["g-mkt2"])", 11));
  EXPECT_EQ(d.groups_added, Names({"marketing"}));
}

TEST(Reload, EditedMappingGroupRevokesAndGrantsNothing) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-mkt"])", 10), login("u2", R"(["g-mkt", "g-read"])", 10)});
  const std::string next =
      edit(kBaseConfig, R"("value": "g-mkt", "group": "marketing")", R"("value": "g-mkt", "group": "readers")");
  EXPECT_EQ(reload_text(h.engine(), next),
            reload_line("entra", "u1", {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}) +
                reload_line("entra", "u2", {"marketing"}, {}, {"Crm.Editor"}));
  // m-mkt now points at readers, but a reload never grants: u1 is in no
  // group, and u2's readers keeps only m-read as provenance.
  EXPECT_EQ(h.engine().export_state(), user_line("entra", "u1", "{}", {}, {}, "10") +
                                           user_line("entra", "u2", R"({"readers": ["m-read"]})", {}, {}, "10"));
}

TEST(Reload, EditedMappingDelimiterRevokes) {
  EngineHarness h;
  feed(h, {adfs_login("s1", "CN=Ops;CN=HR"), adfs_login("s2", "CN=HR")});
  EXPECT_EQ(h.engine().effective_roles("adfs", "s1"), Names({"Hr.Admin", "Ops.Pager"}));
  const std::string next = edit(kBaseConfig, R"("value": "CN=Ops", "delimiter": ";")",
                                R"("value": "CN=Ops", "delimiter": ",")");
  EXPECT_EQ(reload_text(h.engine(), next), reload_line("adfs", "s1", {"devs"}, {}, {"Ops.Pager"}));
  EXPECT_EQ(h.engine().export_state(), user_line("adfs", "s1", R"({"hr": ["m-saml2"]})") +
                                           user_line("adfs", "s2", R"({"hr": ["m-saml2"]})"));
}

TEST(Reload, EditedMappingClaimOrProviderRevokes) {
  EngineHarness h;
  feed(h, {login("u1", "[]", 10, R"(, "dept": "Sales")"), login("u2", R"(["g-read"])", 10, R"(, "dept": "Sales")"),
           login("u3", R"(["g-mkt"])", 10)});
  // m-read2 reads another claim; m-mkt belongs to kc now (marketing is prod,
  // kc is organization-wide: active, but a new meaning).
  std::string next = edit(kBaseConfig, R"("claim": "dept")", R"("claim": "department")");
  next = edit(next, R"({"id": "m-mkt", "provider": "entra")", R"({"id": "m-mkt", "provider": "kc")");
  EXPECT_EQ(reload_text(h.engine(), next),
            reload_line("entra", "u1", {"readers"}, {}, {"Crm.Viewer"}) +
                reload_line("entra", "u3", {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}));
  EXPECT_EQ(h.engine().export_state(), user_line("entra", "u1", "{}", {}, {}, "10") +
                                           user_line("entra", "u2", R"({"readers": ["m-read"]})", {}, {}, "10") +
                                           user_line("entra", "u3", "{}", {}, {}, "10"));
}

TEST(Reload, SameMappingSpelledDifferentlyKeepsItsMemberships) {
  EngineHarness h;
  feed(h, {adfs_login("s1", "CN=Ops;CN=HR"), login("u1", R"(["g-mkt", "g-read"])", 10)});
  const std::string before = h.engine().export_state();
  // "\u003b" is ";"; a delimiter absent, null or "" is no delimiter (§7.2).
  std::string next = edit(kBaseConfig, R"("value": "CN=Ops", "delimiter": ";")",
                          R"("value": "CN=Ops", "delimiter": "\u003b")");
  next = edit(next, R"("value": "g-mkt", "group": "marketing")",
              R"("value": "g-mkt", "delimiter": null, "group": "marketing")");
  next = edit(next, R"("value": "g-read", "group": "readers")",
              R"("value": "g-read", "delimiter": "", "group": "readers")");
  EXPECT_EQ(reload_text(h.engine(), next), "");
  EXPECT_EQ(h.engine().export_state(), before);
  // …and back: still the same mappings.
  EXPECT_EQ(reload_text(h.engine(), kBaseConfig), "");
  EXPECT_EQ(h.engine().export_state(), before);
}

// §7.1: a group deleted.

TEST(Reload, DeletedGroupRemovesMappedAndManualMemberships) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-read"])", 10, R"(, "level": 42)"), assign("entra", "u2", "hr"),
           login("u3", "[]", 10, R"(, "hr_flag": true)"), assign("entra", "u3", "hr"), assign("entra", "u4", "hr"),
           grant("entra", "u4", "Hr.Admin"), adfs_login("s1", "CN=HR")});
  ASSERT_EQ(h.engine().effective_roles("entra", "u1"), Names({"Crm.Viewer", "Hr.Admin"}));
  // hr goes, with the mappings that point at it; the role Hr.Admin stays.
  const std::string next = drop(kBaseConfig, {"hr", "m-level", "m-flag", "m-saml2"});
  EXPECT_EQ(reload_text(h.engine(), next), reload_line("adfs", "s1", {"hr"}, {}, {"Hr.Admin"}) +
                                               reload_line("entra", "u1", {"hr"}, {}, {"Hr.Admin"}) +
                                               reload_line("entra", "u2", {"hr"}, {}, {"Hr.Admin"}) +
                                               reload_line("entra", "u3", {"hr"}, {}, {"Hr.Admin"}) +
                                               reload_line("entra", "u4", {"hr"}, {}, {}));
  EXPECT_EQ(h.engine().export_state(), user_line("adfs", "s1", "{}") +
                                           user_line("entra", "u1", R"({"readers": ["m-read"]})", {}, {}, "10") +
                                           user_line("entra", "u2", "{}") + user_line("entra", "u3", "{}", {}, {}, "10") +
                                           user_line("entra", "u4", "{}", {}, {"Hr.Admin"}));
  Delta d = h.run(assign("entra", "u2", "hr"));
  EXPECT_EQ(d.status, DeltaStatus::kError);
  EXPECT_EQ(d.error.code(), ErrorCode::kUnknownGroup);
  EXPECT_EQ(d.error.message(), "no group \"hr\"");
}

// §7.1: a group's roles changed.

TEST(Reload, GroupRolesChangedGrantsAndRevokesNow) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-mkt"])", 10), assign("entra", "u2", "marketing"),
           login("u3", R"(["g-mkt"])", 10, R"(, "level": 42)"), login("u4", R"(["g-read"])", 10),
           login("u5", R"(["g-mkt"])", 10), grant("entra", "u5", "Crm.Editor"), login("u6", R"(["g-mkt"])", 10),
           push("suspend", "entra", "u6")});
  const std::string before = h.engine().export_state();
  // Written unsorted on purpose: the arrays are sorted whatever the config says.
  const std::string next = edit(kBaseConfig, R"("roles": ["Crm.Editor", "Crm.Viewer"])",
                                R"("roles": ["Hr.Admin", "Crm.Viewer"])");
  EXPECT_EQ(reload_text(h.engine(), next),
            reload_line("entra", "u1", {}, {"Hr.Admin"}, {"Crm.Editor"}) +
                reload_line("entra", "u2", {}, {"Hr.Admin"}, {"Crm.Editor"}) +
                reload_line("entra", "u3", {}, {}, {"Crm.Editor"}) +
                reload_line("entra", "u5", {}, {"Hr.Admin"}, {}));
  // Memberships are kept as they were.
  EXPECT_EQ(h.engine().export_state(), before);
  EXPECT_EQ(h.engine().effective_roles("entra", "u1"), Names({"Crm.Viewer", "Hr.Admin"}));
  // The suspended user had no line; resume grants what it holds now.
  Delta d = h.run(push("resume", "entra", "u6"));
  EXPECT_EQ(d.groups_added, Names({"marketing"}));
  EXPECT_EQ(d.roles_granted, Names({"Crm.Viewer", "Hr.Admin"}));
}

// §7.1: a role deleted.

TEST(Reload, DeletedRoleLeavesGroupsAndDirectGrants) {
  EngineHarness h;
  feed(h, {adfs_login("s1", "CN=Ops"), grant("entra", "u1", "Ops.Pager"), grant("entra", "u2", "Ops.Pager"),
           grant("entra", "u2", "Hr.Admin"), grant("entra", "u3", "Hr.Admin")});
  std::string next = edit(kBaseConfig, R"({"id": "Hr.Admin", "app": "Hr"}, {"id": "Ops.Pager", "app": "Ops"})",
                          R"({"id": "Hr.Admin", "app": "Hr"})");
  next = edit(next, R"("roles": ["Ops.Pager"])", R"("roles": [])");
  EXPECT_EQ(reload_text(h.engine(), next), reload_line("adfs", "s1", {}, {}, {"Ops.Pager"}) +
                                               reload_line("entra", "u1", {}, {}, {"Ops.Pager"}) +
                                               reload_line("entra", "u2", {}, {}, {"Ops.Pager"}));
  EXPECT_EQ(h.engine().export_state(), user_line("adfs", "s1", R"({"devs": ["m-saml"]})") +
                                           user_line("entra", "u1", "{}") +
                                           user_line("entra", "u2", "{}", {}, {"Hr.Admin"}) +
                                           user_line("entra", "u3", "{}", {}, {"Hr.Admin"}));
  Delta d = h.run(grant("entra", "u1", "Ops.Pager"));
  EXPECT_EQ(d.error.code(), ErrorCode::kUnknownRole);
  EXPECT_EQ(d.error.message(), "no role \"Ops.Pager\"");
}

// §7.1, §7.3: a provider deleted.

TEST(Reload, DeletedProviderKeepsItsUsersWithoutMappedMemberships) {
  EngineHarness h;
  feed(h, {kc_login("k1", R"("realm_access": {"roles": ["admin"]})", 100), assign("kc", "k1", "hr"),
           grant("kc", "k1", "Ops.Pager"), kc_login("k2", R"("https://example.com/roles": ["reader"])", 5),
           assign("kc", "k3", "readers"), login("u1", R"(["g-mkt"])", 10)});
  const std::string no_kc = drop(kBaseConfig, {"kc", "m-kc", "m-ns"});
  EXPECT_EQ(reload_text(h.engine(), no_kc),
            reload_line("kc", "k1", {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}) +
                reload_line("kc", "k2", {"readers"}, {}, {"Crm.Viewer"}));
  const std::string state = user_line("entra", "u1", R"({"marketing": ["m-mkt"]})", {}, {}, "10") +
                            user_line("kc", "k1", "{}", {"hr"}, {"Ops.Pager"}, "100") +
                            user_line("kc", "k2", "{}", {}, {}, "5") + user_line("kc", "k3", "{}", {"readers"});
  EXPECT_EQ(h.engine().export_state(), state);
  EXPECT_EQ(h.engine().user_count(), 4u);
  EXPECT_EQ(h.engine().effective_roles("kc", "k1"), Names({"Hr.Admin", "Ops.Pager"}));

  // Every event for them is unknown_provider, and changes nothing.
  Delta d = h.run(assign("kc", "k1", "readers"));
  EXPECT_EQ(d.status, DeltaStatus::kError);
  EXPECT_EQ(d.error.code(), ErrorCode::kUnknownProvider);
  EXPECT_EQ(d.error.message(), "no provider \"kc\"");
  d = h.run(kc_login("k1", R"("realm_access": {"roles": ["admin"]})", 200));
  EXPECT_EQ(d.error.code(), ErrorCode::kUnknownProvider);
  EXPECT_EQ(d.error.message(), "no provider has issuer \"https://kc.example/realms/corp\"");
  d = h.run(R"({"provider": "kc", "claims": {"sub": "k1"}})");
  EXPECT_EQ(d.error.code(), ErrorCode::kUnknownProvider);
  EXPECT_EQ(d.error.message(), "no provider \"kc\"");
  EXPECT_EQ(h.engine().export_state(), state);

  // who-has lists them under the provider id as stored (§7.8).
  Result<std::vector<AccessHolder>> holders = h.engine().who_has({AccessQuery::Kind::kRole, "Hr.Admin"});
  ASSERT_TRUE(holders.ok());
  ASSERT_EQ(holders.value().size(), 1u);
  std::string text;
  append_ndjson(holders.value()[0], AccessQuery::Kind::kRole, &text);
  EXPECT_EQ(text,
            R"({"provider": "kc", "subject": "k1", "role": "Hr.Admin", "via": [{"group": "hr", "manual": true}]})"
            "\n");

  // A later reload still prunes what it deletes.
  const std::string no_kc_no_hr = drop(no_kc, {"hr", "m-level", "m-flag", "m-saml2"});
  EXPECT_EQ(reload_text(h.engine(), no_kc_no_hr), reload_line("kc", "k1", {"hr"}, {}, {"Hr.Admin"}));

  // The provider returns: they are its users again, as they were kept.
  EXPECT_EQ(reload_text(h.engine(), kBaseConfig), "");
  EXPECT_EQ(h.run(kc_login("k1", R"("realm_access": {"roles": ["admin"]})", 50)).status, DeltaStatus::kStale);
  d = h.run(kc_login("k1", R"("realm_access": {"roles": ["admin"]})", 200));
  EXPECT_EQ(d.status, DeltaStatus::kOk);
  EXPECT_FALSE(d.new_user);
  EXPECT_EQ(d.groups_added, Names({"marketing"}));
  EXPECT_EQ(d.roles_granted, Names({"Crm.Editor", "Crm.Viewer"}));
}

// §7.1: a role still held through another group or directly is not revoked.

TEST(Reload, RoleStillHeldOtherwiseIsNotRevoked) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-mkt", "g-read"])", 10), login("u2", R"(["g-mkt"])", 10),
           grant("entra", "u2", "Crm.Editor"), login("u3", R"(["g-mkt"])", 10), assign("entra", "u3", "marketing"),
           login("u4", R"(["g-mkt", "g-read"])", 10), grant("entra", "u4", "Crm.Editor")});
  EXPECT_EQ(reload_text(h.engine(), drop(kBaseConfig, {"m-mkt"})),
            reload_line("entra", "u1", {"marketing"}, {}, {"Crm.Editor"}) +
                reload_line("entra", "u2", {"marketing"}, {}, {"Crm.Viewer"}) +
                reload_line("entra", "u4", {"marketing"}, {}, {}));
  // u3's marketing is still held by hand: no line.
  EXPECT_EQ(h.engine().export_state(),
            user_line("entra", "u1", R"({"readers": ["m-read"]})", {}, {}, "10") +
                user_line("entra", "u2", "{}", {}, {"Crm.Editor"}, "10") +
                user_line("entra", "u3", "{}", {"marketing"}, {}, "10") +
                user_line("entra", "u4", R"({"readers": ["m-read"]})", {}, {"Crm.Editor"}, "10"));
}

// §7.4: a suspended user is pruned but gets no line.

TEST(Reload, SuspendedUserIsPrunedWithoutALine) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-mkt"])", 10), assign("entra", "u1", "hr"), grant("entra", "u1", "Ops.Pager"),
           push("suspend", "entra", "u1"), login("u2", R"(["g-mkt"])", 10)});
  std::string next = drop(kBaseConfig, {"m-mkt"});
  next = edit(next, R"({"id": "Hr.Admin", "app": "Hr"}, {"id": "Ops.Pager", "app": "Ops"})",
              R"({"id": "Hr.Admin", "app": "Hr"})");
  next = edit(next, R"("roles": ["Ops.Pager"])", R"("roles": [])");
  ReloadResult r = reload_to(h.engine(), next);
  EXPECT_EQ(text_of(r.deltas), reload_line("entra", "u2", {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}));
  EXPECT_EQ(r.users_changed, 2u) << "suspended users count among the users whose stored state changed";
  EXPECT_EQ(h.engine().export_state(), user_line("entra", "u1", "{}", {"hr"}, {}, "10", true) +
                                           user_line("entra", "u2", "{}", {}, {}, "10"));
  // resume grants only what survived.
  Delta d = h.run(push("resume", "entra", "u1"));
  EXPECT_EQ(d.status, DeltaStatus::kOk);
  EXPECT_EQ(d.groups_added, Names({"hr"}));
  EXPECT_EQ(d.roles_granted, Names({"Hr.Admin"}));
  EXPECT_TRUE(d.groups_removed.empty() && d.roles_revoked.empty());
}

// §7.4, §12.2: a reload that changes nothing.

TEST(Reload, NoOpReloadHasNoLinesAndBumpsTheVersion) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-mkt", "g-read"])", 10, R"(, "dept": "Sales")"), assign("entra", "u2", "hr"),
           grant("entra", "u2", "Ops.Pager"), adfs_login("s1", "CN=Ops;CN=HR"),
           kc_login("k1", R"("realm_access": {"roles": ["admin"]})", 3), push("suspend", "kc", "k1")});
  const std::string before = h.engine().export_state();
  EXPECT_EQ(h.engine().config_version(), 1u);
  ReloadResult r = reload_to(h.engine(), kBaseConfig);
  EXPECT_TRUE(r.deltas.empty());
  EXPECT_EQ(r.users_changed, 0u);
  EXPECT_EQ(r.config_version, 2u);
  EXPECT_EQ(h.engine().config_version(), 2u);
  EXPECT_EQ(h.engine().export_state(), before);

  // Nothing else of a provider is compared: a new issuer and subject claim
  // keep its users' memberships (§7.1).
  std::string next = edit(kBaseConfig, R"("issuer": "https://login.example/t/v2.0", "scope": ["prod"], "subject_claim": "oid")",
                          R"("issuer": "https://login.example/t2/v2.0", "scope": ["prod"], "subject_claim": "sub")");
  r = reload_to(h.engine(), next);
  EXPECT_TRUE(r.deltas.empty());
  EXPECT_EQ(r.config_version, 3u);
  EXPECT_EQ(h.engine().config_version(), 3u);
  EXPECT_EQ(h.engine().export_state(), before);
  Delta d = h.run(R"({"iss": "https://login.example/t2/v2.0", "sub": "u1", "iat": 11, "groups": ["g-mkt", "g-read"], "dept": "Sales"})");
  EXPECT_EQ(d.status, DeltaStatus::kOk);
  EXPECT_FALSE(d.has_changes());
}

// §7.4: lines sorted bytewise by provider id, then subject.

TEST(Reload, LinesAreSortedByProviderThenSubjectBytewise) {
  Engine engine(must_load(kBaseConfig));
  // A provider added by a reload sorts first by name although the store
  // met it last.
  const std::string with_aaa =
      add(add(kBaseConfig, "providers",
              R"({"id": "aaa", "type": "oidc", "issuer": "https://aaa.example", "scope": "organization"})"),
          "mappings", R"({"id": "m-aaa", "provider": "aaa", "claim": "groups", "value": "g-read", "group": "readers"})");
  ASSERT_EQ(reload_text(engine, with_aaa), "");

  const std::vector<std::string> entra_subjects = {"b", "u9", "é", "B", "a2", "u10", "a"};
  std::vector<std::string> many;
  for (int i = 0; i < 200; ++i) many.push_back("n" + std::to_string((i * 7919) % 200));
  uint64_t seq = 0;
  auto run = [&](const std::string& line) {
    const Delta d = engine.process(line, ++seq);
    EXPECT_EQ(d.status, DeltaStatus::kOk) << line;
  };
  for (std::string s : {"z", "y"}) run(R"({"iss": "https://aaa.example", "sub": ")" + s + R"(", "groups": ["g-read"]})");
  for (const std::string& s : entra_subjects) run(login(s, R"(["g-read"])", 1));
  for (const std::string& s : many) run(login(s, R"(["g-read"])", 1));
  for (std::string s : {"a", "A"}) run(kc_login(s, R"("https://example.com/roles": ["reader"])", 1));

  std::vector<std::string> entra_sorted = entra_subjects;
  entra_sorted.insert(entra_sorted.end(), many.begin(), many.end());
  std::sort(entra_sorted.begin(), entra_sorted.end());  // std::string compares like memcmp: bytewise
  std::string expected = reload_line("aaa", "y", {"readers"}, {}, {"Crm.Viewer"}) +
                         reload_line("aaa", "z", {"readers"}, {}, {"Crm.Viewer"});
  for (const std::string& s : entra_sorted) expected += reload_line("entra", s, {"readers"}, {}, {"Crm.Viewer"});
  expected += reload_line("kc", "A", {"readers"}, {}, {"Crm.Viewer"}) +
              reload_line("kc", "a", {"readers"}, {}, {"Crm.Viewer"});
  // Spot-check the bytewise order by hand.
  ASSERT_EQ(std::vector<std::string>(entra_sorted.begin(), entra_sorted.begin() + 4),
            std::vector<std::string>({"B", "a", "a2", "b"}));
  ASSERT_EQ(entra_sorted.back(), "é");
  ASSERT_EQ(entra_sorted[entra_sorted.size() - 3], "u10");

  EXPECT_EQ(reload_text(engine, drop(with_aaa, {"m-read", "m-ns", "m-aaa"})), expected);
  // The export is in the same order.
  std::string order;
  for (const std::string& line : lines_of(engine.export_state())) {
    order += line.substr(0, line.find(", \"mapped\"")) + "\n";
  }
  std::string expected_order;
  for (const std::string& line : lines_of(expected)) {
    const size_t p = line.find("\"provider\"");
    expected_order += "{" + line.substr(p, line.find(", \"status\"") - p) + "\n";
  }
  EXPECT_EQ(order, expected_order);
}

// ---------------------------------------------------------------------------
// §7.6: --reload-at through run_stream.

std::string run_mem(Engine& engine, const std::string& input, const StreamOptions& options,
                    StreamSummary* summary = nullptr) {
  std::string out;
  StreamSummary local;
  Status s = run_stream(engine, input, &out, options, summary ? summary : &local);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

StreamOptions with_reloads(unsigned threads, std::vector<std::pair<uint64_t, std::string>> points,
                           bool changes_only = false) {
  StreamOptions options;
  options.threads = threads;
  options.changes_only = changes_only;
  for (auto& [line, config] : points) options.reloads.push_back(ReloadPoint{line, must_load(config)});
  return options;
}

TEST(ReloadAt, ReloadLinesComeBeforeTheirLineWithItsSeq) {
  const std::string x2 = drop(kBaseConfig, {"m-mkt"});
  const std::string x3 = drop(kBaseConfig, {"m-mkt", "m-read"});
  const std::string x4 = drop(x3, {"hr", "m-level", "m-flag", "m-saml2"});
  const std::string input = login("u1", R"(["g-mkt"])", 1) + "\n" +  // 1
                            login("u2", R"(["g-read"])", 1) + "\n" +  // 2
                            "\n" +                                     // 3 (blank)
                            assign("entra", "u4", "hr") + "\n" +       // 4
                            login("u3", R"(["g-mkt"])", 1) + "\n" +   // 5
                            login("u3", "[]", 2) + "\n";              // 6
  const std::string l1 = result_line(1, "login", "entra", "u1", true, {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}, {});
  const std::string r2 = reload_line("entra", "u1", {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}, 2);
  const std::string l2 = result_line(2, "login", "entra", "u2", true, {"readers"}, {}, {"Crm.Viewer"}, {});
  const std::string r3 = reload_line("entra", "u2", {"readers"}, {}, {"Crm.Viewer"}, 3);
  const std::string l4 = result_line(4, "assign", "entra", "u4", true, {"hr"}, {}, {"Hr.Admin"}, {});
  const std::string l5 = result_line(5, "login", "entra", "u3", true, {}, {}, {}, {});  // m-mkt is gone
  const std::string l6 = result_line(6, "login", "entra", "u3", false, {}, {}, {}, {});
  const std::string r100 = reload_line("entra", "u4", {"hr"}, {}, {"Hr.Admin"}, 100);  // past the end: at the end
  for (unsigned threads : {1u, 2u, 8u}) {
    SCOPED_TRACE(threads);
    // Given out of order: applied in order of their line.
    Engine engine(must_load(kBaseConfig));
    StreamSummary summary;
    EXPECT_EQ(run_mem(engine, input, with_reloads(threads, {{100, x4}, {2, x2}, {3, x3}}), &summary),
              l1 + r2 + l2 + r3 + l4 + l5 + l6 + r100);
    EXPECT_EQ(summary.reloads, 3u);
    EXPECT_EQ(summary.lines, 6u);
    EXPECT_EQ(summary.counters.by_cause[static_cast<size_t>(Cause::kReload)], 3u);
    EXPECT_EQ(engine.config_version(), 4u);
    EXPECT_EQ(engine.export_state(), user_line("entra", "u1", "{}", {}, {}, "1") +
                                         user_line("entra", "u2", "{}", {}, {}, "1") +
                                         user_line("entra", "u3", "{}", {}, {}, "2") + user_line("entra", "u4", "{}"));
    // Reload lines are always written, also with --changes-only (line 6
    // changed nothing and is left out).
    Engine quiet(must_load(kBaseConfig));
    EXPECT_EQ(run_mem(quiet, input, with_reloads(threads, {{100, x4}, {2, x2}, {3, x3}}, true)),
              l1 + r2 + l2 + r3 + l4 + l5 + r100);
  }
}

TEST(ReloadAt, PointsAtOneLineApplyInTheirGivenOrder) {
  const std::string y1 = drop(kBaseConfig, {"m-read"});
  const std::string y2 = drop(kBaseConfig, {"m-read", "m-mkt"});
  const std::string input =
      login("u1", R"(["g-mkt"])", 1) + "\n" + login("u2", R"(["g-read"])", 1) + "\n" + login("u9", "[]", 1) + "\n";
  const std::string l1 = result_line(1, "login", "entra", "u1", true, {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}, {});
  const std::string l2 = result_line(2, "login", "entra", "u2", true, {"readers"}, {}, {"Crm.Viewer"}, {});
  const std::string l3 = result_line(3, "login", "entra", "u9", true, {}, {}, {}, {});
  const std::string u1 = reload_line("entra", "u1", {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}, 3);
  const std::string u2 = reload_line("entra", "u2", {"readers"}, {}, {"Crm.Viewer"}, 3);
  for (unsigned threads : {1u, 2u}) {
    SCOPED_TRACE(threads);
    Engine a(must_load(kBaseConfig));
    // y1 first (u2's line), then y2 (u1's line): each point writes its own lines.
    EXPECT_EQ(run_mem(a, input, with_reloads(threads, {{3, y1}, {3, y2}})), l1 + l2 + u2 + u1 + l3);
    Engine b(must_load(kBaseConfig));
    // y2 first removes both (sorted); y1 then has nothing to remove.
    EXPECT_EQ(run_mem(b, input, with_reloads(threads, {{3, y2}, {3, y1}})), l1 + l2 + u1 + u2 + l3);
  }
}

// A generated stream: logins of ~200 users whose groups drift, kc logins,
// a few stale replays, pushes, bad and blank lines; `pad` bytes of an
// ignored claim per login.
std::string generated_stream(size_t lines, size_t pad) {
  uint64_t state = 0x2545f4914f6cdd1dull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const char* groups[] = {"g-mkt", "g-read", "g-devs", "other"};
  std::string out;
  for (size_t i = 0; i < lines; ++i) {
    const std::string user = "u" + std::to_string(next() % 200);
    const uint64_t r = next() % 100;
    const std::string iat = std::to_string(r < 4 ? 1 : 1000 + i);
    const std::string padding = pad ? R"(, "pad": ")" + std::string(pad / 2 + next() % pad, 'p') + "\"" : "";
    if (r < 60) {
      std::string list;
      for (const char* g : groups) {
        if (next() % 2) list += std::string(list.empty() ? "" : ", ") + "\"" + g + "\"";
      }
      std::string extra = ", \"iat\": " + iat;
      if (next() % 3 == 0) extra += R"(, "dept": "Sales")";
      if (next() % 5 == 0) extra += R"(, "level": 42)";
      out += entra_login(user, "[" + list + "]", extra + padding);
    } else if (r < 72) {
      const char* roles = next() % 2 ? R"(["admin"])" : "[]";
      const char* ns = next() % 2 ? R"(, "https://example.com/roles": ["reader"])" : "";
      out += R"({"iss": "https://kc.example/realms/corp", "sub": ")" + user + R"(", "iat": )" + iat +
             R"(, "realm_access": {"roles": )" + roles + "}" + ns + padding + "}";
    } else if (r < 92) {
      static const char* kPushes[] = {R"("type": "assign", "group": "hr")", R"("type": "unassign", "group": "hr")",
                                      R"("type": "assign", "group": "marketing")",
                                      R"("type": "grant", "role": "Ops.Pager")", R"("type": "grant", "role": "Hr.Admin")",
                                      R"("type": "revoke", "role": "Ops.Pager")", R"("type": "suspend")",
                                      R"("type": "resume")", R"("type": "resume")"};
      const char* provider = next() % 4 == 0 ? "kc" : "entra";
      out += R"({"provider": ")" + std::string(provider) + R"(", "subject": ")" + user + "\", " + kPushes[next() % 9] +
             "}";
    } else if (r < 96) {
      out += adfs_login(user, next() % 2 ? "CN=Ops; CN=HR" : "CN=HR");
    } else if (r < 98) {
      out += "{not json";
    } else {
      out += "  ";
    }
    out += "\n";
  }
  return out;
}

// The same input through the library, one call at a time (§12.2, §12.3):
// Engine::process per non-blank line, Engine::reload before line N with
// the lines numbered N. What run_stream must write.
std::string reference_run(Engine& engine, const std::string& input,
                          std::vector<std::pair<uint64_t, std::string>> points) {
  std::stable_sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t next_point = 0;
  std::string out;
  auto reload_until = [&](uint64_t seq) {
    for (; next_point < points.size() && points[next_point].first <= seq; ++next_point) {
      for (Delta d : reload_to(engine, points[next_point].second).deltas) {
        d.seq = points[next_point].first;
        append_ndjson(d, &out);
      }
    }
  };
  uint64_t seq = 0;
  for (const std::string& line : lines_of(input)) {
    ++seq;
    reload_until(seq);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    append_ndjson(engine.process(line, seq), &out);
  }
  reload_until(UINT64_MAX);
  return out;
}

void expect_identical_at_any_thread_count(size_t lines, size_t pad) {
  const std::string input = generated_stream(lines, pad);
  if (pad > 0) {
    ASSERT_GT(input.size(), size_t{2} << 20) << "want several 1 MiB blocks";
  }
  // P1: m-read gone, marketing grants Crm.Viewer and Hr.Admin.
  const std::string p1 = edit(drop(kBaseConfig, {"m-read"}), R"("roles": ["Crm.Editor", "Crm.Viewer"])",
                              R"("roles": ["Crm.Viewer", "Hr.Admin"])");
  // P2: no kc, no hr, no Ops.Pager.
  const std::string p2 = edit(edit(drop(kBaseConfig, {"kc", "m-kc", "m-ns", "hr", "m-level", "m-flag", "m-saml2"}),
                                   R"({"id": "Hr.Admin", "app": "Hr"}, {"id": "Ops.Pager", "app": "Ops"})",
                                   R"({"id": "Hr.Admin", "app": "Hr"})"),
                              R"("roles": ["Ops.Pager"])", R"("roles": [])");
  const std::vector<std::pair<uint64_t, std::string>> points = {
      {lines / 3, p1}, {2 * lines / 3 + 1, p2}, {lines + 50, kBaseConfig}, {lines / 2, kBaseConfig}};

  Engine reference_engine(must_load(kBaseConfig));
  const std::string expected = reference_run(reference_engine, input, points);
  const std::string expected_state = reference_engine.export_state();
  ASSERT_GT(expected.size(), lines * 50);
  // Each point wrote reload lines, in place.
  for (const auto& [n, config] : points) {
    const std::string tag = "{\"seq\": " + std::to_string(n) + ", \"cause\": \"reload\"";
    EXPECT_NE(expected.find(tag), std::string::npos) << "no reload line at " << n;
  }
  for (unsigned threads : {1u, 2u, 8u}) {
    SCOPED_TRACE(threads);
    Engine engine(must_load(kBaseConfig));
    StreamSummary summary;
    const std::string got = run_mem(engine, input, with_reloads(threads, points), &summary);
    EXPECT_TRUE(got == expected) << "output differs from the reference at " << threads << " threads; first "
                                 << "difference at byte "
                                 << (std::mismatch(got.begin(), got.end(), expected.begin(), expected.end()).first -
                                     got.begin());
    EXPECT_EQ(engine.export_state(), expected_state);
    EXPECT_EQ(summary.reloads, points.size());
    EXPECT_EQ(summary.lines, lines);
    EXPECT_EQ(engine.config_version(), 1 + points.size());
  }
}

TEST(ReloadAt, OutputIsIdenticalAtAnyThreadCount) { expect_identical_at_any_thread_count(3000, 0); }

TEST(ReloadAt, OutputIsIdenticalAtAnyThreadCountOverSeveralBlocks) {
  // About 3 MiB of input: several 1 MiB blocks in flight, reload points
  // inside blocks prepared before the reload.
  expect_identical_at_any_thread_count(4000, 600);
}

// ---------------------------------------------------------------------------
// §7.5, §12.3: reloads while events run on other threads.

const char* kConfigA = R"({
  "version": 1, "stages": ["prod"],
  "providers": [{"id": "idp", "type": "oidc", "issuer": "https://idp.example", "scope": "organization"}],
  "roles": [{"id": "R.A", "app": "X"}, {"id": "R.B", "app": "X"}, {"id": "R.C", "app": "X"}],
  "groups": [{"id": "gA", "stage": "prod", "roles": ["R.A"]}, {"id": "common", "stage": "prod", "roles": ["R.C"]}],
  "mappings": [{"id": "m-x", "provider": "idp", "claim": "groups", "value": "g-x", "group": "gA"},
               {"id": "m-c", "provider": "idp", "claim": "groups", "value": "g-c", "group": "common"}]
})";
// B: gA renamed gB, granting R.B; m-x maps the same value to it.
const char* kConfigB = R"({
  "version": 1, "stages": ["prod"],
  "providers": [{"id": "idp", "type": "oidc", "issuer": "https://idp.example", "scope": "organization"}],
  "roles": [{"id": "R.A", "app": "X"}, {"id": "R.B", "app": "X"}, {"id": "R.C", "app": "X"}],
  "groups": [{"id": "gB", "stage": "prod", "roles": ["R.B"]}, {"id": "common", "stage": "prod", "roles": ["R.C"]}],
  "mappings": [{"id": "m-x", "provider": "idp", "claim": "groups", "value": "g-x", "group": "gB"},
               {"id": "m-c", "provider": "idp", "claim": "groups", "value": "g-c", "group": "common"}]
})";

bool has(const Names& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// What one delta says, checked against one config version: the only
// version-specific names are gA/R.A (A) and gB/R.B (B), and a group comes
// and goes with its role (R.A and R.B are granted by nothing else).
std::string mix_problem(const Delta& d) {
  const bool a = has(d.groups_added, "gA") || has(d.groups_removed, "gA") || has(d.roles_granted, "R.A") ||
                 has(d.roles_revoked, "R.A");
  const bool b = has(d.groups_added, "gB") || has(d.groups_removed, "gB") || has(d.roles_granted, "R.B") ||
                 has(d.roles_revoked, "R.B");
  if (a && b) return "names of both versions";
  for (const auto& [g, r] : {std::pair<std::string, std::string>{"gA", "R.A"}, {"gB", "R.B"}, {"common", "R.C"}}) {
    if (has(d.groups_added, g) != has(d.roles_granted, r)) return g + " added without " + r + " granted, or back";
    if (has(d.groups_removed, g) != has(d.roles_revoked, r)) return g + " removed without " + r + " revoked, or back";
  }
  return "";
}

// What each thread knows of its own users from their login deltas alone:
// "common" is never touched by a reload, so its membership is known
// exactly; the x group (gA or gB) may also be taken away by a reload at any
// moment, but never given.
struct UserHistory {
  bool common = false;
  std::string x;  // "", "gA" or "gB"
};

// Checks a login's delta against the user's history and updates it.
std::string history_problem(UserHistory& user, bool has_x, bool has_c, const Delta& d) {
  auto only = [](const Names& names, std::initializer_list<const char*> wanted) {
    Names out;
    for (const char* w : wanted) {
      if (has(names, w)) out.push_back(w);
    }
    return out;
  };
  const Names x_added = only(d.groups_added, {"gA", "gB"}), x_removed = only(d.groups_removed, {"gA", "gB"});
  if (x_added.size() > 1 || x_removed.size() > 1) return "gA and gB in one array";
  if (has(d.groups_added, "common") != (has_c && !user.common)) return "common added wrongly";
  if (has(d.groups_removed, "common") != (!has_c && user.common)) return "common removed wrongly";
  user.common = has_c;
  if (!x_removed.empty() && x_removed[0] != user.x) return "removed " + x_removed[0] + ", which it did not hold";
  if (!has_x) {
    if (!x_added.empty()) return "added " + x_added[0] + " without g-x";
    user.x.clear();
    return "";
  }
  if (!x_added.empty()) {
    user.x = x_added[0];
  } else if (user.x.empty() || !x_removed.empty()) {
    return "g-x put the user in no x group";
  }
  return "";
}

TEST(ReloadConcurrency, EventsNeverSeeAMix) {
  Engine engine(must_load(kConfigA));
  const Config config_a = must_load(kConfigA), config_b = must_load(kConfigB);
  constexpr int kThreads = 4, kUsers = 25, kReloads = 20;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<uint64_t> events{0};
  // Each thread writes only its own row; read after join.
  std::vector<std::vector<UserHistory>> histories(kThreads, std::vector<UserHistory>(kUsers));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 1; !stop.load(std::memory_order_relaxed); ++round) {
        for (int u = 0; u < kUsers; ++u) {
          const std::string subject = "t" + std::to_string(t) + "u" + std::to_string(u);
          const int shape = (round + u) % 4;
          const bool has_x = shape <= 1, has_c = shape == 1 || shape == 3;
          const char* groups[] = {R"(["g-x"])", R"(["g-x", "g-c"])", "[]", R"(["g-c"])"};
          const std::string line = R"({"iss": "https://idp.example", "sub": ")" + subject + R"(", "iat": )" +
                                   std::to_string(round) + R"(, "groups": )" + groups[shape] + "}";
          const Delta d = engine.process(line, static_cast<uint64_t>(round));
          std::string problem = d.status != DeltaStatus::kOk ? "status not ok: " + d.error.to_string() : mix_problem(d);
          if (problem.empty()) problem = history_problem(histories[t][u], has_x, has_c, d);
          const Names roles = engine.effective_roles("idp", subject);
          if (problem.empty() && has(roles, "R.A") && has(roles, "R.B")) problem = "effective roles R.A and R.B at once";
          if (!problem.empty() && failures.fetch_add(1) == 0) {
            std::string text;
            append_ndjson(d, &text);
            ADD_FAILURE() << subject << ": " << problem << "\n" << line << "\n" << text;
          }
          events.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }

  // Reload lines name only the version being left: A → B removes gA/R.A,
  // B → A removes gB/R.B; neither grants anything.
  auto check_reload = [&](const Config& to, const char* old_group, const char* old_role) {
    Result<ReloadResult> r = engine.reload(to);
    ASSERT_TRUE(r.ok());
    for (const Delta& d : r.value().deltas) {
      EXPECT_EQ(d.groups_removed, Names({old_group})) << d.subject;
      EXPECT_EQ(d.roles_revoked, Names({old_role})) << d.subject;
      EXPECT_TRUE(d.groups_added.empty() && d.roles_granted.empty()) << d.subject;
    }
  };
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kReloads; ++i) {
    // Let events run between reloads (and during them).
    while (events.load() < static_cast<uint64_t>(300 * (i + 1))) std::this_thread::yield();
    if (i % 2 == 0) {
      check_reload(config_b, "gA", "R.A");
    } else {
      check_reload(config_a, "gB", "R.B");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(engine.config_version(), 1u + kReloads);
  EXPECT_GE(events.load(), 300u * kReloads);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));

  // The last reload went to A; a final one to B: nobody keeps gA, a reload
  // never grants gB, and "common" is exactly what each user's last login said.
  check_reload(config_b, "gA", "R.A");
  std::string state = engine.export_state();
  EXPECT_EQ(state.find("\"gA\""), std::string::npos) << state;
  EXPECT_EQ(state.find("\"gB\""), std::string::npos) << state;
  const std::vector<std::string> lines = lines_of(state);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kUsers));
  for (const std::string& line : lines) {
    // {"provider": "idp", "subject": "tTuU", …
    const size_t s = line.find("\"subject\": \"t") + 13;
    const int t = std::stoi(line.substr(s)), u = std::stoi(line.substr(line.find('u', s) + 1));
    EXPECT_EQ(line.find(R"("mapped": {"common": ["m-c"]})") != std::string::npos, histories[t][u].common) << line;
  }
  // Every user's next login is judged by B alone.
  for (int t = 0; t < kThreads; ++t) {
    for (int u = 0; u < kUsers; ++u) {
      const std::string subject = "t" + std::to_string(t) + "u" + std::to_string(u);
      const Delta d = engine.process(R"({"iss": "https://idp.example", "sub": ")" + subject +
                                     R"(", "groups": ["g-x", "g-c"]})");
      EXPECT_EQ(d.groups_added, histories[t][u].common ? Names({"gB"}) : Names({"common", "gB"})) << subject;
      EXPECT_EQ(engine.effective_roles("idp", subject), Names({"R.B", "R.C"})) << subject;
    }
  }
  state = engine.export_state();
  EXPECT_EQ(state.find("\"gA\""), std::string::npos);
  for (const std::string& line : lines_of(state)) {
    EXPECT_NE(line.find(R"("mapped": {"common": ["m-c"], "gB": ["m-x"]})"), std::string::npos) << line;
  }
}

// ---------------------------------------------------------------------------
// §7.8: who-has.

std::string holders_text(Engine& engine, AccessQuery::Kind kind, const std::string& name) {
  Result<std::vector<AccessHolder>> r = engine.who_has({kind, name});
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return "";
  std::string out;
  for (const AccessHolder& h : r.value()) append_ndjson(h, kind, &out);
  return out;
}

TEST(WhoHas, RoleAppAndGroupQueries) {
  EngineHarness h;
  feed(h, {login("u1", R"(["g-read", "g-mkt"])", 10, R"(, "dept": "Sales")"), assign("entra", "u1", "readers"),
           grant("entra", "u1", "Crm.Viewer"), assign("entra", "u2", "marketing"),
           kc_login("k1", R"("realm_access": {"roles": ["admin"]})", 1), login("u3", R"(["g-mkt"])", 10),
           push("suspend", "entra", "u3"), grant("adfs", "s1", "Crm.Viewer"), login("u4", R"(["g-mkt"])", 10),
           assign("entra", "u4", "marketing")});

  // A role through two groups and directly: groups sorted, direct last. The
  // suspended u3 is not listed.
  EXPECT_EQ(
      holders_text(h.engine(), AccessQuery::Kind::kRole, "Crm.Viewer"),
      R"({"provider": "adfs", "subject": "s1", "role": "Crm.Viewer", "via": [{"direct": true}]})"
      "\n"
      R"({"provider": "entra", "subject": "u1", "role": "Crm.Viewer", "via": [{"group": "marketing", "mapped": ["m-mkt"]}, {"group": "readers", "mapped": ["m-read", "m-read2"], "manual": true}, {"direct": true}]})"
      "\n"
      R"({"provider": "entra", "subject": "u2", "role": "Crm.Viewer", "via": [{"group": "marketing", "manual": true}]})"
      "\n"
      R"({"provider": "entra", "subject": "u4", "role": "Crm.Viewer", "via": [{"group": "marketing", "mapped": ["m-mkt"], "manual": true}]})"
      "\n"
      R"({"provider": "kc", "subject": "k1", "role": "Crm.Viewer", "via": [{"group": "marketing", "mapped": ["m-kc"]}]})"
      "\n");

  // The values behind the lines.
  Result<std::vector<AccessHolder>> role = h.engine().who_has({AccessQuery::Kind::kRole, "Crm.Viewer"});
  ASSERT_TRUE(role.ok());
  ASSERT_EQ(role.value().size(), 5u);
  const AccessHolder& u1 = role.value()[1];
  EXPECT_EQ(u1.provider, "entra");
  EXPECT_EQ(u1.subject, "u1");
  EXPECT_EQ(u1.role, "Crm.Viewer");
  ASSERT_EQ(u1.via.size(), 3u);
  EXPECT_EQ(u1.via[1].group, "readers");
  EXPECT_EQ(u1.via[1].mapped, Names({"m-read", "m-read2"}));
  EXPECT_TRUE(u1.via[1].manual);
  EXPECT_FALSE(u1.via[1].direct);
  EXPECT_TRUE(u1.via[2].direct);
  EXPECT_TRUE(u1.via[2].group.empty());

  // An app: one line per role held, sorted by provider, subject, role.
  EXPECT_EQ(
      holders_text(h.engine(), AccessQuery::Kind::kApp, "Crm"),
      R"({"provider": "adfs", "subject": "s1", "role": "Crm.Viewer", "via": [{"direct": true}]})"
      "\n"
      R"({"provider": "entra", "subject": "u1", "role": "Crm.Editor", "via": [{"group": "marketing", "mapped": ["m-mkt"]}]})"
      "\n"
      R"({"provider": "entra", "subject": "u1", "role": "Crm.Viewer", "via": [{"group": "marketing", "mapped": ["m-mkt"]}, {"group": "readers", "mapped": ["m-read", "m-read2"], "manual": true}, {"direct": true}]})"
      "\n"
      R"({"provider": "entra", "subject": "u2", "role": "Crm.Editor", "via": [{"group": "marketing", "manual": true}]})"
      "\n"
      R"({"provider": "entra", "subject": "u2", "role": "Crm.Viewer", "via": [{"group": "marketing", "manual": true}]})"
      "\n"
      R"({"provider": "entra", "subject": "u4", "role": "Crm.Editor", "via": [{"group": "marketing", "mapped": ["m-mkt"], "manual": true}]})"
      "\n"
      R"({"provider": "entra", "subject": "u4", "role": "Crm.Viewer", "via": [{"group": "marketing", "mapped": ["m-mkt"], "manual": true}]})"
      "\n"
      R"({"provider": "kc", "subject": "k1", "role": "Crm.Editor", "via": [{"group": "marketing", "mapped": ["m-kc"]}]})"
      "\n"
      R"({"provider": "kc", "subject": "k1", "role": "Crm.Viewer", "via": [{"group": "marketing", "mapped": ["m-kc"]}]})"
      "\n");

  // A group: mapped and manual.
  EXPECT_EQ(holders_text(h.engine(), AccessQuery::Kind::kGroup, "marketing"),
            R"({"provider": "entra", "subject": "u1", "group": "marketing", "mapped": ["m-mkt"]})"
            "\n"
            R"({"provider": "entra", "subject": "u2", "group": "marketing", "manual": true})"
            "\n"
            R"({"provider": "entra", "subject": "u4", "group": "marketing", "mapped": ["m-mkt"], "manual": true})"
            "\n"
            R"({"provider": "kc", "subject": "k1", "group": "marketing", "mapped": ["m-kc"]})"
            "\n");
  EXPECT_EQ(holders_text(h.engine(), AccessQuery::Kind::kRole, "Hr.Admin"), "");

  // Unknown names.
  struct Case {
    AccessQuery::Kind kind;
    std::string name, message;
  };
  for (const Case& c : {Case{AccessQuery::Kind::kRole, "Nope", "no role \"Nope\" in the config"},
                        Case{AccessQuery::Kind::kApp, "Nope", "no app \"Nope\" in the config"},
                        Case{AccessQuery::Kind::kGroup, "Nope", "no group \"Nope\" in the config"},
                        Case{AccessQuery::Kind::kApp, "Crm.Viewer", "no app \"Crm.Viewer\" in the config"}}) {
    Result<std::vector<AccessHolder>> r = h.engine().who_has({c.kind, c.name});
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
  }
}

// ---------------------------------------------------------------------------
// §7.7: impact analysis.

// u1 marketing (m-mkt), u2 readers (m-read), u3 hr (m-level), u4 hr
// (m-flag), u5 suspended with a manual hr.
void seed_impact(EngineHarness& h) {
  feed(h, {login("u1", R"(["g-mkt"])", 10), login("u2", R"(["g-read"])", 10), login("u3", "[]", 10, R"(, "level": 42)"),
           login("u4", "[]", 10, R"(, "hr_flag": true)"), assign("entra", "u5", "hr"), push("suspend", "entra", "u5")});
}

TEST(Impact, LockoutOfARoleAndOfItsApp) {
  EngineHarness h;
  seed_impact(h);
  const Config next = must_load(drop(kBaseConfig, {"m-mkt", "m-level", "m-flag"}));
  Result<ImpactReport> r = analyse_change(h.engine(), next);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const ImpactReport& report = r.value();
  // Crm.Viewer is still held by u2, so neither it nor the app Crm is locked
  // out; Hr.Admin and Hr are (u5 is suspended: it holds nothing).
  ASSERT_EQ(report.lockouts.size(), 3u);
  EXPECT_EQ(report.lockouts[0].kind, Lockout::Kind::kRole);
  EXPECT_EQ(report.lockouts[0].role, "Crm.Editor");
  EXPECT_EQ(report.lockouts[0].app, "Crm");
  EXPECT_EQ(report.lockouts[0].holders_before, 1u);
  EXPECT_EQ(report.lockouts[0].holders_after, 0u);
  EXPECT_EQ(report.lockouts[2].kind, Lockout::Kind::kApp);
  EXPECT_EQ(report.lockouts[2].app, "Hr");
  EXPECT_EQ(report.lockouts[2].holders_before, 2u);
  EXPECT_TRUE(report.has_lockout());
  EXPECT_EQ(report.users_affected, 3u);
  EXPECT_EQ(report.groups_removed, (std::map<std::string, uint64_t>{{"hr", 2}, {"marketing", 1}}));
  EXPECT_EQ(report.roles_revoked, (std::map<std::string, uint64_t>{{"Crm", 2}, {"Hr", 2}}));
  EXPECT_TRUE(report.roles_granted.empty());
  EXPECT_EQ(report.to_ndjson(),
            reload_line("entra", "u1", {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}) +
                reload_line("entra", "u3", {"hr"}, {}, {"Hr.Admin"}) +
                reload_line("entra", "u4", {"hr"}, {}, {"Hr.Admin"}) +
                R"({"lockout": "role", "role": "Crm.Editor", "app": "Crm", "holders_before": 1, "holders_after": 0})"
                "\n"
                R"({"lockout": "role", "role": "Hr.Admin", "app": "Hr", "holders_before": 2, "holders_after": 0})"
                "\n"
                R"({"lockout": "app", "app": "Hr", "holders_before": 2, "holders_after": 0})"
                "\n");
}

TEST(Impact, NoLockoutWhileAnotherUserHoldsTheRole) {
  EngineHarness h;
  seed_impact(h);
  feed(h, {assign("entra", "u6", "marketing")});
  Result<ImpactReport> r = analyse_change(h.engine(), must_load(drop(kBaseConfig, {"m-mkt"})));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value().has_lockout());
  EXPECT_EQ(r.value().to_ndjson(), reload_line("entra", "u1", {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}));
}

TEST(Impact, ReplayThatGrantsAgainRemovesTheLockout) {
  EngineHarness h;
  seed_impact(h);
  const Config next = must_load(add(drop(kBaseConfig, {"m-mkt", "m-level", "m-flag"}), "mappings",
                                    R"({"id": "m-hr", "provider": "entra", "claim": "groups", "value": "g-hr", "group": "hr"})"));
  const std::string replay_text = "\n" + login("u3", R"(["g-hr"])", 20) + "\n";
  const std::string_view replay = replay_text;
  Result<ImpactReport> r = analyse_change(h.engine(), next, &replay);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value().to_ndjson(),
            reload_line("entra", "u1", {"marketing"}, {}, {"Crm.Editor", "Crm.Viewer"}) +
                reload_line("entra", "u3", {"hr"}, {}, {"Hr.Admin"}) +
                reload_line("entra", "u4", {"hr"}, {}, {"Hr.Admin"}) +
                result_line(2, "login", "entra", "u3", false, {"hr"}, {}, {"Hr.Admin"}, {}) +
                R"({"lockout": "role", "role": "Crm.Editor", "app": "Crm", "holders_before": 1, "holders_after": 0})"
                "\n");
  EXPECT_EQ(r.value().replay_counters.events, 1u);
}

}  // namespace
}  // namespace claimmap::testing
