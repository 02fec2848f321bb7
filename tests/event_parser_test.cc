// docs/spec.md §3 and §8: how a line is told apart, and every error code with its
// order of precedence. A bad line never changes state.
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace claimmap {
namespace {

using testing::EngineHarness;
using testing::entra_login;

std::string code_of(const Delta& d) { return std::string(error_code_name(d.error.code())); }

TEST(EventParser, BareTokenFindsProviderByIss) {
  EngineHarness h;
  Delta d = h.run(entra_login("u1", R"(["g-mkt"])"));
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kOk);
  EXPECT_EQ(d.cause, claimmap::Cause::kLogin);
  EXPECT_EQ(d.provider, "entra");
  EXPECT_EQ(d.subject, "u1");
}

TEST(EventParser, EnvelopeNamesProviderAndTypeMayBeOmitted) {
  EngineHarness h;
  EXPECT_EQ(h.run(R"({"type": "login", "provider": "kc", "claims": {"sub": "a"}})").status, claimmap::DeltaStatus::kOk);
  EXPECT_EQ(h.run(R"({"provider": "kc", "claims": {"sub": "b"}})").status, claimmap::DeltaStatus::kOk);
}

TEST(EventParser, EnvelopeWithoutProviderUsesClaimsIss) {
  EngineHarness h;
  Delta d = h.run(R"({"claims": {"iss": "https://kc.example/realms/corp", "sub": "a"}})");
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kOk);
  EXPECT_EQ(d.provider, "kc");
}

TEST(EventParser, EnvelopeMembersOtherThanNamedAreIgnored) {
  EngineHarness h;
  EXPECT_EQ(h.run(R"({"provider": "kc", "claims": {"sub": "a"}, "received_at": 5, "trace": {"x": 1}})").status, claimmap::DeltaStatus::kOk);
}

TEST(EventParser, EnvelopeProviderMustMatchTokenIssuer) {
  EngineHarness h;
  // A kc token presented as entra's: refused, never evaluated against entra's mappings.
  Delta d = h.run(R"({"provider": "entra", "claims": {"iss": "https://kc.example/realms/corp", "oid": "a", "groups": ["g-mkt"]}})");
  EXPECT_EQ(code_of(d), "unknown_provider");
  EXPECT_EQ(h.engine().user_count(), 0u);
}

TEST(EventParser, MalformedJson) {
  EngineHarness h;
  for (const char* line : {"{\"a\": 1", "{\"a\" 1}", "{\"a\": tru}", "{\"a\": 01}", "{\"a\": 1,}", "{\"a\": \"\\x\"}",
                           "{\"a\": 1} x", "{\"a\": 1}}", "nul", "{\"a\": 1.}", "{\"a\": -}"}) {
    Delta d = h.run(line);
    EXPECT_EQ(code_of(d), "malformed_json") << line;
    EXPECT_TRUE((d.cause == claimmap::Cause::kUnknown)) << line;
  }
}

TEST(EventParser, InvalidUtf8IsMalformedJson) {
  EngineHarness h;
  EXPECT_EQ(code_of(h.run("{\"oid\": \"\xC3\x28\"}")), "malformed_json");
  EXPECT_EQ(code_of(h.run("{\"oid\": \"\xC0\xAF\"}")), "malformed_json");  // overlong encoding of '/'
  EXPECT_EQ(code_of(h.run("{\"oid\": \"\xED\xA0\x80\"}")), "malformed_json");  // encoded surrogate
}

TEST(EventParser, LoneSurrogateEscapeIsMalformedJson) {
  EngineHarness h;
  EXPECT_EQ(code_of(h.run(R"({"oid": "\ud800"})")), "malformed_json");
}

TEST(EventParser, RawControlCharacterInStringIsMalformedJson) {
  EngineHarness h;
  EXPECT_EQ(code_of(h.run(std::string("{\"oid\": \"a\0b\"}", 14))), "malformed_json");
}

TEST(EventParser, DuplicateMemberAtAnyDepth) {
  EngineHarness h;
  for (const char* line : {R"({"a": 1, "a": 2})", R"({"x": {"b": 1, "b": 1}})", R"({"x": [{"c": 1, "c": 2}]})",
                           R"({"provider": "kc", "claims": {"sub": "a", "sub": "b"}})",
                           R"({"oid": "a", "\u006fid": "b"})"}) {
    EXPECT_EQ(code_of(h.run(line)), "duplicate_claim") << line;
  }
  EXPECT_EQ(h.engine().user_count(), 0u);
}

// Keys of one length with the same first and last bytes look alike to the
// duplicate check's first filter: only a full compare tells them apart.
TEST(EventParser, LookalikeKeysAreNotDuplicatesButLookalikeDuplicatesAre) {
  EngineHarness h;
  const std::string distinct = R"({"oid": "u1", "iss": "https://login.example/t/v2.0", "axc": 1, "abc": 2, "aac": 3, "": 4, "a": 5, "b": 6})";
  EXPECT_EQ(h.run(distinct).status, claimmap::DeltaStatus::kOk);
  for (const char* line : {R"({"oid": "u1", "axc": 1, "abc": 2, "axc": 3})", R"({"oid": "u1", "": 1, "a": 2, "": 3})",
                           R"({"oid": "u1", "exp": 1, "iat": 2, "jti": 3, "aud": 4, "sub": 5, "typ": 6, "azp": 7, "iat": 8})"}) {
    EXPECT_EQ(code_of(h.run(line)), "duplicate_claim") << line;
  }
}

TEST(EventParser, DuplicateDetectedInLargeObjects) {
  EngineHarness h;
  std::string line = "{";
  for (int i = 0; i < 100; ++i) line += "\"k" + std::to_string(i) + "\": 1, ";
  line += "\"k57\": 2}";
  EXPECT_EQ(code_of(h.run(line)), "duplicate_claim");
}

TEST(EventParser, NotAnObject) {
  EngineHarness h;
  for (const char* line : {"[1, 2]", "\"token\"", "42", "true", "null"}) {
    EXPECT_EQ(code_of(h.run(line)), "not_an_object") << line;
  }
}

TEST(EventParser, InvalidEvent) {
  EngineHarness h;
  EXPECT_EQ(code_of(h.run(R"({"claims": "x"})")), "invalid_event");
  EXPECT_EQ(code_of(h.run(R"({"type": "login", "provider": "kc"})")), "invalid_event");
  EXPECT_EQ(code_of(h.run(R"({"type": 5})")), "invalid_event");
  EXPECT_EQ(code_of(h.run(R"({"type": "assign", "provider": "kc", "subject": "a"})")), "invalid_event");
  EXPECT_EQ(code_of(h.run(R"({"type": "grant", "provider": "kc", "subject": "a", "role": 3})")), "invalid_event");
  EXPECT_EQ(code_of(h.run(R"({"type": "suspend", "subject": "a"})")), "invalid_event");
}

TEST(EventParser, UnknownEventType) {
  EngineHarness h;
  EXPECT_EQ(code_of(h.run(R"({"type": "frobnicate", "provider": "kc", "subject": "a"})")), "unknown_event_type");
  EXPECT_EQ(code_of(h.run(R"({"type": "refresh", "provider": "kc", "claims": {"sub": "a"}})")), "unknown_event_type");
}

TEST(EventParser, UnknownProvider) {
  EngineHarness h;
  EXPECT_EQ(code_of(h.run(R"({"iss": "https://evil.example", "oid": "a"})")), "unknown_provider");
  EXPECT_EQ(code_of(h.run(R"({"oid": "a", "groups": ["g-mkt"]})")), "unknown_provider");
  EXPECT_EQ(code_of(h.run(R"({"provider": "okta", "claims": {"sub": "a"}})")), "unknown_provider");
  EXPECT_EQ(code_of(h.run(R"({"type": "assign", "provider": "okta", "subject": "a", "group": "hr"})")),
            "unknown_provider");
}

TEST(EventParser, MissingSubject) {
  EngineHarness h;
  for (const char* subject : {"", R"("oid": "", )", R"("oid": 1.5, )", R"("oid": 1e3, )", R"("oid": true, )",
                              R"("oid": null, )", R"("oid": ["a"], )", R"("oid": {"v": "a"}, )"}) {
    const std::string line = std::string(R"({"iss": "https://login.example/t/v2.0", )") + subject + R"("x": 1})";
    Delta d = h.run(line);
    EXPECT_EQ(code_of(d), "missing_subject") << line;
    EXPECT_EQ(d.provider, "entra");
  }
  EXPECT_EQ(code_of(h.run(R"({"type": "grant", "provider": "kc", "subject": "", "role": "Hr.Admin"})")),
            "missing_subject");
  EXPECT_EQ(code_of(h.run(R"({"type": "grant", "provider": "kc", "subject": 7, "role": "Hr.Admin"})")),
            "missing_subject");
  EXPECT_EQ(h.engine().user_count(), 0u);
}

TEST(EventParser, IntegerSubjectGivesItsLiteralText) {
  EngineHarness h;
  EXPECT_EQ(h.run(R"({"provider": "kc", "claims": {"sub": 1000}})").subject, "1000");
  EXPECT_EQ(h.run(R"({"provider": "kc", "claims": {"sub": -7}})").subject, "-7");
}

TEST(EventParser, UnknownUserGroupAndRole) {
  EngineHarness h;
  EXPECT_EQ(code_of(h.run(R"({"type": "delete", "provider": "kc", "subject": "ghost"})")), "unknown_user");
  EXPECT_EQ(code_of(h.run(R"({"type": "assign", "provider": "kc", "subject": "a", "group": "nope"})")), "unknown_group");
  EXPECT_EQ(code_of(h.run(R"({"type": "revoke", "provider": "kc", "subject": "a", "role": "Nope"})")), "unknown_role");
  EXPECT_EQ(h.engine().user_count(), 0u);  // a bad push creates no user
}

TEST(EventParser, PrecedenceFollowsSpecOrder) {
  EngineHarness h;
  // malformed beats duplicate; duplicate beats not_an_object; invalid_event beats unknown_event_type.
  EXPECT_EQ(code_of(h.run(R"({"a": 1, "a": 2)")), "malformed_json");
  EXPECT_EQ(code_of(h.run(R"([{"a": 1, "a": 2}])")), "duplicate_claim");
  EXPECT_EQ(code_of(h.run(R"({"type": "bogus", "claims": 3})")), "invalid_event");
  // unknown_provider beats missing_subject; missing_subject beats unknown_group.
  EXPECT_EQ(code_of(h.run(R"({"type": "assign", "provider": "x", "group": "nope"})")), "unknown_provider");
  EXPECT_EQ(code_of(h.run(R"({"type": "assign", "provider": "kc", "group": "nope"})")), "missing_subject");
}

TEST(EventParser, EventTooLarge) {
  Engine engine(testing::must_load(testing::kBaseConfig), EngineOptions{.max_line_bytes = 100});
  std::string line = R"({"provider": "kc", "claims": {"sub": "a", "pad": ")" + std::string(200, 'x') + "\"}}";
  Delta d = engine.process(line, 1);
  EXPECT_EQ(d.error.code(), ErrorCode::kEventTooLarge);
  // event_too_large beats malformed_json.
  EXPECT_EQ(engine.process(std::string(150, '{'), 2).error.code(), ErrorCode::kEventTooLarge);
}

TEST(EventParser, DeepNestingIsRefusedNotCrashed) {
  EngineHarness h;
  std::string line = "{\"oid\": \"a\", \"x\": " + std::string(10000, '[') + std::string(10000, ']') + "}";
  EXPECT_EQ(code_of(h.run(line)), "malformed_json");
}

TEST(EventParser, ErrorLineCarriesProviderAndSubjectWhereKnown) {
  EngineHarness h;
  EXPECT_EQ(h.line(R"({"type": "assign", "provider": "kc", "subject": "a", "group": "nope"})"),
            R"({"seq": 1, "cause": "assign", "provider": "kc", "subject": "a", "status": "error", "error": {"code": "unknown_group", "message": "no group \"nope\""}})"
            "\n");
  EXPECT_EQ(h.line("[]"),
            R"({"seq": 2, "status": "error", "error": {"code": "not_an_object", "message": "the line is a JSON array, not an object"}})"
            "\n");
}

TEST(EventParser, TokenWithTypeClaimIsReadAsPush) {
  EngineHarness h;
  // docs/spec.md §3: a token with a claim named "type" must come in an envelope.
  EXPECT_EQ(code_of(h.run(R"({"iss": "https://login.example/t/v2.0", "oid": "a", "type": "user"})")),
            "unknown_event_type");
  EXPECT_EQ(h.run(R"({"provider": "entra", "claims": {"oid": "a", "type": "user"}})").status, claimmap::DeltaStatus::kOk);
}

}  // namespace
}  // namespace claimmap

namespace claimmap {
namespace {

// Engine::push (a push given as values, what the server's SCIM routes send)
// gives exactly the result of the same push as a line, errors included, and
// leaves the same state.
TEST(TypedPush, SameResultAsThePushLine) {
  testing::EngineHarness by_line, by_value;
  struct Case {
    Push push;
    std::string line;
  };
  const std::vector<Case> cases = {
      {{Cause::kAssign, "entra", "u1", "hr", ""}, R"({"type": "assign", "provider": "entra", "subject": "u1", "group": "hr"})"},
      {{Cause::kGrant, "entra", "u1", "", "Ops.Pager"}, R"({"type": "grant", "provider": "entra", "subject": "u1", "role": "Ops.Pager"})"},
      {{Cause::kSuspend, "entra", "u1", "", ""}, R"({"type": "suspend", "provider": "entra", "subject": "u1"})"},
      {{Cause::kResume, "entra", "u1", "", ""}, R"({"type": "resume", "provider": "entra", "subject": "u1"})"},
      {{Cause::kUnassign, "entra", "u1", "hr", ""}, R"({"type": "unassign", "provider": "entra", "subject": "u1", "group": "hr"})"},
      {{Cause::kRevoke, "entra", "u1", "", "Ops.Pager"}, R"({"type": "revoke", "provider": "entra", "subject": "u1", "role": "Ops.Pager"})"},
      {{Cause::kAssign, "entra", "u2", "no-such", ""}, R"({"type": "assign", "provider": "entra", "subject": "u2", "group": "no-such"})"},
      {{Cause::kGrant, "entra", "u2", "", "No.Role"}, R"({"type": "grant", "provider": "entra", "subject": "u2", "role": "No.Role"})"},
      {{Cause::kAssign, "nope", "u2", "hr", ""}, R"({"type": "assign", "provider": "nope", "subject": "u2", "group": "hr"})"},
      {{Cause::kAssign, "entra", "", "hr", ""}, R"({"type": "assign", "provider": "entra", "subject": "", "group": "hr"})"},
      {{Cause::kUnassign, "entra", "ghost", "hr", ""}, R"({"type": "unassign", "provider": "entra", "subject": "ghost", "group": "hr"})"},
      {{Cause::kDelete, "entra", "u1", "", ""}, R"({"type": "delete", "provider": "entra", "subject": "u1"})"},
  };
  uint64_t seq = 0;
  for (const Case& c : cases) {
    ++seq;
    std::string from_line, from_value;
    append_ndjson(by_line.engine().process(c.line, seq), &from_line);
    append_ndjson(by_value.engine().push(c.push, seq), &from_value);
    EXPECT_EQ(from_value, from_line) << c.line;
    EXPECT_EQ(by_value.engine().export_state(), by_line.engine().export_state()) << c.line;
  }
  const Delta login = by_value.engine().push(Push{Cause::kLogin, "entra", "u3", "", ""});
  EXPECT_EQ(login.error.code(), ErrorCode::kInvalidEvent);
  EXPECT_EQ(by_value.engine().user_count(), by_line.engine().user_count());
}

}  // namespace
}  // namespace claimmap
