#include "simulator/bad_lines.h"

#include "claimmap/lines.h"
#include "claimmap/status.h"
#include "simulator/names.h"
#include "simulator/prng.h"
#include "simulator/signed_bad_lines.h"
#include "simulator/token_writer.h"

namespace claimmap::sim {
namespace {

// A compact JWS, as a pipeline sends when it forgets to decode the token.
constexpr std::string_view kRawJwt =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjFlOWdkazcifQ.eyJpc3MiOiJodHRwczovL2xvZ2luLmV4YW1wbGUiLCJzdWIiOiIyNDgyODk3NjEwMDEiLCJhdWQiOiJzNkJoZFJrcXQzIiwiZXhwIjoxMzExMjgxOTcwLCJpYXQiOjEzMTEyODA5NzB9.ggW8hZ1EuVLuxNuuIJKX_V8a_OMXzR0EHR9R6jgdqrOOF4daGU96Sr_P6qJp6IcmD3HP99Obi1PRs-cwh3LO";

void append_push_head(std::string* out, std::string_view type, const ProviderSpec& p) {
  out->append("{\"type\": \"").append(type).append("\", \"provider\": \"").append(p.id).append("\", \"subject\": \"");
}

}  // namespace

BadKindWeights bad_kind_weights(bool signed_run, bool entra_signed) {
  BadKindWeights weights = kBadKindWeight;
  if (!signed_run) return weights;
  for (ErrorCode code : {ErrorCode::kInvalidToken, ErrorCode::kUnknownKey, ErrorCode::kInvalidSignature,
                         ErrorCode::kWrongIssuer, ErrorCode::kTokenExpired, ErrorCode::kUnsignedToken}) {
    weights[static_cast<size_t>(code)] = 10;
  }
  if (entra_signed) weights[static_cast<size_t>(ErrorCode::kTokenNotYetValid)] = 10;
  return weights;
}

double bad_kind_share(const BadKindWeights& weights, uint8_t code) {
  uint32_t total = 0;
  for (uint32_t w : weights) total += w;
  return code <= kBadKindCount ? static_cast<double>(weights[code]) / total : 0.0;
}

double bad_kind_share(uint8_t code) { return bad_kind_share(kBadKindWeight, code); }

void append_bad_line(const Population& population, uint8_t code, uint64_t index, uint32_t user, uint32_t iat,
                     std::vector<uint32_t>* ranks, std::string* out, const LoginSigning* signing) {
  if (signing && append_signed_bad_line(population, *signing, code, index, user, iat, ranks, out)) return;
  const Organisation& org = population.organisation();
  const ProviderSpec& p = org.providers()[population.provider(user)];
  const uint64_t variant = mix64(index) & 1;
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::kEventTooLarge: {
      // A token that dragged a profile photo along: just over the line limit.
      out->append("{\"type\": \"login\", \"provider\": \"").append(p.id).append("\", \"claims\": {\"picture\": \"");
      out->append(kDefaultMaxLineBytes, 'A');  // just over the engine's default limit
      out->append("\"}}");
      return;
    }
    case ErrorCode::kMalformedJson: {
      // A write cut short: a real login line, truncated.
      const size_t start = out->size();
      append_login(population, {user, 0, iat, index}, ranks, out, signing);
      out->resize(start + (out->size() - start) * 2 / 3);
      return;
    }
    case ErrorCode::kDuplicateClaim: {
      // Two subjects in one token: which one is the user? (RFC 7519 §4)
      out->append("{\"type\": \"login\", \"provider\": \"").append(p.id).append("\", \"claims\": {\"");
      out->append(p.subject_claim).append("\": \"");
      population.append_subject(user, out);
      out->append("\", \"iat\": ");
      append_uint(out, iat);
      out->append(", \"").append(p.subject_claim).append("\": \"admin\"}}");
      return;
    }
    case ErrorCode::kNotAnObject:
      if (variant) {
        out->append("\"").append(kRawJwt).append("\"");
      } else {
        out->append("[{\"type\": \"login\", \"provider\": \"").append(p.id).append("\", \"claims\": {}}]");
      }
      return;
    case ErrorCode::kInvalidEvent:
      out->append("{\"type\": \"login\", \"provider\": \"").append(p.id).append("\", \"claims\": \"");
      out->append(kRawJwt).append("\"}");
      return;
    case ErrorCode::kUnknownEventType:
      append_push_head(out, variant ? "refresh" : "logout", p);
      population.append_subject(user, out);
      out->append("\"}");
      return;
    case ErrorCode::kUnknownProvider:
      if (variant) {  // a bare token from an IdP nobody configured
        out->append("{\"iss\": \"https://idp.acquired-company.example/\", \"sub\": \"");
        append_hex(out, index, 24);
        out->append("\", \"iat\": ");
        append_uint(out, iat);
        out->append(", \"groups\": [\"Everyone\"]}");
      } else {  // an envelope naming a retired provider
        out->append("{\"type\": \"login\", \"provider\": \"pingfed-legacy\", \"claims\": {\"sub\": \"");
        append_hex(out, index, 24);
        out->append("\", \"iat\": ");
        append_uint(out, iat);
        out->append("}}");
      }
      return;
    case ErrorCode::kMissingSubject:
      // A client-credentials token: an app, not a user, has no subject claim.
      out->append("{\"type\": \"login\", \"provider\": \"").append(p.id).append("\", \"claims\": {");
      if (!p.issuer.empty()) out->append("\"iss\": \"").append(p.issuer).append("\", ");
      out->append("\"iat\": ");
      append_uint(out, iat);
      out->append(", \"azp\": \"batch-exporter\", \"").append(p.subject_claim).append(variant ? "\": \"\"}}" : "\": null}}");
      return;
    case ErrorCode::kUnknownUser:
      // Offboarding a user who never logged in: the "ghost-" subjects are never created.
      append_push_head(out, "delete", p);
      out->append("ghost-");
      append_uint(out, index);
      out->append("\"}");
      return;
    case ErrorCode::kUnknownGroup:
      append_push_head(out, "assign", p);
      population.append_subject(user, out);
      out->append("\", \"group\": \"retired-group-");
      append_uint(out, index % 1000);
      out->append("\"}");
      return;
    case ErrorCode::kUnknownRole:
      append_push_head(out, "grant", p);
      population.append_subject(user, out);
      out->append("\", \"role\": \"Legacy.Admin\"}");
      return;
    default:
      out->append("{}");
      return;
  }
}

}  // namespace claimmap::sim
