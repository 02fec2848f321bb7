#include "simulator/signed_bad_lines.h"

#include <algorithm>

#include "claimmap/status.h"
#include "engine/jose/base64url.h"
#include "simulator/names.h"
#include "simulator/prng.h"
#include "simulator/token_signer.h"

namespace claimmap::sim {
namespace {

constexpr uint32_t kSearch = 256;            // users tried for one whose provider signs
constexpr uint32_t kYesterday = 86400;       // token_expired: issued a day before now
constexpr uint32_t kClockAhead = 600;        // token_not_yet_valid: nbf 10 minutes after now
constexpr uint32_t kStretchedExp = 86400;    // invalid_signature: exp moved a day on after signing

// Whose token a line carries: `user`, or the first user after them whose
// provider signs (an Entra one, when `entra` is asked); -1 if none is near.
int64_t signing_user(const Population& population, const TokenSigner& signer, uint32_t user, bool entra) {
  const auto& providers = population.organisation().providers();
  for (uint32_t k = 0; k < kSearch && k < population.size(); ++k) {
    const uint32_t u = static_cast<uint32_t>((user + static_cast<uint64_t>(k)) % population.size());
    const uint32_t p = population.provider(u);
    if (signer.signs(p) && (!entra || providers[p].shape == ProviderShape::kEntra)) return u;
  }
  return -1;
}

// With no such user near (a tiny or SAML-heavy population): the first
// provider that fits, and an app's token instead of a person's.
uint32_t fallback_provider(const Population& population, const TokenSigner& signer, bool entra) {
  const auto& providers = population.organisation().providers();
  for (uint32_t p = 0; p < providers.size(); ++p) {
    if (signer.signs(p) && (!entra || providers[p].shape == ProviderShape::kEntra)) return p;
  }
  for (uint32_t p = 0; p < providers.size(); ++p) {
    if (signer.signs(p)) return p;
  }
  return 0;  // no provider signs: a signed run refuses that (simulate.cc)
}

void append_service_payload(const ProviderSpec& p, uint64_t index, uint32_t iat, uint32_t valid_at,
                            std::string* out) {
  const uint32_t nbf = valid_at ? std::min(iat, valid_at) : iat;
  uint64_t exp = static_cast<uint64_t>(iat) + 3600;
  if (valid_at) exp = std::max<uint64_t>(exp, static_cast<uint64_t>(valid_at) + kSignedValidity);
  out->append("{\"iss\": \"").append(p.issuer).append("\", \"").append(p.subject_claim).append("\": \"svc-");
  append_hex(out, index, 12);
  out->append("\", \"iat\": ");
  append_uint(out, iat);
  out->append(", \"nbf\": ");
  append_uint(out, nbf);
  out->append(", \"exp\": ");
  append_uint(out, exp);
  out->append("}");
}

// The payload of a token of a provider that signs, valid at `valid_at` (0:
// as issued at `iat`), appended to `payload`; returns that provider.
uint32_t token_payload(const Population& population, const TokenSigner& signer, uint32_t user, uint32_t iat,
                       uint64_t index, uint32_t valid_at, bool entra, std::vector<uint32_t>* ranks,
                       std::string* payload) {
  if (const int64_t u = signing_user(population, signer, user, entra); u >= 0) {
    const auto who = static_cast<uint32_t>(u);
    append_claims(population, {who, 0, iat, index, valid_at}, ranks, payload);
    return population.provider(who);
  }
  const uint32_t p = fallback_provider(population, signer, entra);
  append_service_payload(population.organisation().providers()[p], index, iat, valid_at, payload);
  return p;
}

void append_token_envelope(const ProviderSpec& p, std::string_view token, std::string* out) {
  out->append("{\"type\": \"login\", \"provider\": \"").append(p.id).append("\", \"token\": \"");
  out->append(token).append("\"}");
}

// Another issuer URL behind the same keys (signed_bad_lines.h).
std::string other_issuer(const ProviderSpec& p, uint64_t index) {
  switch (p.shape) {
    case ProviderShape::kEntra: {  // Entra signs every tenant's tokens with the same keys
      std::string iss = "https://login.microsoftonline.com/";
      append_guid(&iss, mix64(index ^ 0x7e4a47), index);
      return iss + "/v2.0";
    }
    case ProviderShape::kOkta:
      return "https://login.contoso.example/oauth2/default";  // the custom URL domain
    case ProviderShape::kKeycloak:
      return "http://keycloak:8080/realms/corp";  // the host name inside the cluster
    case ProviderShape::kAuth0:
      return "https://login.contoso.example/";  // the custom domain
    case ProviderShape::kSaml:
      break;
  }
  return "https://unknown.example/";
}

// Replaces the value of `"claim": …` in `payload` (a number or a string).
void replace_claim(std::string* payload, std::string_view claim, std::string_view value) {
  const std::string key = "\"" + std::string(claim) + "\": ";
  const size_t at = payload->find(key);
  if (at == std::string::npos) return;
  const size_t start = at + key.size();
  size_t end = start;
  if ((*payload)[start] == '"') {
    end = payload->find('"', start + 1) + 1;
  } else {
    while (end < payload->size() && (*payload)[end] >= '0' && (*payload)[end] <= '9') ++end;
  }
  payload->replace(start, end - start, value);
}

uint64_t claim_number(std::string_view payload, std::string_view claim) {
  const std::string key = "\"" + std::string(claim) + "\": ";
  const size_t at = payload.find(key);
  uint64_t n = 0;
  for (size_t i = at == std::string_view::npos ? payload.size() : at + key.size();
       i < payload.size() && payload[i] >= '0' && payload[i] <= '9'; ++i) {
    n = n * 10 + static_cast<uint64_t>(payload[i] - '0');
  }
  return n;
}

}  // namespace

bool append_signed_bad_line(const Population& population, const LoginSigning& signing, uint8_t code,
                            uint64_t index, uint32_t user, uint32_t iat, std::vector<uint32_t>* ranks,
                            std::string* out) {
  if (!signing.signer) return false;
  const TokenSigner& signer = *signing.signer;
  const auto& providers = population.organisation().providers();
  const uint64_t variant = mix64(index) & 1;
  const uint32_t now = signing.now;
  thread_local std::string payload, token;
  payload.clear();
  token.clear();
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::kInvalidToken: {
      const uint32_t p = token_payload(population, signer, user, iat, index, now, false, ranks, &payload);
      if (variant) {  // cut short: the signature and half the payload are gone
        signer.append_jws(p, payload, &token);
        const size_t first_dot = token.find('.'), second_dot = token.find('.', first_dot + 1);
        token.resize(first_dot + 1 + (second_dot - first_dot - 1) / 2);
      } else {  // "alg": "none", no signature: never accepted
        base64url_encode("{\"alg\":\"none\",\"typ\":\"JWT\"}", &token);
        token.push_back('.');
        base64url_encode(payload, &token);
        token.push_back('.');
      }
      append_token_envelope(providers[p], token, out);
      return true;
    }
    case ErrorCode::kUnknownKey: {
      const uint32_t p = token_payload(population, signer, user, iat, index, now, false, ranks, &payload);
      signer.append_jws(p, payload, &token, signer.next_kid(p));
      append_token_envelope(providers[p], token, out);
      return true;
    }
    case ErrorCode::kInvalidSignature: {
      const uint32_t p = token_payload(population, signer, user, iat, index, now, false, ranks, &payload);
      signer.append_jws(p, payload, &token);
      const size_t first_dot = token.find('.'), last_dot = token.rfind('.');
      if (variant) {  // one bit of the signature flipped on the way
        std::string signature;
        base64url_decode(std::string_view(token).substr(last_dot + 1), &signature);
        if (!signature.empty()) signature[signature.size() / 2] ^= 0x01;
        token.resize(last_dot + 1);
        base64url_encode(signature, &token);
      } else {  // the payload's exp moved a day on after signing
        const std::string signature = token.substr(last_dot);
        replace_claim(&payload, "exp", std::to_string(claim_number(payload, "exp") + kStretchedExp));
        token.resize(first_dot + 1);
        base64url_encode(payload, &token);
        token.append(signature);
      }
      append_token_envelope(providers[p], token, out);
      return true;
    }
    case ErrorCode::kWrongIssuer: {
      const uint32_t p = token_payload(population, signer, user, iat, index, now, false, ranks, &payload);
      replace_claim(&payload, "iss", "\"" + other_issuer(providers[p], index) + "\"");
      signer.append_jws(p, payload, &token);
      append_token_envelope(providers[p], token, out);
      return true;
    }
    case ErrorCode::kTokenExpired: {
      const uint32_t issued = now > kYesterday ? now - kYesterday : 0;
      const uint32_t p = token_payload(population, signer, user, issued, index, 0, false, ranks, &payload);
      signer.append_jws(p, payload, &token);
      append_token_envelope(providers[p], token, out);
      return true;
    }
    case ErrorCode::kTokenNotYetValid: {
      const uint32_t p = token_payload(population, signer, user, now + kClockAhead, index, 0, true, ranks, &payload);
      signer.append_jws(p, payload, &token);
      append_token_envelope(providers[p], token, out);
      return true;
    }
    case ErrorCode::kUnsignedToken: {
      const uint32_t p = token_payload(population, signer, user, iat, index, now, false, ranks, &payload);
      if (variant) {  // bare: the provider is found by its iss
        out->append(payload);
      } else {
        out->append("{\"type\": \"login\", \"provider\": \"").append(providers[p].id).append("\", \"claims\": ");
        out->append(payload).push_back('}');
      }
      return true;
    }
    case ErrorCode::kMissingSubject: {
      // A client-credentials token: an app, not a user, signed as any token.
      const uint32_t p = population.provider(user);
      if (!signer.signs(p)) return false;
      const ProviderSpec& spec = providers[p];
      payload.append("{\"iss\": \"").append(spec.issuer).append("\", \"iat\": ");
      append_uint(&payload, iat);
      payload.append(", \"exp\": ");
      append_uint(&payload, static_cast<uint64_t>(std::max(iat, now)) + kSignedValidity);
      payload.append(", \"azp\": \"batch-exporter\", \"").append(spec.subject_claim);
      payload.append(variant ? "\": \"\"}" : "\": null}");
      signer.append_jws(p, payload, &token);
      append_token_envelope(spec, token, out);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace claimmap::sim
