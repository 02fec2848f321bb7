// Public keys from JWKs (RFC 7517, RFC 7518 §6, RFC 8037 §2), parsed once —
// when a config is loaded — into ready OpenSSL keys, with every problem
// reported by its JSON path.
//
// What is refused (docs/spec.md §15): a key with any private member (`d`,
// `p`, `q`, `dp`, `dq`, `qi`, `oth`), a symmetric (`oct`) key, an RSA modulus
// under 2048 bits, an EC point not on its curve or with coordinates not of
// the curve's size, a curve other than P-256/P-384/P-521 and Ed25519, `use`
// other than "sig", `key_ops` without "verify", an `alg` ClaimMap does not
// verify, and two keys of one set with the same `kid`. Members that name
// other keys or certificates (`x5c`, `x5u`, `jku`, …) are ignored: a key is
// what its own members say.
//
// A PublicKey is immutable once made; copies share the OpenSSL key, which
// any number of threads may verify with at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "claimmap/config.h"
#include "claimmap/status.h"
#include "engine/jose/jws_algorithm.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace claimmap {

struct PublicKey {
  bool has_kid = false;
  std::string kid;
  KeyType type = KeyType::kRsa;
  std::optional<JwsAlgorithm> alg;  // the JWK's own `alg`: the only algorithm it verifies
  int bits = 0;                     // the modulus or the curve's size
  std::shared_ptr<EVP_PKEY> pkey;
  // Unique in the process (never reused, across reloads too): the key of
  // the per-thread verification contexts (engine/jose/jws_verifier.h).
  uint64_t serial = 0;
  // The members that define the key (kty, crv, n, e, x, y, kid, alg), for
  // telling whether a reload changed keys.
  std::string canonical;
};

// A JWK Set's keys, in file order.
struct KeySet {
  std::vector<PublicKey> keys;
  bool empty() const { return keys.empty(); }
};

// Reads one JWK at `path` (e.g. "providers[0].jwks.keys[2]"); false, with
// errors appended, when it is refused.
bool read_jwk(simdjson::dom::element jwk, const std::string& path, PublicKey* out, std::vector<ConfigProblem>* errors);

// Reads a JWK Set ({"keys": [...]}) at `path`, every key and the kid rule.
bool read_jwk_set(simdjson::dom::element set, const std::string& path, KeySet* out,
                  std::vector<ConfigProblem>* errors);

// The same from JSON text (tests, tools): kInvalidConfig with every problem
// in the message when refused.
Result<PublicKey> parse_jwk(std::string_view json);
Result<KeySet> parse_jwk_set(std::string_view json);

}  // namespace claimmap
