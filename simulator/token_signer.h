// simulator/token_signer.h — the keys of a signed run (`simulate --sign ALG`,
// docs/spec.md §15) and the compact JWS of a login's claims.
//
// Every provider of an OIDC shape (entra, okta, keycloak, auth0) gets one key
// pair of the run's algorithm, made from (seed, provider id, algorithm), so
// the same seed gives the same keys. SAML providers get none: their logins
// stay decoded envelopes (an XML signature is out of scope).
//
// A token is BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)
// (RFC 7515 §7.1) with the header {"alg":"<ALG>","kid":"<kid>","typ":"JWT"}
// and the claims object, byte for byte, as the payload.
//
// Immutable once made, apart from a failure counter; any number of threads
// may sign at once. Ownership: the Generator owns its TokenSigner.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/status.h"
#include "simulator/organisation.h"
#include "simulator/signing_key.h"

namespace claimmap::sim {

class TokenSigner {
 public:
  // Makes the keys of `org`'s OIDC providers for `alg` (not kNone). RSA
  // keys take a fraction of a second each. Fails only if OpenSSL does.
  static Result<std::unique_ptr<TokenSigner>> create(const Organisation& org, SignAlgorithm alg);

  SignAlgorithm algorithm() const { return alg_; }
  // Whether logins of provider `provider` (an index into org.providers()) are signed.
  bool signs(uint32_t provider) const { return provider < keys_.size() && keys_[provider] != nullptr; }
  // The key of a provider that signs(). Valid as long as this signer.
  const SigningKey& key(uint32_t provider) const { return *keys_[provider]; }
  size_t signing_providers() const;
  // The kid of the key `provider` will rotate to next, which its published
  // set does not hold yet: a token naming it gets unknown_key.
  const std::string& next_kid(uint32_t provider) const { return next_kids_[provider]; }

  // Appends the compact JWS of `payload` signed with `provider`'s key
  // (a provider that signs(): others have no key). A
  // non-empty `header_kid` is written in the header instead of the key's
  // own kid (a token naming a key its provider's set does not hold). On an
  // OpenSSL failure (out of memory) the signature part is left empty, which
  // no verifier accepts, and failures() counts it.
  void append_jws(uint32_t provider, std::string_view payload, std::string* out,
                  std::string_view header_kid = {}) const;

  // The provider's config members for docs/spec.md §15, to follow its other
  // members: `, "algorithms": ["ALG"], "jwks": {"keys": [<public JWK>]}`.
  void append_config_members(uint32_t provider, std::string* out) const;

  // Signatures that OpenSSL failed to make (0 unless memory ran out); a run
  // reports them as an error rather than replay tokens it knows are broken.
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  TokenSigner() = default;

  SignAlgorithm alg_ = SignAlgorithm::kNone;
  std::vector<std::unique_ptr<SigningKey>> keys_;  // by provider index; null: unsigned (SAML)
  std::vector<std::string> headers_;               // BASE64URL of each provider's JOSE header
  std::vector<std::string> next_kids_;
  mutable std::atomic<uint64_t> failures_{0};
};

}  // namespace claimmap::sim
