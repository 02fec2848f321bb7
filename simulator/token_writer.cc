#include "simulator/token_writer.h"

#include <algorithm>

#include "simulator/names.h"
#include "simulator/prng.h"
#include "simulator/token_signer.h"

namespace claimmap::sim {
namespace {

constexpr uint32_t kEntraLifetime = 3600 + 1200;  // Entra adds a random 0-20 minutes; keep a fixed one
constexpr uint32_t kTokenLifetime = 3600;
constexpr uint32_t kKeycloakLifetime = 300;
constexpr uint32_t kAuth0Lifetime = 36000;
constexpr uint64_t kClaimsDomain = 301;

void append_string_claim(std::string* out, std::string_view name, std::string_view value) {
  out->append("\"").append(name).append("\": \"").append(value).append("\", ");
}

void append_number_claim(std::string* out, std::string_view name, uint64_t value) {
  out->append("\"").append(name).append("\": ");
  append_uint(out, value);
  out->append(", ");
}

// exp and nbf as issued, or stretched to hold at login.valid_at (token_writer.h).
uint64_t expiry(const LoginLine& login, uint32_t lifetime) {
  const uint64_t issued = static_cast<uint64_t>(login.iat) + lifetime;
  if (login.valid_at == 0) return issued;
  return std::max<uint64_t>(issued, static_cast<uint64_t>(login.valid_at) + kSignedValidity);
}

uint32_t not_before(const LoginLine& login) {
  return login.valid_at == 0 ? login.iat : std::min(login.iat, login.valid_at);
}

void append_group_array(const Organisation& org, uint32_t provider, const std::vector<uint32_t>& ranks,
                        std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < ranks.size(); ++i) {
    out->append(i == 0 ? "\"" : ", \"");
    org.append_idp_group(provider, ranks[i], out);
    out->push_back('"');
  }
  out->push_back(']');
}

void append_username(const PersonName& n, uint32_t user, std::string* out) {
  out->append(n.first_ascii).push_back('.');
  out->append(n.last_ascii);
  append_uint(out, user);
  out->append("@contoso.example");
}

void append_display_name(const PersonName& n, std::string* out) {
  out->append(n.first).push_back(' ');
  out->append(n.last);
}

// `"amr": ["pwd", "mfa"], ` (RFC 8176), or `["pwd"]` without a second
// factor; nothing for AuthMethods::kNone.
void append_amr_claim(AuthMethods auth, std::string* out) {
  if (auth == AuthMethods::kNone) return;
  out->append("\"").append(kAmrClaim).append("\": [\"").append(kAmrPassword).append("\"");
  if (auth == AuthMethods::kMfa) out->append(", \"").append(kAmrMfa).append("\"");
  out->append("], ");
}

}  // namespace

void append_claims(const Population& population, const LoginLine& login, std::vector<uint32_t>* ranks,
                   std::string* out) {
  const Organisation& org = population.organisation();
  const uint32_t pi = population.provider(login.user);
  const ProviderSpec& p = org.providers()[pi];
  const uint64_t key = hash_of(org.seed(), kClaimsDomain, login.user);
  const PersonName name = person_name(key);
  population.groups_at(login.user, login.version, ranks);
  out->push_back('{');
  switch (p.shape) {
    case ProviderShape::kEntra: {
      out->append("\"aud\": \"");
      append_guid(out, mix64(org.seed() ^ 0xa0d), org.seed());
      out->append("\", ");
      append_string_claim(out, "iss", p.issuer);
      append_number_claim(out, "iat", login.iat);
      append_number_claim(out, "nbf", not_before(login));
      append_number_claim(out, "exp", expiry(login, kEntraLifetime));
      append_amr_claim(login.auth, out);
      out->append("\"name\": \"");
      append_display_name(name, out);
      out->append("\", \"oid\": \"");
      population.append_subject(login.user, out);
      out->append("\", \"preferred_username\": \"");
      append_username(name, login.user, out);
      out->append("\", \"sub\": \"");
      append_base64url(out, key, 43);
      out->append("\", ");
      append_string_claim(out, "tid", org.tenant_id());
      out->append("\"uti\": \"");
      append_base64url(out, key ^ login.iat, 22);
      out->append("\", \"ver\": \"2.0\", ");
      if (population.overage(login.user, ranks->size())) {
        // Too many groups for a token: Entra names the claim and where to fetch it.
        out->append("\"_claim_names\": {\"groups\": \"src1\"}, \"_claim_sources\": {\"src1\": {\"endpoint\": ");
        out->append("\"https://graph.microsoft.com/v1.0/users/");
        population.append_subject(login.user, out);
        out->append("/getMemberObjects\"}}");
      } else {
        out->append("\"groups\": ");
        append_group_array(org, pi, *ranks, out);
      }
      break;
    }
    case ProviderShape::kOkta: {
      out->append("\"ver\": 1, \"jti\": \"AT.");
      append_base64url(out, key ^ login.iat, 43);
      out->append("\", ");
      append_string_claim(out, "iss", p.issuer);
      append_string_claim(out, "aud", "api://default");
      append_number_claim(out, "iat", login.iat);
      append_number_claim(out, "exp", expiry(login, kTokenLifetime));
      append_string_claim(out, "cid", "0oa1b2c3d4e5f6g7h8i9");
      out->append("\"uid\": \"");
      population.append_subject(login.user, out);
      out->append("\", \"scp\": [\"openid\", \"profile\", \"email\"], \"auth_time\": ");
      append_uint(out, login.iat - 30);
      out->append(", ");
      append_amr_claim(login.auth, out);
      out->append("\"sub\": \"");
      population.append_subject(login.user, out);
      out->append("\", \"email\": \"");
      append_username(name, login.user, out);
      out->append("\", \"groups\": ");
      append_group_array(org, pi, *ranks, out);
      break;
    }
    case ProviderShape::kKeycloak: {
      append_number_claim(out, "exp", expiry(login, kKeycloakLifetime));
      append_number_claim(out, "iat", login.iat);
      out->append("\"jti\": \"");
      append_guid(out, key ^ login.iat, key);
      out->append("\", ");
      append_string_claim(out, "iss", p.issuer);
      append_string_claim(out, "aud", "account");
      out->append("\"sub\": \"");
      population.append_subject(login.user, out);
      out->append("\", \"typ\": \"Bearer\", \"azp\": \"portal\", \"session_state\": \"");
      append_guid(out, key, login.iat);
      out->append("\", \"acr\": \"1\", ");
      append_amr_claim(login.auth, out);
      out->append("\"realm_access\": {\"roles\": ");
      append_group_array(org, pi, *ranks, out);
      out->append("}, \"resource_access\": {\"account\": {\"roles\": [\"manage-account\", \"view-profile\"]}}, ");
      out->append("\"scope\": \"openid email profile\", \"email_verified\": true, \"name\": \"");
      append_display_name(name, out);
      out->append("\", \"preferred_username\": \"");
      out->append(name.first_ascii).push_back('.');
      out->append(name.last_ascii);
      append_uint(out, login.user);
      out->append("\"");
      break;
    }
    case ProviderShape::kSaml: {
      // An assertion's attributes as an IdP bridge decodes them: multi-valued
      // attributes joined with "; ".
      out->append("\"NameID\": \"");
      population.append_subject(login.user, out);
      out->append("\", ");
      append_number_claim(out, "iat", login.iat);
      out->append("\"SessionIndex\": \"_");
      append_hex(out, key ^ login.iat, 32);
      out->append("\", ");
      if (login.auth != AuthMethods::kNone) {  // how the IdP authenticated the user
        out->append("\"").append(kSamlAuthnClaim).append("\": \"");
        out->append(login.auth == AuthMethods::kMfa ? kSamlMfa : kSamlPassword).append("\", ");
      }
      out->append("\"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name\": \"");
      append_display_name(name, out);
      out->append("\", \"memberOf\": \"");
      for (size_t i = 0; i < ranks->size(); ++i) {
        if (i > 0) out->append("; ");
        org.append_idp_group(pi, (*ranks)[i], out);
      }
      out->append("\"");
      break;
    }
    case ProviderShape::kAuth0: {
      out->append("\"https://claimmap.example/roles\": ");
      append_group_array(org, pi, *ranks, out);
      out->append(", \"nickname\": \"");
      out->append(name.first_ascii);
      out->append("\", \"name\": \"");
      append_display_name(name, out);
      out->append("\", \"email\": \"");
      append_username(name, login.user, out);
      out->append("\", ");
      append_string_claim(out, "iss", p.issuer);
      out->append("\"sub\": \"");
      population.append_subject(login.user, out);
      out->append("\", \"aud\": \"");
      append_base62(out, org.seed(), 32);
      out->append("\", ");
      append_number_claim(out, "iat", login.iat);
      out->append("\"exp\": ");
      append_uint(out, expiry(login, kAuth0Lifetime));
      out->append(", \"sid\": \"");
      append_base64url(out, key ^ login.iat, 32);
      out->append("\"");
      // Auth0 sends amr only after a second factor.
      if (login.auth == AuthMethods::kMfa) out->append(", \"").append(kAmrClaim).append("\": [\"").append(kAmrMfa).append("\"]");
      break;
    }
  }
  out->push_back('}');
}

void append_login(const Population& population, const LoginLine& login, std::vector<uint32_t>* ranks,
                  std::string* out, const LoginSigning* signing) {
  const uint32_t pi = population.provider(login.user);
  const ProviderSpec& p = population.organisation().providers()[pi];
  // Most pipelines hand over the bare decoded token; some wrap it in an
  // envelope naming the provider, with or without "type". SAML has no issuer
  // to find the provider by, so it always comes in an envelope.
  const uint64_t form = bounded(login.form_key, 10);
  const bool bare = !p.issuer.empty() && form < 6;
  if (signing && signing->signer && signing->signer->signs(pi)) {
    // The same choice of form, with the token as issued instead of its
    // claims; a bare one is found by its payload's iss.
    LoginLine valid = login;
    valid.valid_at = signing->now;
    thread_local std::string payload;
    payload.clear();
    append_claims(population, valid, ranks, &payload);
    if (!bare) {
      out->append(form % 4 == 3 ? "{\"provider\": \"" : "{\"type\": \"login\", \"provider\": \"");
      out->append(p.id).append("\", ");
    } else {
      out->push_back('{');
    }
    out->append("\"token\": \"");
    signing->signer->append_jws(pi, payload, out);
    out->append("\"}");
    return;
  }
  if (bare) return append_claims(population, login, ranks, out);
  out->append(form % 4 == 3 ? "{\"provider\": \"" : "{\"type\": \"login\", \"provider\": \"");
  out->append(p.id).append("\", \"claims\": ");
  append_claims(population, login, ranks, out);
  out->push_back('}');
}

}  // namespace claimmap::sim
