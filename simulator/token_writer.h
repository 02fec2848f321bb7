// simulator/token_writer.h — writes one login line as each IdP shape would
// issue it (docs/spec.md §3: a bare decoded token, or an envelope naming the provider).
//
// Tokens carry the claims real ones do (iss, aud, iat, nbf, exp, names,
// tenant, ids, …) so that parsing cost is realistic: an Entra-like token with
// 20 groups is about 1.2 KB. Stateless; safe from any thread.
//
// Signed runs (`simulate --sign`, simulator/token_signer.h): a login of a
// provider with a key carries its claims as a compact JWS instead —
// `{"token": "<JWS>"}` where the unsigned run writes a bare token,
// `{"type": "login", "provider": "<id>", "token": "<JWS>"}` (or without
// "type") where it writes an envelope — and its exp and nbf are stretched to
// hold at the storm's `now` (LoginLine::valid_at), whatever its iat.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/population.h"

namespace claimmap::sim {

class TokenSigner;

// The authentication methods a login's claims carry.
enum class AuthMethods : uint8_t {
  kNone,      // no amr claim (nor AD FS's attribute)
  kPassword,  // a password only: fails an MFA requirement
  kMfa,       // a password and a second factor
};

// A signed token is valid at `valid_at` from an hour before it to an hour after
// it at least: exp = max(iat + lifetime, valid_at + kSignedValidity) and nbf
// (Entra's) = min(iat, valid_at). An hour, so that a `--target` run whose
// server checks its wall clock may last that long.
inline constexpr uint32_t kSignedValidity = 3600;

struct LoginLine {
  uint32_t user = 0;
  uint16_t version = 0;  // drift version: which IdP groups the token lists
  uint32_t iat = 0;
  uint64_t form_key = 0;  // chooses bare token or envelope (and which envelope)
  // Non-zero: stretch exp and nbf (above) so that the token holds at this
  // time; 0: as issued (iat + the shape's lifetime).
  uint32_t valid_at = 0;
  // How the user authenticated, in the claims a `--deny-share` run requires
  // (organisation.h, kAmrClaim): kNone writes no such claim, as every run
  // without the requirement.
  AuthMethods auth = AuthMethods::kNone;
};

// How a run signs its logins: the keys, and the time every signed token is
// valid at (docs/simulator.md, "Signed logins"). Plain value.
struct LoginSigning {
  const TokenSigner* signer = nullptr;
  uint32_t now = 0;
};

// Appends the login line, without the final '\n'. `ranks` is scratch.
// `signing` null (or its signer null): the claims as decoded, as always.
void append_login(const Population& population, const LoginLine& login, std::vector<uint32_t>* ranks,
                  std::string* out, const LoginSigning* signing = nullptr);

// Appends just the claims object of the login (no envelope): a signed
// token's payload.
void append_claims(const Population& population, const LoginLine& login, std::vector<uint32_t>* ranks,
                   std::string* out);

}  // namespace claimmap::sim
