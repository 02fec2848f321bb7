// The SCIM 2.0 routes of `claimmap serve` (docs/spec.md §13), called through
// ServerApp::handle with plain HttpRequest values: no socket, so each test
// pins one behaviour of the routes themselves (the network tests cover the
// listener). Every write must show up in the engine's state exactly as the
// same provisioning push would (docs/spec.md §6), and a failed request must
// leave the state byte for byte as it was.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/server_app.h"
#include "support/http_types.h"
#include "tests/test_util.h"

namespace claimmap::server {
namespace {

using claimmap::testing::entra_login;
using claimmap::testing::kBaseConfig;
using claimmap::testing::must_load;
using claimmap::testing::Names;
using support::HttpRequest;
using support::HttpResponse;
using support::parse_target;
using Json = nlohmann::json;

constexpr const char* kToken = "scim-secret";
constexpr const char* kHost = "claimmap.test:8080";
constexpr const char* kBase = "http://claimmap.test:8080/scim/v2";
constexpr const char* kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
constexpr const char* kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
constexpr const char* kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
constexpr const char* kListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

class ScimRoutesTest : public ::testing::Test {
 protected:
  ScimRoutesTest() : engine_(must_load(kBaseConfig)), app_(engine_, ServerSettings{kToken, "entra"}) {}

  HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& content_type = "application/scim+json", bool authorised = true) {
    HttpRequest r;
    r.method = method;
    EXPECT_TRUE(parse_target(target, &r)) << target;
    r.host = kHost;
    if (authorised) r.authorization = std::string("Bearer ") + kToken;
    r.content_type = content_type;
    r.body = body;
    return app_.handle(r);
  }

  static Json body_of(const HttpResponse& r) {
    Json j = Json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  // A SCIM error: the status, the scimType ("" for none) and the error body.
  static void expect_error(const HttpResponse& r, int status, const std::string& scim_type) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/scim+json");
    const Json j = body_of(r);
    EXPECT_EQ(j["schemas"], Json::array({kErrorSchema})) << r.body;
    EXPECT_EQ(j["status"], std::to_string(status)) << r.body;
    if (scim_type.empty()) {
      EXPECT_FALSE(j.contains("scimType")) << r.body;
    } else {
      EXPECT_EQ(j.value("scimType", ""), scim_type) << r.body;
    }
    EXPECT_TRUE(j["detail"].is_string() && !j["detail"].get<std::string>().empty()) << r.body;
  }

  HttpResponse post_user(const std::string& user_name, const std::string& extra = "") {
    return call("POST", "/scim/v2/Users",
                R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": ")" + user_name + "\"" +
                    extra + "}");
  }

  static std::string patch_body(const std::string& operations) {
    return R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": )" + operations + "}";
  }

  void login(const std::string& oid, const std::string& groups_json) {
    const Delta d = engine_.process(entra_login(oid, groups_json));
    ASSERT_TRUE(d.ok()) << d.error.message();
  }

  // The engine's event counters as the metrics show them: a request that
  // sent no push to the engine leaves them as they were.
  std::string event_counts() {
    std::string counts;
    const std::string text = app_.metrics().to_text(engine_);
    size_t at = 0;
    while ((at = text.find("claimmap_events_total{", at)) != std::string::npos) {
      const size_t end = text.find('\n', at);
      counts += text.substr(at, end - at) + "\n";
      at = end;
    }
    return counts;
  }

  Names roles(const std::string& subject) { return engine_.effective_roles("entra", subject); }
  std::optional<UserRecord> user(const std::string& subject) { return engine_.find_user("entra", subject); }

  Engine engine_;
  ServerApp app_;
};

// ---- POST /Users ----

TEST_F(ScimRoutesTest, PostUserCreatesAnActiveUserWithLocation) {
  const HttpResponse r = post_user("alice@example.com");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.content_type, "application/scim+json");
  const std::string location = std::string(kBase) + "/Users/alice@example.com";
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Location");
  EXPECT_EQ(r.headers[0].second, location);
  const Json j = body_of(r);
  EXPECT_EQ(j["schemas"], Json::array({kUserSchema}));
  EXPECT_EQ(j["id"], "alice@example.com");
  EXPECT_EQ(j["userName"], "alice@example.com");
  EXPECT_EQ(j["active"], true);
  EXPECT_EQ(j["groups"], Json::array());
  EXPECT_EQ(j["meta"]["resourceType"], "User");
  EXPECT_EQ(j["meta"]["location"], location);

  const std::optional<UserRecord> u = user("alice@example.com");
  ASSERT_TRUE(u.has_value());
  EXPECT_FALSE(u->suspended);
  EXPECT_TRUE(u->manual.empty());
  EXPECT_TRUE(u->effective_groups.empty());
}

TEST_F(ScimRoutesTest, PostUserAcceptsAndIgnoresAttributesClaimMapDoesNotKeep) {
  const HttpResponse r = post_user("bob", R"(,
      "externalId": "0a1b", "displayName": "Bob B", "name": {"givenName": "Bob", "familyName": "B"},
      "emails": [{"value": "bob@example.com", "type": "work", "primary": true}], "id": "client-chosen",
      "groups": [{"value": "hr"}],
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales", "manager": {"value": "x"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const Json j = body_of(r);
  EXPECT_EQ(j["id"], "bob");  // the client's id is not used: id is the subject
  EXPECT_FALSE(j.contains("displayName"));
  EXPECT_FALSE(j.contains("emails"));
  // "groups" is read-only: it did not assign hr; nothing else was stored.
  EXPECT_EQ(engine_.export_state(),
            R"({"provider": "entra", "subject": "bob", "mapped": {}, "manual": [], "direct_roles": [], )"
            R"("last_iat": null, "suspended": false})"
            "\n");
}

TEST_F(ScimRoutesTest, PostUserWithActiveFalseCreatesItSuspended) {
  // Entra ID sends booleans as strings, capitalised.
  ASSERT_EQ(post_user("carol", R"(, "active": "False")").status, 201);
  ASSERT_EQ(post_user("dave", R"(, "active": false)").status, 201);
  ASSERT_TRUE(user("carol").has_value());
  EXPECT_TRUE(user("carol")->suspended);
  EXPECT_TRUE(user("dave")->suspended);
  EXPECT_EQ(body_of(call("GET", "/scim/v2/Users/carol"))["active"], false);
}

TEST_F(ScimRoutesTest, PostExistingUserIs409UniquenessAndChangesNothing) {
  login("u1", R"(["g-mkt"])");
  const std::string before = engine_.export_state();
  expect_error(post_user("u1", R"(, "active": false)"), 409, "uniqueness");
  EXPECT_EQ(engine_.export_state(), before);
  EXPECT_EQ(roles("u1"), (Names{"Crm.Editor", "Crm.Viewer"}));
}

TEST_F(ScimRoutesTest, PostWithoutAValidUserNameIs400InvalidValue) {
  expect_error(call("POST", "/scim/v2/Users", R"({"schemas": [], "displayName": "x"})"), 400, "invalidValue");
  expect_error(call("POST", "/scim/v2/Users", R"({"userName": 42})"), 400, "invalidValue");
  expect_error(call("POST", "/scim/v2/Users", R"({"userName": ""})"), 400, "invalidValue");
  expect_error(post_user("eve", R"(, "active": "maybe")"), 400, "invalidValue");
  expect_error(call("POST", "/scim/v2/Users", R"({"userName": "eve")"), 400, "invalidSyntax");
  expect_error(call("POST", "/scim/v2/Users", R"(["eve"])"), 400, "invalidSyntax");
  EXPECT_EQ(engine_.user_count(), 0u);
  EXPECT_EQ(engine_.export_state(), "");
}

TEST_F(ScimRoutesTest, PostAcceptsApplicationJsonAsWellAsScimJson) {
  EXPECT_EQ(call("POST", "/scim/v2/Users", R"({"userName": "j1"})", "application/json").status, 201);
  EXPECT_EQ(call("POST", "/scim/v2/Users", R"({"userName": "j2"})", "application/scim+json; charset=utf-8").status,
            201);
  EXPECT_TRUE(user("j1").has_value());
  EXPECT_TRUE(user("j2").has_value());
}

// ---- GET /Users ----

TEST_F(ScimRoutesTest, GetUserShowsEffectiveGroupsAndActive) {
  login("u1", R"(["g-mkt"])");
  ASSERT_TRUE(engine_.process(R"({"type":"assign","provider":"entra","subject":"u1","group":"hr"})").ok());
  const HttpResponse r = call("GET", "/scim/v2/Users/u1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/scim+json");
  const Json j = body_of(r);
  EXPECT_EQ(j["schemas"], Json::array({kUserSchema}));
  EXPECT_EQ(j["id"], "u1");
  EXPECT_EQ(j["userName"], "u1");
  EXPECT_EQ(j["active"], true);
  ASSERT_EQ(j["groups"].size(), 2u);
  EXPECT_EQ(j["groups"][0]["value"], "hr");
  EXPECT_EQ(j["groups"][0]["display"], "hr");
  EXPECT_EQ(j["groups"][0]["type"], "direct");
  EXPECT_EQ(j["groups"][0]["$ref"], std::string(kBase) + "/Groups/hr");
  EXPECT_EQ(j["groups"][1]["value"], "marketing");
  EXPECT_EQ(j["groups"][1]["type"], "indirect");
  EXPECT_EQ(j["meta"]["resourceType"], "User");
  EXPECT_EQ(j["meta"]["location"], std::string(kBase) + "/Users/u1");
}

TEST_F(ScimRoutesTest, IdsArePercentEncodedInLocations) {
  const HttpResponse r = post_user("a b/c?d");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(body_of(r)["meta"]["location"], std::string(kBase) + "/Users/a%20b%2Fc%3Fd");
  const HttpResponse got = call("GET", "/scim/v2/Users/a%20b%2Fc%3Fd");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(body_of(got)["id"], "a b/c?d");
}

TEST_F(ScimRoutesTest, GetUnknownUserIs404) {
  expect_error(call("GET", "/scim/v2/Users/nobody"), 404, "");
  expect_error(call("GET", "/scim/v2/Users/%FF%FE"), 404, "");  // not UTF-8: no subject can be it
}

TEST_F(ScimRoutesTest, FilterOnUserNameAnswersAListResponse) {
  login("u1", R"(["g-read"])");
  HttpResponse r = call("GET", "/scim/v2/Users?filter=userName+eq+%22u1%22");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = body_of(r);
  EXPECT_EQ(j["schemas"], Json::array({kListSchema}));
  EXPECT_EQ(j["totalResults"], 1);
  EXPECT_EQ(j["startIndex"], 1);
  EXPECT_EQ(j["itemsPerPage"], 1);
  ASSERT_EQ(j["Resources"].size(), 1u);
  EXPECT_EQ(j["Resources"][0]["id"], "u1");
  EXPECT_EQ(j["Resources"][0]["groups"][0]["value"], "readers");

  // id eq is the same attribute; names and "eq" in any case.
  j = body_of(call("GET", "/scim/v2/Users?filter=ID%20EQ%20%22u1%22"));
  EXPECT_EQ(j["totalResults"], 1);

  // Not found: an empty page, not a 404.
  r = call("GET", "/scim/v2/Users?filter=userName%20eq%20%22U1%22");
  ASSERT_EQ(r.status, 200) << r.body;
  j = body_of(r);
  EXPECT_EQ(j["totalResults"], 0);
  EXPECT_EQ(j["itemsPerPage"], 0);
  EXPECT_EQ(j["Resources"], Json::array());

  // excludedAttributes=groups leaves the groups out.
  j = body_of(call("GET", "/scim/v2/Users?filter=userName%20eq%20%22u1%22&excludedAttributes=groups"));
  EXPECT_FALSE(j["Resources"][0].contains("groups"));
  EXPECT_EQ(j["Resources"][0]["id"], "u1");
}

// ---- paging (RFC 7644 §3.4.2.4) ----

// The ListResponse's numbers and the ids of its resources.
struct Listed {
  int total = -1, start = -1, items = -1;
  Names ids;
};

TEST_F(ScimRoutesTest, ListingUsersPagesThroughTheProvidersUsersInSubjectOrder) {
  for (const char* s : {"u3", "u1", "U2", "u4"}) ASSERT_EQ(post_user(s).status, 201);
  login("m1", R"(["g-mkt"])");
  ASSERT_TRUE(engine_.process(R"({"type":"suspend","provider":"entra","subject":"u4"})").ok());
  ASSERT_TRUE(engine_.process(R"({"type":"assign","provider":"kc","subject":"k1","group":"hr"})").ok());
  auto list = [&](const std::string& query) {
    const HttpResponse r = call("GET", "/scim/v2/Users" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    const Json j = body_of(r);
    EXPECT_EQ(j["schemas"], Json::array({kListSchema})) << r.body;
    Listed l{j.value("totalResults", -1), j.value("startIndex", -1), j.value("itemsPerPage", -1), {}};
    for (const Json& u : j["Resources"]) l.ids.push_back(u["id"]);
    EXPECT_EQ(static_cast<size_t>(l.items), l.ids.size()) << r.body;
    return l;
  };
  // Every user of entra (a login's too; not kc's), bytewise: "U2" < "m1" < "u1".
  Listed l = list("");
  EXPECT_EQ(l.total, 5);
  EXPECT_EQ(l.start, 1);
  EXPECT_EQ(l.ids, (Names{"U2", "m1", "u1", "u3", "u4"}));
  l = list("?startIndex=2&count=2");
  EXPECT_EQ(std::tie(l.total, l.start, l.items), std::make_tuple(5, 2, 2));
  EXPECT_EQ(l.ids, (Names{"m1", "u1"}));
  l = list("?startIndex=4&count=2");
  EXPECT_EQ(l.ids, (Names{"u3", "u4"}));
  l = list("?startIndex=5&count=2");  // the last page is short
  EXPECT_EQ(std::tie(l.total, l.start, l.items), std::make_tuple(5, 5, 1));
  // startIndex below 1 is 1; count 0 or below gives totalResults alone.
  l = list("?startIndex=0&count=1");
  EXPECT_EQ(std::tie(l.start, l.ids), std::make_tuple(1, Names{"U2"}));
  l = list("?startIndex=-7&count=1");
  EXPECT_EQ(std::tie(l.start, l.ids), std::make_tuple(1, Names{"U2"}));
  l = list("?count=0");
  EXPECT_EQ(std::tie(l.total, l.start, l.items), std::make_tuple(5, 1, 0));
  l = list("?count=-3&startIndex=2");
  EXPECT_EQ(std::tie(l.total, l.start, l.items), std::make_tuple(5, 2, 0));
  // Past the end: an empty page that still says how many there are.
  l = list("?startIndex=6");
  EXPECT_EQ(std::tie(l.total, l.start, l.items), std::make_tuple(5, 6, 0));
  l = list("?startIndex=1000000&count=1000000");
  EXPECT_EQ(std::tie(l.total, l.start, l.items), std::make_tuple(5, 1000000, 0));
  // A suspended user is listed, inactive.
  const Json last = body_of(call("GET", "/scim/v2/Users?startIndex=5&count=1"));
  EXPECT_EQ(last["Resources"][0]["active"], false);
  // Parameter names in any case; a filter pages its one match the same way.
  l = list("?STARTINDEX=3&Count=1");
  EXPECT_EQ(l.ids, Names{"u1"});
  l = list("?filter=userName%20eq%20%22u3%22&startIndex=2");
  EXPECT_EQ(std::tie(l.total, l.start, l.items), std::make_tuple(1, 2, 0));
  l = list("?filter=userName%20eq%20%22u3%22&count=0");
  EXPECT_EQ(std::tie(l.total, l.start, l.items), std::make_tuple(1, 1, 0));
  expect_error(call("GET", "/scim/v2/Users?startIndex=two"), 400, "invalidValue");
  expect_error(call("GET", "/scim/v2/Users?count=1.5"), 400, "invalidValue");
  expect_error(call("GET", "/scim/v2/Users?count="), 400, "invalidValue");
}

TEST_F(ScimRoutesTest, ListingUsersOfAnEmptyProviderIsAnEmptyList) {
  const Json j = body_of(call("GET", "/scim/v2/Users"));
  EXPECT_EQ(j["totalResults"], 0);
  EXPECT_EQ(j["startIndex"], 1);
  EXPECT_EQ(j["itemsPerPage"], 0);
  EXPECT_EQ(j["Resources"], Json::array());
}

TEST_F(ScimRoutesTest, GroupPagingEdges) {
  auto ids = [&](const std::string& query, int total, int start, int items) {
    const Json j = body_of(call("GET", "/scim/v2/Groups" + query));
    EXPECT_EQ(j["totalResults"], total) << query;
    EXPECT_EQ(j["startIndex"], start) << query;
    EXPECT_EQ(j["itemsPerPage"], items) << query;
    Names out;
    for (const Json& g : j["Resources"]) out.push_back(g["id"]);
    return out;
  };
  EXPECT_EQ(ids("?startIndex=0&count=1", 4, 1, 1), Names{"devs"});
  EXPECT_EQ(ids("?startIndex=4&count=10", 4, 4, 1), Names{"readers"});
  EXPECT_EQ(ids("?startIndex=5", 4, 5, 0), Names{});
  EXPECT_EQ(ids("?count=0", 4, 1, 0), Names{});
  EXPECT_EQ(ids("?count=-1&startIndex=-1", 4, 1, 0), Names{});
  // Paging applies to what the filter kept: totalResults counts the matches.
  EXPECT_EQ(ids("?filter=id%20eq%20%22hr%22&startIndex=2", 1, 2, 0), Names{});
  expect_error(call("GET", "/scim/v2/Groups?startIndex=1e3"), 400, "invalidValue");
}

TEST_F(ScimRoutesTest, UnsupportedUserFiltersAre400InvalidFilter) {
  login("u1", "[]");
  expect_error(call("GET", "/scim/v2/Users?filter=userName%20sw%20%22u%22"), 400, "invalidFilter");
  expect_error(call("GET", "/scim/v2/Users?filter=userName%20eq%20%22u1%22%20or%20userName%20eq%20%22u2%22"), 400,
               "invalidFilter");
  expect_error(call("GET", "/scim/v2/Users?filter=externalId%20eq%20%22u1%22"), 400, "invalidFilter");
  expect_error(call("GET", "/scim/v2/Users?filter=userName%20pr"), 400, "invalidFilter");
  expect_error(call("GET", "/scim/v2/Users?filter=emails%5Btype%20eq%20%22work%22%5D"), 400, "invalidFilter");
  expect_error(call("GET", "/scim/v2/Users?filter=userName%20eq%20u1"), 400, "invalidFilter");
  expect_error(call("GET", "/scim/v2/Users?filter=userName%20eq%20%22u1%22&count=ten"), 400, "invalidValue");
}

// ---- PATCH /Users/{id} ----

TEST_F(ScimRoutesTest, PatchActiveSuspendsAndResumesEffectiveRoles) {
  login("u1", R"(["g-mkt"])");
  ASSERT_EQ(roles("u1"), (Names{"Crm.Editor", "Crm.Viewer"}));
  HttpResponse r = call("PATCH", "/scim/v2/Users/u1", patch_body(R"([{"op": "replace", "path": "active", "value": false}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = body_of(r);
  EXPECT_EQ(j["active"], false);
  EXPECT_EQ(j["groups"], Json::array());
  EXPECT_TRUE(user("u1")->suspended);
  EXPECT_EQ(roles("u1"), Names{});

  r = call("PATCH", "/scim/v2/Users/u1", patch_body(R"([{"op": "replace", "path": "active", "value": true}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["active"], true);
  EXPECT_FALSE(user("u1")->suspended);
  EXPECT_EQ(roles("u1"), (Names{"Crm.Editor", "Crm.Viewer"}));
}

TEST_F(ScimRoutesTest, PatchAcceptsEntraCapitalisedReplaceAndStringBooleans) {
  login("u1", R"(["g-mkt"])");
  ASSERT_EQ(call("PATCH", "/scim/v2/Users/u1",
                 patch_body(R"([{"op": "Replace", "path": "active", "value": "False"}])"), "application/json")
                .status,
            200);
  EXPECT_TRUE(user("u1")->suspended);
  ASSERT_EQ(call("PATCH", "/scim/v2/Users/u1", patch_body(R"([{"op": "Replace", "path": "active", "value": "True"}])"))
                .status,
            200);
  EXPECT_FALSE(user("u1")->suspended);
  EXPECT_EQ(roles("u1"), (Names{"Crm.Editor", "Crm.Viewer"}));
}

TEST_F(ScimRoutesTest, PatchWithoutPathTakesAValueObject) {
  login("u1", R"(["g-read"])");
  HttpResponse r = call("PATCH", "/scim/v2/Users/u1",
                        patch_body(R"([{"op": "replace", "value": {"active": false, "displayName": "U One"}}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(user("u1")->suspended);
  // No schemas at all (lenient), lower-case "operations", a fully qualified name.
  r = call("PATCH", "/scim/v2/Users/u1",
           R"({"operations": [{"op": "add", "value": {"urn:ietf:params:scim:schemas:core:2.0:User:active": true}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(user("u1")->suspended);
  EXPECT_EQ(roles("u1"), Names{"Crm.Viewer"});
}

TEST_F(ScimRoutesTest, PatchOnAttributesClaimMapDoesNotKeepIsAcceptedAndIgnored) {
  login("u1", R"(["g-read"])");
  const std::string before = engine_.export_state();
  const HttpResponse r = call("PATCH", "/scim/v2/Users/u1", patch_body(R"([
      {"op": "Replace", "path": "displayName", "value": "U One"},
      {"op": "Add", "path": "name.givenName", "value": "U"},
      {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "u1@example.com"},
      {"op": "remove", "path": "externalId"},
      {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Ops"},
      {"op": "Replace", "path": "userName", "value": "u1"}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["id"], "u1");
  EXPECT_EQ(engine_.export_state(), before);
}

TEST_F(ScimRoutesTest, AFailedPatchChangesNothing) {
  login("u1", R"(["g-mkt"])");
  const std::string before = engine_.export_state();
  // The first operation is valid; the request fails as a whole.
  expect_error(call("PATCH", "/scim/v2/Users/u1", patch_body(R"([
      {"op": "replace", "path": "active", "value": false},
      {"op": "move", "path": "active", "value": true}])")),
               400, "invalidSyntax");
  expect_error(call("PATCH", "/scim/v2/Users/u1", patch_body(R"([
      {"op": "replace", "path": "active", "value": false},
      {"op": "replace", "path": "active", "value": "perhaps"}])")),
               400, "invalidValue");
  expect_error(call("PATCH", "/scim/v2/Users/u1", patch_body(R"([
      {"op": "replace", "path": "active", "value": false},
      {"op": "replace", "path": "userName", "value": "someone-else"}])")),
               400, "mutability");
  expect_error(call("PATCH", "/scim/v2/Users/u1", patch_body(R"([
      {"op": "replace", "path": "active", "value": false},
      {"op": "add", "path": "groups", "value": [{"value": "hr"}]}])")),
               400, "mutability");
  expect_error(call("PATCH", "/scim/v2/Users/u1", patch_body(R"([{"op": "remove", "path": "active"}])")), 400,
               "invalidValue");
  expect_error(call("PATCH", "/scim/v2/Users/u1", patch_body(R"([{"op": "remove"}])")), 400, "noTarget");
  expect_error(call("PATCH", "/scim/v2/Users/u1", R"({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]})"),
               400, "invalidSyntax");
  expect_error(call("PATCH", "/scim/v2/Users/u1", patch_body("[]")), 400, "invalidSyntax");
  expect_error(call("PATCH", "/scim/v2/Users/u1",
                    R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "Operations": [{"op": "replace", "path": "active", "value": false}]})"),
               400, "invalidSyntax");
  expect_error(call("PATCH", "/scim/v2/Users/u1", "{not json"), 400, "invalidSyntax");
  expect_error(call("PATCH", "/scim/v2/Users/u1", patch_body(R"([{"op": "replace", "path": 7, "value": false}])")), 400,
               "invalidSyntax");
  EXPECT_EQ(engine_.export_state(), before);
  EXPECT_EQ(roles("u1"), (Names{"Crm.Editor", "Crm.Viewer"}));
}

// All or nothing (docs/spec.md §13): every operation is checked — its path
// too, even for an attribute ClaimMap ignores — before the one push.
TEST_F(ScimRoutesTest, AMultiOperationUserPatchWithABadPathAppliesNothing) {
  login("u1", R"(["g-mkt"])");
  ASSERT_EQ(post_user("u2").status, 201);
  const std::string before = engine_.export_state();
  const std::string events = event_counts();
  for (const char* path : {R"(emails[type eq \"work\")", "emails]", "emails[]", "1st", "name..givenName",
                           "name.givenName.x", "display name", "urn:ietf:params:scim:schemas:core:2.0:User:",
                           "meta:created", "$ref"}) {
    const Json op = {{"op", "replace"}, {"path", path}, {"value", "x"}};
    expect_error(call("PATCH", "/scim/v2/Users/u1",
                      patch_body(R"([{"op": "replace", "path": "active", "value": false}, )" + op.dump() + "]")),
                 400, "invalidPath");
  }
  // add and replace need a value (RFC 7644 §3.5.2.1, §3.5.2.3).
  expect_error(call("PATCH", "/scim/v2/Users/u1", patch_body(R"([
      {"op": "replace", "path": "active", "value": false}, {"op": "add", "path": "displayName"}])")),
               400, "invalidValue");
  EXPECT_EQ(engine_.export_state(), before);
  EXPECT_EQ(event_counts(), events);  // no push reached the engine
  EXPECT_FALSE(user("u1")->suspended);
  EXPECT_EQ(roles("u1"), (Names{"Crm.Editor", "Crm.Viewer"}));

  // The same operations with good paths: applied, in one push.
  const HttpResponse r = call("PATCH", "/scim/v2/Users/u1", patch_body(R"([
      {"op": "replace", "path": "active", "value": false},
      {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "x"},
      {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "value": "m"},
      {"op": "add", "path": "name.givenName", "value": "U"}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(user("u1")->suspended);
  EXPECT_NE(event_counts().find("claimmap_events_total{cause=\"suspend\"} 1"), std::string::npos) << event_counts();
}

// Several operations on active: the last one is what the user ends with,
// as if each had been applied in turn.
TEST_F(ScimRoutesTest, SeveralActiveOperationsEndWithTheLast) {
  login("u1", R"(["g-mkt"])");
  HttpResponse r = call("PATCH", "/scim/v2/Users/u1", patch_body(R"([
      {"op": "Replace", "path": "active", "value": "False"},
      {"op": "Replace", "value": {"active": "True"}},
      {"op": "replace", "path": "active", "value": false}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["active"], false);
  EXPECT_TRUE(user("u1")->suspended);
  r = call("PATCH", "/scim/v2/Users/u1", patch_body(R"([
      {"op": "replace", "value": {"active": "FALSE"}}, {"op": "add", "path": "active", "value": "true"}])"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["active"], true);
  EXPECT_FALSE(user("u1")->suspended);
  EXPECT_EQ(roles("u1"), (Names{"Crm.Editor", "Crm.Viewer"}));
}

TEST_F(ScimRoutesTest, ActiveAcceptsOnlyBooleansAndTheirStrings) {
  login("u1", R"(["g-read"])");
  const std::string before = engine_.export_state();
  for (const char* value : {R"("yes")", R"("0")", "0", "1", R"("")", R"(" false")", "null", "[]", "{}"}) {
    expect_error(call("PATCH", "/scim/v2/Users/u1",
                      patch_body(std::string(R"([{"op": "replace", "path": "active", "value": )") + value + "}]")),
                 400, "invalidValue");
    expect_error(call("PATCH", "/scim/v2/Users/u1",
                      patch_body(std::string(R"([{"op": "replace", "value": {"active": )") + value + "}}]")),
                 400, "invalidValue");
  }
  EXPECT_EQ(engine_.export_state(), before);
}

TEST_F(ScimRoutesTest, PatchUnknownUserIs404AndDoesNotCreateIt) {
  expect_error(call("PATCH", "/scim/v2/Users/ghost", patch_body(R"([{"op": "replace", "path": "active", "value": false}])")),
               404, "");
  EXPECT_FALSE(user("ghost").has_value());
  EXPECT_EQ(engine_.user_count(), 0u);
}

TEST_F(ScimRoutesTest, PutUserActsOnActiveOnly) {
  login("u1", R"(["g-read"])");
  HttpResponse r = call("PUT", "/scim/v2/Users/u1",
                        R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "u1",
                            "active": false, "displayName": "U One"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(user("u1")->suspended);
  expect_error(call("PUT", "/scim/v2/Users/ghost", R"({"userName": "ghost", "active": true})"), 404, "");
  EXPECT_FALSE(user("ghost").has_value());
}

// ---- DELETE /Users/{id} ----

TEST_F(ScimRoutesTest, DeleteForgetsTheUserThen404) {
  login("u1", R"(["g-mkt"])");
  const HttpResponse r = call("DELETE", "/scim/v2/Users/u1");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  EXPECT_FALSE(user("u1").has_value());
  EXPECT_EQ(roles("u1"), Names{});
  expect_error(call("DELETE", "/scim/v2/Users/u1"), 404, "");
  expect_error(call("GET", "/scim/v2/Users/u1"), 404, "");
}

// ---- /Groups ----

TEST_F(ScimRoutesTest, GetGroupsListsTheConfigsGroupsWithManualMembersOfTheProvider) {
  login("mapped", R"(["g-mkt"])");  // a mapped member: from the token, not provisioning
  ASSERT_TRUE(engine_.process(R"({"type":"assign","provider":"entra","subject":"m1","group":"marketing"})").ok());
  ASSERT_TRUE(engine_.process(R"({"type":"assign","provider":"kc","subject":"other","group":"marketing"})").ok());
  const HttpResponse r = call("GET", "/scim/v2/Groups");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/scim+json");
  const Json j = body_of(r);
  EXPECT_EQ(j["schemas"], Json::array({kListSchema}));
  EXPECT_EQ(j["totalResults"], 4);
  EXPECT_EQ(j["startIndex"], 1);
  EXPECT_EQ(j["itemsPerPage"], 4);
  std::vector<std::string> ids;
  for (const Json& g : j["Resources"]) {
    ids.push_back(g["id"]);
    EXPECT_EQ(g["schemas"], Json::array({kGroupSchema}));
    EXPECT_EQ(g["displayName"], g["id"]);
    EXPECT_EQ(g["meta"]["resourceType"], "Group");
    EXPECT_EQ(g["meta"]["location"], std::string(kBase) + "/Groups/" + g["id"].get<std::string>());
  }
  EXPECT_EQ(ids, (Names{"devs", "hr", "marketing", "readers"}));
  const Json& marketing = j["Resources"][2];
  ASSERT_EQ(marketing["members"].size(), 1u) << marketing.dump();
  EXPECT_EQ(marketing["members"][0]["value"], "m1");
  EXPECT_EQ(marketing["members"][0]["display"], "m1");
  EXPECT_EQ(j["Resources"][0]["members"], Json::array());
}

TEST_F(ScimRoutesTest, GroupFiltersPagingAndExcludedMembers) {
  ASSERT_TRUE(engine_.process(R"({"type":"assign","provider":"entra","subject":"m1","group":"hr"})").ok());
  Json j = body_of(call("GET", "/scim/v2/Groups?filter=displayName%20eq%20%22hr%22"));
  EXPECT_EQ(j["totalResults"], 1);
  EXPECT_EQ(j["Resources"][0]["id"], "hr");
  EXPECT_EQ(j["Resources"][0]["members"][0]["value"], "m1");

  j = body_of(call("GET", "/scim/v2/Groups?filter=id%20eq%20%22hr%22&excludedAttributes=members"));
  EXPECT_EQ(j["totalResults"], 1);
  EXPECT_FALSE(j["Resources"][0].contains("members"));

  // Entra ID's membership check.
  j = body_of(call("GET", "/scim/v2/Groups?excludedAttributes=members&filter=id%20eq%20%22hr%22%20and%20members%20eq%20%22m1%22"));
  EXPECT_EQ(j["totalResults"], 1);
  j = body_of(call("GET", "/scim/v2/Groups?excludedAttributes=members&filter=id%20eq%20%22hr%22%20and%20members%20eq%20%22m2%22"));
  EXPECT_EQ(j["totalResults"], 0);
  EXPECT_EQ(j["Resources"], Json::array());

  j = body_of(call("GET", "/scim/v2/Groups?filter=displayName%20eq%20%22nope%22"));
  EXPECT_EQ(j["totalResults"], 0);

  j = body_of(call("GET", "/scim/v2/Groups?startIndex=2&count=2&excludedAttributes=members"));
  EXPECT_EQ(j["totalResults"], 4);
  EXPECT_EQ(j["startIndex"], 2);
  EXPECT_EQ(j["itemsPerPage"], 2);
  EXPECT_EQ(j["Resources"][0]["id"], "hr");
  EXPECT_EQ(j["Resources"][1]["id"], "marketing");

  expect_error(call("GET", "/scim/v2/Groups?filter=displayName%20co%20%22h%22"), 400, "invalidFilter");
  expect_error(call("GET", "/scim/v2/Groups?filter=externalId%20eq%20%22h%22"), 400, "invalidFilter");
}

TEST_F(ScimRoutesTest, GetGroupByIdAndUnknownGroup) {
  const HttpResponse r = call("GET", "/scim/v2/Groups/readers");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json j = body_of(r);
  EXPECT_EQ(j["schemas"], Json::array({kGroupSchema}));
  EXPECT_EQ(j["id"], "readers");
  EXPECT_EQ(j["members"], Json::array());
  EXPECT_EQ(j["meta"]["location"], std::string(kBase) + "/Groups/readers");
  expect_error(call("GET", "/scim/v2/Groups/nope"), 404, "");
}

TEST_F(ScimRoutesTest, PatchGroupAddsAndRemovesManualMemberships) {
  login("u1", R"(["g-read"])");
  ASSERT_EQ(post_user("u2").status, 201);
  ASSERT_EQ(roles("u1"), Names{"Crm.Viewer"});
  HttpResponse r = call("PATCH", "/scim/v2/Groups/marketing",
                        patch_body(R"([{"op": "Add", "path": "members", "value": [{"value": "u1"}, {"value": "u2", "display": "U2"}]}])"));
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(user("u1")->manual, Names{"marketing"});
  EXPECT_EQ(roles("u1"), (Names{"Crm.Editor", "Crm.Viewer"}));
  EXPECT_EQ(user("u2")->manual, Names{"marketing"});
  Json j = body_of(call("GET", "/scim/v2/Groups/marketing"));
  ASSERT_EQ(j["members"].size(), 2u);
  EXPECT_EQ(j["members"][0]["value"], "u1");
  EXPECT_EQ(j["members"][1]["value"], "u2");

  // Entra ID's two remove forms.
  r = call("PATCH", "/scim/v2/Groups/marketing",
           patch_body(R"([{"op": "Remove", "path": "members[value eq \"u1\"]"}])"));
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(user("u1")->manual, Names{});
  EXPECT_EQ(roles("u1"), Names{"Crm.Viewer"});  // the mapped membership stays
  r = call("PATCH", "/scim/v2/Groups/marketing",
           patch_body(R"([{"op": "remove", "path": "members", "value": [{"value": "u2"}]}])"));
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(user("u2")->manual, Names{});
  EXPECT_EQ(body_of(call("GET", "/scim/v2/Groups/marketing"))["members"], Json::array());
}

TEST_F(ScimRoutesTest, PatchGroupWithoutPathAddsMembersAndIgnoresOtherAttributes) {
  ASSERT_EQ(post_user("u3").status, 201);
  const HttpResponse r = call("PATCH", "/scim/v2/Groups/hr",
                              patch_body(R"([{"op": "add", "value": {"members": [{"value": "u3"}], "externalId": "x"}},
                                             {"op": "replace", "value": {"id": "hr", "displayName": "hr"}}])"));
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(user("u3")->manual, Names{"hr"});
  EXPECT_EQ(roles("u3"), Names{"Hr.Admin"});
}

TEST_F(ScimRoutesTest, RemovingANonMemberSucceedsAndCreatesNobody) {
  const HttpResponse r = call("PATCH", "/scim/v2/Groups/hr",
                              patch_body(R"([{"op": "remove", "path": "members[value eq \"ghost\"]"}])"));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_FALSE(user("ghost").has_value());
  EXPECT_EQ(engine_.user_count(), 0u);
}

TEST_F(ScimRoutesTest, AFailedGroupPatchChangesNothing) {
  login("u1", R"(["g-read"])");
  ASSERT_TRUE(engine_.process(R"({"type":"assign","provider":"entra","subject":"u1","group":"hr"})").ok());
  const std::string before = engine_.export_state();
  const std::string add_u1 = R"({"op": "add", "path": "members", "value": [{"value": "u1"}]})";
  expect_error(call("PATCH", "/scim/v2/Groups/nope", patch_body("[" + add_u1 + "]")), 404, "");
  expect_error(call("PATCH", "/scim/v2/Groups/marketing",
                    patch_body("[" + add_u1 + R"(, {"op": "add", "path": "members", "value": [{"value": 5}]}])")),
               400, "invalidValue");
  expect_error(call("PATCH", "/scim/v2/Groups/marketing",
                    patch_body("[" + add_u1 + R"(, {"op": "add", "path": "members", "value": [{"display": "x"}]}])")),
               400, "invalidValue");
  expect_error(call("PATCH", "/scim/v2/Groups/marketing",
                    patch_body("[" + add_u1 + R"(, {"op": "replace", "path": "members", "value": []}])")),
               400, "invalidValue");
  expect_error(call("PATCH", "/scim/v2/Groups/hr", patch_body(R"([{"op": "remove", "path": "members"}])")), 400,
               "invalidValue");
  expect_error(call("PATCH", "/scim/v2/Groups/marketing",
                    patch_body("[" + add_u1 + R"(, {"op": "remove", "path": "members[display eq \"u1\"]"}])")),
               400, "invalidPath");
  expect_error(call("PATCH", "/scim/v2/Groups/marketing",
                    patch_body("[" + add_u1 + R"(, {"op": "remove", "path": "members[value sw \"u\"]"}])")),
               400, "invalidFilter");
  expect_error(call("PATCH", "/scim/v2/Groups/marketing",
                    patch_body("[" + add_u1 + R"(, {"op": "replace", "path": "displayName", "value": "sales"}])")),
               400, "mutability");
  expect_error(call("PATCH", "/scim/v2/Groups/marketing",
                    patch_body("[" + add_u1 + R"(, {"op": "copy", "path": "members"}])")),
               400, "invalidSyntax");
  EXPECT_EQ(engine_.export_state(), before);
  EXPECT_EQ(user("u1")->manual, Names{"hr"});
}

// All or nothing for groups: a member who is not a user of P is refused
// with the whole request, before any assign reaches the engine.
TEST_F(ScimRoutesTest, AGroupPatchNamingAnUnknownMemberAppliesNothing) {
  login("u1", R"(["g-read"])");
  ASSERT_EQ(post_user("u2").status, 201);
  const std::string before = engine_.export_state();
  const std::string events = event_counts();
  expect_error(call("PATCH", "/scim/v2/Groups/marketing", patch_body(R"([
      {"op": "add", "path": "members", "value": [{"value": "u1"}]},
      {"op": "add", "path": "members", "value": [{"value": "u2"}, {"value": "ghost"}]}])")),
               400, "invalidValue");
  expect_error(call("PATCH", "/scim/v2/Groups/marketing", patch_body(R"([
      {"op": "add", "value": {"members": [{"value": "u1"}, {"value": "ghost"}]}}])")),
               400, "invalidValue");
  // A filter path is for remove only; add names its members in a value.
  expect_error(call("PATCH", "/scim/v2/Groups/marketing", patch_body(R"([
      {"op": "add", "path": "members", "value": [{"value": "u1"}]},
      {"op": "add", "path": "members[value eq \"u2\"]", "value": {"value": "u2"}}])")),
               400, "invalidPath");
  expect_error(call("PATCH", "/scim/v2/Groups/marketing", patch_body(R"([
      {"op": "add", "path": "members", "value": [{"value": "u1"}]},
      {"op": "remove", "path": "members[value eq \"u2\"].display"}])")),
               400, "invalidPath");
  EXPECT_EQ(engine_.export_state(), before);
  EXPECT_EQ(event_counts(), events);
  EXPECT_FALSE(user("ghost").has_value());
  EXPECT_EQ(user("u1")->manual, Names{});
  EXPECT_EQ(roles("u1"), Names{"Crm.Viewer"});
}

// The operations of one request act in the order given: an add then a
// remove of the same member leaves it out; each assign is its own push.
TEST_F(ScimRoutesTest, AGroupPatchAppliesEveryOperationInOrder) {
  for (const char* s : {"u1", "u2", "u3"}) ASSERT_EQ(post_user(s).status, 201);
  const HttpResponse r = call("PATCH", "/scim/v2/Groups/hr", patch_body(R"([
      {"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}, {"value": "u3"}]},
      {"op": "Remove", "path": "Members[Value EQ \"u2\"]"},
      {"op": "remove", "path": "members", "value": [{"value": "u3"}]},
      {"op": "add", "path": "members", "value": {"value": "u3"}},
      {"op": "replace", "path": "displayName", "value": "hr"}])"));
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(user("u1")->manual, Names{"hr"});
  EXPECT_EQ(user("u2")->manual, Names{});
  EXPECT_EQ(user("u3")->manual, Names{"hr"});
  const Json j = body_of(call("GET", "/scim/v2/Groups/hr"));
  ASSERT_EQ(j["members"].size(), 2u) << j.dump();
  EXPECT_EQ(j["members"][0]["value"], "u1");
  EXPECT_EQ(j["members"][1]["value"], "u3");
  // Three users posted, then three assigns, one unassign, one assign.
  const std::string events = event_counts();
  EXPECT_NE(events.find("claimmap_events_total{cause=\"assign\"} 4"), std::string::npos) << events;
  EXPECT_NE(events.find("claimmap_events_total{cause=\"unassign\"} 2"), std::string::npos) << events;
}

TEST_F(ScimRoutesTest, GroupsAreNotCreatedOrDeletedBySCIM) {
  expect_error(call("POST", "/scim/v2/Groups", R"({"displayName": "new"})"), 501, "");
  expect_error(call("DELETE", "/scim/v2/Groups/hr"), 501, "");
  EXPECT_TRUE(engine_.config().has_group("hr"));
}

// ---- discovery ----

TEST_F(ScimRoutesTest, ServiceProviderConfigSaysWhatIsSupported) {
  const HttpResponse r = call("GET", "/scim/v2/ServiceProviderConfig");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/scim+json");
  const Json j = body_of(r);
  EXPECT_EQ(j["schemas"], Json::array({"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}));
  EXPECT_EQ(j["patch"]["supported"], true);
  EXPECT_EQ(j["bulk"]["supported"], false);
  EXPECT_EQ(j["filter"]["supported"], true);
  EXPECT_EQ(j["filter"]["maxResults"], 200);
  EXPECT_EQ(j["changePassword"]["supported"], false);
  EXPECT_EQ(j["sort"]["supported"], false);
  EXPECT_EQ(j["etag"]["supported"], false);
  ASSERT_EQ(j["authenticationSchemes"].size(), 1u);
  EXPECT_EQ(j["authenticationSchemes"][0]["type"], "oauthbearertoken");
  EXPECT_EQ(j["meta"]["resourceType"], "ServiceProviderConfig");
  EXPECT_EQ(j["meta"]["location"], std::string(kBase) + "/ServiceProviderConfig");
}

// RFC 7643 §5: every sub-attribute a ServiceProviderConfig must have, and
// the authentication scheme's required type, name and description.
TEST_F(ScimRoutesTest, ServiceProviderConfigHasEveryRequiredAttribute) {
  const Json j = body_of(call("GET", "/scim/v2/ServiceProviderConfig"));
  for (const char* feature : {"patch", "bulk", "filter", "changePassword", "sort", "etag"}) {
    ASSERT_TRUE(j.contains(feature)) << feature;
    EXPECT_TRUE(j[feature]["supported"].is_boolean()) << feature;
  }
  EXPECT_EQ(j["bulk"]["maxOperations"], 0);
  EXPECT_EQ(j["bulk"]["maxPayloadSize"], 0);
  const Json& scheme = j["authenticationSchemes"][0];
  for (const char* member : {"type", "name", "description"}) {
    EXPECT_TRUE(scheme[member].is_string() && !scheme[member].get<std::string>().empty()) << member;
  }
  EXPECT_EQ(scheme["specUri"], "https://www.rfc-editor.org/info/rfc6750");
  // Only the sub-attributes RFC 7643 §5 defines.
  for (auto it = scheme.begin(); it != scheme.end(); ++it) {
    EXPECT_TRUE(it.key() == "type" || it.key() == "name" || it.key() == "description" || it.key() == "specUri" ||
                it.key() == "documentationUri")
        << it.key();
  }
  EXPECT_FALSE(j.contains("id"));  // the configuration is not a resource with an id
}

// RFC 7643 §6 and §7: a ResourceType's required attributes, and each
// attribute definition's characteristics — those of the resources served.
TEST_F(ScimRoutesTest, ResourceTypesAndSchemasHaveTheirRequiredAttributes) {
  for (const char* id : {"User", "Group"}) {
    const Json t = body_of(call("GET", std::string("/scim/v2/ResourceTypes/") + id));
    EXPECT_EQ(t["schemas"], Json::array({"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}));
    EXPECT_EQ(t["id"], id);
    EXPECT_EQ(t["name"], id);
    EXPECT_TRUE(t["description"].is_string());
    EXPECT_EQ(t["schemaExtensions"], Json::array());
    EXPECT_EQ(t["meta"]["resourceType"], "ResourceType");
    EXPECT_EQ(t["meta"]["location"], std::string(kBase) + "/ResourceTypes/" + id);
  }
  const Json list = body_of(call("GET", "/scim/v2/Schemas"));
  std::function<void(const Json&, const std::string&)> check_attribute = [&](const Json& a, const std::string& at) {
    for (const char* member : {"name", "type", "description", "mutability", "returned"}) {
      EXPECT_TRUE(a[member].is_string()) << at << " " << member;
    }
    EXPECT_TRUE(a["multiValued"].is_boolean()) << at;
    EXPECT_TRUE(a["required"].is_boolean()) << at;
    const std::string type = a["type"];
    if (type == "string" || type == "reference") EXPECT_TRUE(a["caseExact"].is_boolean()) << at;
    if (type == "reference") EXPECT_TRUE(a["referenceTypes"].is_array()) << at;
    EXPECT_EQ(type == "complex", a.contains("subAttributes")) << at;
    if (a.contains("subAttributes")) {
      for (const Json& sub : a["subAttributes"]) check_attribute(sub, at + "." + sub["name"].get<std::string>());
    }
  };
  for (const Json& schema : list["Resources"]) {
    EXPECT_EQ(schema["schemas"], Json::array({"urn:ietf:params:scim:schemas:core:2.0:Schema"}));
    EXPECT_EQ(schema["meta"]["resourceType"], "Schema");
    EXPECT_EQ(schema["meta"]["location"], std::string(kBase) + "/Schemas/" + schema["id"].get<std::string>());
    for (const Json& a : schema["attributes"]) check_attribute(a, a["name"]);
  }
  // User.groups declares each sub-attribute a User's groups carry, "type"
  // with its canonical values.
  Names subs;
  for (const Json& sub : list["Resources"][0]["attributes"][2]["subAttributes"]) subs.push_back(sub["name"]);
  EXPECT_EQ(subs, (Names{"value", "$ref", "display", "type"}));
  EXPECT_EQ(list["Resources"][0]["attributes"][2]["subAttributes"][3]["canonicalValues"],
            Json::array({"direct", "indirect"}));
}

TEST_F(ScimRoutesTest, ResourceTypesAndSchemasDescribeUsersAndGroups) {
  Json j = body_of(call("GET", "/scim/v2/ResourceTypes"));
  EXPECT_EQ(j["schemas"], Json::array({kListSchema}));
  EXPECT_EQ(j["totalResults"], 2);
  ASSERT_EQ(j["Resources"].size(), 2u);
  EXPECT_EQ(j["Resources"][0]["id"], "User");
  EXPECT_EQ(j["Resources"][0]["endpoint"], "/Users");
  EXPECT_EQ(j["Resources"][0]["schema"], kUserSchema);
  EXPECT_EQ(j["Resources"][1]["endpoint"], "/Groups");
  EXPECT_EQ(body_of(call("GET", "/scim/v2/ResourceTypes/Group"))["schema"], kGroupSchema);
  expect_error(call("GET", "/scim/v2/ResourceTypes/Device"), 404, "");

  j = body_of(call("GET", "/scim/v2/Schemas"));
  EXPECT_EQ(j["totalResults"], 2);
  EXPECT_EQ(j["Resources"][0]["id"], kUserSchema);
  std::vector<std::string> names;
  for (const Json& a : j["Resources"][0]["attributes"]) names.push_back(a["name"]);
  EXPECT_EQ(names, (Names{"userName", "active", "groups"}));
  const HttpResponse one = call("GET", std::string("/scim/v2/Schemas/") + kGroupSchema);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(body_of(one)["attributes"][1]["name"], "members");
  expect_error(call("POST", "/scim/v2/Schemas", "{}"), 501, "");
}

// ---- the edges ----

TEST_F(ScimRoutesTest, WithoutTheTokenNothingHappens) {
  login("u1", R"(["g-mkt"])");
  const std::string before = engine_.export_state();
  HttpResponse r = call("POST", "/scim/v2/Users", R"({"userName": "intruder"})", "application/scim+json", false);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.content_type, "application/scim+json");
  r = call("PATCH", "/scim/v2/Users/u1", patch_body(R"([{"op": "replace", "path": "active", "value": false}])"),
           "application/scim+json", false);
  EXPECT_EQ(r.status, 401);
  r = call("DELETE", "/scim/v2/Users/u1", "", "", false);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(engine_.export_state(), before);
}

TEST_F(ScimRoutesTest, WithoutAScimProviderEveryScimRouteIs404) {
  ServerApp off(engine_, ServerSettings{kToken, ""});
  for (const char* path : {"/scim/v2/Users", "/scim/v2/Users/u1", "/scim/v2/Groups", "/scim/v2/ServiceProviderConfig"}) {
    HttpRequest r;
    r.method = "GET";
    r.path = path;
    r.authorization = std::string("Bearer ") + kToken;
    expect_error(off.handle(r), 404, "");
  }
  HttpRequest post;
  post.method = "POST";
  post.path = "/scim/v2/Users";
  post.authorization = std::string("Bearer ") + kToken;
  post.body = R"({"userName": "x"})";
  expect_error(off.handle(post), 404, "");
  EXPECT_EQ(engine_.user_count(), 0u);
}

TEST_F(ScimRoutesTest, UnknownEndpointsAndMethods) {
  expect_error(call("GET", "/scim/v2"), 404, "");
  expect_error(call("GET", "/scim/v2/Devices"), 404, "");
  expect_error(call("POST", "/scim/v2/Bulk", "{}"), 501, "");
  // A method the endpoint does not take: 501 (RFC 7644 §3.12), saying
  // which it does take.
  const HttpResponse r = call("DELETE", "/scim/v2/Users");
  expect_error(r, 501, "");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(r.headers[0].second, "GET, POST");
}

TEST_F(ScimRoutesTest, ScimWritesAreCountedAsEvents) {
  ASSERT_EQ(post_user("u9").status, 201);
  ASSERT_EQ(call("PATCH", "/scim/v2/Users/u9", patch_body(R"([{"op": "replace", "path": "active", "value": false}])")).status,
            200);
  const std::string text = app_.metrics().to_text(engine_);
  EXPECT_NE(text.find("claimmap_events_total{cause=\"resume\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("claimmap_events_total{cause=\"suspend\"} 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace claimmap::server
