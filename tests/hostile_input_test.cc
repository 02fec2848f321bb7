// The hostile-input catalogue: what an attacker, a broken IdP or a
// damaged file can put in front of the engine, each with its exact result.
// The rules behind these results: docs/spec.md §2-§8, and docs/semantics.md
// ("Hostile input") where the spec is silent. A bad line never changes state,
// so every error case below also checks the exported state before and after.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "claimmap/stream.h"
#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

constexpr const char* kEntraIss = "https://login.example/t/v2.0";

// Timing bounds are loose under the sanitizers (make asan), which slow the engine 3-10x.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif
constexpr const char* kKcIss = "https://kc.example/realms/corp";

// kBaseConfig plus groups and mappings that the catalogue aims at. Every added
// mapping is on entra (scope prod) so that each value has a group of its own.
std::string hostile_config() {
  std::string config = kBaseConfig;
  const std::string groups = R"(
    {"id": "admins", "stage": "prod", "roles": ["Hr.Admin"]},
    {"id": "n-exp", "stage": "prod", "roles": []}, {"id": "n-hundred", "stage": "prod", "roles": []},
    {"id": "n-fraction", "stage": "prod", "roles": []}, {"id": "n-negzero", "stage": "prod", "roles": []},
    {"id": "n-zero", "stage": "prod", "roles": []}, {"id": "n-huge", "stage": "prod", "roles": []},
    {"id": "u-nfc", "stage": "prod", "roles": []}, {"id": "u-nfd", "stage": "prod", "roles": []},
    {"id": "u-emoji", "stage": "prod", "roles": []}, {"id": "u-nul", "stage": "prod", "roles": []},)";
  const std::string mappings = R"(
    {"id": "m-admins", "provider": "entra", "claim": "groups", "value": "Admins", "group": "admins"},
    {"id": "m-n1", "provider": "entra", "claim": "num", "value": "1e2", "group": "n-exp"},
    {"id": "m-n2", "provider": "entra", "claim": "num", "value": "100", "group": "n-hundred"},
    {"id": "m-n3", "provider": "entra", "claim": "num", "value": "100.0", "group": "n-fraction"},
    {"id": "m-n4", "provider": "entra", "claim": "num", "value": "-0", "group": "n-negzero"},
    {"id": "m-n5", "provider": "entra", "claim": "num", "value": "0", "group": "n-zero"},
    {"id": "m-n6", "provider": "entra", "claim": "num", "value": "18446744073709551616", "group": "n-huge"},
    {"id": "m-nfc", "provider": "entra", "claim": "r\u00f4le", "value": "Z\u00fcrich", "group": "u-nfc"},
    {"id": "m-nfd", "provider": "entra", "claim": "ro\u0302le", "value": "Zu\u0308rich", "group": "u-nfd"},
    {"id": "m-emoji", "provider": "entra", "claim": "groups", "value": "\ud83d\ude00", "group": "u-emoji"},
    {"id": "m-nul", "provider": "entra", "claim": "groups", "value": "nul\u0000byte", "group": "u-nul"},)";
  config.insert(config.find("\"groups\": [") + 11, groups);
  config.insert(config.find("\"mappings\": [") + 13, mappings);
  return config;
}

std::string code_of(const Delta& d) { return d.ok() ? "" : std::string(error_code_name(d.error.code())); }

// An engine on the hostile config whose every call checks the catalogue's
// rules: an error line leaves the state exactly as it was.
class Hostile {
 public:
  Hostile() : h_(hostile_config()) {}

  // Runs a line that must fail with `code`.
  Delta error(const std::string& line, const std::string& code) {
    const std::string before = h_.engine().export_state();
    Delta d = h_.run(line);
    EXPECT_EQ(d.status, claimmap::DeltaStatus::kError) << line.substr(0, 300);
    EXPECT_EQ(code_of(d), code) << line.substr(0, 300) << "\n" << d.error.message();
    EXPECT_EQ(h_.engine().export_state(), before) << line.substr(0, 300);
    return d;
  }

  // Runs a login of a new user that must succeed, and returns the groups it got.
  Names groups(const std::string& line) {
    Delta d = h_.run(line);
    EXPECT_EQ(d.status, claimmap::DeltaStatus::kOk) << line.substr(0, 300) << "\n" << d.error.message();
    EXPECT_TRUE(d.new_user) << line.substr(0, 300);
    return d.groups_added;
  }

  // An entra token for a fresh subject with `claims` (members, comma-led or empty).
  std::string entra(const std::string& claims) {
    return std::string(R"({"iss": ")") + kEntraIss + R"(", "oid": "u)" + std::to_string(++subject_) + "\"" + claims +
           "}";
  }
  // A SAML assertion's attributes for a fresh subject, in an envelope.
  std::string adfs(const std::string& claims) {
    return R"({"provider": "adfs", "claims": {"sub": "s)" + std::to_string(++subject_) + "\"" + claims + "}}";
  }

  Engine& engine() { return h_.engine(); }
  EngineHarness& harness() { return h_; }

 private:
  EngineHarness h_;
  int subject_ = 0;
};

// Runs `input` through run_stream with in-memory files; returns the output.
std::string eval(Engine& engine, const std::string& input, StreamSummary* summary = nullptr) {
  const int in = ::memfd_create("in", 0), out = ::memfd_create("out", 0);
  EXPECT_EQ(::write(in, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::lseek(in, 0, SEEK_SET);
  StreamSummary local;
  Status s = run_stream(engine, in, out, {}, summary ? summary : &local);
  EXPECT_TRUE(s.ok()) << s.message();
  std::string result(static_cast<size_t>(::lseek(out, 0, SEEK_END)), '\0');
  EXPECT_EQ(::pread(out, result.data(), result.size(), 0), static_cast<ssize_t>(result.size()));
  ::close(in);
  ::close(out);
  return result;
}

// The same through a pipe, written by another thread as a producer would.
std::string eval_pipe(Engine& engine, const std::string& input) {
  int in[2], out[2];
  EXPECT_EQ(::pipe(in), 0);
  EXPECT_EQ(::pipe(out), 0);
  std::thread writer([&] {
    size_t done = 0;
    while (done < input.size()) {
      const ssize_t n = ::write(in[1], input.data() + done, std::min<size_t>(input.size() - done, 100000));
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(in[1]);
  });
  std::string result;
  std::thread reader([&] {
    char buf[65536];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) result.append(buf, static_cast<size_t>(n));
  });
  StreamSummary summary;
  Status s = run_stream(engine, in[0], out[1], {}, &summary);
  EXPECT_TRUE(s.ok()) << s.message();
  ::close(out[1]);
  writer.join();
  reader.join();
  ::close(in[0]);
  ::close(out[0]);
  return result;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// ---------------------------------------------------------------------------
// Duplicate member names (docs/spec.md §8, RFC 7519 §4): parsers that keep the first
// and parsers that keep the last would disagree about the same token.

TEST(HostileInput, DuplicateKeysAtEveryDepth) {
  Hostile t;
  const std::string e = std::string(R"("iss": ")") + kEntraIss + "\"";
  for (const std::string& line : std::vector<std::string>{
           "{" + e + R"(, "oid": "a", "oid": "b"})",                                          // token root
           "{" + e + R"(, "oid": "a", "o\u0069d": "a"})",                                     // same name, escaped
           "{" + e + R"(, "oid": "a", "iat": 1, "iat": 9999999999})",                         // first-wins vs last-wins
           R"({"provider": "kc", "provider": "entra", "claims": {"sub": "a"}})",              // envelope root
           R"({"provider": "kc", "claims": {"sub": "a"}, "claims": {"sub": "b"}})",           // two claims objects
           R"({"provider": "kc", "claims": {"sub": "a", "sub": "a"}})",                       // claims, same value
           R"({"provider": "kc", "claims": {"sub": "a", "realm_access": {"roles": ["admin"], "roles": []}}})",
           "{" + e + R"(, "oid": "a", "groups": [{"x": 1, "x": 1}]})",                        // object in an array
           "{" + e + R"(, "oid": "a", "groups": [[[{"x": {"y": 1, "y": 2}}]]]})",             // deep inside arrays
           "{" + e + R"(, "oid": "a", "_claim_names": {"groups": "s1", "groups": "s2"}})",    // overage names
           R"({"provider": "kc", "claims": {"sub": "a"}, "trace": {"id": 1, "id": 2}})",      // an ignored member
           R"({"type": "assign", "type": "assign", "provider": "kc", "subject": "a", "group": "hr"})",
           R"({"type": "assign", "provider": "kc", "subject": "a", "subject": "b", "group": "hr"})",
           R"([{"a": 1, "a": 2}])",  // duplicate beats not_an_object
       }) {
    t.error(line, "duplicate_claim");
  }
  // A duplicate at depth 500, and in an object too large for the pairwise check.
  std::string deep = "{" + e + R"(, "oid": "a", "x": )";
  for (int i = 0; i < 500; ++i) deep += R"({"k": )";
  deep += R"({"d": 1, "d": 2})" + std::string(500, '}') + "}";
  t.error(deep, "duplicate_claim");
  std::string wide = "{" + e + R"(, "oid": "a", "x": {)";
  for (int i = 0; i < 1000; ++i) wide += "\"k" + std::to_string(i) + "\": 1, ";
  wide += R"("k999": 2}})";
  Delta d = t.error(wide, "duplicate_claim");
  EXPECT_EQ(d.error.message(), R"(member "k999" appears twice in one object)");
  EXPECT_EQ(t.engine().user_count(), 0u);

  // Not duplicates: the same name in sibling objects or at different depths,
  // and names that differ in case.
  EXPECT_EQ(t.groups(t.entra(R"(, "a": {"x": 1}, "b": {"x": 1}, "x": {"x": {"x": 1}}, "Oid": "z")")), Names{});
  // malformed_json beats duplicate_claim, even when the duplicate comes first.
  t.error("{" + e + R"(, "oid": "a", "oid": "b", "x": tru})", "malformed_json");
}

// ---------------------------------------------------------------------------
// Delimiters (docs/spec.md §4 step 3) split only for mappings that declare one.

TEST(HostileInput, DelimiterInsideValueCannotForgeASecondGroup) {
  Hostile t;
  EXPECT_EQ(t.groups(t.entra(R"(, "groups": ["Admins"])")), Names{"admins"});  // the real thing
  for (const char* forged : {R"(["Sales;Admins"])", R"("g-read;Admins")", R"(["g-read,Admins"])", R"(["g-read Admins"])",
                             R"([" Admins"])", R"(["Admins "])", R"(["Admins\t"])", R"(["Admins\n"])", R"(["Admins\r"])",
                             R"(["Admins\u0000"])", R"(["\u0000Admins"])", R"(["admins"])", R"(["ADMINS"])",
                             R"(["Admins;"])", R"(["Admins\u003b"])", R"(["Adm\u0000ins"])", R"(["Admins\u200b"])"}) {
    EXPECT_EQ(t.groups(t.entra(std::string(R"(, "groups": )") + forged)), Names{}) << forged;
  }
  // A mapping with a delimiter splits on the unescaped bytes and trims parts:
  // that is what it asked for (docs/spec.md §4), and it never leaks into other mappings.
  EXPECT_EQ(t.groups(t.adfs(R"(, "memberOf": "CN=Ops;CN=HR")")), (Names{"devs", "hr"}));
  EXPECT_EQ(t.groups(t.adfs(R"(, "memberOf": "CN=Ops\u003bCN=HR")")), (Names{"devs", "hr"}));
  EXPECT_EQ(t.groups(t.adfs(R"(, "memberOf": " CN=Ops ;; ;CN=HR\t")")), (Names{"devs", "hr"}));
  EXPECT_EQ(t.groups(t.adfs(R"(, "memberOf": ["CN=Ops;x", "y;CN=HR"])")), (Names{"devs", "hr"}));
  EXPECT_EQ(t.groups(t.adfs(R"(, "memberOf": "CN=Ops,CN=HR")")), Names{});
  EXPECT_EQ(t.groups(t.adfs(R"(, "memberOf": "CN=Ops\nCN=HR")")), Names{});
  EXPECT_EQ(t.groups(t.adfs(R"(, "memberOf": "CN=Ops\r;CN=HR")")), Names{"hr"});  // only space and tab are trimmed
  EXPECT_EQ(t.groups(t.adfs(R"(, "memberOf": "cn=ops;CN=HR ")")), Names{"hr"});
}

// ---------------------------------------------------------------------------
// A token is evaluated only against the mappings of the IdP that issued it.

TEST(HostileInput, TokenOfOneProviderInAnotherProvidersEnvelope) {
  Hostile t;
  Delta d = t.error(std::string(R"({"provider": "entra", "claims": {"iss": ")") + kKcIss +
                        R"(", "oid": "a", "groups": ["g-mkt"]}})",
                    "unknown_provider");
  EXPECT_EQ(d.error.message(), std::string("token iss \"") + kKcIss + "\" does not match the issuer of provider \"entra\"");
  EXPECT_EQ(d.provider, "");
  t.error(std::string(R"({"provider": "kc", "claims": {"iss": ")") + kEntraIss +
              R"(", "sub": "a", "realm_access": {"roles": ["admin"]}}})",
          "unknown_provider");
  // Issuers compare as exact bytes: no case folding, no trailing-slash games.
  t.error(R"({"provider": "entra", "claims": {"iss": "https://LOGIN.example/t/v2.0", "oid": "a"}})", "unknown_provider");
  t.error(R"({"provider": "entra", "claims": {"iss": "https://login.example/t/v2.0/", "oid": "a"}})", "unknown_provider");
  t.error(R"({"iss": "https://login.example/t/v2.0/", "oid": "a", "groups": ["g-mkt"]})", "unknown_provider");
  // An iss that is there but not a string is not the provider's issuer
  // (docs/semantics.md, Hostile input).
  for (const char* iss : {R"(["https://login.example/t/v2.0"])", R"({"v": "https://login.example/t/v2.0"})", "1",
                          "true"}) {
    d = t.error(std::string(R"({"provider": "entra", "claims": {"iss": )") + iss + R"(, "oid": "a", "groups": ["g-mkt"]}})",
                "unknown_provider");
    EXPECT_EQ(d.error.message(), "token iss is not a string; provider \"entra\" has an issuer") << iss;
    t.error(std::string(R"({"iss": )") + iss + R"(, "oid": "a", "groups": ["g-mkt"]})", "unknown_provider");
  }
  // A provider without an issuer (SAML) must not take a token that carries the
  // issuer of another configured provider.
  d = t.error(std::string(R"({"provider": "adfs", "claims": {"iss": ")") + kEntraIss +
                  R"(", "sub": "a", "memberOf": "CN=Ops"}})",
              "unknown_provider");
  EXPECT_EQ(d.error.message(),
            std::string("token iss \"") + kEntraIss + "\" is the issuer of provider \"entra\", not of \"adfs\"");
  // An iss that names no configured provider, or null, is fine for it.
  EXPECT_EQ(t.groups(R"({"provider": "adfs", "claims": {"iss": "urn:adfs", "sub": "s-a", "memberOf": "CN=Ops"}})"),
            Names{"devs"});
  EXPECT_EQ(t.groups(R"({"provider": "entra", "claims": {"iss": null, "oid": "e-a", "groups": ["g-mkt"]}})"),
            Names{"marketing"});
  // A token's own claims cannot choose the provider: a bare token's
  // "provider" claim is just a claim, and an envelope's outer "iss" is ignored.
  Delta bare = t.harness().run(std::string(R"({"iss": ")") + kKcIss +
                               R"(", "provider": "entra", "sub": "k-a", "oid": "x", "groups": ["g-mkt"]})");
  EXPECT_EQ(bare.provider, "kc");
  EXPECT_EQ(bare.groups_added, Names{});
  Delta outer = t.harness().run(std::string(R"({"iss": ")") + kEntraIss + R"(", "claims": {"iss": ")" + kKcIss +
                                R"(", "sub": "k-b", "oid": "x", "groups": ["g-mkt"]}})");
  EXPECT_EQ(outer.provider, "kc");
  EXPECT_EQ(outer.groups_added, Names{});
  EXPECT_EQ(t.engine().user_count(), 4u);
}

// ---------------------------------------------------------------------------
// Names and values are bytes: no case folding, no Unicode normalisation (docs/spec.md §4).

TEST(HostileInput, ClaimNamesDifferingByCaseOrNormalisationAreDifferentClaims) {
  Hostile t;
  for (const char* claims : {R"(, "Groups": ["g-mkt"])", R"(, "GROUPS": ["g-mkt"])", R"(, "groups ": ["g-mkt"])",
                             R"(, "groups": ["G-MKT"])", R"(, "\u0067roups": ["g-mk\u0054"])"}) {
    EXPECT_EQ(t.groups(t.entra(claims)), Names{}) << claims;
  }
  // Both spellings in one token are two claims, not a duplicate.
  EXPECT_EQ(t.groups(t.entra(R"(, "groups": ["g-read"], "Groups": ["g-mkt"])")), Names{"readers"});
  t.error(std::string(R"({"iss": ")") + kEntraIss + R"(", "OID": "a"})", "missing_subject");

  // rôle/Zürich in NFC (precomposed) and in NFD (combining marks).
  const std::string nfc_claim = "r\xC3\xB4le", nfd_claim = "ro\xCC\x82le";
  const std::string nfc_value = "Z\xC3\xBCrich", nfd_value = "Zu\xCC\x88rich";
  auto claim = [](const std::string& name, const std::string& value) {
    return ", \"" + name + "\": \"" + value + "\"";
  };
  EXPECT_EQ(t.groups(t.entra(claim(nfc_claim, nfc_value))), Names{"u-nfc"});
  EXPECT_EQ(t.groups(t.entra(claim(nfd_claim, nfd_value))), Names{"u-nfd"});
  EXPECT_EQ(t.groups(t.entra(claim(nfc_claim, nfd_value))), Names{});
  EXPECT_EQ(t.groups(t.entra(claim(nfd_claim, nfc_value))), Names{});
  EXPECT_EQ(t.groups(t.entra(claim(nfc_claim, nfc_value) + claim(nfd_claim, nfd_value))), (Names{"u-nfc", "u-nfd"}));
  // A JSON escape is the same bytes as the raw character (docs/spec.md §4: after unescaping).
  EXPECT_EQ(t.groups(t.entra(R"(, "r\u00f4le": "Z\u00fcrich")")), Names{"u-nfc"});
  t.error(t.entra(R"(, "r\u00f4le": "x")" + claim(nfc_claim, nfc_value)), "duplicate_claim");
}

// ---------------------------------------------------------------------------
// Numbers give their literal JSON text (docs/spec.md §4 step 2): 1e2 is not 100.

TEST(HostileInput, NumbersMatchByTheirLiteralText) {
  Hostile t;
  const std::pair<const char*, Names> cases[] = {
      {"1e2", {"n-exp"}},
      {"100", {"n-hundred"}},
      {"100.0", {"n-fraction"}},
      {"-0", {"n-negzero"}},
      {"0", {"n-zero"}},
      {"18446744073709551616", {"n-huge"}},  // 2^64
      {"\"1e2\"", {"n-exp"}},                // a string gives itself
      {"[1e2, 100, \"100.0\"]", {"n-exp", "n-fraction", "n-hundred"}},
      {"1E2", {}},
      {"1e+2", {}},
      {"10e1", {}},
      {"100.00", {}},
      {"-0.0", {}},
      {"0e0", {}},
      {"18446744073709551615", {}},
      {"18446744073709551616.0", {}},
      {"123456789012345678901234567890123456789012345678901234567890", {}},
      {"1e400", {}},
      {"-1e-400", {}},
      {"true", {}},
  };
  for (const auto& [value, expected] : cases) {
    EXPECT_EQ(t.groups(t.entra(std::string(R"(, "num": )") + value)), expected) << value;
  }
  EXPECT_EQ(t.groups(t.entra(R"(, "level": 42)")), Names{"hr"});
  EXPECT_EQ(t.groups(t.entra(R"(, "level": 42.0)")), Names{});
  EXPECT_EQ(t.groups(t.entra(R"(, "level": 4.2e1)")), Names{});
  EXPECT_EQ(t.groups(t.entra(R"(, "hr_flag": true)")), Names{"hr"});
  EXPECT_EQ(t.groups(t.entra(R"(, "hr_flag": "True")")), Names{});

  // Not JSON numbers at all.
  for (const char* bad : {"01", "-01", "+1", ".5", "1.", "1.e2", "1e", "1e+", "--1", "0x10", "NaN", "Infinity",
                          "-Infinity", "1_000", "１"}) {
    t.error(t.entra(std::string(R"(, "num": )") + bad), "malformed_json");
  }

  // Subjects: an integer gives its literal text, however large; "-0" is its own text.
  Hostile s;
  const std::string iss = std::string(R"({"iss": ")") + kEntraIss + R"(", "oid": )";
  EXPECT_EQ(s.harness().run(iss + "123456789012345678901234567890}").subject, "123456789012345678901234567890");
  EXPECT_EQ(s.harness().run(iss + "-0}").subject, "-0");
  for (const char* bad : {"1e2", "100.0", "-0.0", "1e400"}) s.error(iss + bad + "}", "missing_subject");

  // An iat beyond double's range is not a usable number: ignored, never stale.
  Hostile i;
  const std::string login = iss + R"("x1", "groups": ["g-mkt"], "iat": )";
  EXPECT_EQ(i.harness().run(login + "1700000000}").status, claimmap::DeltaStatus::kOk);
  for (const char* iat : {"1e400", "-1e400", "\"99999999999\"", "null", "[1e300]", "{\"v\": 1e300}"}) {
    EXPECT_EQ(i.harness().run(login + iat + "}").status, claimmap::DeltaStatus::kOk) << iat;
  }
  EXPECT_EQ(i.harness().run(login + "1699999999}").status, claimmap::DeltaStatus::kStale);
  EXPECT_EQ(i.harness().run(login + "1700000000}").status, claimmap::DeltaStatus::kOk);
}

// Regression (fuzzer): an iat beyond 64-bit integers was saved as a bare
// integer ("44444444444444442624") that the state reader refused, so one such
// login made the whole saved state unloadable.
TEST(HostileInput, HugeIatSurvivesStateExportAndImport) {
  Hostile t;
  const std::string iss = std::string(R"({"iss": ")") + kEntraIss + R"(", "groups": ["g-mkt"], "oid": )";
  for (const char* iat : {"44444444444444442624", "1e300", "-1e300", "123456789012345678901234567890", "1e15",
                          "999999999999999", "1700000000.5"}) {
    EXPECT_EQ(t.harness().run(iss + "\"" + iat + R"(", "iat": )" + iat + "}").status, claimmap::DeltaStatus::kOk) << iat;
  }
  const std::string state = t.engine().export_state();
  EXPECT_TRUE(has(state, R"("last_iat": 4.444444444444444e+19,)")) << state;
  EXPECT_TRUE(has(state, R"("last_iat": 999999999999999,)")) << state;
  EXPECT_TRUE(has(state, R"("last_iat": 1700000000.5,)")) << state;
  Engine copy(must_load(hostile_config()));
  Status s = copy.import_state(state);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(copy.export_state(), state);
  // The stored iat still guards: an older token is stale.
  EXPECT_EQ(copy.process(iss + R"("44444444444444442624", "iat": 1e19})", 1).status, claimmap::DeltaStatus::kStale);
}

// ---------------------------------------------------------------------------
// Wrong JSON types where a string is expected (docs/spec.md §3, §4, §5).

TEST(HostileInput, NullObjectsAndNestedArraysWhereAStringIsExpected) {
  Hostile t;
  for (const char* value : {"null", "{}", R"({"g-mkt": true})", R"({"0": "g-mkt"})", "[]", "[null]", R"([["g-mkt"]])",
                            R"([[["g-mkt"]]])", R"([{"value": "g-mkt"}])", R"([{"g-mkt": "g-mkt"}])", R"([[], {}, null])"}) {
    EXPECT_EQ(t.groups(t.entra(std::string(R"(, "groups": )") + value)), Names{}) << value;
  }
  EXPECT_EQ(t.groups(t.entra(R"(, "groups": [null, ["g-mkt"], {"v": "g-mkt"}, "g-read", 42, true])")), Names{"readers"});
  EXPECT_EQ(t.groups(t.entra(R"(, "dept": ["Sales"])")), Names{"readers"});

  // A JSON Pointer through something that is not an object gives nothing.
  auto kc = [](int n, const std::string& realm_access) {
    return R"({"provider": "kc", "claims": {"sub": "k)" + std::to_string(n) + R"(", "realm_access": )" + realm_access +
           "}}";
  };
  int n = 0;
  for (const char* ra : {"null", R"("admin")", R"(["admin"])", R"([{"roles": ["admin"]}])", R"({"roles": null})",
                         R"({"roles": {"admin": true}})", R"({"roles": [["admin"]]})", R"({"Roles": ["admin"]})"}) {
    EXPECT_EQ(t.groups(kc(++n, ra)), Names{}) << ra;
  }
  EXPECT_EQ(t.groups(kc(++n, R"({"roles": "admin"})")), Names{"marketing"});
  EXPECT_EQ(t.groups(kc(++n, R"({"roles": [null, {}, "admin"]})")), Names{"marketing"});

  // Subject claims.
  const std::string iss = std::string(R"({"iss": ")") + kEntraIss + R"(", "oid": )";
  for (const char* subject : {"null", "{}", R"({"v": "a"})", R"(["a"])", "[]", "true", "false", "\"\"", "1.5"}) {
    t.error(iss + subject + "}", "missing_subject");
  }

  // Envelope and push members (docs/semantics.md: they must be strings).
  for (const char* line : {R"({"provider": null, "claims": {"sub": "a"}})", R"({"provider": ["kc"], "claims": {"sub": "a"}})",
                           R"({"provider": {"id": "kc"}, "claims": {"sub": "a"}})", R"({"provider": "kc", "claims": null})",
                           R"({"provider": "kc", "claims": []})", R"({"provider": "kc", "claims": "{\"sub\": \"a\"}"})",
                           R"({"type": null, "claims": {"sub": "a"}})", R"({"type": ["login"], "claims": {"sub": "a"}})",
                           R"({"type": null, "provider": "kc", "subject": "a"})",
                           R"({"type": "assign", "provider": "kc", "subject": "a", "group": null})",
                           R"({"type": "assign", "provider": "kc", "subject": "a", "group": ["hr"]})",
                           R"({"type": "grant", "provider": "kc", "subject": "a", "role": {"id": "Hr.Admin"}})",
                           R"({"type": "suspend", "provider": null, "subject": "a"})"}) {
    t.error(line, "invalid_event");
  }
  for (const char* line : {R"({"type": "assign", "provider": "kc", "subject": null, "group": "hr"})",
                           R"({"type": "assign", "provider": "kc", "subject": ["a"], "group": "hr"})",
                           R"({"type": "assign", "provider": "kc", "subject": {"id": "a"}, "group": "hr"})"}) {
    t.error(line, "missing_subject");
  }
  // A _claim_names that is not an object is not an overage claim.
  Delta d = t.harness().run(t.entra(R"(, "_claim_names": "groups")"));
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kOk);
  EXPECT_EQ(d.overage, Names{});
  d = t.harness().run(t.entra(R"(, "_claim_names": {"groups": null})"));
  EXPECT_EQ(d.overage, Names{"groups"});
}

// A line that is a lone number, boolean or null is not_an_object only when it
// is exactly that token (regression: the fuzzer found "null0" accepted by the
// stream and "null " refused by Engine::process, from simdjson's root checks).
TEST(HostileInput, RootScalarsAreCheckedToTheirLastByte) {
  const std::pair<const char*, const char*> cases[] = {
      {"null", "not_an_object"},   {" null \t\r", "not_an_object"}, {"null ", "not_an_object"},
      {"-0 ", "not_an_object"},    {"1e400", "not_an_object"},       {"false\r", "not_an_object"},
      {"null0", "malformed_json"}, {"nullx", "malformed_json"},      {"null null", "malformed_json"},
      {"1 2", "malformed_json"},   {"1x", "malformed_json"},         {"true 1", "malformed_json"},
      {"true1", "malformed_json"}, {"falsey", "malformed_json"},     {"null\"x\"", "malformed_json"},
      {"1{}", "malformed_json"},   {"nul", "malformed_json"},        {"\"a\" 1", "malformed_json"},
  };
  Hostile t;
  Engine streamed(must_load(hostile_config()));
  std::string input;
  for (const auto& [line, code] : cases) {
    // A long line first, so that the bytes after the short one are not blank.
    t.harness().run(std::string(600, 'x'));
    t.error(line, code);
    input += std::string(line) + "\n";
  }
  auto lines = lines_of(eval(streamed, input));
  ASSERT_EQ(lines.size(), std::size(cases));
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_TRUE(has(lines[i], std::string(R"("code": ")") + cases[i].second + "\"")) << cases[i].first << "\n" << lines[i];
  }
}

// ---------------------------------------------------------------------------
// Size: large arrays, wide objects, deep nesting.

TEST(HostileInput, HundredThousandElementGroupArray) {
  Hostile t;
  std::string groups = "[";
  for (int i = 0; i < 100000; ++i) groups += (i ? ",\"x" : "\"x") + std::to_string(i) + "\"";
  std::string with_match = groups + ",\"g-mkt\",\"Admins\"]";
  groups += "]";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(t.groups(t.entra(R"(, "groups": )" + with_match)), (Names{"admins", "marketing"}));
  EXPECT_EQ(t.groups(t.entra(R"(, "groups": )" + groups)), Names{});
  std::string same = "[\"g-mkt\"";
  for (int i = 0; i < 99999; ++i) same += ",\"g-mkt\"";
  EXPECT_EQ(t.groups(t.entra(R"(, "groups": )" + same + "]")), Names{"marketing"});
  // 100k delimited parts in one SAML attribute.
  std::string parts = "\"";
  for (int i = 0; i < 100000; ++i) parts += "CN=x" + std::to_string(i) + ";";
  EXPECT_EQ(t.groups(t.adfs(R"(, "memberOf": )" + parts + "CN=HR\"")), Names{"hr"});
  // A user who held groups and now sends 100k others loses them (docs/spec.md §5).
  const std::string u = std::string(R"({"iss": ")") + kEntraIss + R"(", "oid": "big", "groups": )";
  EXPECT_EQ(t.harness().run(u + R"(["g-mkt"]})").groups_added, Names{"marketing"});
  EXPECT_EQ(t.harness().run(u + groups + "}").groups_removed, Names{"marketing"});
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), kSanitized ? 100.0 : 10.0);
}

TEST(HostileInput, HundredThousandMemberObject) {
  Engine engine(must_load(hostile_config()), EngineOptions{.max_line_bytes = size_t{4} << 20});
  std::string line = std::string(R"({"iss": ")") + kEntraIss + R"(", "oid": "w", "groups": ["g-mkt"])";
  for (int i = 0; i < 100000; ++i) line += ", \"k" + std::to_string(i) + "\": " + std::to_string(i);
  Delta d = engine.process(line + "}", 1);
  EXPECT_EQ(d.status, claimmap::DeltaStatus::kOk) << d.error.message();
  EXPECT_EQ(d.groups_added, Names{"marketing"});
  d = engine.process(line + ", \"k4711\": 0}", 2);
  EXPECT_EQ(d.error.code(), ErrorCode::kDuplicateClaim);
  EXPECT_EQ(d.error.message(), R"(member "k4711" appears twice in one object)");
}

TEST(HostileInput, TenThousandDeepNesting) {
  Hostile t;
  const std::string e = std::string(R"({"iss": ")") + kEntraIss + R"(", "oid": "a", )";
  auto arrays = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  auto objects = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += R"({"a": )";
    return s + "1" + std::string(n, '}');
  };
  auto mixed = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += i % 2 ? "[" : R"({"groups": )";
    s += "\"g-mkt\"";
    for (int i = n - 1; i >= 0; --i) s += i % 2 ? "]" : "}";
    return s;
  };
  for (const std::string& deep : std::vector<std::string>{arrays(10000), objects(10000), mixed(10000)}) {
    Delta d = t.error(e + R"("groups": )" + deep + "}", "malformed_json");
    EXPECT_EQ(d.error.message(), "invalid JSON: nested deeper than 1024 levels");
    t.error(e + R"("ignored": )" + deep + "}", "malformed_json");
    t.error(R"({"provider": "kc", "claims": {"sub": "a"}, "trace": )" + deep + "}", "malformed_json");
    t.error(R"({"provider": "kc", "claims": {"sub": "a", "_claim_names": )" + deep + "}}", "malformed_json");
    t.error(deep, "malformed_json");  // malformed_json beats not_an_object
  }
  t.error(std::string(10000, '['), "malformed_json");  // unclosed
  t.error(e + "\"x\": " + std::string(10000, '{') + "}", "malformed_json");
  // The limit: the line's object and 1023 levels inside it.
  EXPECT_EQ(t.groups(t.entra(", \"x\": " + arrays(1023))), Names{});
  t.error(t.entra(", \"x\": " + arrays(1024)), "malformed_json");
  EXPECT_EQ(t.groups(t.entra(", \"x\": " + objects(1023))), Names{});
  t.error(t.entra(", \"x\": " + objects(1024)), "malformed_json");
  EXPECT_EQ(t.engine().user_count(), 2u);
}

// ---------------------------------------------------------------------------
// Text: UTF-8, surrogates, NUL, line endings.

TEST(HostileInput, InvalidUtf8AndOverlongEncodings) {
  Hostile t;
  for (const char* bad : {
           "\xC0\xAF",          // overlong '/'
           "\xC1\xBF",          // overlong 2-byte
           "\xE0\x80\xAF",      // overlong 3-byte '/'
           "\xE0\x9F\xBF",      // overlong 3-byte
           "\xF0\x80\x80\xAF",  // overlong 4-byte '/'
           "\xF0\x8F\xBF\xBF",  // overlong 4-byte
           "\xC0\x80",          // overlong NUL (modified UTF-8)
           "\xED\xA0\x80",      // UTF-8-encoded surrogate (CESU-8)
           "\xED\xBF\xBF",      // encoded low surrogate
           "\xF4\x90\x80\x80",  // beyond U+10FFFF
           "\xF5\x80\x80\x80", "\xF8\x88\x80\x80\x80", "\xFC\x84\x80\x80\x80\x80", "\xFE", "\xFF",
           "\x80",              // lone continuation byte
           "\xC3",              // truncated 2-byte
           "\xE2\x82",          // truncated 3-byte
           "\xF0\x9F\x98",      // truncated 4-byte
           "\xC3\x28",          // bad continuation
       }) {
    const std::string b = bad;
    Delta d = t.error(t.entra(R"(, "groups": ["g-mkt)" + b + "\"]"), "malformed_json");
    EXPECT_EQ(d.error.message(), "invalid JSON: not valid UTF-8");
    t.error(t.entra(", \"groups" + b + "\": [\"g-mkt\"]"), "malformed_json");  // in a name
    t.error(t.entra(R"(, "ignored": ")" + b + "\""), "malformed_json");        // in an unread member
    t.error(R"({"type": "assign", "provider": "kc", "subject": ")" + b + R"(", "group": "hr"})", "malformed_json");
    t.error(t.entra(R"(, "groups": ["g-mkt"])") + b, "malformed_json");  // after the value
  }
  // The edges of valid UTF-8 are fine: U+10FFFF, U+FFFF, U+FEFF (BOM) inside a string.
  EXPECT_EQ(t.groups(t.entra(", \"groups\": [\"g-mkt\", \"\xF4\x8F\xBF\xBF\", \"\xEF\xBF\xBF\", \"\xEF\xBB\xBF\"]")),
            Names{"marketing"});
  // A byte-order mark before the object is not JSON.
  t.error("\xEF\xBB\xBF" + t.entra(""), "malformed_json");
  EXPECT_EQ(t.engine().user_count(), 1u);
}

TEST(HostileInput, LoneSurrogateEscapes) {
  Hostile t;
  for (const char* bad : {R"(\ud800)", R"(\udbff)", R"(\udc00)", R"(\udfff)", R"(\ud800x)", R"(\ud800\u0041)",
                          R"(\ud800\ud800)", R"(\udc00\ud800)", R"(\ude00\ud83d)", R"(\ud83d\u00e9)", R"(\ud800\n)",
                          R"(\uD800)", R"(\ud83d\ud83d\ude00)"}) {
    const std::string b = bad;
    t.error(t.entra(R"(, "groups": ["g-mkt)" + b + "\"]"), "malformed_json");
    t.error(t.entra(", \"groups" + b + "\": [\"g-mkt\"]"), "malformed_json");
    t.error(t.entra(R"(, "ignored": ")" + b + "\""), "malformed_json");
    t.error(R"({"type": "assign", "provider": "kc", "subject": "a)" + b + R"(", "group": "hr"})", "malformed_json");
  }
  // A proper pair is one code point, equal to its raw UTF-8.
  EXPECT_EQ(t.groups(t.entra(R"(, "groups": ["\ud83d\ude00"])")), Names{"u-emoji"});
  EXPECT_EQ(t.groups(t.entra(R"(, "groups": ["\uD83D\uDE00"])")), Names{"u-emoji"});
  EXPECT_EQ(t.groups(t.entra(", \"groups\": [\"\xF0\x9F\x98\x80\"]")), Names{"u-emoji"});
  EXPECT_EQ(t.engine().user_count(), 3u);
}

TEST(HostileInput, NulBytesInsideStrings) {
  Hostile t;
  // Raw NUL is a control character: not allowed in a JSON string, nor between tokens.
  const std::string nul(1, '\0');
  Delta d = t.error(t.entra(R"(, "groups": ["g-mkt)" + nul + "\"]"), "malformed_json");
  EXPECT_EQ(d.error.message(), "invalid JSON: control character inside a string");
  t.error(t.entra(", \"gro" + nul + "ups\": [\"g-mkt\"]"), "malformed_json");
  t.error(t.entra(R"(, "groups": )" + nul + R"(["g-mkt"])"), "malformed_json");
  t.error(t.entra("") + nul, "malformed_json");
  t.error(nul + t.entra(""), "malformed_json");
  t.error(nul, "malformed_json");

  // Escaped NUL is a character like any other: it never truncates a value.
  EXPECT_EQ(t.groups(t.entra(R"(, "groups": ["nul\u0000byte"])")), Names{"u-nul"});
  for (const char* v : {R"("nul")", R"("nulbyte")", R"("nul\u0000")", R"("nul\u0000byte\u0000")", R"("g-mkt\u0000")",
                        R"("g-mkt\u0000x")"}) {
    EXPECT_EQ(t.groups(t.entra(std::string(R"(, "groups": [)") + v + "]")), Names{}) << v;
  }
  // Subjects that differ after a NUL are different users, and come out escaped.
  Hostile s;
  const std::string iss = std::string(R"({"iss": ")") + kEntraIss + R"(", "groups": ["g-mkt"], "oid": )";
  EXPECT_EQ(s.harness().line(iss + R"("u"})"),
            R"({"seq": 1, "cause": "login", "provider": "entra", "subject": "u", "status": "ok", "new_user": true, )"
            R"("groups_added": ["marketing"], "groups_removed": [], "roles_granted": ["Crm.Editor", "Crm.Viewer"], )"
            R"("roles_revoked": []})"
            "\n");
  EXPECT_EQ(s.harness().line(iss + R"("u\u0000"})"),
            R"({"seq": 2, "cause": "login", "provider": "entra", "subject": "u\u0000", "status": "ok", "new_user": true, )"
            R"("groups_added": ["marketing"], "groups_removed": [], "roles_granted": ["Crm.Editor", "Crm.Viewer"], )"
            R"("roles_revoked": []})"
            "\n");
  EXPECT_EQ(s.harness().run(iss + R"("u\u0000x"})").subject, std::string("u\0x", 3));
  EXPECT_EQ(s.engine().user_count(), 3u);
  // The state keeps them apart and reads back the same.
  const std::string state = s.engine().export_state();
  EXPECT_TRUE(has(state, R"("subject": "u\u0000")")) << state;
  Engine copy(must_load(hostile_config()));
  ASSERT_TRUE(copy.import_state(state).ok());
  EXPECT_EQ(copy.export_state(), state);
  EXPECT_EQ(copy.user_count(), 3u);
}

TEST(HostileInput, NulBytesBetweenLines) {
  Engine engine(must_load(hostile_config()));
  const std::string nul(1, '\0');
  const std::string input = entra_login("a", "[]") + "\n" + nul + "\n" + nul + entra_login("b", "[]") + "\n" +
                            entra_login("c", "[]") + nul + "\n" + nul + nul + nul + "\n" + entra_login("d", "[]") + "\n";
  auto lines = lines_of(eval(engine, input));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_TRUE(has(lines[0], R"({"seq": 1, "cause": "login", "provider": "entra", "subject": "a", "status": "ok")"));
  for (int i : {1, 2, 3, 4}) {
    EXPECT_EQ(lines[i], R"({"seq": )" + std::to_string(i + 1) +
                            R"(, "status": "error", "error": {"code": "malformed_json", "message": "invalid JSON: )" +
                            "bad structure\"}}")
        << i;
  }
  EXPECT_TRUE(has(lines[5], R"({"seq": 6, "cause": "login", "provider": "entra", "subject": "d", "status": "ok")"));
  EXPECT_EQ(engine.user_count(), 2u);
}

TEST(HostileInput, CrlfLineEndings) {
  Engine engine(must_load(hostile_config()));
  const std::string input = entra_login("a", R"(["g-mkt"])") + "\r\n" + "\r\n" + " \t\r\n" + entra_login("b", "[]") +
                            "\r\r\n" + entra_login("c", "[]") + "\r" + entra_login("d", "[]") + "\r\n" +
                            entra_login("e", R"(["g-mkt\r"])") + "\r\n";
  auto lines = lines_of(eval(engine, input));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(has(lines[0], R"({"seq": 1, "cause": "login", "provider": "entra", "subject": "a", "status": "ok", )"
                            R"("new_user": true, "groups_added": ["marketing"])"));
  // A second CR is JSON whitespace; a lone CR is not a line break.
  EXPECT_TRUE(has(lines[1], R"({"seq": 4, "cause": "login", "provider": "entra", "subject": "b", "status": "ok")"));
  EXPECT_EQ(lines[2], R"({"seq": 5, "status": "error", "error": {"code": "malformed_json", )"
                      R"("message": "invalid JSON: unexpected content after the value"}})");
  // An escaped CR is part of the value, never trimmed.
  EXPECT_TRUE(has(lines[3], R"({"seq": 6, "cause": "login", "provider": "entra", "subject": "e", "status": "ok", )"
                            R"("new_user": true, "groups_added": [])"));
  // A raw CR inside a string is a control character.
  EXPECT_EQ(engine.process(entra_login("f", "[\"g-mkt\r\"]"), 7).error.code(), ErrorCode::kMalformedJson);
  // Engine::process takes a line with its CR as well.
  EXPECT_EQ(engine.process(entra_login("g", R"(["g-mkt"])") + "\r", 8).groups_added, Names{"marketing"});
}

TEST(HostileInput, FinalLineWithoutNewline) {
  Engine engine(must_load(hostile_config()));
  auto lines = lines_of(eval(engine, entra_login("a", "[]") + "\n\n" + entra_login("b", R"(["g-mkt"])")));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(has(lines[1], R"({"seq": 3, "cause": "login", "provider": "entra", "subject": "b", "status": "ok", )"
                            R"("new_user": true, "groups_added": ["marketing"])"));
  // A final line that is broken, a CR only, or blank.
  lines = lines_of(eval(engine, entra_login("c", "[]") + "\n{\"oid\": "));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(has(lines[1], R"({"seq": 2, "status": "error", "error": {"code": "malformed_json")"));
  EXPECT_EQ(lines_of(eval(engine, entra_login("d", "[]") + "\n \t")).size(), 1u);
  EXPECT_EQ(lines_of(eval(engine, entra_login("e", "[]") + "\r")).size(), 1u);
  EXPECT_EQ(lines_of(eval(engine, "\r")).size(), 0u);
  EXPECT_EQ(lines_of(eval(engine, "")).size(), 0u);
  EXPECT_EQ(engine.user_count(), 5u);
}

// A 2 MiB line gets event_too_large and the stream goes on (docs/spec.md §8).
std::string two_mib_input() {
  const size_t frame = entra_login("big", R"([""])").size();
  const std::string line = entra_login("big", "[\"" + std::string((size_t{2} << 20) - frame, 'x') + "\"]");
  return entra_login("a", R"(["g-mkt"])") + "\n" + line + "\n" + entra_login("b", R"(["g-read"])") + "\n";
}

void expect_two_mib_result(const std::string& output) {
  auto lines = lines_of(output);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(has(lines[0], R"({"seq": 1, "cause": "login", "provider": "entra", "subject": "a", "status": "ok")"));
  EXPECT_EQ(lines[1], R"({"seq": 2, "status": "error", "error": {"code": "event_too_large", )"
                      R"("message": "line is 2097152 bytes; the limit is 1048576"}})");
  EXPECT_TRUE(has(lines[2], R"({"seq": 3, "cause": "login", "provider": "entra", "subject": "b", "status": "ok")"));
}

TEST(HostileInput, TwoMebibyteLineThroughAPipe) {
  Engine engine(must_load(hostile_config()));
  expect_two_mib_result(eval_pipe(engine, two_mib_input()));
  EXPECT_EQ(engine.user_count(), 2u);
}

TEST(HostileInput, TwoMebibyteLineThroughATempFile) {
  Engine engine(must_load(hostile_config()));
  char path[] = "/tmp/claimmap-hostile-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string input = two_mib_input();
  ASSERT_EQ(::write(fd, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(fd);
  const int in = ::open(path, O_RDONLY);
  const int out = ::memfd_create("out", 0);
  StreamSummary summary;
  ASSERT_TRUE(run_stream(engine, in, out, {}, &summary).ok());
  std::string result(static_cast<size_t>(::lseek(out, 0, SEEK_END)), '\0');
  ASSERT_EQ(::pread(out, result.data(), result.size(), 0), static_cast<ssize_t>(result.size()));
  ::close(in);
  ::close(out);
  ::unlink(path);
  expect_two_mib_result(result);
  EXPECT_EQ(summary.counters.errors_by_code[static_cast<size_t>(ErrorCode::kEventTooLarge)], 1u);
  EXPECT_EQ(engine.user_count(), 2u);
}

TEST(HostileInput, OversizeLinesOfGarbageAndAtTheLimit) {
  Engine engine(must_load(hostile_config()));
  const size_t limit = size_t{1} << 20;
  // Exactly at the limit is processed; one byte more is too large, whatever it holds.
  const std::string at_limit = entra_login("edge", "[\"g-mkt\"]", ", \"pad\": \"" +
                                                                      std::string(limit - entra_login("edge", "[\"g-mkt\"]", ", \"pad\": \"\"").size(), 'p') + "\"");
  ASSERT_EQ(at_limit.size(), limit);
  const std::string over = at_limit.substr(0, at_limit.size() - 1) + " }";
  std::string garbage(2 << 20, '\xFF');
  for (size_t i = 0; i < garbage.size(); i += 7) garbage[i] = '\0';
  const std::string input = at_limit + "\r\n" + over + "\n" + garbage + "\n" + std::string(3 << 20, '{') + "\n" +
                            entra_login("after", "[]") + "\n" + garbage;  // last, without newline
  auto lines = lines_of(eval(engine, input));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_TRUE(has(lines[0], R"({"seq": 1, "cause": "login", "provider": "entra", "subject": "edge", "status": "ok")"));
  for (int i : {1, 2, 3, 5}) {
    EXPECT_TRUE(has(lines[i], "{\"seq\": " + std::to_string(i + 1) +
                                  R"(, "status": "error", "error": {"code": "event_too_large")"))
        << lines[i].substr(0, 200);
  }
  EXPECT_TRUE(has(lines[4], R"({"seq": 5, "cause": "login", "provider": "entra", "subject": "after", "status": "ok")"));
  // Engine::process has the same limit.
  Delta d = engine.process(garbage, 7);
  EXPECT_EQ(d.error.code(), ErrorCode::kEventTooLarge);
  EXPECT_EQ(d.error.message(), "line is 2097152 bytes; the limit is 1048576");
  EXPECT_EQ(engine.user_count(), 2u);
}

// ---------------------------------------------------------------------------
// Hostile configs (docs/spec.md §2): huge, repetitive, over every limit.

std::vector<std::string> errors_of(const std::string& json) {
  ConfigReport report;
  Result<Config> config = load_config(json, &report);
  EXPECT_FALSE(config.ok());
  std::vector<std::string> errors;
  for (const auto& e : report.errors) errors.push_back(e.to_string());
  return errors;
}

TEST(HostileConfig, MillionMappingsLoadInSeconds) {
  std::string json = R"({"version": 1, "stages": ["prod"],
    "providers": [{"id": "entra", "type": "oidc", "issuer": "https://login.example/t/v2.0", "scope": ["prod"], "subject_claim": "oid"}],
    "roles": [{"id": "R", "app": "A"}],
    "groups": [{"id": "g0", "stage": "prod", "roles": ["R"]}, {"id": "g1", "stage": "prod", "roles": []}],
    "mappings": [)";
  const int n = 1000000;
  json.reserve(size_t{n} * 100);
  for (int i = 0; i < n; ++i) {
    const std::string k = std::to_string(i);
    json += (i ? ",\n" : "\n");
    json += R"({"id": "m)" + k + R"(", "provider": "entra", "claim": ")" + (i % 2 ? "groups" : "roles") +
            R"(", "value": "v)" + k + R"(", "group": "g)" + std::to_string(i % 2) + "\"}";
  }
  json += "]}";
  const auto start = std::chrono::steady_clock::now();
  ConfigReport report;
  Result<Config> config = load_config(json, &report);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(config.ok()) << (report.errors.empty() ? "" : report.errors[0].to_string());
  EXPECT_EQ(report.mappings, size_t{n});
  EXPECT_EQ(report.active_mappings, size_t{n});
  std::cout << "1M mappings (" << json.size() / 1000000 << " MB) loaded in " << seconds << " s\n";
  // A guard against a quadratic load, not a benchmark (BM_Compile measures
  // it): a few seconds in Release on an idle machine, 44 s once under a full
  // parallel ctest beside two sanitizer builds on 2 cores.
  EXPECT_LT(seconds, kSanitized ? 600.0 : 180.0);
  Engine engine(config.value());
  Delta d = engine.process(R"({"iss": "https://login.example/t/v2.0", "oid": "a", "groups": ["v999999", "v2"], "roles": ["v0"]})", 1);
  EXPECT_EQ(d.groups_added, (Names{"g0", "g1"}));
  d = engine.process(R"({"iss": "https://login.example/t/v2.0", "oid": "b", "groups": ["v999998"], "roles": ["v1"]})", 2);
  EXPECT_EQ(d.groups_added, Names{});
}

TEST(HostileConfig, DuplicateIdsInEverySectionAreAllListed) {
  const std::vector<std::string> errors = errors_of(R"({"version": 1, "stages": ["dev", "prod", "dev"],
    "providers": [
      {"id": "p", "type": "oidc", "issuer": "https://a", "scope": ["dev"]},
      {"id": "p", "type": "oidc", "issuer": "https://b", "scope": ["dev"]},
      {"id": "q", "type": "oidc", "issuer": "https://a", "scope": ["dev", "prod"]}],
    "roles": [{"id": "R", "app": "A"}, {"id": "R", "app": "B"}, {"id": "R", "app": "C"}],
    "groups": [{"id": "g", "stage": "dev", "roles": ["R", "R"]}, {"id": "g", "stage": "prod", "roles": []}],
    "mappings": [
      {"id": "m", "provider": "p", "claim": "c", "value": "v", "group": "g"},
      {"id": "m", "provider": "p", "claim": "c", "value": "v", "value": "w", "group": "g"}],
    "mappings": []})");
  const std::vector<std::string> expected = {
      "mappings: member appears more than once",
      "mappings[1].value: member appears more than once",
      "stages[2]: duplicate stage \"dev\"",
      "providers[1].id: duplicate id \"p\" (first at providers[0])",
      "roles[1].id: duplicate id \"R\" (first at roles[0])",
      "roles[2].id: duplicate id \"R\" (first at roles[0])",
      "groups[1].id: duplicate id \"g\" (first at groups[0])",
      "mappings[1].id: duplicate id \"m\" (first at mappings[0])",
      "providers[2].issuer: same issuer as providers[0]; each issuer names one provider",
      "groups[0].roles[1]: role \"R\" listed twice",
  };
  EXPECT_EQ(std::set<std::string>(errors.begin(), errors.end()), std::set<std::string>(expected.begin(), expected.end()));
  EXPECT_EQ(errors.size(), expected.size());
}

TEST(HostileConfig, EveryFieldOverItsLimitIsListedWithItsPath) {
  const std::string s257(257, 's'), s51(51, 'c'), s17(17, 't'), s2049(2049, 'i');
  auto q = [](const std::string& s) { return "\"" + s + "\""; };
  const std::string json = R"({"version": 1, "stages": ["prod", )" + q(s257) + R"(],
    "providers": [{"id": )" + q(s257) + R"(, "type": )" + q(s17) + R"(, "issuer": )" + q(s2049) +
                           R"(, "scope": ["prod", )" + q(s257) + R"(], "subject_claim": )" + q(s51) + R"(}],
    "roles": [{"id": )" + q(s257) + R"(, "app": )" + q(s257) + R"(}],
    "groups": [{"id": )" + q(s257) + R"(, "stage": )" + q(s257) + R"(, "roles": [)" + q(s257) + R"(]}],
    "mappings": [{"id": )" + q(s257) + R"(, "provider": )" + q(s257) + R"(, "claim": )" + q(s51) +
                           R"(, "value": )" + q(s257) + R"(, "delimiter": "::::", "group": )" + q(s257) + "}]}";
  const std::vector<std::string> errors = errors_of(json);
  const std::vector<std::string> expected = {
      "stages[1]: longer than 256 characters",
      "providers[0].id: longer than 256 characters",
      "providers[0].type: longer than 16 characters",
      "providers[0].issuer: longer than 2048 characters",
      "providers[0].scope[1]: longer than 256 characters",
      "providers[0].subject_claim: longer than 50 characters",
      "roles[0].id: longer than 256 characters",
      "roles[0].app: longer than 256 characters",
      "groups[0].id: longer than 256 characters",
      "groups[0].stage: longer than 256 characters",
      "groups[0].roles[0]: longer than 256 characters",
      "mappings[0].id: longer than 256 characters",
      "mappings[0].provider: longer than 256 characters",
      "mappings[0].claim: longer than 50 characters",
      "mappings[0].value: longer than 256 characters",
      "mappings[0].delimiter: longer than 3 characters",
      "mappings[0].group: longer than 256 characters",
  };
  EXPECT_EQ(errors, expected);

  // Limits count code points, not bytes: 256 two-byte and 50 four-byte characters fit.
  std::string e256, e257, emoji50, emoji51;
  for (int i = 0; i < 256; ++i) e256 += "\xC3\xA9";
  e257 = e256 + "\xC3\xA9";
  for (int i = 0; i < 50; ++i) emoji50 += "\xF0\x9F\x98\x80";
  emoji51 = emoji50 + "\xF0\x9F\x98\x80";
  auto config = [&](const std::string& claim, const std::string& value) {
    return std::string(kBaseConfig).insert(std::string(kBaseConfig).find("\"mappings\": [") + 13,
                                           R"({"id": "x", "provider": "entra", "claim": )" + q(claim) +
                                               R"(, "value": )" + q(value) + R"(, "group": "hr"},)");
  };
  EXPECT_TRUE(load_config(config(emoji50, e256)).ok());
  EXPECT_EQ(errors_of(config(emoji51, e257)),
            (std::vector<std::string>{"mappings[0].claim: longer than 50 characters",
                                      "mappings[0].value: longer than 256 characters"}));
}

TEST(HostileConfig, EmptyFieldsAndHostileJson) {
  EXPECT_EQ(errors_of(R"({"version": 1, "stages": [""], "providers": [{"id": "", "type": "", "issuer": "", "scope": [""], "subject_claim": ""}],
    "roles": [{"id": "", "app": ""}], "groups": [{"id": "", "stage": "", "roles": [""]}],
    "mappings": [{"id": "", "provider": "", "claim": "", "value": "", "delimiter": "", "group": ""}]})"),
            (std::vector<std::string>{"stages[0]: empty", "providers[0].id: empty", "providers[0].type: empty",
                                      "providers[0].issuer: empty", "providers[0].scope[0]: empty",
                                      "providers[0].subject_claim: empty", "roles[0].id: empty", "roles[0].app: empty",
                                      "groups[0].id: empty", "groups[0].stage: empty", "groups[0].roles[0]: empty",
                                      "mappings[0].id: empty", "mappings[0].provider: empty", "mappings[0].claim: empty",
                                      "mappings[0].value: empty", "mappings[0].group: empty"}));
  // Not JSON at all: one error, no crash.
  for (const std::string& bad : std::vector<std::string>{std::string(10000, '[') + std::string(10000, ']'),
                                 std::string(R"({"version": 1, "stages": ["\ud800"]})"),
                                 std::string("{\"version\": 1, \"stages\": [\"\xC0\xAF\"]}"),
                                 std::string("{\"version\": 1, \"stages\": [\"a\0b\"]}", 30), std::string("{\"version\": 1} x"),
                                 std::string("")}) {
    const auto errors = errors_of(bad);
    ASSERT_EQ(errors.size(), 1u) << bad.substr(0, 60);
    EXPECT_EQ(errors[0].rfind("not valid JSON: ", 0), 0u) << errors[0];
  }
  // Numbers where text belongs, and a version in another form.
  EXPECT_EQ(errors_of(R"({"version": 1.0, "stages": [1e400]})").size(), 1u);
  EXPECT_EQ(errors_of(R"({"version": 18446744073709551617, "stages": []})"),
            (std::vector<std::string>{"not valid JSON: Problem while parsing a number"}));
}

}  // namespace
}  // namespace claimmap::testing
