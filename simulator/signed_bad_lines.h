// simulator/signed_bad_lines.h — the bad lines of a signed run
// (`simulate --sign`): tokens that fail one check of docs/spec.md §15 each,
// as they show up in real deployments, and the client-credentials token of
// missing_subject, which a keyed provider only sees signed.
//
//   invalid_token        a token cut short in a log or a header (two parts
//                        left), or an `alg: none` token with no signature
//   unknown_key          signed by the IdP's next key, before the key set we
//                        hold was refreshed (its kid is not in the set)
//   invalid_signature    a signature damaged in transit (one bit flipped), or
//                        a payload whose exp a client stretched after signing
//   wrong_issuer         properly signed under another issuer URL of the same
//                        keys: another Entra tenant, an Okta or Auth0 custom
//                        domain, Keycloak's internal host name
//   token_expired        a login replayed from yesterday's log
//   token_not_yet_valid  an Entra token from an IdP whose clock runs 10
//                        minutes fast (nbf past the 60 s leeway)
//   unsigned_token       the decoded claims, as before the pipeline kept the
//                        raw token: an envelope with "claims", or a bare token
//   missing_subject      a signed app token whose subject claim is "" or null
//
// Every token line is an envelope naming its provider, so the provider is
// known before the token is read. wrong_audience is not generated: the
// generated config sets no `audiences`. Each line gets exactly its code and
// changes no state. Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/population.h"
#include "simulator/token_writer.h"

namespace claimmap::sim {

// Appends the line of ErrorCode value `code` for event `index` (without the
// final '\n') when a signed run writes it differently from an unsigned one:
// every token code, and missing_subject for a user whose provider signs.
// False (nothing appended) otherwise: the unsigned line (bad_lines.h) holds.
// `user` picks whose token it is (the next user whose provider signs, if
// theirs does not); `iat` is the event's. `ranks` is scratch.
bool append_signed_bad_line(const Population& population, const LoginSigning& signing, uint8_t code,
                            uint64_t index, uint32_t user, uint32_t iat, std::vector<uint32_t>* ranks,
                            std::string* out);

}  // namespace claimmap::sim
