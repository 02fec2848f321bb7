#include "simulator/signing_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <array>

#include "engine/jose/base64url.h"
#include "simulator/deterministic_signature.h"

namespace claimmap::sim {
namespace {

constexpr std::array<std::string_view, 5> kNames = {"unsigned", "RS256", "PS256", "ES256", "EdDSA"};
constexpr int kRsaPrimeBits = 1024;  // two of them: a 2048-bit modulus, ClaimMap's minimum (docs/spec.md §15)
constexpr unsigned long kRsaExponent = 65537;
constexpr size_t kHashBytes = 32;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string sha256(std::string_view data) {
  std::string out(kHashBytes, '\0');
  SHA256(bytes(data), data.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

// `length` seeded bytes for `label`: SHA-256(secret ‖ 0 ‖ label ‖ 0 ‖ counter)
// blocks. Only SHA-256 decides them, so they are the same everywhere.
std::string seeded_bytes(std::string_view secret, std::string_view label, size_t length) {
  std::string out;
  for (uint32_t counter = 0; out.size() < length; ++counter) {
    std::string block(secret);
    block.push_back('\0');
    block.append(label).push_back('\0');
    for (int i = 0; i < 4; ++i) block.push_back(static_cast<char>(counter >> (24 - 8 * i)));
    out += sha256(block);
  }
  out.resize(length);
  return out;
}

std::string b64(std::string_view data) {
  std::string out;
  base64url_encode(data, &out);
  return out;
}

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct GroupFree {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};
struct PointFree {
  void operator()(EC_POINT* p) const { EC_POINT_free(p); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn bn() { return Bn(BN_new()); }

std::string bn_bytes(const BIGNUM* n, int size) {
  std::string out(static_cast<size_t>(size), '\0');
  BN_bn2binpad(n, reinterpret_cast<unsigned char*>(out.data()), size);
  return out;
}

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* pkey) { return std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free); }

// An EVP_PKEY of `type` ("RSA", "EC") from the parameters in `bld`.
std::shared_ptr<EVP_PKEY> pkey_from(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return nullptr;
  }
  return own(pkey);
}

// The first prime p >= the seeded 1024-bit number of `label` (top two bits
// and the low bit set) with gcd(p-1, e) = 1. Miller-Rabin's bases are
// random, but whether a number is prime is not: the answer is the same.
Bn seeded_prime(std::string_view secret, std::string_view label, const BIGNUM* e, BN_CTX* ctx) {
  const std::string start = seeded_bytes(secret, label, kRsaPrimeBits / 8);
  Bn p(BN_bin2bn(bytes(start), static_cast<int>(start.size()), nullptr));
  Bn p_minus_1 = bn(), gcd = bn();
  if (!p || !p_minus_1 || !gcd || !BN_set_bit(p.get(), kRsaPrimeBits - 1) ||
      !BN_set_bit(p.get(), kRsaPrimeBits - 2) || !BN_set_bit(p.get(), 0)) {
    return nullptr;
  }
  for (;;) {
    const int prime = BN_check_prime(p.get(), ctx, nullptr);
    if (prime < 0) return nullptr;
    if (prime == 1) {
      if (!BN_sub(p_minus_1.get(), p.get(), BN_value_one()) || !BN_gcd(gcd.get(), p_minus_1.get(), e, ctx)) {
        return nullptr;
      }
      if (BN_is_one(gcd.get())) break;
    }
    if (!BN_add_word(p.get(), 2)) return nullptr;
  }
  // A search that ran past 2^1024 would change n's size; it never does
  // (it would take ~2^1020 steps), but say so rather than assume.
  if (BN_num_bits(p.get()) != kRsaPrimeBits) return nullptr;
  return p;
}

struct MadeKey {
  std::shared_ptr<EVP_PKEY> pkey;
  std::string thumbprint_json;  // RFC 7638: the required members, sorted, no spaces
  std::string public_members;   // the JWK's key members after kty, kid, use, alg
  std::string kty;
};

bool make_rsa(std::string_view secret, MadeKey* out, size_t* modulus_bits) {
  std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
  Bn e = bn();
  if (!ctx || !e || !BN_set_word(e.get(), kRsaExponent)) return false;
  Bn p = seeded_prime(secret, "rsa-p", e.get(), ctx.get());
  Bn q = seeded_prime(secret, "rsa-q", e.get(), ctx.get());
  if (!p || !q || BN_cmp(p.get(), q.get()) == 0) return false;
  Bn n = bn(), p1 = bn(), q1 = bn(), phi = bn(), g = bn(), lambda = bn(), rem = bn(), d = bn(), dmp1 = bn(),
     dmq1 = bn(), iqmp = bn();
  if (!iqmp || !BN_mul(n.get(), p.get(), q.get(), ctx.get()) || !BN_sub(p1.get(), p.get(), BN_value_one()) ||
      !BN_sub(q1.get(), q.get(), BN_value_one()) || !BN_mul(phi.get(), p1.get(), q1.get(), ctx.get()) ||
      !BN_gcd(g.get(), p1.get(), q1.get(), ctx.get()) ||
      !BN_div(lambda.get(), rem.get(), phi.get(), g.get(), ctx.get()) ||  // lcm(p-1, q-1)
      !BN_mod_inverse(d.get(), e.get(), lambda.get(), ctx.get()) ||
      !BN_nnmod(dmp1.get(), d.get(), p1.get(), ctx.get()) || !BN_nnmod(dmq1.get(), d.get(), q1.get(), ctx.get()) ||
      !BN_mod_inverse(iqmp.get(), q.get(), p.get(), ctx.get())) {
    return false;
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dmp1.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dmq1.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, iqmp.get())) {
    return false;
  }
  out->pkey = pkey_from("RSA", bld.get());
  if (!out->pkey) return false;
  *modulus_bits = static_cast<size_t>(BN_num_bits(n.get()));
  const std::string n_text = b64(bn_bytes(n.get(), BN_num_bytes(n.get())));
  const std::string e_text = b64(bn_bytes(e.get(), BN_num_bytes(e.get())));
  out->kty = "RSA";
  out->thumbprint_json = "{\"e\":\"" + e_text + "\",\"kty\":\"RSA\",\"n\":\"" + n_text + "\"}";
  out->public_members = "\"n\":\"" + n_text + "\",\"e\":\"" + e_text + "\"";
  return true;
}

bool make_p256(std::string_view secret, MadeKey* out, std::string* private_scalar) {
  std::unique_ptr<EC_GROUP, GroupFree> group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  std::unique_ptr<BN_CTX, BnCtxFree> ctx(BN_CTX_new());
  if (!group || !ctx) return false;
  // d = (seeded 384 bits mod (n-1)) + 1: in [1, n-1], with a negligible bias.
  const std::string wide = seeded_bytes(secret, "ec-d", 48);
  Bn d(BN_bin2bn(bytes(wide), static_cast<int>(wide.size()), nullptr));
  Bn n_minus_1 = bn();
  std::unique_ptr<EC_POINT, PointFree> q(EC_POINT_new(group.get()));
  if (!d || !n_minus_1 || !q || !BN_sub(n_minus_1.get(), EC_GROUP_get0_order(group.get()), BN_value_one()) ||
      !BN_nnmod(d.get(), d.get(), n_minus_1.get(), ctx.get()) || !BN_add_word(d.get(), 1) ||
      !EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, ctx.get())) {
    return false;
  }
  unsigned char point[65];
  if (EC_POINT_point2oct(group.get(), q.get(), POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, ctx.get()) !=
      sizeof point) {
    return false;
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point)) {
    return false;
  }
  out->pkey = pkey_from("EC", bld.get());
  if (!out->pkey) return false;
  *private_scalar = bn_bytes(d.get(), 32);
  const std::string x = b64(std::string_view(reinterpret_cast<const char*>(point) + 1, 32));
  const std::string y = b64(std::string_view(reinterpret_cast<const char*>(point) + 33, 32));
  out->kty = "EC";
  out->thumbprint_json = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"}";
  out->public_members = "\"crv\":\"P-256\",\"x\":\"" + x + "\",\"y\":\"" + y + "\"";
  return true;
}

bool make_ed25519(std::string_view secret, MadeKey* out) {
  const std::string seed = seeded_bytes(secret, "ed25519", 32);
  out->pkey = own(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(seed), seed.size()));
  unsigned char public_key[32];
  size_t length = sizeof public_key;
  if (!out->pkey || EVP_PKEY_get_raw_public_key(out->pkey.get(), public_key, &length) != 1 || length != 32) {
    return false;
  }
  const std::string x = b64(std::string_view(reinterpret_cast<const char*>(public_key), length));
  out->kty = "OKP";
  out->thumbprint_json = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}";
  out->public_members = "\"crv\":\"Ed25519\",\"x\":\"" + x + "\"";
  return true;
}

// EVP_DigestSign with `digest` (nullptr for Ed25519, which hashes itself).
bool digest_sign(EVP_PKEY* pkey, const char* digest, std::string_view input, std::string* signature) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr, pkey, nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, bytes(input), input.size()) != 1) {
    return false;
  }
  const size_t at = signature->size();
  signature->resize(at + length);
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature->data() + at), &length, bytes(input),
                     input.size()) != 1) {
    signature->resize(at);
    return false;
  }
  signature->resize(at + length);
  return true;
}

}  // namespace

std::string_view sign_algorithm_name(SignAlgorithm alg) { return kNames[static_cast<size_t>(alg)]; }

std::optional<SignAlgorithm> sign_algorithm_from_name(std::string_view name) {
  for (size_t i = 1; i < kNames.size(); ++i) {
    if (name == kNames[i]) return static_cast<SignAlgorithm>(i);
  }
  return std::nullopt;
}

Result<SigningKey> SigningKey::derive(SignAlgorithm alg, std::string_view secret) {
  SigningKey key;
  key.alg_ = alg;
  MadeKey made;
  bool ok = false;
  switch (alg) {
    case SignAlgorithm::kRS256:
    case SignAlgorithm::kPS256:
      ok = make_rsa(secret, &made, &key.modulus_bits_);
      if (alg == SignAlgorithm::kPS256) key.salt_key_ = seeded_bytes(secret, "pss-salt", kHashBytes);
      break;
    case SignAlgorithm::kES256:
      ok = make_p256(secret, &made, &key.private_scalar_);
      break;
    case SignAlgorithm::kEdDSA:
      ok = make_ed25519(secret, &made);
      break;
    case SignAlgorithm::kNone:
      return Status(ErrorCode::kInvalidArgument, "no key for an unsigned run");
  }
  if (!ok) return Status(ErrorCode::kInternal, "OpenSSL could not make a " + std::string(sign_algorithm_name(alg)) + " key");
  key.pkey_ = std::move(made.pkey);
  key.kid_ = b64(sha256(made.thumbprint_json));
  key.jwk_ = "{\"kty\":\"" + made.kty + "\",\"kid\":\"" + key.kid_ + "\",\"use\":\"sig\",\"alg\":\"" +
             std::string(sign_algorithm_name(alg)) + "\"," + made.public_members + "}";
  return key;
}

bool SigningKey::sign(std::string_view input, std::string* signature) const {
  switch (alg_) {
    case SignAlgorithm::kRS256:
      return digest_sign(pkey_.get(), "SHA256", input, signature);
    case SignAlgorithm::kEdDSA:
      return digest_sign(pkey_.get(), nullptr, input, signature);
    case SignAlgorithm::kPS256:
      return sign_pss(input, signature);
    case SignAlgorithm::kES256:
      return ecdsa_p256_sign_rfc6979(private_scalar_, sha256(input), signature);
    case SignAlgorithm::kNone:
      break;
  }
  return false;
}

// PS256 (RFC 7518 §3.5): EMSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte
// salt — HMAC-SHA-256(salt key, message hash) instead of random bytes — then
// the raw RSA private operation.
bool SigningKey::sign_pss(std::string_view input, std::string* signature) const {
  const std::string hash = sha256(input);
  std::string salt(kHashBytes, '\0');
  unsigned int salt_length = 0;
  if (!HMAC(EVP_sha256(), salt_key_.data(), static_cast<int>(salt_key_.size()), bytes(hash), hash.size(),
            reinterpret_cast<unsigned char*>(salt.data()), &salt_length)) {
    return false;
  }
  std::string em;
  if (!emsa_pss_encode_sha256(hash, salt, modulus_bits_ - 1, &em)) return false;
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
  size_t length = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &length, bytes(em), em.size()) != 1) {
    return false;
  }
  const size_t at = signature->size();
  signature->resize(at + length);
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(signature->data() + at), &length, bytes(em),
                    em.size()) != 1) {
    signature->resize(at);
    return false;
  }
  signature->resize(at + length);
  return true;
}

}  // namespace claimmap::sim
