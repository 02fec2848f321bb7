#include "engine/jose/jwk.h"

#include <atomic>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "engine/common/json_text.h"
#include "engine/jose/base64url.h"

namespace claimmap {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::atomic<uint64_t> next_key_serial{1};

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};

// Collects the problems of one JWK, each under its path.
class JwkReader {
 public:
  JwkReader(element jwk, std::string path, std::vector<ConfigProblem>* errors)
      : jwk_(jwk), path_(std::move(path)), errors_(errors) {}

  void error(std::string_view member, std::string message) {
    errors_->push_back({member.empty() ? path_ : path_ + "." + std::string(member), std::move(message)});
    ok_ = false;
  }
  bool ok() const { return ok_; }

  bool has(std::string_view name) const {
    element e;
    return jwk_.at_key(name).get(e) == simdjson::SUCCESS;
  }

  // A string member; nullopt (with an error if `required` or not a string) otherwise.
  std::optional<std::string_view> string(std::string_view name, bool required) {
    element e;
    if (jwk_.at_key(name).get(e) != simdjson::SUCCESS) {
      if (required) error(name, "missing");
      return std::nullopt;
    }
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) {
      error(name, "must be a string");
      return std::nullopt;
    }
    return s;
  }

  // A base64url member's bytes: strict, and (for numbers) in the fewest octets.
  std::optional<std::string> bytes(std::string_view name, bool minimal_number) {
    auto s = string(name, true);
    if (!s) return std::nullopt;
    std::string out;
    if (!base64url_decode(*s, &out)) {
      error(name, "not base64url without padding");
      return std::nullopt;
    }
    if (out.empty()) {
      error(name, "empty");
      return std::nullopt;
    }
    if (minimal_number && out.size() > 1 && out[0] == '\0') {
      error(name, "has a leading zero octet (RFC 7518 §6.3.1: the fewest octets)");
      return std::nullopt;
    }
    return out;
  }

 private:
  element jwk_;
  std::string path_;
  std::vector<ConfigProblem>* errors_;
  bool ok_ = true;
};

std::unique_ptr<BIGNUM, BnFree> to_bn(const std::string& bytes) {
  return std::unique_ptr<BIGNUM, BnFree>(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
}

// A public key from OSSL parameters, then checked by OpenSSL (an EC point on
// its curve and not the identity; an RSA modulus and exponent that make sense).
EVP_PKEY* key_from_params(const char* type, OSSL_PARAM* params, std::string* why) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx) <= 0 ||
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
    EVP_PKEY_CTX_free(ctx);
    *why = "OpenSSL refuses the key";
    return nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  const bool valid = check != nullptr && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!valid) {
    EVP_PKEY_free(pkey);
    *why = "not a valid public key";
    return nullptr;
  }
  return pkey;
}

void read_rsa(JwkReader& r, PublicKey* out) {
  auto n = r.bytes("n", true);
  auto e = r.bytes("e", true);
  if (!n || !e) return;
  auto bn_n = to_bn(*n), bn_e = to_bn(*e);
  const int bits = BN_num_bits(bn_n.get());
  if (bits < 2048) return r.error("n", "an RSA modulus of " + std::to_string(bits) + " bits; at least 2048 are needed");
  if (bits > 16384) return r.error("n", "an RSA modulus of " + std::to_string(bits) + " bits; at most 16384 are taken");
  if (!BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get()) || BN_num_bits(bn_e.get()) > 64) {
    return r.error("e", "not a usable RSA public exponent (odd, above 1, at most 64 bits)");
  }
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get());
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  std::string why;
  EVP_PKEY* pkey = key_from_params("RSA", params, &why);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  if (pkey == nullptr) return r.error("", "RSA key: " + why);
  out->type = KeyType::kRsa;
  out->bits = bits;
  out->pkey.reset(pkey, PkeyFree{});
}

void read_ec(JwkReader& r, PublicKey* out) {
  auto crv = r.string("crv", true);
  if (!crv) return;
  const char* group = nullptr;
  size_t size = 0;
  if (*crv == "P-256") {
    group = "prime256v1", size = 32, out->type = KeyType::kEcP256, out->bits = 256;
  } else if (*crv == "P-384") {
    group = "secp384r1", size = 48, out->type = KeyType::kEcP384, out->bits = 384;
  } else if (*crv == "P-521") {
    group = "secp521r1", size = 66, out->type = KeyType::kEcP521, out->bits = 521;
  } else {
    return r.error("crv", "curve " + json_text::quoted(*crv) + " is not one of P-256, P-384, P-521");
  }
  auto x = r.bytes("x", false);
  auto y = r.bytes("y", false);
  if (!x || !y) return;
  if (x->size() != size) return r.error("x", "must be " + std::to_string(size) + " octets for " + std::string(*crv));
  if (y->size() != size) return r.error("y", "must be " + std::to_string(size) + " octets for " + std::string(*crv));
  std::string point = "\x04" + *x + *y;  // SEC 1 uncompressed form
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end(),
  };
  std::string why;
  EVP_PKEY* pkey = key_from_params("EC", params, &why);
  if (pkey == nullptr) return r.error("", "the point (x, y) is not on curve " + std::string(*crv));
  out->pkey.reset(pkey, PkeyFree{});
}

void read_okp(JwkReader& r, PublicKey* out) {
  auto crv = r.string("crv", true);
  if (!crv) return;
  if (*crv != "Ed25519") return r.error("crv", "curve " + json_text::quoted(*crv) + " is not Ed25519");
  auto x = r.bytes("x", false);
  if (!x) return;
  if (x->size() != 32) return r.error("x", "must be 32 octets for Ed25519");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(x->data()), x->size());
  if (pkey == nullptr) return r.error("x", "not an Ed25519 public key");
  out->type = KeyType::kEd25519;
  out->bits = 256;
  out->pkey.reset(pkey, PkeyFree{});
}

// The members that say what the key is, in a fixed order: two JWKs that
// verify the same way have the same canonical text.
std::string canonical_text(element jwk) {
  std::string text;
  for (std::string_view name : {"kty", "crv", "n", "e", "x", "y", "kid", "alg"}) {
    std::string_view v;
    if (jwk.at_key(name).get_string().get(v) == simdjson::SUCCESS) {
      text.append(name).push_back('=');
      text.append(v).push_back('\n');
    }
  }
  return text;
}

}  // namespace

bool read_jwk(element jwk, const std::string& path, PublicKey* out, std::vector<ConfigProblem>* errors) {
  *out = PublicKey{};
  if (jwk.type() != element_type::OBJECT) {
    errors->push_back({path, "a JWK must be an object"});
    return false;
  }
  JwkReader r(jwk, path, errors);
  auto kty = r.string("kty", true);
  if (!kty) return false;
  // Only public keys: a config is copied, logged and shared, a private key must never be in one.
  for (std::string_view secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (r.has(secret)) {
      r.error(secret, "a private key member: only public keys belong in a config");
    }
  }
  if (*kty == "oct") {
    r.error("kty", "symmetric (\"oct\") keys are refused: HMAC needs a secret shared with every relying party");
    return false;
  }
  if (auto use = r.string("use", false); use && *use != "sig") {
    r.error("use", "must be \"sig\" for a key that verifies signatures, not " + json_text::quoted(*use));
  }
  if (simdjson::dom::array ops; jwk.at_key("key_ops").get_array().get(ops) == simdjson::SUCCESS) {
    bool verify = false;
    for (element op : ops) verify = verify || (op.is_string() && std::string_view(op.get_string().value_unsafe()) == "verify");
    if (!verify) r.error("key_ops", "does not include \"verify\"");
  } else if (r.has("key_ops")) {
    r.error("key_ops", "must be an array of strings");
  }
  if (auto alg = r.string("alg", false)) {
    out->alg = jws_algorithm_from_name(*alg);
    if (!out->alg) r.error("alg", "algorithm " + json_text::quoted(*alg) + " is not one ClaimMap verifies");
  }
  if (auto kid = r.string("kid", false)) {
    out->has_kid = true;
    out->kid = std::string(*kid);
  }
  if (*kty == "RSA") {
    read_rsa(r, out);
  } else if (*kty == "EC") {
    read_ec(r, out);
  } else if (*kty == "OKP") {
    read_okp(r, out);
  } else {
    r.error("kty", "key type " + json_text::quoted(*kty) + " is not one of RSA, EC, OKP");
  }
  if (r.ok() && out->alg && key_type_for(*out->alg) != out->type) {
    r.error("alg", std::string(jws_algorithm_name(*out->alg)) + " does not fit a " +
                       std::string(key_type_name(out->type)) + " key");
  }
  if (!r.ok()) {
    out->pkey.reset();
    return false;
  }
  out->serial = next_key_serial.fetch_add(1, std::memory_order_relaxed);
  out->canonical = canonical_text(jwk);
  return true;
}

bool read_jwk_set(element set, const std::string& path, KeySet* out, std::vector<ConfigProblem>* errors) {
  out->keys.clear();
  simdjson::dom::object obj;
  if (set.get_object().get(obj) != simdjson::SUCCESS) {
    errors->push_back({path, "a JWK Set must be an object with \"keys\""});
    return false;
  }
  simdjson::dom::array keys;
  if (element k; obj.at_key("keys").get(k) != simdjson::SUCCESS) {
    errors->push_back({path + ".keys", "missing"});
    return false;
  } else if (k.get_array().get(keys) != simdjson::SUCCESS) {
    errors->push_back({path + ".keys", "must be an array"});
    return false;
  }
  const size_t before = errors->size();
  size_t i = 0;
  for (element jwk : keys) {
    const std::string key_path = path + ".keys[" + std::to_string(i++) + "]";
    PublicKey key;
    if (!read_jwk(jwk, key_path, &key, errors)) continue;
    for (size_t j = 0; j < out->keys.size(); ++j) {
      if (key.has_kid && out->keys[j].has_kid && out->keys[j].kid == key.kid) {
        errors->push_back({key_path + ".kid", "kid " + json_text::quoted(key.kid) + " is also the kid of another key"});
      }
    }
    out->keys.push_back(std::move(key));
  }
  if (i == 0) errors->push_back({path + ".keys", "empty: a provider with a JWK Set needs at least one key"});
  if (errors->size() != before) {
    out->keys.clear();
    return false;
  }
  return true;
}

namespace {

template <typename T, typename Read>
Result<T> parse_with(std::string_view json, Read read) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element root;
  if (auto err = parser.parse(padded).get(root)) {
    return Status(ErrorCode::kInvalidConfig, std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  std::vector<ConfigProblem> errors;
  T value;
  if (!read(root, &value, &errors)) {
    std::string message;
    for (const ConfigProblem& p : errors) message += (message.empty() ? "" : "; ") + p.to_string();
    return Status(ErrorCode::kInvalidConfig, message);
  }
  return value;
}

}  // namespace

Result<PublicKey> parse_jwk(std::string_view json) {
  return parse_with<PublicKey>(json, [](element e, PublicKey* k, std::vector<ConfigProblem>* errors) {
    return read_jwk(e, "jwk", k, errors);
  });
}

Result<KeySet> parse_jwk_set(std::string_view json) {
  return parse_with<KeySet>(json, [](element e, KeySet* s, std::vector<ConfigProblem>* errors) {
    return read_jwk_set(e, "jwks", s, errors);
  });
}

}  // namespace claimmap
