#include "engine/jose/jws_verifier.h"

#include <algorithm>
#include <vector>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <simdjson.h>

#include "engine/common/json_text.h"
#include "engine/jose/base64url.h"

namespace claimmap {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The digests, fetched once: an implicit fetch at every use takes a lock in
// OpenSSL 3.0's method store, which would serialise the threads of a storm.
const EVP_MD* digest_of(JwsAlgorithm alg) {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const kSha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  static EVP_MD* const kSha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  switch (alg) {
    case JwsAlgorithm::kRS256:
    case JwsAlgorithm::kPS256:
    case JwsAlgorithm::kES256: return kSha256;
    case JwsAlgorithm::kRS384:
    case JwsAlgorithm::kPS384:
    case JwsAlgorithm::kES384: return kSha384;
    case JwsAlgorithm::kRS512:
    case JwsAlgorithm::kPS512:
    case JwsAlgorithm::kES512: return kSha512;
    case JwsAlgorithm::kEdDSA: return nullptr;  // Ed25519 hashes inside
  }
  return nullptr;
}

bool is_pss(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kPS256 || alg == JwsAlgorithm::kPS384 || alg == JwsAlgorithm::kPS512;
}

size_t ec_coordinate_size(KeyType type) {
  switch (type) {
    case KeyType::kEcP256: return 32;
    case KeyType::kEcP384: return 48;
    case KeyType::kEcP521: return 66;
    default: return 0;
  }
}

// An ECDSA signature as JWS carries it (RFC 7518 §3.4: r‖s, each the
// curve's size, big-endian) in the DER form OpenSSL verifies: SEQUENCE {
// INTEGER r, INTEGER s }. A signature that already is DER has the wrong
// length and never gets here.
void ecdsa_raw_to_der(std::string_view raw, std::string* der) {
  const size_t half = raw.size() / 2;
  auto integer = [](std::string_view v, std::string* out) {
    size_t skip = 0;
    while (skip + 1 < v.size() && v[skip] == '\0') ++skip;
    v.remove_prefix(skip);
    const bool pad = (static_cast<unsigned char>(v[0]) & 0x80) != 0;  // keep it positive
    out->push_back('\x02');
    out->push_back(static_cast<char>(v.size() + (pad ? 1 : 0)));  // ≤ 67: short form
    if (pad) out->push_back('\0');
    out->append(v);
  };
  std::string body;
  integer(raw.substr(0, half), &body);
  integer(raw.substr(half), &body);
  der->clear();
  der->push_back('\x30');
  if (body.size() >= 128) der->push_back('\x81');  // P-521: up to 138 octets
  der->push_back(static_cast<char>(body.size()));
  der->append(body);
}

// A context ready to verify digests of `alg` with `key` (RSA and ECDSA).
EVP_PKEY_CTX* make_verify_context(JwsAlgorithm alg, const PublicKey& key) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key.pkey.get(), nullptr);
  if (ctx == nullptr || EVP_PKEY_verify_init(ctx) <= 0) {
    EVP_PKEY_CTX_free(ctx);
    return nullptr;
  }
  const EVP_MD* md = digest_of(alg);
  bool ok = EVP_PKEY_CTX_set_signature_md(ctx, md) > 0;
  if (key.type == KeyType::kRsa) {
    if (is_pss(alg)) {
      // RFC 7518 §3.5: MGF1 with the same hash, a salt as long as the hash.
      ok = ok && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) > 0 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) > 0;
    } else {
      ok = ok && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0;
    }
  }
  if (!ok) {
    EVP_PKEY_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// One thread's verification state: a hash context, contexts ready for the
// keys used lately, and buffers.
struct SignatureScratch {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md{EVP_MD_CTX_new()};
  // Ed25519's one-shot verify binds its context to a key: a context of its
  // own, so that the hash context above stays a plain hash.
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> eddsa{EVP_MD_CTX_new()};
  struct Ready {
    uint64_t serial;
    JwsAlgorithm alg;
    EVP_PKEY_CTX* ctx;
    std::shared_ptr<EVP_PKEY> pkey;  // keeps the key alive as long as its context
  };
  // A handful of keys per provider, rotated now and then: a short list,
  // dropped whole when it outgrows its bound (stale keys of old configs).
  std::vector<Ready> ready;
  static constexpr size_t kMaxReady = 64;
  std::string der;

  ~SignatureScratch() { clear(); }
  void clear() {
    for (Ready& r : ready) EVP_PKEY_CTX_free(r.ctx);
    ready.clear();
  }

  EVP_PKEY_CTX* context(JwsAlgorithm alg, const PublicKey& key) {
    for (const Ready& r : ready) {
      if (r.serial == key.serial && r.alg == alg) return r.ctx;
    }
    EVP_PKEY_CTX* ctx = make_verify_context(alg, key);
    if (ctx == nullptr) return nullptr;
    if (ready.size() >= kMaxReady) clear();
    ready.push_back({key.serial, alg, ctx, key.pkey});
    return ctx;
  }
};

bool signature_length_fits(JwsAlgorithm alg, const PublicKey& key, size_t length) {
  switch (key.type) {
    case KeyType::kRsa: return length == static_cast<size_t>(EVP_PKEY_get_size(key.pkey.get()));
    case KeyType::kEd25519: return length == 64;
    default: return length == 2 * ec_coordinate_size(key.type);
  }
}

// Step 4 with `scratch`; `cached` says whether contexts may be kept.
bool check_signature(JwsAlgorithm alg, const PublicKey& key, std::string_view input, std::string_view signature,
                     SignatureScratch& scratch, bool cached) {
  if (key.pkey == nullptr || key_type_for(alg) != key.type) return false;
  if (!signature_length_fits(alg, key, signature.size())) return false;
  const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
  const auto* tbs = reinterpret_cast<const unsigned char*>(input.data());
  if (alg == JwsAlgorithm::kEdDSA) {
    EVP_MD_CTX* md = scratch.eddsa.get();
    EVP_MD_CTX_reset(md);
    return EVP_DigestVerifyInit_ex(md, nullptr, nullptr, nullptr, nullptr, key.pkey.get(), nullptr) == 1 &&
           EVP_DigestVerify(md, sig, signature.size(), tbs, input.size()) == 1;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_MD_CTX* md = scratch.md.get();
  if (EVP_DigestInit_ex2(md, digest_of(alg), nullptr) != 1 || EVP_DigestUpdate(md, tbs, input.size()) != 1 ||
      EVP_DigestFinal_ex(md, digest, &digest_size) != 1) {
    return false;
  }
  if (key.type != KeyType::kRsa) {
    ecdsa_raw_to_der(signature, &scratch.der);
    sig = reinterpret_cast<const unsigned char*>(scratch.der.data());
    signature = scratch.der;
  }
  if (cached) {
    EVP_PKEY_CTX* ctx = scratch.context(alg, key);
    return ctx != nullptr && EVP_PKEY_verify(ctx, sig, signature.size(), digest, digest_size) == 1;
  }
  EVP_PKEY_CTX* ctx = make_verify_context(alg, key);
  const bool ok = ctx != nullptr && EVP_PKEY_verify(ctx, sig, signature.size(), digest, digest_size) == 1;
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

// RFC 7515 §4: a header whose member names repeat is refused, at any depth.
bool has_repeated_names(element e) {
  if (e.type() == element_type::ARRAY) {
    for (element child : simdjson::dom::array(e.get_array().value_unsafe())) {
      if (has_repeated_names(child)) return true;
    }
    return false;
  }
  if (e.type() != element_type::OBJECT) return false;
  std::vector<std::string_view> names;
  for (auto field : simdjson::dom::object(e.get_object().value_unsafe())) {
    names.push_back(field.key);
    if (has_repeated_names(field.value)) return true;
  }
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

}  // namespace

struct JwsVerifier::Impl {
  simdjson::dom::parser header_parser;
  std::string header;     // decoded, with simdjson's padding room
  std::string payload;    // decoded; SIMDJSON_PADDING readable bytes past size
  size_t payload_size = 0;
  bool payload_decoded = false;
  std::string signature;  // decoded
  std::string_view signing_input;  // header.payload as sent (views the token)
  std::string alg, kid;
  bool has_kid = false;
  SignatureScratch scratch;
};

JwsVerifier::JwsVerifier() : impl_(std::make_unique<Impl>()) {}
JwsVerifier::~JwsVerifier() = default;

std::string_view JwsVerifier::payload() const { return std::string_view(impl_->payload.data(), impl_->payload_size); }
bool JwsVerifier::payload_decoded() const { return impl_->payload_decoded; }
std::string_view JwsVerifier::header_alg() const { return impl_->alg; }
std::string_view JwsVerifier::header_kid() const { return impl_->kid; }

TokenError JwsVerifier::decode(std::string_view token, std::string* message) {
  Impl& s = *impl_;
  s.alg.clear(), s.kid.clear(), s.has_kid = false;
  s.header.clear(), s.payload.clear(), s.signature.clear(), s.payload_size = 0, s.payload_decoded = false;
  auto invalid = [&](std::string why) {
    *message = std::move(why);
    return TokenError::kInvalidToken;
  };
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return invalid("a JWS in compact form has three parts separated by '.'");
  }
  const std::string_view parts[3] = {token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1),
                                     token.substr(dot2 + 1)};
  static constexpr const char* kPartNames[3] = {"header", "payload", "signature"};
  std::string* outs[3] = {&s.header, &s.payload, &s.signature};
  // Every part is decoded, even after a bad one: a caller that must find the
  // provider by the payload's iss can, whatever else is wrong (payload_decoded()).
  int bad_part = -1;
  for (int i = 0; i < 3; ++i) {
    if (!base64url_decode(parts[i], outs[i]) && bad_part < 0) bad_part = i;
  }
  if (bad_part != 1) {
    s.payload_decoded = true;
    s.payload_size = s.payload.size();
    s.payload.resize(s.payload_size + simdjson::SIMDJSON_PADDING);
  }
  if (bad_part >= 0) return invalid(std::string("the ") + kPartNames[bad_part] + " is not base64url without padding");
  s.signing_input = token.substr(0, dot2);

  element header;
  const size_t header_size = s.header.size();
  s.header.resize(header_size + simdjson::SIMDJSON_PADDING);
  if (s.header_parser.parse(s.header.data(), header_size, false).get(header) != simdjson::SUCCESS) {
    return invalid("the header is not JSON in UTF-8");
  }
  if (header.type() != element_type::OBJECT) return invalid("the header is not a JSON object");
  if (has_repeated_names(header)) return invalid("a member name appears twice in the header");
  simdjson::dom::object h = header.get_object().value_unsafe();
  element alg;
  if (h.at_key("alg").get(alg) != simdjson::SUCCESS) return invalid("the header has no \"alg\"");
  if (!alg.is_string()) return invalid("the header's \"alg\" is not a string");
  s.alg = std::string(alg.get_string().value_unsafe());
  if (element kid; h.at_key("kid").get(kid) == simdjson::SUCCESS) {
    if (!kid.is_string()) return invalid("the header's \"kid\" is not a string");
    s.kid = std::string(kid.get_string().value_unsafe());
    s.has_kid = true;
  }
  // RFC 7515 §4.1.11: a `crit` names extensions the verifier must understand,
  // and ClaimMap understands none; RFC 7797's `b64` changes what is signed.
  if (element e; h.at_key("crit").get(e) == simdjson::SUCCESS) return invalid("the header has \"crit\"");
  if (element e; h.at_key("b64").get(e) == simdjson::SUCCESS) return invalid("the header has \"b64\"");
  return TokenError::kNone;
}

TokenError JwsVerifier::verify(const KeySet& keys, AlgorithmSet allowed, std::string* message) {
  Impl& s = *impl_;
  // Step 2: the algorithm, from the provider's list — never from the token alone.
  const std::optional<JwsAlgorithm> alg = jws_algorithm_from_name(s.alg);
  if (!alg) {
    *message = "algorithm " + json_text::quoted(s.alg) + " is never accepted";
    return TokenError::kInvalidToken;
  }
  if (!allowed.contains(*alg)) {
    *message = "algorithm " + json_text::quoted(s.alg) + " is not one of the provider's algorithms";
    return TokenError::kInvalidToken;
  }
  // Step 3: the key. `jwk`, `jku`, `x5u`, `x5c` in the header are not read.
  const PublicKey* key = nullptr;
  const KeyType needed = key_type_for(*alg);
  auto fits = [&](const PublicKey& k) { return k.type == needed && (!k.alg || *k.alg == *alg); };
  if (keys.empty()) {
    *message = "the provider has no keys";
    return TokenError::kUnknownKey;
  }
  if (s.has_kid) {
    for (const PublicKey& k : keys.keys) {
      if (k.has_kid && k.kid == s.kid) key = &k;
    }
    if (key == nullptr) {
      *message = "no key has kid " + json_text::quoted(s.kid);
      return TokenError::kUnknownKey;
    }
    if (!fits(*key)) {
      *message = "key " + json_text::quoted(s.kid) + " is " +
                 (key->type != needed ? "a " + std::string(key_type_name(key->type)) + " key"
                                      : "for " + std::string(jws_algorithm_name(*key->alg))) +
                 ", not for " + std::string(jws_algorithm_name(*alg));
      return TokenError::kUnknownKey;
    }
  } else {
    size_t count = 0;
    for (const PublicKey& k : keys.keys) {
      if (fits(k)) key = &k, ++count;
    }
    if (count != 1) {
      *message = count == 0 ? "no key fits " + std::string(jws_algorithm_name(*alg))
                            : std::to_string(count) + " keys fit " + std::string(jws_algorithm_name(*alg)) +
                                  " and the token names no kid";
      return TokenError::kUnknownKey;
    }
  }
  // Step 4: the signature over the ASCII bytes header.payload.
  if (!check_signature(*alg, *key, s.signing_input, s.signature, s.scratch, /*cached=*/true)) {
    *message = "the signature does not verify with key " + (key->has_kid ? json_text::quoted(key->kid) : "(no kid)");
    return TokenError::kInvalidSignature;
  }
  return TokenError::kNone;
}

bool verify_jws_signature(JwsAlgorithm alg, const PublicKey& key, std::string_view signing_input,
                          std::string_view signature) {
  SignatureScratch scratch;
  return check_signature(alg, key, signing_input, signature, scratch, /*cached=*/false);
}

}  // namespace claimmap
