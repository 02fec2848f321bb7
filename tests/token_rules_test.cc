// docs/spec.md §15 (signed tokens), rule by rule, through the engine's own
// output: every test feeds event lines to Engine::process_to_ndjson (or
// run_stream) with EngineOptions::now_seconds fixed and compares the EXACT
// output line. Keys are made here with OpenSSL 3 (RSA 2048, EC P-256/384/521,
// Ed25519), exported as public JWKs, and every token is signed here — nothing
// comes from the simulator's signer, so a bug shared by signer and verifier
// cannot hide.
//
// The line's code, provider and subject follow from the spec; the messages
// are the engine's wording (the spec fixes codes, not the text of §15's
// messages), pinned so that a change of wording is a visible decision.
#include <gtest/gtest.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <tuple>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tbb/global_control.h>

#include "claimmap/config.h"
#include "claimmap/counters.h"
#include "claimmap/engine.h"
#include "claimmap/status.h"
#include "claimmap/stream.h"
#include "engine/jose/base64url.h"
#include "tests/test_util.h"

namespace claimmap::testing {
namespace {

constexpr int64_t kNow = 1700000000;  // EngineOptions::now_seconds in every engine here

// ---------------------------------------------------------------------------
// Keys and signing (OpenSSL 3 EVP).

std::string b64(std::string_view bytes) {
  std::string out;
  base64url_encode(bytes, &out);
  return out;
}

std::string unb64(std::string_view text) {
  std::string out;
  EXPECT_TRUE(base64url_decode(text, &out)) << text;
  return out;
}

std::string bn_bytes(const BIGNUM* n, int size) {
  std::string out(static_cast<size_t>(size), '\0');
  BN_bn2binpad(n, reinterpret_cast<unsigned char*>(out.data()), size);
  return out;
}

struct Key {
  std::shared_ptr<EVP_PKEY> pkey;
  std::string members;  // the public JWK's members, without kid: "\"kty\":\"RSA\",\"n\":…,\"e\":…"
  size_t coordinate = 0;  // EC: the size of r, s, x, y
  std::string x, y;       // EC: the public point's coordinates (raw bytes)
  std::string crv;

  // The public JWK with `kid` (none when empty) and `extra` members (",\"alg\":\"PS256\"").
  std::string jwk(const std::string& kid, const std::string& extra = "") const {
    std::string out = "{" + members;
    if (!kid.empty()) out += ",\"kid\":\"" + kid + "\"";
    return out + extra + "}";
  }
};

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* k) {
  if (k == nullptr) {
    ADD_FAILURE() << "OpenSSL key generation failed";
    std::abort();
  }
  return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
}

BIGNUM* bn_param(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) {
    ADD_FAILURE() << "no parameter " << name;
    std::abort();
  }
  return bn;
}

Key rsa_key(size_t bits) {
  Key key;
  key.pkey = own(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
  BIGNUM* n = bn_param(key.pkey.get(), OSSL_PKEY_PARAM_RSA_N);
  BIGNUM* e = bn_param(key.pkey.get(), OSSL_PKEY_PARAM_RSA_E);
  key.members = "\"kty\":\"RSA\",\"n\":\"" + b64(bn_bytes(n, BN_num_bytes(n))) + "\",\"e\":\"" +
                b64(bn_bytes(e, BN_num_bytes(e))) + "\"";
  BN_free(n);
  BN_free(e);
  return key;
}

Key ec_key(const char* curve, size_t coordinate) {
  Key key;
  key.pkey = own(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
  key.coordinate = coordinate;
  key.crv = curve;
  BIGNUM* x = bn_param(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X);
  BIGNUM* y = bn_param(key.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
  key.x = bn_bytes(x, static_cast<int>(coordinate));
  key.y = bn_bytes(y, static_cast<int>(coordinate));
  BN_free(x);
  BN_free(y);
  key.members = "\"kty\":\"EC\",\"crv\":\"" + key.crv + "\",\"x\":\"" + b64(key.x) + "\",\"y\":\"" + b64(key.y) + "\"";
  return key;
}

Key ed25519_key() {
  Key key;
  key.pkey = own(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  unsigned char raw[32];
  size_t size = sizeof raw;
  EXPECT_EQ(EVP_PKEY_get_raw_public_key(key.pkey.get(), raw, &size), 1);
  key.members = "\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + b64(std::string_view(reinterpret_cast<char*>(raw), size)) + "\"";
  return key;
}

const EVP_MD* digest_for(std::string_view alg) {
  if (alg.ends_with("256")) return EVP_sha256();
  if (alg.ends_with("384")) return EVP_sha384();
  if (alg.ends_with("512")) return EVP_sha512();
  return nullptr;  // EdDSA
}

// An ECDSA signature as OpenSSL makes it (DER) in JWS's raw r‖s (RFC 7518 §3.4).
std::string der_to_raw(const std::string& der, size_t coordinate) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  EXPECT_NE(sig, nullptr);
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string out = bn_bytes(r, static_cast<int>(coordinate)) + bn_bytes(s, static_cast<int>(coordinate));
  ECDSA_SIG_free(sig);
  return out;
}

// The signature of `input` with `key` for `alg` (RS*, PS*, ES*, EdDSA);
// ECDSA as raw r‖s unless `der`.
std::string sign(const Key& key, std::string_view alg, std::string_view input, bool der = false) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = digest_for(alg);
  EXPECT_EQ(EVP_DigestSignInit(ctx, &pctx, md, nullptr, key.pkey.get()), 1) << alg;
  if (alg.starts_with("PS")) {
    EXPECT_GT(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 0);
    EXPECT_GT(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 0);
    EXPECT_GT(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md), 0);
  }
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  size_t size = 0;
  EXPECT_EQ(EVP_DigestSign(ctx, nullptr, &size, in, input.size()), 1);
  std::string sig(size, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &size, in, input.size()), 1) << alg;
  sig.resize(size);
  EVP_MD_CTX_free(ctx);
  if (alg.starts_with("ES") && !der) return der_to_raw(sig, key.coordinate);
  return sig;
}

std::string hmac_sha256(std::string_view secret, std::string_view input) {
  unsigned char out[64];
  size_t size = 0;
  EXPECT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                      reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, sizeof out, &size),
            nullptr);
  return std::string(reinterpret_cast<char*>(out), size);
}

// Each key is made on first use, once per process (ctest runs every test in
// a process of its own, and RSA key generation is the slow part: a test
// makes only the RSA keys it uses).
struct Keys {
  // kid rsa-1 in the main config.
  const Key& rsa1() const { static const Key k = rsa_key(2048); return k; }
  // kid rsa-2 ("alg": "PS256"): the same RSA key material under a second
  // kid, bound to one algorithm — a JWK Set may list one key twice.
  const Key& rsa2() const { return rsa1(); }
  // Not in the main config: the attacker's key, and the rotated-in key.
  const Key& rsa3() const { static const Key k = rsa_key(2048); return k; }
  const Key& rsa1024() const { static const Key k = rsa_key(1024); return k; }
  const Key& ec256() const { static const Key k = ec_key("P-256", 32); return k; }
  const Key& ec384() const { static const Key k = ec_key("P-384", 48); return k; }
  const Key& ec521() const { static const Key k = ec_key("P-521", 66); return k; }
  const Key& ed() const { static const Key k = ed25519_key(); return k; }
  const Key& ec256_other() const { static const Key k = ec_key("P-256", 32); return k; }  // not in the config
};

const Keys& keys() {
  static const Keys k;
  return k;
}

// ---------------------------------------------------------------------------
// Tokens.

// Compact JWS of the given header and payload texts, signed by `key` (none:
// an empty signature).
std::string compact(std::string_view header, std::string_view payload, const Key* key, std::string_view alg) {
  const std::string input = b64(header) + "." + b64(payload);
  return input + "." + (key ? b64(sign(*key, alg, input)) : "");
}

// The header {"alg":ALG,"kid":KID} (no kid when empty).
std::string header(std::string_view alg, std::string_view kid) {
  std::string h = "{\"alg\":\"" + std::string(alg) + "\",\"typ\":\"JWT\"";
  if (!kid.empty()) h += ",\"kid\":\"" + std::string(kid) + "\"";
  return h + "}";
}

// A payload: the defaults (iss of provider `provider`, sub alice, iat, exp an
// hour from now, groups ["g-eng"]) with `changes` applied: a member given
// replaces the default of that name (or is appended); kDrop removes it.
constexpr const char* kDrop = "\x01";
using Changes = std::vector<std::pair<std::string, std::string>>;
std::string payload_for(std::string_view provider, const Changes& changes = {}) {
  Changes members = {
      {"iss", "\"https://" + std::string(provider) + ".example\""},
      {"sub", "\"alice\""},
      {"iat", std::to_string(kNow - 10)},
      {"exp", std::to_string(kNow + 3600)},
      {"groups", "[\"g-eng\"]"},
  };
  for (const auto& [name, value] : changes) {
    bool found = false;
    for (auto& m : members) {
      if (m.first == name) m.second = value, found = true;
    }
    if (!found) members.emplace_back(name, value);
  }
  std::string out = "{";
  for (const auto& [name, value] : members) {
    if (value == kDrop) continue;
    if (out.size() > 1) out += ",";
    out += "\"" + name + "\":" + value;
  }
  return out + "}";
}
std::string payload(const Changes& changes = {}) { return payload_for("idp", changes); }

// A token of `alg` with `kid`, signed by `key`.
std::string token(const Key& key, std::string_view alg, std::string_view kid, const std::string& body = payload()) {
  return compact(header(alg, kid), body, &key, alg);
}

// A login envelope carrying `tok`; provider left out when empty.
std::string login(std::string_view provider, std::string_view tok) {
  std::string line = "{\"type\":\"login\",";
  if (!provider.empty()) line += "\"provider\":\"" + std::string(provider) + "\",";
  return line + "\"token\":\"" + std::string(tok) + "\"}";
}

// The token's parts, to alter one.
struct Parts {
  std::string h, p, s;
};
Parts split(const std::string& tok) {
  const size_t a = tok.find('.'), b = tok.find('.', a + 1);
  return {tok.substr(0, a), tok.substr(a + 1, b - a - 1), tok.substr(b + 1)};
}
std::string join(const Parts& parts) { return parts.h + "." + parts.p + "." + parts.s; }

// ---------------------------------------------------------------------------
// The config: providers for each policy of §15.

std::string all_algorithms() {
  return R"(["RS256","RS384","RS512","PS256","PS384","PS512","ES256","ES384","ES512","EdDSA"])";
}

std::string config_text() {
  const Keys& k = keys();
  const std::string rsa1 = k.rsa1().jwk("rsa-1");
  return R"({
  "version": 1,
  "stages": ["prod"],
  "providers": [
    {"id": "idp", "type": "oidc", "issuer": "https://idp.example", "scope": "organization",
     "jwks": {"keys": [)" + rsa1 + ", " + k.rsa2().jwk("rsa-2", ",\"alg\":\"PS256\",\"use\":\"sig\"") + ", " +
         k.ec256().jwk("ec-256") + ", " + k.ec384().jwk("ec-384") + ", " + k.ec521().jwk("ec-521") + ", " +
         k.ed().jwk("ed-1") + R"(]},
     "algorithms": )" + all_algorithms() + R"(},
    {"id": "narrow", "type": "oidc", "issuer": "https://narrow.example", "scope": "organization",
     "jwks": {"keys": [)" + rsa1 + ", " + k.ec256().jwk("ec-256") + R"(]}, "algorithms": ["RS256", "ES384"]},
    {"id": "aud", "type": "oidc", "issuer": "https://aud.example", "scope": "organization",
     "jwks": {"keys": [)" + rsa1 + R"(]}, "audiences": ["api://one", "api://two"]},
    {"id": "strict", "type": "oidc", "issuer": "https://strict.example", "scope": "organization",
     "jwks": {"keys": [)" + rsa1 + R"(]}, "leeway_seconds": 0},
    {"id": "mig", "type": "oidc", "issuer": "https://mig.example", "scope": "organization",
     "jwks": {"keys": [)" + rsa1 + R"(]}, "accept_unsigned": true},
    {"id": "legacy", "type": "oidc", "issuer": "https://legacy.example", "scope": "organization"}
  ],
  "roles": [{"id": "App.User", "app": "App"}, {"id": "App.Admin", "app": "App"}],
  "groups": [
    {"id": "eng", "stage": "prod", "roles": ["App.User"]},
    {"id": "admins", "stage": "prod", "roles": ["App.Admin", "App.User"]}
  ],
  "mappings": [
    {"id": "m-eng", "provider": "idp", "claim": "groups", "value": "g-eng", "group": "eng"},
    {"id": "m-adm", "provider": "idp", "claim": "groups", "value": "g-adm", "group": "admins"},
    {"id": "m-aud", "provider": "aud", "claim": "groups", "value": "g-eng", "group": "eng"},
    {"id": "m-strict", "provider": "strict", "claim": "groups", "value": "g-eng", "group": "eng"},
    {"id": "m-mig", "provider": "mig", "claim": "groups", "value": "g-eng", "group": "eng"},
    {"id": "m-legacy", "provider": "legacy", "claim": "groups", "value": "g-eng", "group": "eng"}
  ]
})";
}

const Config& config() {
  static const Config* c = new Config(must_load(config_text()));
  return *c;
}

EngineOptions fixed_now() {
  EngineOptions o;
  o.now_seconds = kNow;
  return o;
}

// An engine on the shared config with the clock fixed; line() runs one line
// (seq counting from 1) and gives its output line without the newline.
class Harness {
 public:
  explicit Harness(const Config& c = config()) : engine_(c, fixed_now()) {}
  std::string line(const std::string& input, ErrorCode* code = nullptr) {
    std::string out;
    const ErrorCode got = engine_.process_to_ndjson(input, ++seq_, &out);
    if (code) *code = got;
    EXPECT_TRUE(out.ends_with("\n")) << out;
    if (out.ends_with("\n")) out.pop_back();
    return out;
  }
  Engine& engine() { return engine_; }
  uint64_t seq() const { return seq_; }

 private:
  Engine engine_;
  uint64_t seq_ = 0;
};

// The expected lines (docs/spec.md §8.1's member order). `message` is as the
// line writes it (quotes escaped).
std::string error_line(uint64_t seq, std::string_view provider, std::string_view code, std::string_view message,
                       std::string_view subject = "") {
  std::string s = "{\"seq\": " + std::to_string(seq) + ", \"cause\": \"login\", ";
  if (!provider.empty()) s += "\"provider\": \"" + std::string(provider) + "\", ";
  if (!subject.empty()) s += "\"subject\": \"" + std::string(subject) + "\", ";
  return s + "\"status\": \"error\", \"error\": {\"code\": \"" + std::string(code) + "\", \"message\": \"" +
         std::string(message) + "\"}}";
}

std::string list(std::initializer_list<const char*> names) {
  std::string s = "[";
  for (const char* n : names) s += (s.size() > 1 ? ", \"" : "\"") + std::string(n) + "\"";
  return s + "]";
}

std::string ok_line(uint64_t seq, std::string_view provider, std::string_view subject, bool new_user,
                    std::initializer_list<const char*> added, std::initializer_list<const char*> removed,
                    std::initializer_list<const char*> granted, std::initializer_list<const char*> revoked,
                    std::string_view status = "ok", std::string_view overage = "") {
  std::string s = "{\"seq\": " + std::to_string(seq) + ", \"cause\": \"login\", \"provider\": \"" +
                  std::string(provider) + "\", \"subject\": \"" + std::string(subject) + "\", \"status\": \"" +
                  std::string(status) + "\", \"new_user\": " + (new_user ? "true" : "false") +
                  ", \"groups_added\": " + list(added) + ", \"groups_removed\": " + list(removed) +
                  ", \"roles_granted\": " + list(granted) + ", \"roles_revoked\": " + list(revoked);
  if (!overage.empty()) s += ", \"overage\": " + std::string(overage);
  return s + "}";
}

// alice's first login on `provider`: eng and App.User.
std::string first_ok(uint64_t seq, std::string_view provider, std::string_view subject = "alice") {
  return ok_line(seq, provider, subject, true, {"eng"}, {}, {"App.User"}, {});
}

// ===========================================================================
// Every accepted algorithm verifies (and maps the payload's claims).

TEST(TokenAlgorithms, EveryAcceptedAlgorithmVerifies) {
  const Keys& k = keys();
  struct Case {
    const char* alg;
    const Key* key;
    const char* kid;
  } cases[] = {
      {"RS256", &k.rsa1(), "rsa-1"}, {"RS384", &k.rsa1(), "rsa-1"}, {"RS512", &k.rsa1(), "rsa-1"},
      {"PS256", &k.rsa1(), "rsa-1"}, {"PS384", &k.rsa1(), "rsa-1"}, {"PS512", &k.rsa1(), "rsa-1"},
      {"PS256", &k.rsa2(), "rsa-2"}, {"ES256", &k.ec256(), "ec-256"}, {"ES384", &k.ec384(), "ec-384"},
      {"ES512", &k.ec521(), "ec-521"}, {"EdDSA", &k.ed(), "ed-1"},
  };
  for (const Case& c : cases) {
    Harness h;
    EXPECT_EQ(h.line(login("idp", token(*c.key, c.alg, c.kid))), first_ok(1, "idp")) << c.alg << " " << c.kid;
  }
}

TEST(TokenAlgorithms, NoKidFindsTheOnlyKeyThatFits) {
  const Keys& k = keys();
  // idp: rsa-2 is PS256-only, so RS256 fits rsa-1 alone; one key per curve; one Ed25519 key.
  const std::pair<const char*, const Key*> cases[] = {
      {"RS256", &k.rsa1()}, {"RS512", &k.rsa1()}, {"ES256", &k.ec256()}, {"ES384", &k.ec384()}, {"ES512", &k.ec521()}, {"EdDSA", &k.ed()}};
  for (const auto& [alg, key] : cases) {
    Harness h;
    EXPECT_EQ(h.line(login("idp", token(*key, alg, ""))), first_ok(1, "idp")) << alg;
  }
}

// ===========================================================================
// Envelope forms.

TEST(TokenEnvelope, NamedProvider) {
  Harness h;
  EXPECT_EQ(h.line(R"({"type": "login", "provider": "idp", "token": ")" + token(keys().rsa1(), "RS256", "rsa-1") + "\"}"),
            first_ok(1, "idp"));
  // type may be left out, as for a claims envelope.
  EXPECT_EQ(h.line(R"({"provider": "idp", "token": ")" + token(keys().rsa1(), "RS256", "rsa-1", payload({{"sub", "\"bob\""}})) + "\"}"),
            first_ok(2, "idp", "bob"));
}

TEST(TokenEnvelope, ProviderOmittedIsFoundByIss) {
  Harness h;
  EXPECT_EQ(h.line(login("", token(keys().rsa1(), "RS256", "rsa-1"))), first_ok(1, "idp"));
  EXPECT_EQ(h.line(login("", token(keys().rsa1(), "RS256", "rsa-1", payload_for("aud", {{"aud", "\"api://one\""}})))),
            first_ok(2, "aud"));
  // The payload's iss chooses, not an iss beside the token in the envelope.
  EXPECT_EQ(h.line(R"({"iss": "https://idp.example", "token": ")" +
                   token(keys().rsa1(), "RS256", "rsa-1", payload_for("legacy")) + "\"}"),
            error_line(3, "legacy", "unknown_key", "token: the provider has no keys"));
}

TEST(TokenEnvelope, ClaimsAndTokenBothIsInvalidEvent) {
  Harness h;
  const std::string tok = token(keys().rsa1(), "RS256", "rsa-1");
  EXPECT_EQ(h.line(R"({"type": "login", "provider": "idp", "claims": {"sub": "a"}, "token": ")" + tok + "\"}"),
            R"({"seq": 1, "cause": "login", "status": "error", "error": {"code": "invalid_event", "message": "an envelope carries \"claims\" or \"token\", not both"}})");
  // Whatever the order, and even with claims not an object.
  EXPECT_EQ(h.line(R"({"token": ")" + tok + R"(", "claims": 5})"),
            R"({"seq": 2, "cause": "login", "status": "error", "error": {"code": "invalid_event", "message": "an envelope carries \"claims\" or \"token\", not both"}})");
}

TEST(TokenEnvelope, TokenNotAStringIsInvalidEvent) {
  Harness h;
  const char* expected =
      R"x(, "cause": "login", "status": "error", "error": {"code": "invalid_event", "message": "\"token\" must be a string (a JWS in compact form)"}})x";
  EXPECT_EQ(h.line(R"({"type": "login", "provider": "idp", "token": 42})"), std::string(R"({"seq": 1)") + expected);
  EXPECT_EQ(h.line(R"({"type": "login", "provider": "idp", "token": {"alg": "none"}})"), std::string(R"({"seq": 2)") + expected);
  EXPECT_EQ(h.line(R"({"type": "login", "provider": "idp", "token": null})"), std::string(R"({"seq": 3)") + expected);
  EXPECT_EQ(h.line(R"({"provider": "idp", "token": ["a.b.c"]})"), std::string(R"({"seq": 4)") + expected);
}

TEST(TokenEnvelope, UnknownNamedProvider) {
  Harness h;
  EXPECT_EQ(h.line(login("nope", token(keys().rsa1(), "RS256", "rsa-1"))),
            error_line(1, "", "unknown_provider", R"(no provider \"nope\")"));
  // unknown_provider comes before invalid_token (§15: the new codes follow it).
  EXPECT_EQ(h.line(login("nope", "not-a-token")), error_line(2, "", "unknown_provider", R"(no provider \"nope\")"));
}

TEST(TokenEnvelope, NoProviderAndUnknownIss) {
  Harness h;
  EXPECT_EQ(h.line(login("", token(keys().rsa1(), "RS256", "rsa-1", payload({{"iss", "\"https://evil.example\""}})))),
            error_line(1, "", "unknown_provider", R"(no provider has issuer \"https://evil.example\")"));
  EXPECT_EQ(h.line(login("", token(keys().rsa1(), "RS256", "rsa-1", payload({{"iss", kDrop}})))),
            error_line(2, "", "unknown_provider", R"(the token has no \"iss\" claim to find its provider by)"));
  EXPECT_EQ(h.line(login("", token(keys().rsa1(), "RS256", "rsa-1", payload({{"iss", "7"}})))),
            error_line(3, "", "unknown_provider", R"(the token has no \"iss\" claim to find its provider by)"));
}

// ===========================================================================
// Step 1: the form — invalid_token.

// A payload whose base64url holds both '-' and '_': three '?' encode as
// "Pz8_" and three '>' as "Pj4-", and six in a row hold three aligned.
std::string payload_with_url_characters() {
  return payload({{"pad", "\"" + std::string(6, '?') + std::string(6, '>') + "\""}});
}

TEST(TokenStep1, WrongNumberOfParts) {
  Harness h;
  const std::string tok = token(keys().rsa1(), "RS256", "rsa-1");
  const Parts p = split(tok);
  const char* why = R"(token: a JWS in compact form has three parts separated by '.')";
  EXPECT_EQ(h.line(login("idp", p.h + "." + p.p)), error_line(1, "idp", "invalid_token", why));
  EXPECT_EQ(h.line(login("idp", tok + "." + p.s)), error_line(2, "idp", "invalid_token", why));
  EXPECT_EQ(h.line(login("idp", tok + ".")), error_line(3, "idp", "invalid_token", why));
  EXPECT_EQ(h.line(login("idp", "")), error_line(4, "idp", "invalid_token", why));
  // Without a provider, too (the payload's iss cannot be read).
  EXPECT_EQ(h.line(login("", p.h + "." + p.p)), error_line(5, "", "invalid_token", why));
}

TEST(TokenStep1, Padding) {
  Harness h;
  const std::string tok = token(keys().rsa1(), "RS256", "rsa-1");
  Parts p = split(tok);
  ASSERT_EQ(p.s.size() % 4, 2u);  // 256 bytes: "==" is base64's own padding
  p.s += "==";
  EXPECT_EQ(h.line(login("idp", join(p))),
            error_line(1, "idp", "invalid_token", "token: the signature is not base64url without padding"));
  // A header padded (its length made a multiple of 4 with '=').
  std::string hdr = b64(header("RS256", "rsa-1"));
  ASSERT_NE(hdr.size() % 4, 0u);
  while (hdr.size() % 4 != 0) hdr += "=";
  const Parts q = split(tok);
  EXPECT_EQ(h.line(login("idp", hdr + "." + q.p + "." + q.s)),
            error_line(2, "idp", "invalid_token", "token: the header is not base64url without padding"));
}

TEST(TokenStep1, StandardBase64Characters) {
  Harness h;
  const std::string tok = token(keys().rsa1(), "RS256", "rsa-1", payload_with_url_characters());
  EXPECT_EQ(h.line(login("idp", tok)), first_ok(1, "idp"));  // the unaltered token is fine
  Parts plus = split(tok), slash = split(tok);
  ASSERT_NE(plus.p.find('-'), std::string::npos);
  ASSERT_NE(slash.p.find('_'), std::string::npos);
  plus.p[plus.p.find('-')] = '+';
  slash.p[slash.p.find('_')] = '/';
  EXPECT_EQ(h.line(login("idp", join(plus))),
            error_line(2, "idp", "invalid_token", "token: the payload is not base64url without padding"));
  EXPECT_EQ(h.line(login("idp", join(slash))),
            error_line(3, "idp", "invalid_token", "token: the payload is not base64url without padding"));
  // Other characters: a space, a line break escaped in the JSON string.
  Parts space = split(tok);
  space.s.insert(10, " ");
  EXPECT_EQ(h.line(login("idp", join(space))),
            error_line(4, "idp", "invalid_token", "token: the signature is not base64url without padding"));
  Parts newline = split(tok);
  newline.s.insert(10, "\\n");
  EXPECT_EQ(h.line(login("idp", join(newline))),
            error_line(5, "idp", "invalid_token", "token: the signature is not base64url without padding"));
}

TEST(TokenStep1, NonCanonicalTrailingBits) {
  Harness h;
  // ES256: 64 signature bytes → 86 characters; the last carries 4 unused bits.
  const std::string tok = token(keys().ec256(), "ES256", "ec-256");
  EXPECT_EQ(h.line(login("idp", tok)), first_ok(1, "idp"));
  Parts p = split(tok);
  ASSERT_EQ(p.s.size(), 86u);
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const size_t last = kAlphabet.find(p.s.back());
  ASSERT_EQ(last % 16, 0u);
  p.s.back() = kAlphabet[last + 1];  // same bytes, a unused bit set
  std::string same;
  EXPECT_FALSE(base64url_decode(p.s, &same));
  EXPECT_EQ(h.line(login("idp", join(p))),
            error_line(2, "idp", "invalid_token", "token: the signature is not base64url without padding"));
  // A lone last character (length % 4 == 1) is never base64url.
  Parts q = split(tok);
  q.s += "AAA";
  ASSERT_EQ(q.s.size() % 4, 1u);
  EXPECT_EQ(h.line(login("idp", join(q))),
            error_line(3, "idp", "invalid_token", "token: the signature is not base64url without padding"));
  // One more character is canonical base64url of 65 bytes: a signature of
  // the wrong length (step 4), not a form error.
  Parts r = split(tok);
  r.s += "A";
  EXPECT_EQ(h.line(login("idp", join(r))),
            error_line(4, "idp", "invalid_signature", R"(token: the signature does not verify with key \"ec-256\")"));
}

TEST(TokenStep1, HeaderNotAJsonObject) {
  Harness h;
  const Key& k = keys().rsa1();
  const std::string body = payload();
  EXPECT_EQ(h.line(login("idp", compact("{\"alg\":\"RS256\"", body, &k, "RS256"))),
            error_line(1, "idp", "invalid_token", "token: the header is not JSON in UTF-8"));
  EXPECT_EQ(h.line(login("idp", compact("[\"RS256\"]", body, &k, "RS256"))),
            error_line(2, "idp", "invalid_token", "token: the header is not a JSON object"));
  EXPECT_EQ(h.line(login("idp", compact("\"RS256\"", body, &k, "RS256"))),
            error_line(3, "idp", "invalid_token", "token: the header is not a JSON object"));
  EXPECT_EQ(h.line(login("idp", compact("", body, &k, "RS256"))),
            error_line(4, "idp", "invalid_token", "token: the header is not JSON in UTF-8"));
  EXPECT_EQ(h.line(login("idp", compact("{\"alg\":\"RS256\",\"kid\":\"rsa-\xff\"}", body, &k, "RS256"))),
            error_line(5, "idp", "invalid_token", "token: the header is not JSON in UTF-8"));
}

TEST(TokenStep1, HeaderRepeatedMember) {
  Harness h;
  const Key& k = keys().rsa1();
  const char* why = "token: a member name appears twice in the header";
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","alg":"RS256"})", payload(), &k, "RS256"))),
            error_line(1, "idp", "invalid_token", why));
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","kid":"rsa-2"})", payload(), &k, "RS256"))),
            error_line(2, "idp", "invalid_token", why));
  // Nested: in an object member and in an object inside an array.
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","x":{"a":1,"a":2}})", payload(), &k, "RS256"))),
            error_line(3, "idp", "invalid_token", why));
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","x":[{"a":1,"b":{"c":1,"c":1}}]})", payload(), &k, "RS256"))),
            error_line(4, "idp", "invalid_token", why));
  // Escaped spelling of the same name.
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","\u0061lg":"RS256"})", payload(), &k, "RS256"))),
            error_line(5, "idp", "invalid_token", why));
}

TEST(TokenStep1, PayloadNotAJsonObject) {
  Harness h;
  const Key& k = keys().rsa1();
  const std::string hdr = header("RS256", "rsa-1");
  EXPECT_EQ(h.line(login("idp", compact(hdr, R"({"iss":"https://idp.example","sub":"alice")", &k, "RS256"))),
            error_line(1, "idp", "invalid_token", "token: the payload is not JSON in UTF-8: bad structure"));
  EXPECT_EQ(h.line(login("idp", compact(hdr, "not json", &k, "RS256"))),
            error_line(2, "idp", "invalid_token", "token: the payload is not a JSON object"));
  EXPECT_EQ(h.line(login("idp", compact(hdr, "", &k, "RS256"))),
            error_line(3, "idp", "invalid_token", "token: the payload is not JSON in UTF-8: no JSON value"));
  EXPECT_EQ(h.line(login("idp", compact(hdr, payload() + " {}", &k, "RS256"))),
            error_line(4, "idp", "invalid_token",
                       "token: the payload is not JSON in UTF-8: unexpected content after the value"));
  EXPECT_EQ(h.line(login("idp", compact(hdr, R"(["iss","sub"])", &k, "RS256"))),
            error_line(5, "idp", "invalid_token", "token: the payload is not a JSON object"));
  EXPECT_EQ(h.line(login("idp", compact(hdr, R"("alice")", &k, "RS256"))),
            error_line(6, "idp", "invalid_token", "token: the payload is not a JSON object"));
  EXPECT_EQ(h.line(login("idp", compact(hdr, "42", &k, "RS256"))),
            error_line(7, "idp", "invalid_token", "token: the payload is not a JSON object"));
  EXPECT_EQ(h.line(login("idp", compact(hdr, "null", &k, "RS256"))),
            error_line(8, "idp", "invalid_token", "token: the payload is not a JSON object"));
}

TEST(TokenStep1, PayloadRepeatedMember) {
  Harness h;
  const Key& k = keys().rsa1();
  const std::string hdr = header("RS256", "rsa-1");
  EXPECT_EQ(h.line(login("idp", compact(hdr, payload({{"x", "1"}}).insert(1, "\"sub\":\"mallory\","), &k, "RS256"))),
            error_line(1, "idp", "invalid_token", R"(token: member \"sub\" appears twice in the payload)"));
  EXPECT_EQ(h.line(login("idp", compact(hdr, payload({{"realm", R"({"roles":["a"],"roles":["b"]})"}}), &k, "RS256"))),
            error_line(2, "idp", "invalid_token", R"(token: member \"roles\" appears twice in the payload)"));
  EXPECT_EQ(h.line(login("idp", compact(hdr, payload({{"_claim_names", R"({"groups":"a","groups":"b"})"}}), &k, "RS256"))),
            error_line(3, "idp", "invalid_token", R"(token: member \"groups\" appears twice in the payload)"));
  EXPECT_EQ(h.line(login("idp", compact(hdr, payload({{"\\u0073ub", "\"mallory\""}}), &k, "RS256"))),
            error_line(4, "idp", "invalid_token", R"(token: member \"sub\" appears twice in the payload)"));
}

TEST(TokenStep1, PayloadInvalidUtf8) {
  Harness h;
  const Key& k = keys().rsa1();
  const std::string hdr = header("RS256", "rsa-1");
  EXPECT_EQ(h.line(login("idp", compact(hdr, payload({{"name", "\"caf\xc3\""}}), &k, "RS256"))),
            error_line(1, "idp", "invalid_token", "token: the payload is not JSON in UTF-8: not valid UTF-8"));
  EXPECT_EQ(h.line(login("idp", compact(hdr, payload({{"name", "\"\xed\xa0\x80\""}}), &k, "RS256"))),
            error_line(2, "idp", "invalid_token", "token: the payload is not JSON in UTF-8: not valid UTF-8"));
  // The same without a provider named: no iss can be read from it.
  EXPECT_EQ(h.line(login("", compact(hdr, payload({{"name", "\"\xff\""}}), &k, "RS256"))),
            error_line(3, "", "invalid_token", "token: the payload is not JSON in UTF-8: not valid UTF-8"));
}

// ===========================================================================
// Step 2: the header — invalid_token.

TEST(TokenStep2, AlgorithmNotInTheProvidersList) {
  Harness h;
  // narrow: algorithms RS256 and ES384; its keys are rsa-1 and ec-256.
  EXPECT_EQ(h.line(login("narrow", token(keys().ec256(), "ES256", "ec-256", payload_for("narrow")))),
            error_line(1, "narrow", "invalid_token", R"(token: algorithm \"ES256\" is not one of the provider's algorithms)"));
  EXPECT_EQ(h.line(login("narrow", token(keys().rsa1(), "PS256", "rsa-1", payload_for("narrow")))),
            error_line(2, "narrow", "invalid_token", R"(token: algorithm \"PS256\" is not one of the provider's algorithms)"));
  // aud has the default ["RS256"].
  EXPECT_EQ(h.line(login("aud", token(keys().rsa1(), "RS384", "rsa-1", payload_for("aud", {{"aud", "\"api://one\""}})))),
            error_line(3, "aud", "invalid_token", R"(token: algorithm \"RS384\" is not one of the provider's algorithms)"));
  // narrow has no mappings: an accepted login creates the user and maps nothing.
  EXPECT_EQ(h.line(login("narrow", token(keys().rsa1(), "RS256", "rsa-1", payload_for("narrow")))),
            ok_line(4, "narrow", "alice", true, {}, {}, {}, {}));
}

TEST(TokenStep2, NoneAndHmacAreNeverAccepted) {
  Harness h;
  const std::string body = payload();
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"none"})", body, nullptr, "none"))),
            error_line(1, "idp", "invalid_token", R"(token: algorithm \"none\" is never accepted)"));
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"none","kid":"rsa-1"})", body, nullptr, "none"))),
            error_line(2, "idp", "invalid_token", R"(token: algorithm \"none\" is never accepted)"));
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"None"})", body, nullptr, "none"))),
            error_line(3, "idp", "invalid_token", R"(token: algorithm \"None\" is never accepted)"));
  // HS256 keyed with the provider's public RSA key (the classic confusion attack).
  const std::string hs_header = R"({"alg":"HS256","kid":"rsa-1"})";
  const std::string input = b64(hs_header) + "." + b64(body);
  const std::string hs = input + "." + b64(hmac_sha256(keys().rsa1().jwk("rsa-1"), input));
  EXPECT_EQ(h.line(login("idp", hs)), error_line(4, "idp", "invalid_token", R"(token: algorithm \"HS256\" is never accepted)"));
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"XYZ","kid":"rsa-1"})", body, &keys().rsa1(), "RS256"))),
            error_line(5, "idp", "invalid_token", R"(token: algorithm \"XYZ\" is never accepted)"));
}

TEST(TokenStep2, AlgMissingOrNotAString) {
  Harness h;
  const Key& k = keys().rsa1();
  EXPECT_EQ(h.line(login("idp", compact(R"({"kid":"rsa-1"})", payload(), &k, "RS256"))),
            error_line(1, "idp", "invalid_token", R"(token: the header has no \"alg\")"));
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":256,"kid":"rsa-1"})", payload(), &k, "RS256"))),
            error_line(2, "idp", "invalid_token", R"(token: the header's \"alg\" is not a string)"));
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":["RS256"],"kid":"rsa-1"})", payload(), &k, "RS256"))),
            error_line(3, "idp", "invalid_token", R"(token: the header's \"alg\" is not a string)"));
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":null,"kid":"rsa-1"})", payload(), &k, "RS256"))),
            error_line(4, "idp", "invalid_token", R"(token: the header's \"alg\" is not a string)"));
}

TEST(TokenStep2, CritAndB64AreRefused) {
  Harness h;
  const Key& k = keys().rsa1();
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","crit":["exp"],"exp":1})", payload(), &k, "RS256"))),
            error_line(1, "idp", "invalid_token", R"(token: the header has \"crit\")"));
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","crit":[]})", payload(), &k, "RS256"))),
            error_line(2, "idp", "invalid_token", R"(token: the header has \"crit\")"));
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","b64":true})", payload(), &k, "RS256"))),
            error_line(3, "idp", "invalid_token", R"(token: the header has \"b64\")"));
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","b64":false})", payload(), &k, "RS256"))),
            error_line(4, "idp", "invalid_token", R"(token: the header has \"b64\")"));
}

TEST(TokenStep2, EmbeddedKeysAreNeverUsed) {
  Harness h;
  const Key& attacker = keys().rsa3();  // not one of idp's keys
  const std::string jwk = attacker.jwk("attacker");
  // The attacker's key in the header, the token signed with it.
  // With the kid of a real key: that key is used, and the signature fails.
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","jwk":)" + jwk + "}", payload(), &attacker, "RS256"))),
            error_line(1, "idp", "invalid_signature", R"(token: the signature does not verify with key \"rsa-1\")"));
  // With the attacker's own kid: no such key in the provider's set.
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"attacker","jwk":)" + jwk + "}", payload(), &attacker, "RS256"))),
            error_line(2, "idp", "unknown_key", R"(token: no key has kid \"attacker\")"));
  // Without a kid: the provider's only RS256 key (rsa-1) is used.
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","jwk":)" + jwk + "}", payload(), &attacker, "RS256"))),
            error_line(3, "idp", "invalid_signature", R"(token: the signature does not verify with key \"rsa-1\")"));
  // jku, x5u, x5c pointing elsewhere are not followed either.
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","jku":"https://evil.example/jwks","x5u":"https://evil.example/c","x5c":["MIIB"]})",
                                        payload(), &attacker, "RS256"))),
            error_line(4, "idp", "invalid_signature", R"(token: the signature does not verify with key \"rsa-1\")"));
  // They are ignored, not refused: a genuine token carrying them verifies
  // (§15 step 2: "never used to find a key").
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1","jwk":)" + jwk + R"(,"jku":"https://evil.example/jwks"})",
                                        payload(), &keys().rsa1(), "RS256"))),
            first_ok(5, "idp"));
}

// ===========================================================================
// Step 3: the key — unknown_key.

TEST(TokenStep3, UnknownKid) {
  Harness h;
  EXPECT_EQ(h.line(login("idp", token(keys().rsa1(), "RS256", "rsa-9"))),
            error_line(1, "idp", "unknown_key", R"(token: no key has kid \"rsa-9\")"));
  EXPECT_EQ(h.line(login("idp", token(keys().rsa1(), "RS256", "RSA-1"))),
            error_line(2, "idp", "unknown_key", R"(token: no key has kid \"RSA-1\")"));
  // A kid that is not a string.
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":1})", payload(), &keys().rsa1(), "RS256"))),
            error_line(3, "idp", "invalid_token", R"(token: the header's \"kid\" is not a string)"));
}

TEST(TokenStep3, NoKidAndTwoKeysFit) {
  Harness h;
  // idp: rsa-1 (any RSA algorithm) and rsa-2 ("alg": "PS256") both fit PS256.
  EXPECT_EQ(h.line(login("idp", token(keys().rsa1(), "PS256", ""))),
            error_line(1, "idp", "unknown_key", "token: 2 keys fit PS256 and the token names no kid"));
  // narrow: no ES384 key at all.
  EXPECT_EQ(h.line(login("narrow", token(keys().ec384(), "ES384", "", payload_for("narrow")))),
            error_line(2, "narrow", "unknown_key", "token: no key fits ES384"));
}

TEST(TokenStep3, KeyTypeOrCurveDoesNotFitAlg) {
  Harness h;
  const Keys& k = keys();
  EXPECT_EQ(h.line(login("idp", token(k.ec256(), "ES256", "rsa-1"))),
            error_line(1, "idp", "unknown_key", R"(token: key \"rsa-1\" is a RSA key, not for ES256)"));
  EXPECT_EQ(h.line(login("idp", token(k.rsa1(), "RS256", "ec-256"))),
            error_line(2, "idp", "unknown_key", R"(token: key \"ec-256\" is a EC P-256 key, not for RS256)"));
  EXPECT_EQ(h.line(login("idp", token(k.ec384(), "ES384", "ec-256"))),
            error_line(3, "idp", "unknown_key", R"(token: key \"ec-256\" is a EC P-256 key, not for ES384)"));
  EXPECT_EQ(h.line(login("idp", token(k.ec521(), "ES512", "ec-384"))),
            error_line(4, "idp", "unknown_key", R"(token: key \"ec-384\" is a EC P-384 key, not for ES512)"));
  EXPECT_EQ(h.line(login("idp", token(k.ed(), "EdDSA", "rsa-1"))),
            error_line(5, "idp", "unknown_key", R"(token: key \"rsa-1\" is a RSA key, not for EdDSA)"));
  EXPECT_EQ(h.line(login("idp", token(k.rsa1(), "PS256", "ed-1"))),
            error_line(6, "idp", "unknown_key", R"(token: key \"ed-1\" is a OKP Ed25519 key, not for PS256)"));
}

TEST(TokenStep3, KeysOwnAlgDiffers) {
  Harness h;
  // rsa-2 says "alg": "PS256": it verifies nothing else, even RSA algorithms.
  EXPECT_EQ(h.line(login("idp", token(keys().rsa2(), "RS256", "rsa-2"))),
            error_line(1, "idp", "unknown_key", R"(token: key \"rsa-2\" is for PS256, not for RS256)"));
  EXPECT_EQ(h.line(login("idp", token(keys().rsa2(), "PS384", "rsa-2"))),
            error_line(2, "idp", "unknown_key", R"(token: key \"rsa-2\" is for PS256, not for PS384)"));
  EXPECT_EQ(h.line(login("idp", token(keys().rsa2(), "PS256", "rsa-2"))), first_ok(3, "idp"));
}

TEST(TokenStep3, ProviderWithoutKeys) {
  Harness h;
  EXPECT_EQ(h.line(login("legacy", token(keys().rsa1(), "RS256", "rsa-1", payload_for("legacy")))),
            error_line(1, "legacy", "unknown_key", "token: the provider has no keys"));
  // Found by its iss, the same.
  EXPECT_EQ(h.line(login("", token(keys().rsa1(), "RS256", "", payload_for("legacy")))),
            error_line(2, "legacy", "unknown_key", "token: the provider has no keys"));
}

// ===========================================================================
// Step 4: the signature — invalid_signature.

TEST(TokenStep4, AlteredSignature) {
  const Keys& k = keys();
  struct Case {
    const char* alg;
    const Key* key;
    const char* kid;
  } cases[] = {
      {"RS256", &k.rsa1(), "rsa-1"}, {"RS512", &k.rsa1(), "rsa-1"}, {"PS256", &k.rsa2(), "rsa-2"}, {"PS384", &k.rsa1(), "rsa-1"},
      {"ES256", &k.ec256(), "ec-256"}, {"ES384", &k.ec384(), "ec-384"}, {"ES512", &k.ec521(), "ec-521"}, {"EdDSA", &k.ed(), "ed-1"},
  };
  for (const Case& c : cases) {
    Harness h;
    Parts p = split(token(*c.key, c.alg, c.kid));
    std::string sig = unb64(p.s);
    sig[sig.size() / 2] ^= 0x01;
    p.s = b64(sig);
    EXPECT_EQ(h.line(login("idp", join(p))),
              error_line(1, "idp", "invalid_signature",
                         std::string(R"(token: the signature does not verify with key \")") + c.kid + "\\\""))
        << c.alg;
  }
}

TEST(TokenStep4, AlteredPayload) {
  Harness h;
  const Keys& k = keys();
  // The payload of another token (admins' group) under alice's signature.
  for (auto [alg, key, kid] : {std::tuple{"RS256", &k.rsa1(), "rsa-1"}, std::tuple{"ES256", &k.ec256(), "ec-256"},
                               std::tuple{"EdDSA", &k.ed(), "ed-1"}}) {
    Parts p = split(token(*key, alg, kid));
    p.p = b64(payload({{"groups", R"(["g-eng","g-adm"])"}}));
    const std::string got = h.line(login("idp", join(p)));
    EXPECT_EQ(got,
              error_line(h.seq(), "idp", "invalid_signature",
                         std::string(R"(token: the signature does not verify with key \")") + kid + "\\\""))
        << alg;
  }
  // The header swapped for another kid's does not help either.
  Parts p = split(token(k.rsa1(), "RS256", "rsa-1"));
  p.h = b64(header("RS384", "rsa-1"));
  EXPECT_EQ(h.line(login("idp", join(p))),
            error_line(4, "idp", "invalid_signature", R"(token: the signature does not verify with key \"rsa-1\")"));
}

TEST(TokenStep4, DerEcdsaSignatureIsInvalid) {
  Harness h;
  const Keys& k = keys();
  for (auto [alg, key, kid] : {std::tuple{"ES256", &k.ec256(), "ec-256"}, std::tuple{"ES384", &k.ec384(), "ec-384"},
                               std::tuple{"ES512", &k.ec521(), "ec-521"}}) {
    const std::string input = b64(header(alg, kid)) + "." + b64(payload());
    const std::string der = sign(*key, alg, input, /*der=*/true);
    EXPECT_EQ(static_cast<unsigned char>(der[0]), 0x30);
    const std::string got = h.line(login("idp", input + "." + b64(der)));
    EXPECT_EQ(got,
              error_line(h.seq(), "idp", "invalid_signature",
                         std::string(R"(token: the signature does not verify with key \")") + kid + "\\\""))
        << alg;
  }
}

TEST(TokenStep4, SignatureOfWrongLength) {
  Harness h;
  const Keys& k = keys();
  auto resized = [](const std::string& tok, int delta) {
    Parts p = split(tok);
    std::string sig = unb64(p.s);
    if (delta < 0) sig.resize(sig.size() - 1);
    else sig.push_back('\0');
    p.s = b64(sig);
    return join(p);
  };
  const char* rsa = R"(token: the signature does not verify with key \"rsa-1\")";
  const char* ec = R"(token: the signature does not verify with key \"ec-256\")";
  const char* ed = R"(token: the signature does not verify with key \"ed-1\")";
  EXPECT_EQ(h.line(login("idp", resized(token(k.rsa1(), "RS256", "rsa-1"), -1))), error_line(1, "idp", "invalid_signature", rsa));
  EXPECT_EQ(h.line(login("idp", resized(token(k.rsa1(), "RS256", "rsa-1"), +1))), error_line(2, "idp", "invalid_signature", rsa));
  EXPECT_EQ(h.line(login("idp", resized(token(k.ec256(), "ES256", "ec-256"), -1))), error_line(3, "idp", "invalid_signature", ec));
  EXPECT_EQ(h.line(login("idp", resized(token(k.ec256(), "ES256", "ec-256"), +1))), error_line(4, "idp", "invalid_signature", ec));
  EXPECT_EQ(h.line(login("idp", resized(token(k.ed(), "EdDSA", "ed-1"), -1))), error_line(5, "idp", "invalid_signature", ed));
  // An empty signature part.
  Parts p = split(token(k.rsa1(), "RS256", "rsa-1"));
  p.s.clear();
  EXPECT_EQ(h.line(login("idp", join(p))), error_line(6, "idp", "invalid_signature", rsa));
  // An ES512 signature with the coordinates of P-384 (96 bytes, not 132).
  const std::string input = b64(header("ES512", "ec-521")) + "." + b64(payload());
  EXPECT_EQ(h.line(login("idp", input + "." + b64(sign(k.ec384(), "ES384", input)))),
            error_line(7, "idp", "invalid_signature", R"(token: the signature does not verify with key \"ec-521\")"));
  // A signature by another key of the same type.
  EXPECT_EQ(h.line(login("idp", token(k.ec256_other(), "ES256", "ec-256"))), error_line(8, "idp", "invalid_signature", ec));
}

// ===========================================================================
// Step 5: the issuer — wrong_issuer.

TEST(TokenStep5, WrongIssuer) {
  Harness h;
  const Key& k = keys().rsa1();
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"iss", "\"https://other.example\""}})))),
            error_line(1, "idp", "wrong_issuer",
                       R"(token: iss \"https://other.example\"; provider \"idp\" has issuer \"https://idp.example\")"));
  // The issuer of another configured provider: still this provider's wrong_issuer.
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"iss", "\"https://aud.example\""}})))),
            error_line(2, "idp", "wrong_issuer",
                       R"(token: iss \"https://aud.example\"; provider \"idp\" has issuer \"https://idp.example\")"));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"iss", kDrop}})))),
            error_line(3, "idp", "wrong_issuer", R"(token: no string \"iss\"; provider \"idp\" has issuer \"https://idp.example\")"));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"iss", "42"}})))),
            error_line(4, "idp", "wrong_issuer", R"(token: no string \"iss\"; provider \"idp\" has issuer \"https://idp.example\")"));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"iss", R"(["https://idp.example"])"}})))),
            error_line(5, "idp", "wrong_issuer", R"(token: no string \"iss\"; provider \"idp\" has issuer \"https://idp.example\")"));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"iss", "null"}})))),
            error_line(6, "idp", "wrong_issuer", R"(token: no string \"iss\"; provider \"idp\" has issuer \"https://idp.example\")"));
  // Bytes, not a URL comparison: a trailing slash is another issuer.
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"iss", "\"https://idp.example/\""}})))),
            error_line(7, "idp", "wrong_issuer",
                       R"(token: iss \"https://idp.example/\"; provider \"idp\" has issuer \"https://idp.example\")"));
}

// ===========================================================================
// Step 6: the times.

TEST(TokenStep6, ExpMustBeANumber) {
  Harness h;
  const Key& k = keys().rsa1();
  const char* why = R"(token: no numeric \"exp\" (a token must expire))";
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"exp", kDrop}})))), error_line(1, "idp", "token_expired", why));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"exp", "\"1800000000\""}})))),
            error_line(2, "idp", "token_expired", why));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"exp", "null"}})))), error_line(3, "idp", "token_expired", why));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"exp", "true"}})))), error_line(4, "idp", "token_expired", why));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"exp", "[1800000000]"}})))),
            error_line(5, "idp", "token_expired", why));
}

TEST(TokenStep6, ExpWithLeeway) {
  Harness h;
  const Key& k = keys().rsa1();
  // now == exp + leeway (60): accepted.
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"exp", std::to_string(kNow - 60)}})))),
            first_ok(1, "idp"));
  // One second later: expired.
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"sub", "\"bob\""}, {"exp", std::to_string(kNow - 61)}})))),
            error_line(2, "idp", "token_expired", "token: expired at 1699999939; now is 1700000000, leeway 60 s"));
  // Half a second late.
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"sub", "\"bob\""}, {"exp", "1699999939.5"}})))),
            error_line(3, "idp", "token_expired", "token: expired at 1699999939.5; now is 1700000000, leeway 60 s"));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"sub", "\"bob\""}, {"exp", "1699999940.0"}})))),
            first_ok(4, "idp", "bob"));
}

TEST(TokenStep6, NbfWithLeeway) {
  Harness h;
  const Key& k = keys().rsa1();
  // now == nbf - leeway: accepted.
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"nbf", std::to_string(kNow + 60)}})))),
            first_ok(1, "idp"));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"sub", "\"bob\""}, {"nbf", std::to_string(kNow + 61)}})))),
            error_line(2, "idp", "token_not_yet_valid", "token: not valid before 1700000061; now is 1700000000, leeway 60 s"));
  // nbf present but not a number (the spec is silent: the engine refuses it).
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"sub", "\"bob\""}, {"nbf", "\"1600000000\""}})))),
            error_line(3, "idp", "token_not_yet_valid", R"(token: \"nbf\" is not a number)"));
  // nbf in the past, absent: fine.
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"sub", "\"bob\""}, {"nbf", std::to_string(kNow - 1000)}})))),
            first_ok(4, "idp", "bob"));
}

TEST(TokenStep6, LeewayZero) {
  Harness h;
  const Key& k = keys().rsa1();
  // strict: leeway_seconds 0.
  EXPECT_EQ(h.line(login("strict", token(k, "RS256", "rsa-1", payload_for("strict", {{"exp", std::to_string(kNow)}})))),
            first_ok(1, "strict"));
  EXPECT_EQ(h.line(login("strict", token(k, "RS256", "rsa-1", payload_for("strict", {{"sub", "\"bob\""}, {"exp", std::to_string(kNow - 1)}})))),
            error_line(2, "strict", "token_expired", "token: expired at 1699999999; now is 1700000000, leeway 0 s"));
  EXPECT_EQ(h.line(login("strict", token(k, "RS256", "rsa-1", payload_for("strict", {{"sub", "\"bob\""}, {"nbf", std::to_string(kNow)}})))),
            first_ok(3, "strict", "bob"));
  EXPECT_EQ(h.line(login("strict", token(k, "RS256", "rsa-1", payload_for("strict", {{"sub", "\"carol\""}, {"nbf", std::to_string(kNow + 1)}})))),
            error_line(4, "strict", "token_not_yet_valid", "token: not valid before 1700000001; now is 1700000000, leeway 0 s"));
}

TEST(TokenStep6, WallClockWhenNowIsNotFixed) {
  // Without now_seconds the wall clock decides: a token valid around now
  // passes, one expired in 2001 does not.
  Engine engine(config());
  const int64_t wall = static_cast<int64_t>(std::time(nullptr));
  std::string out;
  (void)engine.process_to_ndjson(
      login("idp", token(keys().rsa1(), "RS256", "rsa-1", payload({{"iat", std::to_string(wall)}, {"exp", std::to_string(wall + 600)}}))), 1,
      &out);
  EXPECT_EQ(out, first_ok(1, "idp") + "\n");
  out.clear();
  (void)engine.process_to_ndjson(login("idp", token(keys().rsa1(), "RS256", "rsa-1", payload({{"sub", "\"bob\""}, {"exp", "1000000000"}}))), 2, &out);
  EXPECT_TRUE(out.starts_with(
      R"({"seq": 2, "cause": "login", "provider": "idp", "status": "error", "error": {"code": "token_expired", "message": "token: expired at 1000000000; now is )"))
      << out;
}

// ===========================================================================
// Step 7: the audience.

TEST(TokenStep7, Audiences) {
  Harness h;
  const Key& k = keys().rsa1();
  EXPECT_EQ(h.line(login("aud", token(k, "RS256", "rsa-1", payload_for("aud", {{"aud", "\"api://two\""}})))), first_ok(1, "aud"));
  EXPECT_EQ(h.line(login("aud", token(k, "RS256", "rsa-1", payload_for("aud", {{"sub", "\"bob\""}, {"aud", R"(["api://x","api://one"])"}})))),
            first_ok(2, "aud", "bob"));
  const char* why = R"(token: \"aud\" names none of the audiences of provider \"aud\")";
  EXPECT_EQ(h.line(login("aud", token(k, "RS256", "rsa-1", payload_for("aud", {{"sub", "\"carol\""}, {"aud", "\"api://three\""}})))),
            error_line(3, "aud", "wrong_audience", why));
  EXPECT_EQ(h.line(login("aud", token(k, "RS256", "rsa-1", payload_for("aud", {{"sub", "\"carol\""}, {"aud", R"(["api://three","api://ONE"])"}})))),
            error_line(4, "aud", "wrong_audience", why));
  EXPECT_EQ(h.line(login("aud", token(k, "RS256", "rsa-1", payload_for("aud", {{"sub", "\"carol\""}})))),
            error_line(5, "aud", "wrong_audience", why));
  EXPECT_EQ(h.line(login("aud", token(k, "RS256", "rsa-1", payload_for("aud", {{"sub", "\"carol\""}, {"aud", "[]"}})))),
            error_line(6, "aud", "wrong_audience", why));
  EXPECT_EQ(h.line(login("aud", token(k, "RS256", "rsa-1", payload_for("aud", {{"sub", "\"carol\""}, {"aud", R"({"api://one":1})"}})))),
            error_line(7, "aud", "wrong_audience", why));
  EXPECT_EQ(h.line(login("aud", token(k, "RS256", "rsa-1", payload_for("aud", {{"sub", "\"carol\""}, {"aud", "null"}})))),
            error_line(8, "aud", "wrong_audience", why));
}

TEST(TokenStep7, NoAudiencesConfiguredMeansAudIsNotChecked) {
  Harness h;
  const Key& k = keys().rsa1();
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"aud", "\"anything\""}})))), first_ok(1, "idp"));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"sub", "\"bob\""}, {"aud", "42"}})))), first_ok(2, "idp", "bob"));
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"sub", "\"carol\""}})))), first_ok(3, "idp", "carol"));
}

// ===========================================================================
// Order: the first failing step is the line's code.

TEST(TokenOrder, FirstFailingStepIsReported) {
  Harness h;
  const Key& k = keys().rsa1();
  // expired AND wrong issuer AND bad signature → invalid_signature (step 4).
  {
    Parts p = split(token(k, "RS256", "rsa-1", payload({{"iss", "\"https://other.example\""}, {"exp", "1000"}})));
    p.s = split(token(k, "RS256", "rsa-1")).s;
    EXPECT_EQ(h.line(login("idp", join(p))),
              error_line(1, "idp", "invalid_signature", R"(token: the signature does not verify with key \"rsa-1\")"));
  }
  // expired AND wrong issuer → wrong_issuer (5 before 6).
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"iss", "\"https://other.example\""}, {"exp", "1000"}})))),
            error_line(2, "idp", "wrong_issuer",
                       R"(token: iss \"https://other.example\"; provider \"idp\" has issuer \"https://idp.example\")"));
  // expired AND wrong audience → token_expired (6 before 7).
  EXPECT_EQ(h.line(login("aud", token(k, "RS256", "rsa-1", payload_for("aud", {{"aud", "\"api://x\""}, {"exp", "1000"}})))),
            error_line(3, "aud", "token_expired", "token: expired at 1000; now is 1700000000, leeway 60 s"));
  // not yet valid AND wrong audience → token_not_yet_valid.
  EXPECT_EQ(h.line(login("aud", token(k, "RS256", "rsa-1", payload_for("aud", {{"aud", "\"api://x\""}, {"nbf", "1800000000"}})))),
            error_line(4, "aud", "token_not_yet_valid", "token: not valid before 1800000000; now is 1700000000, leeway 60 s"));
  // expired AND not yet valid → token_expired.
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"exp", "1000"}, {"nbf", "1800000000"}})))),
            error_line(5, "idp", "token_expired", "token: expired at 1000; now is 1700000000, leeway 60 s"));
  // unknown kid AND bad signature AND expired → unknown_key (3).
  EXPECT_EQ(h.line(login("idp", token(keys().rsa3(), "RS256", "zzz", payload({{"exp", "1000"}})))),
            error_line(6, "idp", "unknown_key", R"(token: no key has kid \"zzz\")"));
  // alg none with an unknown kid → invalid_token (2).
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"none","kid":"zzz"})", payload({{"exp", "1000"}}), nullptr, "none"))),
            error_line(7, "idp", "invalid_token", R"(token: algorithm \"none\" is never accepted)"));
  // a repeated payload member AND alg none → invalid_token (1 and 2 share it).
  EXPECT_EQ(h.line(login("idp", compact(R"({"alg":"RS256","kid":"rsa-1"})", R"({"sub":"a","sub":"b"})", &k, "RS256"))),
            error_line(8, "idp", "invalid_token", R"(token: member \"sub\" appears twice in the payload)"));
  // valid token, everything wrong about the claims but the subject → the token codes first.
  EXPECT_EQ(h.line(login("idp", token(k, "RS256", "rsa-1", payload({{"sub", kDrop}, {"exp", "1000"}})))),
            error_line(9, "idp", "token_expired", "token: expired at 1000; now is 1700000000, leeway 60 s"));
  // The line's own problems come before the token's.
  EXPECT_EQ(h.line(R"({"type": "login", "provider": "idp", "provider": "idp", "token": "x"})"),
            R"({"seq": 10, "status": "error", "error": {"code": "duplicate_claim", "message": "member \"provider\" appears twice in one object"}})");
  EXPECT_EQ(h.line(R"({"type": "logout", "provider": "idp", "token": "x"})"),
            R"({"seq": 11, "status": "error", "error": {"code": "unknown_event_type", "message": "unknown event type \"logout\""}})");
  EXPECT_EQ(h.line(R"({"type": "login", "provider": 7, "token": "x"})"),
            R"({"seq": 12, "cause": "login", "status": "error", "error": {"code": "invalid_event", "message": "\"provider\" must be a string"}})");
}

// ===========================================================================
// Unsigned logins.

TEST(TokenUnsigned, KeyedProviderRefusesDecodedClaims) {
  Harness h;
  const char* why = R"(provider \"idp\" has keys: its logins must carry a signed \"token\" (or set accept_unsigned))";
  EXPECT_EQ(h.line(R"({"type": "login", "provider": "idp", "claims": {"iss": "https://idp.example", "sub": "alice", "groups": ["g-eng"]}})"),
            error_line(1, "idp", "unsigned_token", why));
  EXPECT_EQ(h.line(R"({"provider": "idp", "claims": {"sub": "alice", "groups": ["g-eng"]}})"),
            error_line(2, "idp", "unsigned_token", why));
  // Provider found by the claims' iss.
  EXPECT_EQ(h.line(R"({"claims": {"iss": "https://idp.example", "sub": "alice"}})"), error_line(3, "idp", "unsigned_token", why));
  // A bare decoded token.
  EXPECT_EQ(h.line(R"({"iss": "https://idp.example", "sub": "alice", "groups": ["g-eng"], "exp": 1800000000})"),
            error_line(4, "idp", "unsigned_token", why));
  // The decoded payload of a real token is no better.
  EXPECT_EQ(h.line(payload()), error_line(5, "idp", "unsigned_token", why));
  // Nothing happened to alice.
  EXPECT_FALSE(h.engine().find_user("idp", "alice").has_value());
}

TEST(TokenUnsigned, AcceptUnsignedAndKeylessProviders) {
  Harness h;
  // mig has keys and accept_unsigned: claims and tokens both work.
  EXPECT_EQ(h.line(R"({"type": "login", "provider": "mig", "claims": {"iss": "https://mig.example", "sub": "alice", "groups": ["g-eng"]}})"),
            first_ok(1, "mig"));
  EXPECT_EQ(h.line(R"({"iss": "https://mig.example", "sub": "bob", "groups": ["g-eng"]})"), first_ok(2, "mig", "bob"));
  EXPECT_EQ(h.line(login("mig", token(keys().rsa1(), "RS256", "rsa-1", payload_for("mig", {{"sub", "\"carol\""}})))),
            first_ok(3, "mig", "carol"));
  // ... and its tokens are still verified.
  EXPECT_EQ(h.line(login("mig", token(keys().rsa3(), "RS256", "rsa-1", payload_for("mig", {{"sub", "\"dave\""}})))),
            error_line(4, "mig", "invalid_signature", R"(token: the signature does not verify with key \"rsa-1\")"));
  // legacy has no keys: claims as before.
  EXPECT_EQ(h.line(R"({"type": "login", "provider": "legacy", "claims": {"iss": "https://legacy.example", "sub": "alice", "groups": ["g-eng"]}})"),
            first_ok(5, "legacy"));
  EXPECT_EQ(h.line(R"({"iss": "https://legacy.example", "sub": "bob", "groups": ["g-eng"]})"), first_ok(6, "legacy", "bob"));
  EXPECT_EQ(h.line(R"({"provider": "legacy", "claims": {"sub": "carol", "groups": ["g-eng"], "exp": 1000}})"), first_ok(7, "legacy", "carol"));
}

TEST(TokenUnsigned, PlaceInTheOrder) {
  Harness h;
  // After unknown_provider: ...
  EXPECT_EQ(h.line(R"({"provider": "nope", "claims": {"sub": "alice"}})"), error_line(1, "", "unknown_provider", R"(no provider \"nope\")"));
  EXPECT_EQ(h.line(R"({"provider": "idp", "claims": {"iss": "https://aud.example", "sub": "alice"}})"),
            error_line(2, "", "unknown_provider", R"(token iss \"https://aud.example\" does not match the issuer of provider \"idp\")"));
  EXPECT_EQ(h.line(R"({"iss": "https://nowhere.example", "sub": "alice"})"),
            error_line(3, "", "unknown_provider", R"(no provider has issuer \"https://nowhere.example\")"));
  // ... before missing_subject.
  const char* why = R"(provider \"idp\" has keys: its logins must carry a signed \"token\" (or set accept_unsigned))";
  EXPECT_EQ(h.line(R"({"provider": "idp", "claims": {"iss": "https://idp.example"}})"), error_line(4, "idp", "unsigned_token", why));
  EXPECT_EQ(h.line(R"({"iss": "https://idp.example", "sub": ""})"), error_line(5, "idp", "unsigned_token", why));
  // accept_unsigned: missing_subject as for any claims.
  EXPECT_EQ(h.line(R"({"provider": "mig", "claims": {"iss": "https://mig.example"}})"),
            error_line(6, "mig", "missing_subject", R"(claim \"sub\" must be a non-empty string or an integer)"));
  // Pushes are not logins: a keyed provider takes them.
  EXPECT_EQ(h.line(R"({"type": "assign", "provider": "idp", "subject": "zed", "group": "eng"})"),
            R"({"seq": 7, "cause": "assign", "provider": "idp", "subject": "zed", "status": "ok", "new_user": true, "groups_added": ["eng"], "groups_removed": [], "roles_granted": ["App.User"], "roles_revoked": []})");
}

// ===========================================================================
// After verification, the payload is the login's claims (§3–§5).

TEST(TokenClaims, MappingMissingSubjectStaleAndOverage) {
  Harness h;
  const Key& k = keys().ec256();
  auto tok = [&](const Changes& c) { return login("idp", token(k, "ES256", "ec-256", payload(c))); };
  EXPECT_EQ(h.line(tok({{"groups", R"(["g-eng","g-adm","other"])"}, {"iat", "100"}})),
            ok_line(1, "idp", "alice", true, {"admins", "eng"}, {}, {"App.Admin", "App.User"}, {}));
  // A verified token without a subject.
  EXPECT_EQ(h.line(tok({{"sub", kDrop}})),
            error_line(2, "idp", "missing_subject", R"(claim \"sub\" must be a non-empty string or an integer)"));
  EXPECT_EQ(h.line(tok({{"sub", "1.5"}})),
            error_line(3, "idp", "missing_subject", R"(claim \"sub\" must be a non-empty string or an integer)"));
  // An integer subject gives its text.
  EXPECT_EQ(h.line(tok({{"sub", "1000"}, {"iat", "100"}})), ok_line(4, "idp", "1000", true, {"eng"}, {}, {"App.User"}, {}));
  // Stale guard: an older iat changes nothing...
  EXPECT_EQ(h.line(tok({{"groups", "[]"}, {"iat", "99"}})), ok_line(5, "idp", "alice", false, {}, {}, {}, {}, "stale"));
  // ... an equal one is applied again.
  EXPECT_EQ(h.line(tok({{"groups", R"(["g-eng"])"}, {"iat", "100"}})),
            ok_line(6, "idp", "alice", false, {}, {"admins"}, {}, {"App.Admin"}));
  // Overage: groups left out, named in _claim_names → memberships kept.
  EXPECT_EQ(h.line(tok({{"groups", kDrop}, {"_claim_names", R"({"groups":"src1"})"}, {"_claim_sources", R"({"src1":{"endpoint":"https://graph.example"}})"}, {"iat", "101"}})),
            ok_line(7, "idp", "alice", false, {}, {}, {}, {}, "ok", R"(["groups"])"));
  // A later full token does revoke.
  EXPECT_EQ(h.line(tok({{"groups", "[]"}, {"iat", "102"}})), ok_line(8, "idp", "alice", false, {}, {"eng"}, {}, {"App.User"}));
  // A payload claim named like an envelope member is only a claim.
  EXPECT_EQ(h.line(tok({{"sub", "\"erin\""}, {"provider", "\"legacy\""}, {"type", "\"assign\""}, {"claims", "{}"}})),
            first_ok(9, "idp", "erin"));
}

TEST(TokenClaims, SubjectClaimOfTheProvider) {
  // A provider's subject_claim applies to its tokens' payloads.
  const Keys& k = keys();
  const std::string text = R"({"version": 1, "stages": ["prod"],
    "providers": [{"id": "entra", "type": "oidc", "issuer": "https://entra.example", "scope": "organization",
                   "subject_claim": "oid", "jwks": {"keys": [)" + k.ed().jwk("") + R"(]}, "algorithms": ["EdDSA"]}],
    "roles": [], "groups": [{"id": "eng", "stage": "prod", "roles": []}],
    "mappings": [{"id": "m", "provider": "entra", "claim": "/realm/roles", "value": "dev", "group": "eng"}]})";
  Harness h(must_load(text));
  EXPECT_EQ(h.line(login("", token(k.ed(), "EdDSA", "", payload_for("entra", {{"oid", "\"o-1\""}, {"realm", R"({"roles":["dev"]})"}})))),
            ok_line(1, "entra", "o-1", true, {"eng"}, {}, {}, {}));
  EXPECT_EQ(h.line(login("entra", token(k.ed(), "EdDSA", "", payload_for("entra")))),
            error_line(2, "entra", "missing_subject", R"(claim \"oid\" must be a non-empty string or an integer)"));
}

// ===========================================================================
// Config errors (load_config with a ConfigReport): each with its path.

std::string one_provider(const std::string& members, const std::string& issuer = R"("issuer": "https://p.example", )") {
  return R"({"version": 1, "stages": ["prod"], "providers": [{"id": "p", "type": "oidc", )" + issuer +
         R"("scope": "organization", )" + members + R"(}], "roles": [], "groups": [], "mappings": []})";
}

std::vector<std::string> config_errors(const std::string& json, const std::string& base_dir = "") {
  ConfigReport report;
  Result<Config> r = load_config(json, &report, base_dir);
  EXPECT_FALSE(r.ok());
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidConfig);
  }
  std::vector<std::string> out;
  for (const ConfigProblem& e : report.errors) out.push_back(e.to_string());
  return out;
}

std::string jwks(const std::string& keys_json) { return R"("jwks": {"keys": [)" + keys_json + "]}"; }

using Errors = std::vector<std::string>;

TEST(TokenConfig, PrivateAndSymmetricKeys) {
  const Keys& k = keys();
  EXPECT_EQ(config_errors(one_provider(jwks(k.rsa1().jwk("a", R"(,"d":"AQAB")")))),
            Errors{"providers[0].jwks.keys[0].d: a private key member: only public keys belong in a config"});
  EXPECT_EQ(config_errors(one_provider(jwks(k.ec256().jwk("a", R"(,"d":"AQAB")")))),
            Errors{"providers[0].jwks.keys[0].d: a private key member: only public keys belong in a config"});
  EXPECT_EQ(config_errors(one_provider(jwks(k.rsa1().jwk("a") + ", " + k.rsa2().jwk("b", R"(,"p":"AQAB","q":"AQAB")")))),
            (Errors{"providers[0].jwks.keys[1].p: a private key member: only public keys belong in a config",
                    "providers[0].jwks.keys[1].q: a private key member: only public keys belong in a config"}));
  EXPECT_EQ(config_errors(one_provider(jwks(R"({"kty":"oct","kid":"h","k":"c2VjcmV0"})"))),
            (Errors{"providers[0].jwks.keys[0].k: a private key member: only public keys belong in a config",
                    R"(providers[0].jwks.keys[0].kty: symmetric ("oct") keys are refused: HMAC needs a secret shared with every relying party)"}));
  EXPECT_EQ(config_errors(one_provider(jwks(R"({"kty":"oct","kid":"h"})"))),
            Errors{R"(providers[0].jwks.keys[0].kty: symmetric ("oct") keys are refused: HMAC needs a secret shared with every relying party)"});
}

TEST(TokenConfig, WeakOrBrokenKeys) {
  const Keys& k = keys();
  EXPECT_EQ(config_errors(one_provider(jwks(k.rsa1024().jwk("small")))),
            Errors{"providers[0].jwks.keys[0].n: an RSA modulus of 1024 bits; at least 2048 are needed"});
  // A point off the curve: y changed in its last byte.
  std::string y = k.ec256().y;
  y.back() ^= 0x01;
  const std::string off_curve = R"({"kty":"EC","crv":"P-256","kid":"e","x":")" + b64(k.ec256().x) + R"(","y":")" + b64(y) + "\"}";
  EXPECT_EQ(config_errors(one_provider(jwks(off_curve))),
            Errors{"providers[0].jwks.keys[0]: the point (x, y) is not on curve P-256"});
  // A coordinate of the wrong length.
  const std::string short_x = R"({"kty":"EC","crv":"P-256","kid":"e","x":")" + b64(k.ec256().x.substr(1)) + R"(","y":")" +
                              b64(k.ec256().y) + "\"}";
  EXPECT_EQ(config_errors(one_provider(jwks(short_x))), Errors{"providers[0].jwks.keys[0].x: must be 32 octets for P-256"});
  const std::string long_y = R"({"kty":"EC","crv":"P-384","kid":"e","x":")" + b64(k.ec384().x) + R"(","y":")" +
                             b64(std::string(1, '\0') + k.ec384().y) + "\"}";
  EXPECT_EQ(config_errors(one_provider(jwks(long_y))), Errors{"providers[0].jwks.keys[0].y: must be 48 octets for P-384"});
  // A P-256 key's coordinates under P-384.
  const std::string wrong_curve = R"({"kty":"EC","crv":"P-384","kid":"e","x":")" + b64(k.ec256().x) + R"(","y":")" +
                                  b64(k.ec256().y) + "\"}";
  EXPECT_EQ(config_errors(one_provider(jwks(wrong_curve))), Errors{"providers[0].jwks.keys[0].x: must be 48 octets for P-384"});
}

TEST(TokenConfig, UseKidAndAlgOfKeys) {
  const Keys& k = keys();
  EXPECT_EQ(config_errors(one_provider(jwks(k.rsa1().jwk("a", R"(,"use":"enc")")))),
            Errors{R"(providers[0].jwks.keys[0].use: must be "sig" for a key that verifies signatures, not "enc")"});
  EXPECT_EQ(config_errors(one_provider(jwks(k.rsa1().jwk("same") + ", " + k.ec256().jwk("same")))),
            Errors{R"(providers[0].jwks.keys[1].kid: kid "same" is also the kid of another key)"});
  EXPECT_EQ(config_errors(one_provider(jwks(k.rsa1().jwk("a", R"(,"alg":"HS256")")))),
            Errors{R"(providers[0].jwks.keys[0].alg: algorithm "HS256" is not one ClaimMap verifies)"});
  EXPECT_EQ(config_errors(one_provider(jwks(k.rsa1().jwk("a", R"(,"alg":"ES256")")))),
            Errors{"providers[0].jwks.keys[0].alg: ES256 does not fit a RSA key"});
  EXPECT_EQ(config_errors(one_provider(jwks(R"({"kty":"EC","crv":"secp256k1","kid":"k","x":"AQ","y":"AQ"})"))),
            Errors{R"(providers[0].jwks.keys[0].crv: curve "secp256k1" is not one of P-256, P-384, P-521)"});
  EXPECT_EQ(config_errors(one_provider(jwks(R"({"kty":"OKP","crv":"X25519","kid":"k","x":"AQ"})"))),
            Errors{R"(providers[0].jwks.keys[0].crv: curve "X25519" is not Ed25519)"});
  EXPECT_EQ(config_errors(one_provider(R"("jwks": {"keys": []})")),
            Errors{"providers[0].jwks.keys: empty: a provider with a JWK Set needs at least one key"});
}

TEST(TokenConfig, Algorithms) {
  const std::string keys_member = jwks(keys().rsa1().jwk("a")) + ", ";
  EXPECT_EQ(config_errors(one_provider(keys_member + R"("algorithms": ["none"])")),
            Errors{R"(providers[0].algorithms[0]: "none" is never accepted: a token must be signed)"});
  EXPECT_EQ(config_errors(one_provider(keys_member + R"("algorithms": ["RS256", "HS256"])")),
            Errors{R"(providers[0].algorithms[1]: "HS256" is refused: an HMAC key is a secret shared with every relying party)"});
  EXPECT_EQ(config_errors(one_provider(keys_member + R"("algorithms": ["HS384", "HS512"])")),
            (Errors{R"(providers[0].algorithms[0]: "HS384" is refused: an HMAC key is a secret shared with every relying party)",
                    R"(providers[0].algorithms[1]: "HS512" is refused: an HMAC key is a secret shared with every relying party)"}));
  EXPECT_EQ(config_errors(one_provider(keys_member + R"("algorithms": ["XYZ"])")),
            Errors{R"(providers[0].algorithms[0]: unknown algorithm "XYZ" (RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA))"});
  EXPECT_EQ(config_errors(one_provider(keys_member + R"("algorithms": ["rs256"])")),
            Errors{R"(providers[0].algorithms[0]: unknown algorithm "rs256" (RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA))"});
  EXPECT_EQ(config_errors(one_provider(keys_member + R"("algorithms": [])")), Errors{"providers[0].algorithms: empty"});
  // All ten are accepted.
  ConfigReport report;
  EXPECT_TRUE(load_config(one_provider(keys_member + R"("algorithms": )" + all_algorithms()), &report).ok());
}

TEST(TokenConfig, LeewayAndIssuer) {
  const std::string keys_member = jwks(keys().rsa1().jwk("a"));
  for (const char* bad : {"601", "-1", "1.5", "\"60\"", "true"}) {
    EXPECT_EQ(config_errors(one_provider(keys_member + R"(, "leeway_seconds": )" + bad)),
              Errors{"providers[0].leeway_seconds: must be a whole number of seconds from 0 to 600"})
        << bad;
  }
  for (const char* good : {"0", "600"}) {
    EXPECT_TRUE(load_config(one_provider(keys_member + R"(, "leeway_seconds": )" + good)).ok()) << good;
  }
  EXPECT_EQ(config_errors(one_provider(keys_member, "")),
            Errors{"providers[0].issuer: missing: a provider with keys needs an issuer (tokens are checked against it)"});
  EXPECT_EQ(config_errors(one_provider(keys_member, R"("issuer": null, )")),
            Errors{"providers[0].issuer: missing: a provider with keys needs an issuer (tokens are checked against it)"});
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "claimmap-token-rules-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(TokenConfig, JwksAndJwksFile) {
  TempDir dir;
  write_all(dir.path() + "/jwks.json", R"({"keys": [)" + keys().rsa1().jwk("a") + "]}");
  EXPECT_EQ(config_errors(one_provider(jwks(keys().rsa1().jwk("a")) + R"(, "jwks_file": "jwks.json")"), dir.path()),
            Errors{R"(providers[0].jwks_file: give "jwks" or "jwks_file", not both)"});
  const std::string missing = dir.path() + "/missing.json";
  EXPECT_EQ(config_errors(one_provider(R"("jwks_file": "missing.json")"), dir.path()),
            Errors{"providers[0].jwks_file: cannot read \"" + missing + "\": cannot open " + missing +
                   ": No such file or directory"});
  // The file's own problems carry the member's path.
  write_all(dir.path() + "/bad.json", R"({"keys": [)" + keys().rsa1().jwk("a", R"(,"d":"AQAB")") + "]}");
  EXPECT_EQ(config_errors(one_provider(R"("jwks_file": "bad.json")"), dir.path()),
            Errors{"providers[0].jwks_file.keys[0].d: a private key member: only public keys belong in a config"});
  EXPECT_TRUE(load_config(one_provider(R"("jwks_file": "jwks.json")"), nullptr, dir.path()).ok());
}

TEST(TokenConfig, EveryErrorListedAtOnce) {
  const Keys& k = keys();
  const std::string json = R"({"version": 1, "stages": ["prod"], "providers": [
    {"id": "p", "type": "oidc", "scope": "organization",
     "jwks": {"keys": [)" + k.rsa1024().jwk("x") + ", " + k.rsa1().jwk("x", R"(,"d":"AQAB","use":"enc")") + R"(]},
     "algorithms": ["none", "RS256", "HS256", "XYZ"], "leeway_seconds": 601},
    {"id": "q", "type": "oidc", "issuer": "https://q.example", "scope": "organization",
     "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "jwks_file": "q.json", "algorithms": [], "leeway_seconds": -1}
  ], "roles": [], "groups": [], "mappings": []})";
  EXPECT_EQ(config_errors(json),
            (Errors{
                "providers[0].jwks.keys[0].n: an RSA modulus of 1024 bits; at least 2048 are needed",
                "providers[0].jwks.keys[1].d: a private key member: only public keys belong in a config",
                R"(providers[0].jwks.keys[1].use: must be "sig" for a key that verifies signatures, not "enc")",
                R"(providers[0].algorithms[0]: "none" is never accepted: a token must be signed)",
                R"(providers[0].algorithms[2]: "HS256" is refused: an HMAC key is a secret shared with every relying party)",
                R"(providers[0].algorithms[3]: unknown algorithm "XYZ" (RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA))",
                "providers[0].leeway_seconds: must be a whole number of seconds from 0 to 600",
                "providers[0].issuer: missing: a provider with keys needs an issuer (tokens are checked against it)",
                R"(providers[1].jwks_file: give "jwks" or "jwks_file", not both)",
                "providers[1].algorithms: empty",
                "providers[1].leeway_seconds: must be a whole number of seconds from 0 to 600",
            }));
}

// ===========================================================================
// jwks_file: relative to the config file's folder, read again at reload.

std::string file_config(const std::string& provider_members) {
  return R"({"version": 1, "stages": ["prod"], "providers": [
    {"id": "idp", "type": "oidc", "issuer": "https://idp.example", "scope": "organization", )" + provider_members + R"(},
    {"id": "legacy", "type": "oidc", "issuer": "https://legacy.example", "scope": "organization"}],
  "roles": [{"id": "App.User", "app": "App"}],
  "groups": [{"id": "eng", "stage": "prod", "roles": ["App.User"]}],
  "mappings": [{"id": "m-eng", "provider": "idp", "claim": "groups", "value": "g-eng", "group": "eng"},
               {"id": "m-legacy", "provider": "legacy", "claim": "groups", "value": "g-eng", "group": "eng"}]})";
}

Config must_load_file(const std::string& path) {
  ConfigReport report;
  Result<Config> c = load_config_file(path, &report);
  if (!c.ok()) {
    for (const auto& e : report.errors) ADD_FAILURE() << e.to_string();
    std::abort();
  }
  return c.value();
}

TEST(TokenKeysFile, RelativeToTheConfigFolderAndRotatedAtReload) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/keys");
  const std::string config_path = dir.path() + "/config.json";
  write_all(config_path, file_config(R"("jwks_file": "keys/jwks.json")"));
  write_all(dir.path() + "/keys/jwks.json", R"({"keys": [)" + keys().rsa1().jwk("old") + "]}");

  // Relative to the config's folder, not to the current directory.
  EXPECT_EQ(config_errors(read_all(config_path)),
            Errors{R"(providers[0].jwks_file: cannot read "keys/jwks.json": cannot open keys/jwks.json: No such file or directory)"});
  EXPECT_EQ(config_folder(config_path), dir.path());

  Engine engine(must_load_file(config_path), fixed_now());
  uint64_t seq = 0;
  auto run = [&](const std::string& line) {
    std::string out;
    (void)engine.process_to_ndjson(line, ++seq, &out);
    if (out.ends_with("\n")) out.pop_back();
    return out;
  };
  EXPECT_EQ(run(login("idp", token(keys().rsa1(), "RS256", "old"))), first_ok(1, "idp"));
  EXPECT_EQ(run(R"({"provider": "legacy", "claims": {"sub": "bob", "groups": ["g-eng"]}})"), first_ok(2, "legacy", "bob"));

  // Rotation: the file now holds the new key only. The engine keeps the keys
  // it loaded until a reload reads the file again.
  write_all(dir.path() + "/keys/jwks.json", R"({"keys": [)" + keys().rsa3().jwk("new") + "]}");
  EXPECT_EQ(run(login("idp", token(keys().rsa3(), "RS256", "new", payload({{"sub", "\"carol\""}})))),
            error_line(3, "idp", "unknown_key", R"(token: no key has kid \"new\")"));
  Result<ReloadResult> reloaded = engine.reload(must_load_file(config_path));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  EXPECT_TRUE(reloaded.value().deltas.empty());
  std::string reload_lines;
  reloaded.value().append_ndjson(4, &reload_lines);
  EXPECT_EQ(reload_lines, "");
  EXPECT_EQ(engine.config_version(), 2u);

  EXPECT_EQ(run(login("idp", token(keys().rsa1(), "RS256", "old", payload({{"iat", std::to_string(kNow)}})))),
            error_line(4, "idp", "unknown_key", R"(token: no key has kid \"old\")"));
  // The old key under the new kid is refused too; the new key verifies.
  EXPECT_EQ(run(login("idp", token(keys().rsa1(), "RS256", "new"))),
            error_line(5, "idp", "invalid_signature", R"(token: the signature does not verify with key \"new\")"));
  EXPECT_EQ(run(login("idp", token(keys().rsa3(), "RS256", "new", payload({{"iat", std::to_string(kNow)}})))),
            ok_line(6, "idp", "alice", false, {}, {}, {}, {}));
  // alice kept her group through the reload.
  EXPECT_EQ(engine.effective_roles("idp", "alice"), (std::vector<std::string>{"App.User"}));
  EXPECT_EQ(engine.effective_roles("legacy", "bob"), (std::vector<std::string>{"App.User"}));

  // A file that went bad refuses the reload, with the config's path of it.
  write_all(dir.path() + "/keys/jwks.json", R"({"keys": [)" + keys().rsa1024().jwk("weak") + "]}");
  ConfigReport report;
  EXPECT_FALSE(load_config_file(config_path, &report).ok());
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].to_string(), "providers[0].jwks_file.keys[0].n: an RSA modulus of 1024 bits; at least 2048 are needed");
}

TEST(TokenKeysFile, ReloadOfPolicyOnlyEmitsNothingAndKeepsGroups) {
  const Keys& k = keys();
  Harness h(must_load(file_config(jwks(k.rsa1().jwk("a")))));
  EXPECT_EQ(h.line(login("idp", token(k.rsa1(), "RS256", "a"))), first_ok(1, "idp"));
  EXPECT_EQ(h.line(R"({"provider": "legacy", "claims": {"sub": "bob", "groups": ["g-eng"]}})"), first_ok(2, "legacy", "bob"));
  EXPECT_EQ(h.line(R"({"type": "assign", "provider": "idp", "subject": "carol", "group": "eng"})"),
            R"({"seq": 3, "cause": "assign", "provider": "idp", "subject": "carol", "status": "ok", "new_user": true, "groups_added": ["eng"], "groups_removed": [], "roles_granted": ["App.User"], "roles_revoked": []})");
  const std::string before = h.engine().export_state();

  const std::vector<std::string> next_members = {
      // other keys
      jwks(k.ec256().jwk("b") + ", " + k.ed().jwk("c")) + R"(, "algorithms": ["ES256", "EdDSA"])",
      // algorithms, audiences, leeway
      jwks(k.ec256().jwk("b") + ", " + k.ed().jwk("c")) +
          R"(, "algorithms": ["EdDSA"], "audiences": ["api://x"], "leeway_seconds": 0)",
      // back to the first keys, with accept_unsigned
      jwks(k.rsa1().jwk("a")) + R"(, "accept_unsigned": true)",
  };
  for (const std::string& members : next_members) {
    Result<ReloadResult> r = h.engine().reload(must_load(file_config(members)));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(r.value().deltas.empty()) << members;
    std::string lines;
    r.value().append_ndjson(h.seq() + 1, &lines);
    EXPECT_EQ(lines, "") << members;
    EXPECT_EQ(h.engine().export_state(), before) << members;
  }
  // Keys given to the keyless provider: no reload line either, and its
  // decoded logins are now unsigned_token (its users keep their groups).
  const std::string keyed_legacy = [&] {
    std::string text = file_config(jwks(k.rsa1().jwk("a")));
    const std::string from = R"({"id": "legacy", "type": "oidc", "issuer": "https://legacy.example", "scope": "organization"})";
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos);
    text.replace(at, from.size(),
                 R"({"id": "legacy", "type": "oidc", "issuer": "https://legacy.example", "scope": "organization", )" +
                     jwks(k.ed().jwk("l")) + R"(, "algorithms": ["EdDSA"]})");
    return text;
  }();
  Result<ReloadResult> r2 = h.engine().reload(must_load(keyed_legacy));
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2.value().deltas.empty());
  EXPECT_EQ(h.engine().export_state(), before);
  EXPECT_EQ(h.line(R"({"provider": "legacy", "claims": {"sub": "bob", "groups": []}})"),
            error_line(4, "legacy", "unsigned_token",
                       R"(provider \"legacy\" has keys: its logins must carry a signed \"token\" (or set accept_unsigned))"));
  EXPECT_EQ(h.engine().effective_roles("legacy", "bob"), (std::vector<std::string>{"App.User"}));
  EXPECT_EQ(h.line(login("", token(k.ed(), "EdDSA", "l", payload_for("legacy", {{"sub", "\"bob\""}})))),
            ok_line(5, "legacy", "bob", false, {}, {}, {}, {}));
}

TEST(TokenKeysFile, NewPolicyAppliesAfterReload) {
  const Keys& k = keys();
  Harness h(must_load(file_config(jwks(k.rsa1().jwk("a")))));
  EXPECT_EQ(h.line(login("idp", token(k.rsa1(), "RS256", "a"))), first_ok(1, "idp"));
  ASSERT_TRUE(h.engine()
                  .reload(must_load(file_config(jwks(k.rsa1().jwk("a")) +
                                                R"(, "algorithms": ["PS256"], "audiences": ["api://x"], "leeway_seconds": 0)")))
                  .ok());
  EXPECT_EQ(h.line(login("idp", token(k.rsa1(), "RS256", "a"))),
            error_line(2, "idp", "invalid_token", R"(token: algorithm \"RS256\" is not one of the provider's algorithms)"));
  EXPECT_EQ(h.line(login("idp", token(k.rsa1(), "PS256", "a"))),
            error_line(3, "idp", "wrong_audience", R"(token: \"aud\" names none of the audiences of provider \"idp\")"));
  EXPECT_EQ(h.line(login("idp", token(k.rsa1(), "PS256", "a", payload({{"aud", "\"api://x\""}, {"exp", std::to_string(kNow - 1)}})))),
            error_line(4, "idp", "token_expired", "token: expired at 1699999999; now is 1700000000, leeway 0 s"));
  EXPECT_EQ(h.line(login("idp", token(k.rsa1(), "PS256", "a", payload({{"aud", "\"api://x\""}, {"groups", "[]"}})))),
            ok_line(5, "idp", "alice", false, {}, {"eng"}, {}, {"App.User"}));
}

// ===========================================================================
// Determinism and counters.

// Several hundred lines of every kind: valid tokens of each algorithm, each
// token error, decoded logins, pushes; users repeat so that order matters.
constexpr int kMixedLines = 768;
std::string mixed_input() {
  const Keys& k = keys();
  std::string in;
  for (int i = 0; i < kMixedLines; ++i) {
    const std::string sub = "\"u" + std::to_string(i % 41) + "\"";
    const std::string iat = std::to_string(kNow - 1000 + i);
    const Changes base = {{"sub", sub}, {"iat", iat}};
    auto with = [&](Changes more) {
      Changes c = base;
      c.insert(c.end(), more.begin(), more.end());
      return c;
    };
    std::string line;
    switch (i % 16) {
      case 0: line = login("idp", token(k.rsa1(), "RS256", "rsa-1", payload(with({{"groups", R"(["g-eng"])"}})))); break;
      case 1: line = login("", token(k.ec256(), "ES256", "", payload(with({{"groups", R"(["g-adm"])"}})))); break;
      case 2: line = login("idp", token(k.ed(), "EdDSA", "ed-1", payload(with({{"groups", "[]"}})))); break;
      case 3: line = login("idp", token(k.rsa2(), "PS256", "rsa-2", payload(with({{"groups", R"(["g-eng","g-adm"])"}})))); break;
      case 4: line = login("idp", token(k.ec521(), "ES512", "ec-521", payload(with({{"exp", "1000"}})))); break;
      case 5: line = login("idp", token(k.rsa3(), "RS384", "rsa-1", payload(with({})))); break;
      case 6: line = login("idp", token(k.rsa1(), "RS512", "rsa-7", payload(with({})))); break;
      case 7:
        line = login("aud", token(k.rsa1(), "RS256", "rsa-1",
                                  payload_for("aud", with({{"aud", i % 32 == 7 ? "\"api://one\"" : "\"api://no\""}}))));
        break;
      case 8: line = R"({"provider": "idp", "claims": {"sub": )" + sub + R"(, "groups": ["g-eng"]}})"; break;
      case 9: line = R"({"iss": "https://legacy.example", "sub": )" + sub + R"(, "groups": ["g-eng"], "iat": )" + iat + "}"; break;
      case 10: line = login("idp", "eyJhbGciOiJSUzI1NiJ9.e30=.AAAA"); break;
      case 11:
        line = login("idp", token(k.ec384(), "ES384", "ec-384",
                                  payload(with({{"groups", kDrop}, {"_claim_names", R"({"groups":"s"})"}}))));
        break;
      case 12: line = login("idp", token(k.rsa1(), "RS256", "rsa-1", payload(with({{"iss", "\"https://aud.example\""}})))); break;
      case 13: line = login("idp", token(k.rsa1(), "PS512", "rsa-1", payload(with({{"nbf", "1800000000"}})))); break;
      case 14: line = R"({"type": "assign", "provider": "idp", "subject": )" + sub + R"(, "group": "admins"})"; break;
      case 15: line = i % 3 == 0 ? std::string() : login("idp", compact(R"({"alg":"none"})", payload(with({})), nullptr, "none")); break;
    }
    in += line + "\n";
  }
  return in;
}

TEST(TokenDeterminism, SameOutputAtOneTwoAndEightThreads) {
  const std::string input = mixed_input();
  std::string expected;
  {
    Engine engine(config(), fixed_now());
    uint64_t seq = 0;
    for (const std::string& line : lines_of(input)) {
      ++seq;
      if (line.empty()) continue;
      (void)engine.process_to_ndjson(line, seq, &expected);
    }
  }
  // The input spans several of run_stream's 64 KiB blocks, so that blocks
  // are verified on different threads at once.
  EXPECT_GT(input.size(), size_t{4} << 16);
  // TBB caps its workers at the machine's cores less one: let 8 be 8.
  tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism, 8);
  std::string first_state;
  for (unsigned threads : {1u, 2u, 8u}) {
    Engine engine(config(), fixed_now());
    StreamOptions options;
    options.threads = threads;
    std::string output;
    StreamSummary summary;
    Status s = run_stream(engine, input, &output, options, &summary);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(output, expected) << threads << " threads";
    EXPECT_EQ(summary.lines, static_cast<uint64_t>(kMixedLines));
    if (first_state.empty()) first_state = engine.export_state();
    EXPECT_EQ(engine.export_state(), first_state) << threads << " threads";
  }
  // Every code of §15 appears in the stream.
  for (const char* code : {"\"ok\"", "invalid_token", "unknown_key", "invalid_signature", "wrong_issuer", "token_expired",
                           "token_not_yet_valid", "wrong_audience", "unsigned_token", "\"overage\""}) {
    EXPECT_NE(expected.find(code), std::string::npos) << code;
  }
}

TEST(TokenCounters, ErrorsByCodeCountTheNewCodes) {
  EXPECT_EQ(error_code_name(ErrorCode::kInvalidToken), "invalid_token");
  EXPECT_EQ(error_code_name(ErrorCode::kUnknownKey), "unknown_key");
  EXPECT_EQ(error_code_name(ErrorCode::kInvalidSignature), "invalid_signature");
  EXPECT_EQ(error_code_name(ErrorCode::kWrongIssuer), "wrong_issuer");
  EXPECT_EQ(error_code_name(ErrorCode::kTokenExpired), "token_expired");
  EXPECT_EQ(error_code_name(ErrorCode::kTokenNotYetValid), "token_not_yet_valid");
  EXPECT_EQ(error_code_name(ErrorCode::kWrongAudience), "wrong_audience");
  EXPECT_EQ(error_code_name(ErrorCode::kUnsignedToken), "unsigned_token");
  // §8's order: after unknown_provider, before missing_subject.
  EXPECT_LT(ErrorCode::kUnknownProvider, ErrorCode::kInvalidToken);
  EXPECT_LT(ErrorCode::kUnsignedToken, ErrorCode::kMissingSubject);

  const Keys& k = keys();
  struct Case {
    std::string line;
    ErrorCode code;
    int count;
  };
  const std::vector<Case> cases = {
      {login("idp", "a.b"), ErrorCode::kInvalidToken, 2},
      {login("idp", token(k.rsa1(), "RS256", "zzz")), ErrorCode::kUnknownKey, 1},
      {login("idp", token(k.rsa3(), "RS256", "rsa-1")), ErrorCode::kInvalidSignature, 3},
      {login("idp", token(k.rsa1(), "RS256", "rsa-1", payload({{"iss", "\"x\""}}))), ErrorCode::kWrongIssuer, 1},
      {login("idp", token(k.rsa1(), "RS256", "rsa-1", payload({{"exp", kDrop}}))), ErrorCode::kTokenExpired, 2},
      {login("idp", token(k.rsa1(), "RS256", "rsa-1", payload({{"nbf", "1800000000"}}))), ErrorCode::kTokenNotYetValid, 1},
      {login("aud", token(k.rsa1(), "RS256", "rsa-1", payload_for("aud"))), ErrorCode::kWrongAudience, 1},
      {R"({"provider": "idp", "claims": {"sub": "a"}})", ErrorCode::kUnsignedToken, 2},
      {login("idp", token(k.rsa1(), "RS256", "rsa-1")), ErrorCode::kOk, 1},
  };
  std::string input;
  Engine direct(config(), fixed_now());
  EventCounters direct_counters;
  uint64_t seq = 0;
  for (const Case& c : cases) {
    for (int i = 0; i < c.count; ++i) {
      input += c.line + "\n";
      std::string out;
      EXPECT_EQ(direct.process_to_ndjson(c.line, ++seq, &out, &direct_counters), c.code) << out;
    }
  }
  Engine engine(config(), fixed_now());
  std::string output;
  StreamSummary summary;
  StreamOptions options;
  options.threads = 2;
  ASSERT_TRUE(run_stream(engine, input, &output, options, &summary).ok());
  for (const EventCounters& counters : {summary.counters, direct_counters}) {
    EXPECT_EQ(counters.events, 14u);
    EXPECT_EQ(counters.ok, 1u);
    EXPECT_EQ(counters.errors, 13u);
    for (const Case& c : cases) {
      if (c.code == ErrorCode::kOk) continue;
      EXPECT_EQ(counters.errors_by_code[static_cast<size_t>(c.code)], static_cast<uint64_t>(c.count)) << error_code_name(c.code);
    }
    EXPECT_EQ(counters.errors_by_code[static_cast<size_t>(ErrorCode::kMissingSubject)], 0u);
    EXPECT_EQ(counters.errors_by_code[static_cast<size_t>(ErrorCode::kUnknownProvider)], 0u);
  }
  const std::string text = summary.counters.to_text();
  for (const char* name : {"invalid_token", "unknown_key", "invalid_signature", "wrong_issuer", "token_expired",
                           "token_not_yet_valid", "wrong_audience", "unsigned_token"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << " not in:\n" << text;
  }
}

// ===========================================================================
// Order and form: two rules an earlier engine broke.

// §8's order puts unknown_provider before every token code, and §15 reads
// the payload's iss "before verification" to choose the provider. For a
// token with a readable payload whose iss belongs to no provider, and no
// provider named, a bad header (crit, b64, no alg, an alg that is not a
// string) is still unknown_provider: the line has an unknown provider
// whatever else is wrong with it.
TEST(TokenOrder, AnUnknownIssuerComesBeforeEveryHeaderProblem) {
  Harness h;
  const Key& k = keys().rsa1();
  const std::string body = payload({{"iss", "\"https://evil.example\""}});
  const std::string expected_tail =
      R"(, "cause": "login", "status": "error", "error": {"code": "unknown_provider", "message": "no provider has issuer \"https://evil.example\""}})";
  // Problems of the alg's name.
  EXPECT_EQ(h.line(login("", compact(R"({"alg":"none"})", body, nullptr, "none"))), "{\"seq\": 1" + expected_tail);
  EXPECT_EQ(h.line(login("", compact(R"({"alg":"HS256"})", body, &k, "RS256"))), "{\"seq\": 2" + expected_tail);
  // Problems found while decoding the header.
  EXPECT_EQ(h.line(login("", compact(R"({"alg":"RS256","kid":"rsa-1","crit":["exp"]})", body, &k, "RS256"))),
            "{\"seq\": 3" + expected_tail);
  EXPECT_EQ(h.line(login("", compact(R"({"alg":"RS256","kid":"rsa-1","b64":false})", body, &k, "RS256"))),
            "{\"seq\": 4" + expected_tail);
  EXPECT_EQ(h.line(login("", compact(R"({"kid":"rsa-1"})", body, &k, "RS256"))), "{\"seq\": 5" + expected_tail);
  EXPECT_EQ(h.line(login("", compact(R"({"alg":7,"kid":"rsa-1"})", body, &k, "RS256"))), "{\"seq\": 6" + expected_tail);
}

// Step 7 takes "aud (a string or an array of strings)". §4's candidate rule
// would give a number or boolean element its literal text, so that [5]
// matched the audience "5": an aud array with anything but strings names
// none of the audiences.
TEST(TokenAudience, ArrayElementsMustBeStrings) {
  const Keys& k = keys();
  const std::string text = R"({"version": 1, "stages": ["prod"],
    "providers": [{"id": "p", "type": "oidc", "issuer": "https://p.example", "scope": "organization",
                   "jwks": {"keys": [)" + k.ed().jwk("") + R"(]}, "algorithms": ["EdDSA"], "audiences": ["5", "true"]}],
    "roles": [], "groups": [], "mappings": []})";
  Harness h(must_load(text));
  const char* why = R"(token: \"aud\" names none of the audiences of provider \"p\")";
  // The control: the strings match, the bare number and boolean do not.
  EXPECT_EQ(h.line(login("p", token(k.ed(), "EdDSA", "", payload_for("p", {{"aud", R"(["5"])"}})))),
            ok_line(1, "p", "alice", true, {}, {}, {}, {}));
  EXPECT_EQ(h.line(login("p", token(k.ed(), "EdDSA", "", payload_for("p", {{"sub", "\"bob\""}, {"aud", "5"}})))),
            error_line(2, "p", "wrong_audience", why));
  EXPECT_EQ(h.line(login("p", token(k.ed(), "EdDSA", "", payload_for("p", {{"sub", "\"bob\""}, {"aud", "true"}})))),
            error_line(3, "p", "wrong_audience", why));
  // Contradicting today (the engine answers ok).
  EXPECT_EQ(h.line(login("p", token(k.ed(), "EdDSA", "", payload_for("p", {{"sub", "\"bob\""}, {"aud", "[5]"}})))),
            error_line(4, "p", "wrong_audience", why));
  EXPECT_EQ(h.line(login("p", token(k.ed(), "EdDSA", "", payload_for("p", {{"sub", "\"bob\""}, {"aud", "[true]"}})))),
            error_line(5, "p", "wrong_audience", why));
}

}  // namespace
}  // namespace claimmap::testing
