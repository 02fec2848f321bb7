// Signed logins (`simulate --sign`, docs/simulator.md "Signed logins"): the
// keys and signatures are deterministic, every signature is a real one —
// checked with OpenSSL's own verification against the key the config
// publishes, not through the engine —, signed tokens hold at the run's now,
// each signed bad line carries its defect, and unsigned runs are unchanged.
// The last test runs a signed stream through the engine when it verifies
// tokens (docs/spec.md §15) and is skipped until then.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "engine/jose/base64url.h"
#include "simulator/bad_lines.h"
#include "simulator/deterministic_signature.h"
#include "simulator/generator.h"
#include "simulator/organisation.h"
#include "simulator/simulate.h"
#include "simulator/token_signer.h"
#include "simulator/token_writer.h"

namespace claimmap::sim {
namespace {

constexpr SignAlgorithm kAlgorithms[] = {SignAlgorithm::kRS256, SignAlgorithm::kPS256, SignAlgorithm::kES256,
                                         SignAlgorithm::kEdDSA};

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string sha256(std::string_view data) {
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), hash);
  return std::string(reinterpret_cast<const char*>(hash), sizeof hash);
}

std::string sha256_hex(std::string_view data) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : sha256(data)) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string b64decode(std::string_view text) {
  std::string out;
  EXPECT_TRUE(base64url_decode(text, &out)) << text;
  return out;
}

// The compact JWS of a line, or empty.
std::string_view token_of(std::string_view line) {
  const size_t at = line.find("\"token\": \"");
  if (at == std::string_view::npos) return {};
  const size_t start = at + 10;
  return line.substr(start, line.find('"', start) - start);
}

struct Jws {
  std::string header, payload, signature;
  std::string_view signing_input;
};

Jws split_jws(std::string_view token) {
  Jws jws;
  const size_t first = token.find('.'), last = token.rfind('.');
  EXPECT_NE(first, last) << token;
  jws.header = b64decode(token.substr(0, first));
  jws.payload = b64decode(token.substr(first + 1, last - first - 1));
  jws.signature = b64decode(token.substr(last + 1));
  jws.signing_input = token.substr(0, last);
  return jws;
}

using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// A public key built from a JWK's members alone, as a relying party would:
// if it verifies the tokens, the config publishes the key that signed them.
Pkey public_key_from_jwk(std::string_view jwk_text) {
  simdjson::dom::parser parser;
  simdjson::dom::element jwk = parser.parse(simdjson::padded_string(jwk_text));
  const std::string kty{std::string_view(jwk["kty"])};
  auto member = [&](const char* name) { return b64decode(std::string_view(jwk[name])); };
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> n(nullptr, BN_free), e(nullptr, BN_free);
  std::string point;
  const char* type = nullptr;
  if (kty == "OKP") {
    const std::string x = member("x");
    return Pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char*>(x.data()), x.size()),
                EVP_PKEY_free);
  }
  if (kty == "RSA") {
    const std::string n_bytes = member("n"), e_bytes = member("e");
    n.reset(BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes.data()), static_cast<int>(n_bytes.size()), nullptr));
    e.reset(BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes.data()), static_cast<int>(e_bytes.size()), nullptr));
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
    type = "RSA";
  } else {
    EXPECT_EQ(std::string_view(jwk["crv"]), "P-256");
    point = "\x04" + member("x") + member("y");
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    type = "EC";
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()), OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr),
                                                                  EVP_PKEY_CTX_free);
  EVP_PKEY* pkey = nullptr;
  EXPECT_EQ(EVP_PKEY_fromdata_init(ctx.get()), 1);
  EXPECT_EQ(EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()), 1);
  return Pkey(pkey, EVP_PKEY_free);
}

// ECDSA's raw r‖s (RFC 7518 §3.4) as the DER that OpenSSL verifies.
std::string der_of_raw_ecdsa(std::string_view raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

// OpenSSL's own verification of a JWS signature (RFC 7518 §3).
bool openssl_verifies(SignAlgorithm alg, EVP_PKEY* key, std::string_view input, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  const char* digest = alg == SignAlgorithm::kEdDSA ? nullptr : "SHA256";
  if (EVP_DigestVerifyInit_ex(ctx.get(), &pctx, digest, nullptr, nullptr, key, nullptr) != 1) return false;
  std::string sig(signature);
  if (alg == SignAlgorithm::kPS256) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);  // RFC 7518 §3.5: the hash's length
    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
  } else if (alg == SignAlgorithm::kES256) {
    if (signature.size() != 64) return false;
    sig = der_of_raw_ecdsa(signature);
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

GeneratorOptions small_options(SignAlgorithm alg) {
  GeneratorOptions o;
  o.seed = 17;
  o.users = 400;
  o.mappings = 300;
  // Two signing shapes (Entra carries nbf) and SAML, which stays unsigned;
  // two RSA keys per RSA generator keep the test quick.
  o.shapes = {true, true, false, true, false};
  o.bad_share = 0.25;
  o.push_share = 0.05;
  o.stale_share = 0.05;
  o.sign = alg;
  o.now = storm_now(2000);
  return o;
}

// Events a test signs: RSA signs ~1000 tokens a second on a slow core,
// the others ~10000, so RSA runs get fewer.
uint64_t events_for(SignAlgorithm alg) {
  return alg == SignAlgorithm::kRS256 || alg == SignAlgorithm::kPS256 ? 600 : 1500;
}

// One generator per algorithm for the whole binary: RSA keys take a prime
// search each.
const Generator& signed_generator(SignAlgorithm alg) {
  static std::map<SignAlgorithm, std::unique_ptr<Generator>> cache;
  auto& g = cache[alg];
  if (!g) g = std::make_unique<Generator>(small_options(alg));
  return *g;
}

// The provider member of the generated config with this id (a JSON object).
std::string config_provider(const Generator& g, std::string_view id) {
  simdjson::dom::parser parser;
  simdjson::dom::element config = parser.parse(simdjson::padded_string(g.config_json()));
  for (simdjson::dom::element p : config["providers"].get_array()) {
    if (std::string_view(p["id"]) == id) return simdjson::minify(p);
  }
  return {};
}

std::string config_jwk(const Generator& g, std::string_view provider_id) {
  simdjson::dom::parser parser;
  simdjson::dom::element p = parser.parse(simdjson::padded_string(config_provider(g, provider_id)));
  simdjson::dom::array keys = p["jwks"]["keys"];
  EXPECT_EQ(keys.size(), 1u);
  return simdjson::minify(keys.at(0));
}

uint32_t provider_index(const Generator& g, std::string_view id) {
  const auto& providers = g.organisation().providers();
  for (uint32_t p = 0; p < providers.size(); ++p) {
    if (providers[p].id == id) return p;
  }
  ADD_FAILURE() << "no provider " << id;
  return 0;
}

std::string provider_of_payload(const Generator& g, std::string_view payload) {
  simdjson::dom::parser parser;
  simdjson::dom::element claims = parser.parse(simdjson::padded_string(payload));
  const std::string_view iss = claims["iss"];
  for (const auto& p : g.organisation().providers()) {
    if (p.issuer == iss) return p.id;
  }
  return {};
}

int64_t claim_int(std::string_view payload, const char* name) {
  simdjson::dom::parser parser;
  simdjson::dom::element claims = parser.parse(simdjson::padded_string(payload));
  int64_t value = 0;
  if (claims[name].get(value) != simdjson::SUCCESS) return -1;
  return value;
}

TEST(SimulatorSign, EcdsaNonceAndSignatureAreRfc6979s) {
  // RFC 6979 A.2.5, P-256 with SHA-256: the published signatures of
  // "sample" and "test" under its key, r‖s.
  const std::string key = unhex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
  std::string sample, test;
  ASSERT_TRUE(ecdsa_p256_sign_rfc6979(key, sha256("sample"), &sample));
  ASSERT_TRUE(ecdsa_p256_sign_rfc6979(key, sha256("test"), &test));
  EXPECT_EQ(sample, unhex("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
                          "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"));
  EXPECT_EQ(test, unhex("F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367"
                        "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"));
  std::string bad;
  EXPECT_FALSE(ecdsa_p256_sign_rfc6979(std::string(32, '\0'), sha256("sample"), &bad));  // d = 0
}

TEST(SimulatorSign, PssEncodingHasItsFixedParts) {
  // RFC 8017 §9.1.1 for a 2048-bit modulus: 256 bytes, top bit clear, 0xbc last.
  std::string em;
  ASSERT_TRUE(emsa_pss_encode_sha256(sha256("m"), std::string(32, 's'), 2047, &em));
  EXPECT_EQ(em.size(), 256u);
  EXPECT_EQ(static_cast<unsigned char>(em[0]) & 0x80, 0);
  EXPECT_EQ(static_cast<unsigned char>(em.back()), 0xbc);
  std::string small;
  EXPECT_FALSE(emsa_pss_encode_sha256(sha256("m"), std::string(32, 's'), 400, &small));  // too small for hash+salt
}

TEST(SimulatorSign, AlgorithmNames) {
  for (SignAlgorithm alg : kAlgorithms) EXPECT_EQ(sign_algorithm_from_name(sign_algorithm_name(alg)), alg);
  for (const char* refused : {"HS256", "none", "rs256", "RS384", "ES512", "", "unsigned"}) {
    EXPECT_FALSE(sign_algorithm_from_name(refused).has_value()) << refused;
  }
}

TEST(SimulatorSign, SameSecretGivesSameKeyAndSignature) {
  // ES256 and EdDSA here (RSA keys take longer; the generators below show
  // RSA's determinism through whole datasets).
  for (SignAlgorithm alg : {SignAlgorithm::kES256, SignAlgorithm::kEdDSA}) {
    const SigningKey a = SigningKey::derive(alg, "secret one").value();
    const SigningKey b = SigningKey::derive(alg, "secret one").value();
    const SigningKey c = SigningKey::derive(alg, "secret two").value();
    EXPECT_EQ(a.public_jwk(), b.public_jwk());
    EXPECT_NE(a.public_jwk(), c.public_jwk());
    std::string sa, sb;
    ASSERT_TRUE(a.sign("header.payload", &sa));
    ASSERT_TRUE(b.sign("header.payload", &sb));
    EXPECT_EQ(sa, sb);
    EXPECT_TRUE(openssl_verifies(alg, a.pkey(), "header.payload", sa));
    EXPECT_FALSE(openssl_verifies(alg, a.pkey(), "header.payload!", sa));
  }
}

TEST(SimulatorSign, RsaKeysAre2048BitsWithExponent65537) {
  const Generator& g = signed_generator(SignAlgorithm::kRS256);
  simdjson::dom::parser parser;
  simdjson::dom::element jwk = parser.parse(simdjson::padded_string(config_jwk(g, "entra")));
  EXPECT_EQ(std::string_view(jwk["kty"]), "RSA");
  EXPECT_EQ(std::string_view(jwk["e"]), "AQAB");
  const std::string n = b64decode(std::string_view(jwk["n"]));
  EXPECT_EQ(n.size(), 256u);
  EXPECT_GE(static_cast<unsigned char>(n[0]), 0x80);  // exactly 2048 bits
  EXPECT_EQ(EVP_PKEY_get_bits(g.signer()->key(provider_index(g, "entra")).pkey()), 2048);
}

TEST(SimulatorSign, ConfigPublishesEachSigningProvidersKey) {
  for (SignAlgorithm alg : kAlgorithms) {
    const Generator& g = signed_generator(alg);
    ASSERT_TRUE(g.status().ok()) << g.status().to_string();
    const std::string name(sign_algorithm_name(alg));
    for (const char* id : {"entra", "okta"}) {
      const std::string provider = config_provider(g, id);
      EXPECT_NE(provider.find("\"issuer\":"), std::string::npos) << provider;  // a provider with keys needs one
      EXPECT_NE(provider.find("\"algorithms\":[\"" + name + "\"]"), std::string::npos) << provider;
      const std::string jwk = config_jwk(g, id);
      EXPECT_EQ(jwk, g.signer()->key(provider_index(g, id)).public_jwk());
      EXPECT_NE(jwk.find("\"use\":\"sig\""), std::string::npos);
      EXPECT_NE(jwk.find("\"alg\":\"" + name + "\""), std::string::npos);
      for (const char* secret : {"\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\""}) {
        EXPECT_EQ(jwk.find(secret), std::string::npos) << jwk;  // public members only
      }
    }
    EXPECT_EQ(config_provider(g, "adfs").find("jwks"), std::string::npos);  // SAML: no keys
    EXPECT_NE(config_jwk(g, "entra"), config_jwk(g, "okta"));  // one key per provider
  }
}

TEST(SimulatorSign, EveryTokenVerifiesWithOpenSslAgainstThePublishedKey) {
  for (SignAlgorithm alg : kAlgorithms) {
    const Generator& g = signed_generator(alg);
    std::map<std::string, Pkey> keys;
    for (const char* id : {"entra", "okta"}) keys.emplace(id, public_key_from_jwk(config_jwk(g, id)));
    Generator fresh(small_options(alg));  // the same keys: the cached one's stream stays untouched
    std::vector<PlannedEvent> planned;
    fresh.plan_events(events_for(alg), &planned);
    int verified = 0, envelopes = 0, bare = 0, saml = 0;
    for (const PlannedEvent& e : planned) {
      if (e.kind != EventKind::kLogin && e.kind != EventKind::kStaleReplay) continue;
      std::string line;
      fresh.render(e, &line);
      const std::string_view token = token_of(line);
      if (token.empty()) {  // SAML: an unsigned envelope, as ever
        EXPECT_NE(line.find("\"provider\": \"adfs\", \"claims\": {"), std::string::npos) << line;
        ++saml;
        continue;
      }
      const Jws jws = split_jws(token);
      std::string id = provider_of_payload(g, jws.payload);
      if (line.rfind("{\"token\": ", 0) == 0) {
        ++bare;
      } else {
        ++envelopes;
        EXPECT_NE(line.find("\"provider\": \"" + id + "\", \"token\": "), std::string::npos) << line;
      }
      const SigningKey& key = g.signer()->key(provider_index(g, id));
      EXPECT_EQ(jws.header, "{\"alg\":\"" + std::string(sign_algorithm_name(alg)) + "\",\"kid\":\"" + key.kid() +
                                "\",\"typ\":\"JWT\"}");
      ASSERT_TRUE(openssl_verifies(alg, keys.at(id).get(), jws.signing_input, jws.signature))
          << sign_algorithm_name(alg) << " " << line.substr(0, 200);
      // The payload is the claims object the unsigned run writes, valid at now.
      std::string claims;
      std::vector<uint32_t> ranks;
      LoginLine login{e.user, e.version, e.iat, 0, g.now()};
      append_claims(g.population(), login, &ranks, &claims);
      EXPECT_EQ(jws.payload, claims);
      ++verified;
    }
    EXPECT_GT(verified, 150) << sign_algorithm_name(alg);
    EXPECT_GT(bare, 30);
    EXPECT_GT(envelopes, 30);
    EXPECT_GT(saml, 10);
  }
}

TEST(SimulatorSign, SignedTokensHoldAtNowWhateverTheirIat) {
  // iat runs from a week before the stream (stale replays) to its end;
  // every login's token is valid at the run's now all the same.
  Generator g(small_options(SignAlgorithm::kEdDSA));
  const int64_t now = g.now();
  std::vector<PlannedEvent> planned;
  g.plan_events(3000, &planned);
  int checked = 0;
  for (const PlannedEvent& e : planned) {
    if (e.kind != EventKind::kLogin && e.kind != EventKind::kStaleReplay) continue;
    std::string line;
    g.render(e, &line);
    const std::string_view token = token_of(line);
    if (token.empty()) continue;  // SAML
    const Jws jws = split_jws(token);
    const int64_t exp = claim_int(jws.payload, "exp"), nbf = claim_int(jws.payload, "nbf");
    EXPECT_EQ(claim_int(jws.payload, "iat"), e.iat);
    EXPECT_GE(exp, now + 3600) << jws.payload;
    EXPECT_GE(exp, static_cast<int64_t>(e.iat) + 300) << jws.payload;
    if (nbf >= 0) {  // Entra's
      EXPECT_LE(nbf, now);
      EXPECT_LE(nbf, static_cast<int64_t>(e.iat));
    }
    ++checked;
  }
  EXPECT_GT(checked, 1000);
}

TEST(SimulatorSign, SameSeedGivesSameSignedBytesOnAnyThreadCount) {
  for (SignAlgorithm alg : kAlgorithms) {
    Generator a(small_options(alg)), b(small_options(alg));
    EXPECT_EQ(a.config_json(), b.config_json()) << sign_algorithm_name(alg);
    std::string from_a, from_b;
    a.append_events(events_for(alg) / 2, &from_a);
    b.append_events(events_for(alg) / 2, &from_b);
    EXPECT_EQ(from_a, from_b) << sign_algorithm_name(alg);
  }
  // Another seed: other keys.
  GeneratorOptions other = small_options(SignAlgorithm::kEdDSA);
  other.seed = 18;
  EXPECT_NE(Generator(other).signer()->key(0).public_jwk(),
            signed_generator(SignAlgorithm::kEdDSA).signer()->key(0).public_jwk());
  // write_dataset renders on many threads: the same files from 1 and 3.
  const auto dir = std::filesystem::temp_directory_path() / ("claimmap-sign-" + std::to_string(::getpid()));
  SimulateOptions s;
  s.generator = small_options(SignAlgorithm::kES256);
  s.generator.now = 0;  // the storm's now, from the event count
  s.events = 3000;
  std::string summary, files[2];
  for (int i = 0; i < 2; ++i) {
    s.threads = i == 0 ? 1 : 3;
    const auto out = dir / std::to_string(i);
    ASSERT_TRUE(write_dataset(s, out.string(), &summary).ok());
    for (const char* name : {"config.json", "state.ndjson", "events.ndjson"}) {
      std::ifstream in(out / name, std::ios::binary);
      files[i] += std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
  }
  EXPECT_EQ(files[0], files[1]);
  EXPECT_NE(summary.find("replay: claimmap eval --now " + std::to_string(storm_now(3000)) + " --config "),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("logins: signed ES256 (entra, okta; unsigned: adfs)"), std::string::npos) << summary;
  std::filesystem::remove_all(dir);
}

TEST(SimulatorSign, UnsignedRunsAreUnchanged) {
  // The dataset of these options as the generator wrote it before signing
  // existed (SHA-256 of config, state and the first 30000 events): an
  // unsigned run must not move a byte. If a deliberate generator change
  // moves it, recompute with sha256sum over a --write-dataset.
  GeneratorOptions o;
  o.seed = 5;
  o.users = 3000;
  o.mappings = 1000;
  o.bad_share = 0.05, o.push_share = 0.05, o.stale_share = 0.02;
  Generator g(o);
  EXPECT_EQ(g.signer(), nullptr);
  EXPECT_EQ(g.config_json().find("jwks"), std::string::npos);
  EXPECT_EQ(sha256_hex(g.config_json()), "7c279e1e402a4056a2c9fef300f451ba0ef0790b87b309af07f966e53d8d0522");
  EXPECT_EQ(sha256_hex(g.initial_state_ndjson()), "44e525140909d2c8aa37ce5b61bb0374dea34bb8235bcc926abc86c67bd3efa4");
  std::string events;
  g.append_events(30000, &events);
  EXPECT_EQ(events.find("\"token\""), std::string::npos);
  EXPECT_EQ(sha256_hex(events), "87e2cd007faf96e2e18b0988a864d7494a5f66137d9657df34a308a540b6f277");
  for (uint8_t c = 1; c <= kBadKindCount; ++c) EXPECT_EQ(g.bad_kind_weights()[c], kBadKindWeight[c]);
}

TEST(SimulatorSign, SignedBadLinesCarryTheirDefect) {
  for (SignAlgorithm alg : kAlgorithms) {
    const Generator& g = signed_generator(alg);
    const int64_t now = g.now();
    std::map<std::string, Pkey> keys;
    for (const char* id : {"entra", "okta"}) keys.emplace(id, public_key_from_jwk(config_jwk(g, id)));
    std::vector<uint32_t> ranks;
    const LoginSigning signing{g.signer(), g.now()};
    for (uint32_t user = 0; user < 24; ++user) {
      for (uint64_t index : {uint64_t{1000} + user, uint64_t{5000} + user}) {  // both variants, mostly
        auto line_of = [&](ErrorCode code) {
          std::string line;
          append_bad_line(g.population(), static_cast<uint8_t>(code), index, user, g.now() - 100, &ranks, &line,
                          &signing);
          return line;
        };
        auto verifies = [&](std::string_view line, const Jws& jws) {
          const size_t at = line.find("\"provider\": \"") + 13;
          const std::string id(line.substr(at, line.find('"', at) - at));
          return openssl_verifies(alg, keys.at(id).get(), jws.signing_input, jws.signature);
        };
        {
          const std::string line = line_of(ErrorCode::kInvalidToken);
          const std::string_view token = token_of(line);
          const size_t dots = static_cast<size_t>(std::count(token.begin(), token.end(), '.'));
          EXPECT_TRUE(dots == 1 || (dots == 2 && token.back() == '.' &&
                                    b64decode(token.substr(0, token.find('.'))).find("\"alg\":\"none\"") != std::string::npos))
              << line;
        }
        {
          const std::string line = line_of(ErrorCode::kUnknownKey);
          const Jws jws = split_jws(token_of(line));
          EXPECT_TRUE(verifies(line, jws));  // signed, but under a kid the set does not hold
          EXPECT_EQ(jws.header.find(g.signer()->key(0).kid()), std::string::npos);
          EXPECT_EQ(jws.header.find(g.signer()->key(1).kid()), std::string::npos);
        }
        {
          const std::string line = line_of(ErrorCode::kInvalidSignature);
          const Jws jws = split_jws(token_of(line));
          EXPECT_FALSE(verifies(line, jws)) << line.substr(0, 120);
          EXPECT_EQ(jws.signature.size(), alg == SignAlgorithm::kES256 || alg == SignAlgorithm::kEdDSA ? 64u : 256u);
        }
        {
          const std::string line = line_of(ErrorCode::kWrongIssuer);
          const Jws jws = split_jws(token_of(line));
          EXPECT_TRUE(verifies(line, jws));
          EXPECT_EQ(provider_of_payload(g, jws.payload), "");  // an iss no provider has
        }
        {
          const std::string line = line_of(ErrorCode::kTokenExpired);
          const Jws jws = split_jws(token_of(line));
          EXPECT_TRUE(verifies(line, jws));
          EXPECT_LT(claim_int(jws.payload, "exp"), now - 60);
        }
        {
          const std::string line = line_of(ErrorCode::kTokenNotYetValid);
          const Jws jws = split_jws(token_of(line));
          EXPECT_TRUE(verifies(line, jws));
          EXPECT_GT(claim_int(jws.payload, "nbf"), now + 60);
          EXPECT_GT(claim_int(jws.payload, "exp"), now + 60);
        }
        {
          const std::string line = line_of(ErrorCode::kUnsignedToken);
          EXPECT_TRUE(token_of(line).empty());
          EXPECT_TRUE(line.find("\"claims\": {") != std::string::npos || line.rfind("{\"aud\"", 0) == 0 ||
                      line.rfind("{\"ver\"", 0) == 0)
              << line.substr(0, 100);
        }
        {
          const std::string line = line_of(ErrorCode::kMissingSubject);
          if (g.population().provider(user) == provider_index(g, "adfs")) {
            EXPECT_TRUE(token_of(line).empty());  // SAML: the unsigned envelope, as ever
          } else {
            const Jws jws = split_jws(token_of(line));
            EXPECT_TRUE(verifies(line, jws));
            EXPECT_TRUE(jws.payload.find("\": \"\"}") != std::string::npos ||
                        jws.payload.find("\": null}") != std::string::npos);
          }
        }
      }
    }
  }
}

// The engine verifies the tokens (docs/spec.md §15): every signed login is
// accepted and every bad line gets exactly its planned code.
TEST(SimulatorSign, EngineAcceptsSignedLoginsAndRefusesEachBadLineWithItsCode) {
  for (SignAlgorithm alg : kAlgorithms) {
    const Generator& cached = signed_generator(alg);
    ConfigReport report;
    Result<Config> config = load_config(cached.config_json(), &report);
    ASSERT_TRUE(config.ok()) << (report.errors.empty() ? config.status().message() : report.errors[0].to_string());
    EngineOptions options;
    options.now_seconds = cached.now();
    Engine engine(std::move(config).value(), options);
    ASSERT_TRUE(engine.import_state(cached.initial_state_ndjson()).ok());
    Generator g(small_options(alg));
    std::vector<PlannedEvent> planned;
    g.plan_events(2 * events_for(alg), &planned);
    std::array<uint64_t, kBadKindCount + 1> got{};
    std::string line;
    for (const PlannedEvent& e : planned) {
      line.clear();
      g.render(e, &line);
      const Delta d = engine.process(std::string_view(line).substr(0, line.size() - 1), e.index + 1);
      if (e.kind == EventKind::kBad) {
        ASSERT_EQ(static_cast<int>(d.error.code()), e.bad_code)
            << sign_algorithm_name(alg) << " " << d.error.to_string() << "\n" << line.substr(0, 400);
        ++got[e.bad_code];
      } else {
        ASSERT_TRUE(d.ok()) << sign_algorithm_name(alg) << " " << d.error.to_string() << "\n" << line.substr(0, 400);
      }
    }
    for (uint8_t c = 1; c <= kBadKindCount; ++c) {
      if (g.bad_kind_weights()[c] > 0 && c != static_cast<uint8_t>(ErrorCode::kEventTooLarge)) {
        EXPECT_GT(got[c], 0u) << sign_algorithm_name(alg) << " code " << int(c);
      } else if (g.bad_kind_weights()[c] == 0) {
        EXPECT_EQ(got[c], 0u) << "code " << int(c);
      }
    }
  }
}

}  // namespace
}  // namespace claimmap::sim
