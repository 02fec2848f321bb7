// simulator/token_writer.h — writes one login line as each IdP shape would
// issue it (docs/spec.md §3: a bare decoded token, or an envelope naming the provider).
//
// Tokens carry the claims real ones do (iss, aud, iat, nbf, exp, names,
// tenant, ids, …) so that parsing cost is realistic: an Entra-like token with
// 20 groups is about 1.2 KB. Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/population.h"

namespace claimmap::sim {

struct LoginLine {
  uint32_t user = 0;
  uint16_t version = 0;  // drift version: which IdP groups the token lists
  uint32_t iat = 0;
  uint64_t form_key = 0;  // chooses bare token or envelope (and which envelope)
};

// Appends the login line, without the final '\n'. `ranks` is scratch.
void append_login(const Population& population, const LoginLine& login, std::vector<uint32_t>* ranks,
                  std::string* out);

// Appends just the claims object of the login (no envelope).
void append_claims(const Population& population, const LoginLine& login, std::vector<uint32_t>* ranks,
                   std::string* out);

}  // namespace claimmap::sim
