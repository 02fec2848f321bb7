// Verifies a JWS in compact serialisation (RFC 7515 §7.1) against a key set,
// steps 1–4 of docs/spec.md §15 — the token's form, its header, the key,
// the signature. What the payload says (issuer, times, audience) is the
// event parser's to check, on the claims it reads from the payload.
//
//   JwsVerifier v;                                   // one per thread
//   if (v.decode(token, &why) != TokenError::kNone) …  // step 1 (form)
//   … check v.payload() is a JSON object …           // step 1 (payload)
//   if (v.verify(keys, allowed, &why) != TokenError::kNone) …  // steps 2–4
//
// The policy is fixed and strict: the algorithm must be in the caller's
// allow-list and fit the key's type (and the key's own `alg`, if it has
// one); `crit` and `b64` in the header are refused; `jwk`, `jku`, `x5u` and
// `x5c` in the header are never used to find a key; ECDSA signatures are the
// raw r‖s of RFC 7518 §3.4 (a DER signature is invalid); RSA-PSS salts are
// the hash's length.
//
// Not thread-safe: one JwsVerifier per thread. It keeps OpenSSL contexts
// ready for the keys it has verified with, so that a storm's verification
// costs what OpenSSL's does, not a context setup each time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/jose/jwk.h"
#include "engine/jose/jws_algorithm.h"

namespace claimmap {

enum class TokenError : uint8_t {
  kNone,
  kInvalidToken,      // docs/spec.md §15 steps 1–2
  kUnknownKey,        // step 3
  kInvalidSignature,  // step 4
};

class JwsVerifier {
 public:
  JwsVerifier();
  ~JwsVerifier();
  JwsVerifier(const JwsVerifier&) = delete;
  JwsVerifier& operator=(const JwsVerifier&) = delete;

  // Step 1, the form: three parts separated by '.', each strict base64url;
  // the header a JSON object without repeated member names (at any depth).
  // The payload is only decoded: see payload(). `token` is viewed, not
  // copied: it must stay readable until verify() has returned.
  TokenError decode(std::string_view token, std::string* message);

  // The decoded payload of the last decode(), readable for 64 bytes
  // (simdjson's padding) past its end. Valid until the next decode().
  std::string_view payload() const;
  // Whether the last decode() got as far as the payload's bytes (the token
  // had three parts and its payload part was base64url), even if it failed
  // on another part: payload() is then readable.
  bool payload_decoded() const;

  // Steps 2–4 for the last decoded token: its header's algorithm allowed
  // and usable, its key found in `keys`, its signature valid.
  TokenError verify(const KeySet& keys, AlgorithmSet allowed, std::string* message);

  // The header's `alg` and `kid` of the last decode(), as written.
  std::string_view header_alg() const;
  std::string_view header_kid() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The signature check alone (step 4): `signature` is the decoded third part.
// Thread-safe (uses no cache); JwsVerifier::verify is the fast path.
bool verify_jws_signature(JwsAlgorithm alg, const PublicKey& key, std::string_view signing_input,
                          std::string_view signature);

}  // namespace claimmap
