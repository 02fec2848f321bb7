#include "simulator/token_signer.h"

#include <openssl/sha.h>

#include <thread>

#include "engine/jose/base64url.h"

namespace claimmap::sim {
namespace {

// The secret a provider's key is made from: SHA-256 of a label, the seed,
// the provider's id and the algorithm, so that no two providers (or
// algorithms) of a dataset share a key, and the same seed gives the same.
std::string key_secret(uint64_t seed, std::string_view provider_id, SignAlgorithm alg) {
  std::string input = "claimmap simulate signing key";
  input.push_back('\0');
  for (int i = 0; i < 8; ++i) input.push_back(static_cast<char>(seed >> (56 - 8 * i)));
  input.append(provider_id).push_back('\0');
  input.append(sign_algorithm_name(alg));
  std::string secret(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(),
         reinterpret_cast<unsigned char*>(secret.data()));
  return secret;
}

// A kid that looks like the others (a base64url SHA-256) and is no key's.
std::string next_kid_of(std::string_view kid) {
  std::string input = "next key after ";
  input.append(kid);
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), hash);
  std::string out;
  base64url_encode(std::string_view(reinterpret_cast<const char*>(hash), sizeof hash), &out);
  return out;
}

void append_header(SignAlgorithm alg, std::string_view kid, std::string* out) {
  std::string header = "{\"alg\":\"";
  header.append(sign_algorithm_name(alg)).append("\",\"kid\":\"").append(kid).append("\",\"typ\":\"JWT\"}");
  base64url_encode(header, out);
}

}  // namespace

Result<std::unique_ptr<TokenSigner>> TokenSigner::create(const Organisation& org, SignAlgorithm alg) {
  if (alg == SignAlgorithm::kNone) return Status(ErrorCode::kInvalidArgument, "no keys for an unsigned run");
  std::unique_ptr<TokenSigner> signer(new TokenSigner());
  signer->alg_ = alg;
  const auto& providers = org.providers();
  signer->keys_.resize(providers.size());
  signer->headers_.resize(providers.size());
  signer->next_kids_.resize(providers.size());
  // RSA keys take a prime search each: make the providers' keys in parallel.
  std::vector<Status> errors(providers.size());
  std::vector<std::thread> makers;
  for (size_t i = 0; i < providers.size(); ++i) {
    if (providers[i].shape == ProviderShape::kSaml) continue;  // no XML signatures: its logins stay unsigned
    makers.emplace_back([&, i] {
      Result<SigningKey> key = SigningKey::derive(alg, key_secret(org.seed(), providers[i].id, alg));
      if (!key.ok()) {
        errors[i] = key.status();
        return;
      }
      signer->keys_[i] = std::make_unique<SigningKey>(std::move(key).value());
    });
  }
  for (std::thread& t : makers) t.join();
  for (size_t i = 0; i < providers.size(); ++i) {
    if (!errors[i].ok()) return errors[i];
    if (!signer->keys_[i]) continue;
    append_header(alg, signer->keys_[i]->kid(), &signer->headers_[i]);
    signer->next_kids_[i] = next_kid_of(signer->keys_[i]->kid());
  }
  return signer;
}

size_t TokenSigner::signing_providers() const {
  size_t n = 0;
  for (const auto& key : keys_) n += key != nullptr;
  return n;
}

void TokenSigner::append_jws(uint32_t provider, std::string_view payload, std::string* out,
                             std::string_view header_kid) const {
  const size_t start = out->size();
  if (header_kid.empty()) {
    out->append(headers_[provider]);
  } else {
    append_header(alg_, header_kid, out);
  }
  out->push_back('.');
  base64url_encode(payload, out);
  const std::string_view signing_input(out->data() + start, out->size() - start);
  thread_local std::string signature;
  signature.clear();
  const bool signed_ok = keys_[provider]->sign(signing_input, &signature);
  out->push_back('.');
  if (!signed_ok) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  base64url_encode(signature, out);
}

void TokenSigner::append_config_members(uint32_t provider, std::string* out) const {
  out->append(", \"algorithms\": [\"").append(sign_algorithm_name(alg_)).append("\"], \"jwks\": {\"keys\": [");
  out->append(keys_[provider]->public_jwk()).append("]}");
}

}  // namespace claimmap::sim
