#include "engine/jose/jws_algorithm.h"

namespace claimmap {
namespace {

constexpr std::string_view kNames[kJwsAlgorithmCount] = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                                          "PS512", "ES256", "ES384", "ES512", "EdDSA"};

}  // namespace

std::string_view jws_algorithm_name(JwsAlgorithm alg) { return kNames[static_cast<int>(alg)]; }

std::optional<JwsAlgorithm> jws_algorithm_from_name(std::string_view name) {
  for (int i = 0; i < kJwsAlgorithmCount; ++i) {
    if (kNames[i] == name) return static_cast<JwsAlgorithm>(i);
  }
  return std::nullopt;
}

KeyType key_type_for(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kES256: return KeyType::kEcP256;
    case JwsAlgorithm::kES384: return KeyType::kEcP384;
    case JwsAlgorithm::kES512: return KeyType::kEcP521;
    case JwsAlgorithm::kEdDSA: return KeyType::kEd25519;
    default: return KeyType::kRsa;
  }
}

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::kRsa: return "RSA";
    case KeyType::kEcP256: return "EC P-256";
    case KeyType::kEcP384: return "EC P-384";
    case KeyType::kEcP521: return "EC P-521";
    case KeyType::kEd25519: return "OKP Ed25519";
  }
  return "unknown";
}

}  // namespace claimmap
