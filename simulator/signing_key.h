// simulator/signing_key.h — one identity provider's signing key pair for
// `simulate --sign` (docs/spec.md §15), made from secret bytes so that the
// same seed gives the same keys, its public JWK, and the JWS signatures it
// makes (RFC 7518 §3).
//
// How each key is made (docs/simulator.md, "Signed logins"):
//   RS256, PS256  RSA-2048, e = 65537: p and q are the first primes at or
//                 above seeded 1024-bit numbers with their top two bits set
//                 (so n has exactly 2048 bits), with gcd(p-1, e) = 1;
//   ES256         P-256: the private scalar is a seeded number mod n-1, plus 1;
//   EdDSA         Ed25519: the 32-byte private key is seeded bytes.
// Seeded bytes are SHA-256 of (secret, label, counter). Signatures are
// deterministic too: RS256 and EdDSA are by nature; PS256's salt is
// HMAC-SHA-256(key secret, message hash) and ES256's nonce is RFC 6979's
// (simulator/deterministic_signature.h). A verifier accepts them as any.
//
// Immutable once made; sign() may be called from any number of threads at
// once (each call uses its own OpenSSL contexts). Copies share the keys.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "claimmap/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace claimmap::sim {

// The algorithms `simulate --sign` signs with; kNone is an unsigned run.
// HS* and `none` are not here on purpose: ClaimMap never accepts them.
enum class SignAlgorithm : uint8_t { kNone, kRS256, kPS256, kES256, kEdDSA };

// "RS256", "PS256", "ES256", "EdDSA"; "unsigned" for kNone.
std::string_view sign_algorithm_name(SignAlgorithm alg);
// One of the four names, exactly as RFC 7518 / RFC 8037 spell them; nullopt
// for anything else ("HS256", "none", "rs256", …).
std::optional<SignAlgorithm> sign_algorithm_from_name(std::string_view name);

class SigningKey {
 public:
  // The key pair of `alg` (not kNone) made from `secret`: the same secret
  // gives the same key on any machine. RSA takes ~0.1-1 s (two prime
  // searches); the others microseconds. Fails only if OpenSSL does.
  static Result<SigningKey> derive(SignAlgorithm alg, std::string_view secret);

  SignAlgorithm algorithm() const { return alg_; }
  // The RFC 7638 thumbprint of the public key (SHA-256, base64url): the kid
  // Okta and Keycloak use, a function of the key alone.
  const std::string& kid() const { return kid_; }
  // The public JWK, one JSON object without spaces: kty, kid, use "sig",
  // alg, then n and e (RSA), crv x y (EC) or crv x (OKP).
  const std::string& public_jwk() const { return jwk_; }

  // Appends the JWS signature of `signing_input` (the ASCII bytes
  // BASE64URL(header).BASE64URL(payload)) to `signature`: RSA 256 bytes,
  // ES256 r‖s 64 bytes, Ed25519 64 bytes. False only if OpenSSL fails.
  bool sign(std::string_view signing_input, std::string* signature) const;

  // The key pair as OpenSSL holds it, so that tests can check signatures
  // with OpenSSL's own verification. Owned by this key (and its copies).
  EVP_PKEY* pkey() const { return pkey_.get(); }

 private:
  SigningKey() = default;
  bool sign_pss(std::string_view input, std::string* signature) const;

  SignAlgorithm alg_ = SignAlgorithm::kNone;
  std::shared_ptr<EVP_PKEY> pkey_;
  std::string kid_;
  std::string jwk_;
  std::string private_scalar_;  // ES256: d, 32 bytes big-endian
  std::string salt_key_;        // PS256: the HMAC key of the salts
  size_t modulus_bits_ = 0;     // RS256, PS256
};

}  // namespace claimmap::sim
