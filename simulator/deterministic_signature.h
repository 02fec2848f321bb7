// simulator/deterministic_signature.h — the two JWS signatures that OpenSSL
// 3.0 would randomise, made by hand so that a signed dataset is the same
// bytes on every run (docs/spec.md §11: the same seed gives the same dataset).
//
// RSASSA-PSS takes a random salt and ECDSA a random nonce; a verifier cannot
// tell how they were chosen. So the salt is chosen by the caller (the token
// signer derives it from the key's secret and the message, simulator/
// signing_key.h), and the ECDSA nonce is RFC 6979's (HMAC-SHA-256 over the
// private key and the message hash), whose published vectors the tests check.
// RS256 and EdDSA are deterministic already and need nothing here.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace claimmap::sim {

// EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with SHA-256 and MGF1-SHA-256: appends
// the encoded message of ceil(em_bits/8) bytes for `message_hash` (32 bytes)
// and `salt` to `em`. For a k-bit RSA modulus, em_bits is k - 1; the RSA
// private operation on the result (no padding) is then the PS256 signature.
// False when the sizes do not fit (em_bits too small for hash and salt).
bool emsa_pss_encode_sha256(std::string_view message_hash, std::string_view salt, size_t em_bits,
                            std::string* em);

// ECDSA over P-256 of a SHA-256 `hash` (32 bytes) with private scalar
// `private_key` (32 bytes, big-endian, in [1, n-1]) and the nonce of RFC 6979
// §3.2. Appends the JWS form, r‖s as two 32-byte big-endian integers
// (RFC 7518 §3.4). False on a bad scalar or an OpenSSL failure.
bool ecdsa_p256_sign_rfc6979(std::string_view private_key, std::string_view hash, std::string* signature);

}  // namespace claimmap::sim
