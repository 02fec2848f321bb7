// server/audit_log.h: the line `serve --audit-log` writes for a request
// (docs/server.md "The audit log"), byte for byte; what of a request's query
// reaches it (server_app.h's audited_query: only what the route reads, never
// an access_token=); odd characters in a path; the file appended to and
// reopened as logrotate needs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "server/audit_log.h"
#include "server/server_app.h"

namespace claimmap::server {
namespace {

constexpr int64_t kWhen = 1796521459314;  // 2026-12-06T01:44:19.314Z
using Query = std::vector<std::pair<std::string, std::string>>;

support::HttpRequest request(std::string method, std::string path, Query query) {
  support::HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.authorization = "Bearer s3cret-token";
  r.peer = "10.1.2.3:51234";
  return r;
}

// The line of a request as ServerApp::handle makes it.
std::string line_of(const support::HttpRequest& r, std::string_view credential, int status) {
  AuditEntry e;
  e.credential = credential;
  e.client = r.peer;
  e.method = r.method;
  e.path = r.path;
  e.query = audited_query(r);
  e.status = status;
  return audit_line(e, kWhen);
}

TEST(AuditLine, AnEventsBatchExactly) {
  EventCounters c;
  c.events = 3;
  c.errors = 1;
  c.groups_added = 2;
  c.roles_granted = 4;
  AuditEntry e;
  e.credential = "auth-pipeline";
  e.client = "10.1.2.3:51234";
  e.method = "POST";
  e.path = "/v1/events";
  e.status = 200;
  e.counters = &c;
  EXPECT_EQ(audit_line(e, kWhen),
            R"({"time":"2026-12-06T01:44:19.314Z","credential":"auth-pipeline","client":"10.1.2.3:51234",)"
            R"("method":"POST","path":"/v1/events","status":200,"events":3,"errors":1,"groups_added":2,)"
            R"("groups_removed":0,"roles_granted":4,"roles_revoked":0})"
            "\n");
}

TEST(AuditLine, AConfigChangeExactly) {
  EventCounters c;
  AuditEntry e;
  e.credential = "ops";
  e.client = "10.1.2.7:33002";
  e.method = "PUT";
  e.path = "/v1/config";
  e.status = 200;
  e.counters = &c;
  e.config_before = 1;
  e.config_after = 2;
  EXPECT_EQ(audit_line(e, kWhen),
            R"({"time":"2026-12-06T01:44:19.314Z","credential":"ops","client":"10.1.2.7:33002","method":"PUT",)"
            R"("path":"/v1/config","status":200,"events":0,"errors":0,"groups_added":0,"groups_removed":0,)"
            R"("roles_granted":0,"roles_revoked":0,"config_version_before":1,"config_version_after":2})"
            "\n");
}

TEST(AuditLine, AWhoHasWithASecretInItsQuery) {
  const support::HttpRequest r = request(
      "GET", "/v1/who-has", {{"access_token", "SECRET-1"}, {"role", "Wiki.Reader"}, {"debug", "x"}, {"role", "Other"}});
  EXPECT_EQ(line_of(r, "dashboards", 200),
            R"({"time":"2026-12-06T01:44:19.314Z","credential":"dashboards","client":"10.1.2.3:51234",)"
            R"("method":"GET","path":"/v1/who-has","query":{"role":"Wiki.Reader"},"status":200})"
            "\n");
}

TEST(AuditLine, A401HasNoCredentialAndNoToken) {
  const support::HttpRequest r = request("POST", "/v1/events", {{"token", "SECRET-2"}});
  const std::string line = line_of(r, "", 401);
  EXPECT_EQ(line,
            R"({"time":"2026-12-06T01:44:19.314Z","credential":"","client":"10.1.2.3:51234","method":"POST",)"
            R"("path":"/v1/events","status":401})"
            "\n");
  EXPECT_EQ(line.find("s3cret"), std::string::npos);
}

TEST(AuditedQuery, OnlyWhatTheRouteReads) {
  EXPECT_EQ(audited_query(request("PUT", "/v1/config", {{"dry_run", "1"}, {"explain", "1"}, {"access_token", "S"}})),
            (Query{{"dry_run", "1"}, {"explain", "1"}}));
  EXPECT_EQ(audited_query(request("POST", "/v1/events", {{"explain", "true"}, {"api_key", "S"}})),
            (Query{{"explain", "true"}}));
  EXPECT_EQ(audited_query(request("GET", "/v1/users/entra/alice", {{"explain", "1"}, {"sig", "S"}})),
            (Query{{"explain", "1"}}));
  EXPECT_EQ(audited_query(request("GET", "/v1/who-has", {{"group", "staff"}, {"app", "crm"}})),
            (Query{{"app", "crm"}, {"group", "staff"}}))
      << "the route's order; the route itself refuses two of them";
  EXPECT_TRUE(audited_query(request("GET", "/v1/who-has", {{"Role", "x"}})).empty()) << "/v1 names are exact";
  EXPECT_TRUE(audited_query(request("GET", "/metrics", {{"role", "x"}})).empty());
}

TEST(AuditedQuery, ScimNamesIgnoreCaseAndAreLoggedAsTheRouteSpellsThem) {
  EXPECT_EQ(audited_query(request("GET", "/scim/v2/Users",
                                  {{"FILTER", R"(userName eq "alice")"}, {"startindex", "3"}, {"count", "2"},
                                   {"access_token", "S"}, {"attributes", "userName"}})),
            (Query{{"filter", R"(userName eq "alice")"}, {"startIndex", "3"}, {"count", "2"},
                   {"attributes", "userName"}}));
  EXPECT_EQ(audited_query(request("GET", "/scim/v2/Groups", {{"excludedAttributes", "members"}})),
            (Query{{"excludedAttributes", "members"}}));
  EXPECT_TRUE(audited_query(request("GET", "/scim/v2x", {{"filter", "x"}})).empty()) << "not SCIM";
}

TEST(AuditLine, OddCharactersInThePathAreEscaped) {
  AuditEntry e;
  e.credential = "reader";
  e.client = "[::1]:4000";
  e.method = "GET";
  e.status = 404;
  // A quote, a backslash, control characters (a forged second line), a
  // non-ASCII name, and bytes that are not UTF-8: one valid JSON line.
  const std::string path = "/v1/users/entra/a\"b\\c\nd\re\tf\x01g/\xc3\xa9l\xc3\xa8ve\xff\xfe";
  e.path = path;
  const std::string line = audit_line(e, kWhen);
  EXPECT_EQ(line,
            R"({"time":"2026-12-06T01:44:19.314Z","credential":"reader","client":"[::1]:4000","method":"GET",)"
            R"("path":"/v1/users/entra/a\"b\\c\nd\re\tf\u0001g/élève��","status":404})"
            "\n");
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line, whatever the path holds";
}

TEST(AuditLine, TimeIsRfc3339UtcWithMilliseconds) {
  AuditEntry e;
  e.method = "GET";
  e.path = "/v1/who-has";
  EXPECT_EQ(audit_line(e, 0).substr(0, 34), R"({"time":"1970-01-01T00:00:00.000Z")");
  EXPECT_EQ(audit_line(e, 951782400007).substr(0, 34), R"({"time":"2000-02-29T00:00:00.007Z")");
}

TEST(AuditLog, AppendsAndReopensAfterARename) {
  char dir_template[] = "/tmp/claimmap-audit-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template, path = dir + "/audit.ndjson";
  Result<std::unique_ptr<AuditLog>> log = AuditLog::open(path);
  ASSERT_TRUE(log.ok()) << log.status().message();
  AuditEntry e;
  e.credential = "c";
  e.method = "GET";
  e.path = "/v1/who-has";
  e.status = 200;
  ASSERT_TRUE(log.value()->ready().ok());
  ASSERT_TRUE(log.value()->append(e).ok());
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
  ASSERT_TRUE(log.value()->reopen().ok());
  ASSERT_TRUE(log.value()->append(e).ok());
  const auto lines = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    size_t n = 0;
    for (char ch : s.str()) n += ch == '\n' ? 1 : 0;
    return n;
  };
  EXPECT_EQ(lines(path + ".1"), 1u);
  EXPECT_EQ(lines(path), 1u);
  std::remove((path + ".1").c_str());
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

TEST(AuditLog, ADirectoryIsRefusedNamingIt) {
  Result<std::unique_ptr<AuditLog>> log = AuditLog::open("/tmp");
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), ErrorCode::kIoError);
  EXPECT_NE(log.status().message().find("audit log /tmp: cannot open"), std::string::npos) << log.status().message();
}

}  // namespace
}  // namespace claimmap::server
