// Signed logins (docs/spec.md §15): what the engine costs beside what the
// signature check alone costs, measured in the same process on the same
// machine, interleaved round by round.
//
// BM_VerifyRatios/ALG runs, each round:
//   - the signature floor: OpenSSL verifying one signature over a ready
//     digest with a ready context, again and again — what
//     `openssl speed rsa2048` / `ecdsap256` measure;
//   - the engine on one thread: Engine::process_to_ndjson over distinct
//     signed login lines (an Okta-like token of 20 groups, ~1.1 KB) — base64url,
//     header and payload parse, key choice, hash, verify, claims, match, sync;
//   - the same lines again on that engine, every user now known (a storm's
//     steady state: ratio_warm_engine_to_openssl);
//   - the engine on two threads, each on its own half of the users;
//   - the control: the same claims decoded, under the config without keys.
// Counters: ratio_engine_to_openssl (target ≥ 0.8) and ratio_2t_to_1t
// (target ≥ 1.8), medians of the rounds; the closing figures in docs/verification.md.
#include <benchmark/benchmark.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "claimmap/engine.h"
#include "engine/jose/base64url.h"

namespace claimmap::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kNow = 1767225600;

struct Signer {
  std::string alg;
  EVP_PKEY* key = nullptr;
  const char* md = "SHA256";
  bool ecdsa = false;
  bool pss = false;
};

EVP_PKEY* make_key(const std::string& alg) {
  if (alg == "RS256" || alg == "PS256") return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  if (alg == "ES256") return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
}

std::string b64(std::string_view bytes) {
  std::string out;
  base64url_encode(bytes, &out);
  return out;
}

std::string bn_b64(const EVP_PKEY* key, const char* name, size_t pad = 0) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string bytes(pad ? pad : static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  BN_free(bn);
  return b64(bytes);
}

std::string public_jwk(const Signer& s) {
  std::string j = R"({"kid": "k1", "use": "sig", "alg": ")" + s.alg + "\", ";
  if (s.alg == "RS256" || s.alg == "PS256") {
    return j + R"("kty": "RSA", "n": ")" + bn_b64(s.key, OSSL_PKEY_PARAM_RSA_N) + R"(", "e": ")" +
           bn_b64(s.key, OSSL_PKEY_PARAM_RSA_E) + "\"}";
  }
  if (s.alg == "ES256") {
    return j + R"("kty": "EC", "crv": "P-256", "x": ")" + bn_b64(s.key, OSSL_PKEY_PARAM_EC_PUB_X, 32) +
           R"(", "y": ")" + bn_b64(s.key, OSSL_PKEY_PARAM_EC_PUB_Y, 32) + "\"}";
  }
  unsigned char raw[32];
  size_t n = sizeof raw;
  EVP_PKEY_get_raw_public_key(s.key, raw, &n);
  return j + R"("kty": "OKP", "crv": "Ed25519", "x": ")" + b64(std::string_view(reinterpret_cast<char*>(raw), n)) + "\"}";
}

std::string sign(const Signer& s, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit_ex(ctx, &pctx, s.alg == "EdDSA" ? nullptr : s.md, nullptr, nullptr, s.key, nullptr);
  if (s.pss) {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (!s.ecdsa) return sig;
  // DER → the raw r‖s a JWS carries (RFC 7518 §3.4).
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(es);
  return raw;
}

std::string payload(int user) {
  std::string p = R"({"iss": "https://example.okta.com", "sub": "00u)" + std::to_string(1000000 + user) +
                  R"(", "aud": "0oa1claimmap", "iat": 1767225000, "exp": 1767228600, "auth_time": 1767224990, )"
                  R"("jti": "ID.)" + std::to_string(user * 7919) + R"(", "amr": ["pwd", "mfa"], "idp": "00o1okta", )"
                  R"("name": "User )" + std::to_string(user) + R"(", "email": "user)" + std::to_string(user) +
                  R"(@example.com", "groups": [)";
  for (int g = 0; g < 20; ++g) {
    if (g) p += ", ";
    p += "\"Team-" + std::to_string((user * 13 + g * 7) % 200) + "\"";
  }
  return p + "]}";
}

// `keyed` false: the same config without keys (the unsigned control).
std::string config_json(const Signer& s, bool keyed = true) {
  std::string c = R"({"version": 1, "stages": ["prod"], "providers": [{"id": "okta", "type": "oidc", )"
                  R"("issuer": "https://example.okta.com", "scope": "organization")";
  if (keyed) {
    c += R"(, "audiences": ["0oa1claimmap"], "algorithms": [")" + s.alg + R"("], "jwks": {"keys": [)" + public_jwk(s) + "]}";
  }
  c += R"(}], "roles": [{"id": "App.User", "app": "app"}], "groups": [)";
  for (int g = 0; g < 200; ++g) c += (g ? ", " : "") + ("{\"id\": \"g" + std::to_string(g) + R"(", "stage": "prod", "roles": ["App.User"]})");
  c += "], \"mappings\": [";
  for (int g = 0; g < 200; g += 2) {
    c += (g ? ", " : "") + ("{\"id\": \"m" + std::to_string(g) + R"(", "provider": "okta", "claim": "groups", "value": "Team-)" +
                            std::to_string(g) + "\", \"group\": \"g" + std::to_string(g) + "\"}");
  }
  return c + "]}";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The floor: one signature verified over a ready digest with a ready
// context, `n` times (OpenSSL's own speed test does the same).
double floor_seconds(const Signer& s, const std::string& token, int n) {
  const size_t dot = token.rfind('.');
  std::string sig;
  base64url_decode(token.substr(dot + 1), &sig);
  const std::string input = token.substr(0, dot);
  const auto* tbs = reinterpret_cast<const unsigned char*>(input.data());
  const auto t0 = Clock::now();
  if (s.alg == "EdDSA") {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    for (int i = 0; i < n; ++i) {
      EVP_DigestVerifyInit_ex(md, nullptr, nullptr, nullptr, nullptr, s.key, nullptr);
      if (EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(), tbs, input.size()) != 1) std::abort();
    }
    EVP_MD_CTX_free(md);
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }
  unsigned char digest[32];
  unsigned int dlen = 0;
  EVP_Digest(tbs, input.size(), digest, &dlen, EVP_sha256(), nullptr);
  std::string der = sig;
  if (s.ecdsa) {  // OpenSSL verifies DER
    ECDSA_SIG* es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 32, nullptr),
                   BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr));
    unsigned char* out = nullptr;
    const int len = i2d_ECDSA_SIG(es, &out);
    der.assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
    OPENSSL_free(out);
    ECDSA_SIG_free(es);
  }
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, s.key, nullptr);
  EVP_PKEY_verify_init(ctx);
  EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256());
  if (!s.ecdsa) {
    EVP_PKEY_CTX_set_rsa_padding(ctx, s.pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING);
    if (s.pss) EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST);
  }
  const auto t1 = Clock::now();
  for (int i = 0; i < n; ++i) {
    if (EVP_PKEY_verify(ctx, reinterpret_cast<const unsigned char*>(der.data()), der.size(), digest, dlen) != 1) std::abort();
  }
  EVP_PKEY_CTX_free(ctx);
  return std::chrono::duration<double>(Clock::now() - t1).count();
}

double engine_seconds(Engine& engine, const std::vector<std::string>& lines, unsigned threads) {
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::string out;
      for (size_t i = t; i < lines.size(); i += threads) {
        out.clear();
        if (engine.process_to_ndjson(lines[i], i + 1, &out) != ErrorCode::kOk) std::abort();
      }
    });
  }
  for (auto& th : pool) th.join();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void BM_VerifyRatios(benchmark::State& state, const std::string& alg) {
  Signer s;
  s.alg = alg;
  s.key = make_key(alg);
  s.ecdsa = alg == "ES256";
  s.pss = alg == "PS256";
  const int users = static_cast<int>(std::getenv("CLAIMMAP_BENCH_SIGNED") ? std::atoi(std::getenv("CLAIMMAP_BENCH_SIGNED")) : 4000);
  std::vector<std::string> lines;
  const std::string header = b64(R"({"alg":")" + alg + R"(","kid":"k1","typ":"JWT"})");
  for (int u = 0; u < users; ++u) {
    const std::string input = header + "." + b64(payload(u));
    lines.push_back(R"({"type": "login", "provider": "okta", "token": ")" + input + "." + b64(sign(s, input)) + "\"}");
  }
  Result<Config> config = load_config(config_json(s));
  if (!config.ok()) return state.SkipWithError(config.status().to_string().c_str());
  EngineOptions options;
  options.now_seconds = kNow;
  const std::string token = lines[0].substr(lines[0].find("eyJ"), lines[0].size() - lines[0].find("eyJ") - 2);
  // The control: the same claims as decoded login lines, under the same
  // config without keys: what a login costs when nothing is verified.
  std::vector<std::string> plain;
  for (int u = 0; u < users; ++u) plain.push_back(R"({"type": "login", "provider": "okta", "claims": )" + payload(u) + "}");
  Result<Config> plain_config = load_config(config_json(s, false));
  if (!plain_config.ok()) return state.SkipWithError(plain_config.status().to_string().c_str());
  std::vector<double> floor, one, warm, two, unsigned_one;
  for (auto _ : state) {
    for (int round = 0; round < 5; ++round) {
      floor.push_back(floor_seconds(s, token, users));
      Engine e1(config.value(), options);
      one.push_back(engine_seconds(e1, lines, 1));
      warm.push_back(engine_seconds(e1, lines, 1));  // every user known: a storm's steady state
      Engine e2(config.value(), options);
      two.push_back(engine_seconds(e2, lines, 2));
      Engine e3(plain_config.value(), options);
      unsigned_one.push_back(engine_seconds(e3, plain, 1));
    }
  }
  const double n = users;
  state.counters["openssl_verifies_per_s"] = n / median(floor);
  state.counters["engine_1t_logins_per_s"] = n / median(one);
  state.counters["engine_2t_logins_per_s"] = n / median(two);
  state.counters["engine_1t_warm_logins_per_s"] = n / median(warm);
  state.counters["unsigned_1t_logins_per_s"] = n / median(unsigned_one);
  state.counters["ratio_engine_to_openssl"] = median(floor) / median(one);
  state.counters["ratio_warm_engine_to_openssl"] = median(floor) / median(warm);
  state.counters["ratio_2t_to_1t"] = median(one) / median(two);
  EVP_PKEY_free(s.key);
}

BENCHMARK_CAPTURE(BM_VerifyRatios, RS256, std::string("RS256"))->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_VerifyRatios, PS256, std::string("PS256"))->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_VerifyRatios, ES256, std::string("ES256"))->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_VerifyRatios, EdDSA, std::string("EdDSA"))->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace claimmap::bench
