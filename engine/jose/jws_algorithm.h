// The JWS algorithms ClaimMap verifies (RFC 7518 §3, RFC 8037 §3.1) and the
// key type each one needs. `none` and the HMAC algorithms (HS256/384/512)
// are not here on purpose: a token must be signed, and an HMAC "key" would
// be a secret shared with every relying party (docs/verification.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace claimmap {

enum class JwsAlgorithm : uint8_t { kRS256, kRS384, kRS512, kPS256, kPS384, kPS512, kES256, kES384, kES512, kEdDSA };
inline constexpr int kJwsAlgorithmCount = 10;

// The kinds of public key a JWK may hold (RFC 7518 §6, RFC 8037 §2).
enum class KeyType : uint8_t { kRsa, kEcP256, kEcP384, kEcP521, kEd25519 };

std::string_view jws_algorithm_name(JwsAlgorithm alg);  // "RS256", …, "EdDSA"
// The algorithm of a name, exactly as RFC 7518 spells it; nullopt for any
// other name (including "none" and "HS256").
std::optional<JwsAlgorithm> jws_algorithm_from_name(std::string_view name);
// The only key type `alg` verifies with: RSA for RS* and PS*, the matching
// curve for ES*, Ed25519 for EdDSA.
KeyType key_type_for(JwsAlgorithm alg);
std::string_view key_type_name(KeyType type);  // "RSA", "EC P-256", …, "OKP Ed25519"

// A set of algorithms (a provider's `algorithms`), as bits.
class AlgorithmSet {
 public:
  void add(JwsAlgorithm alg) { bits_ |= bit(alg); }
  bool contains(JwsAlgorithm alg) const { return (bits_ & bit(alg)) != 0; }
  bool empty() const { return bits_ == 0; }
  friend bool operator==(AlgorithmSet, AlgorithmSet) = default;

 private:
  static uint16_t bit(JwsAlgorithm alg) { return static_cast<uint16_t>(1u << static_cast<unsigned>(alg)); }
  uint16_t bits_ = 0;
};

}  // namespace claimmap
