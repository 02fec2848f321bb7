// simulator/bad_lines.h — lines that must fail, one kind per docs/spec.md §8 error
// code, each as it shows up in real pipelines (a raw JWT forwarded instead of
// its claims, a truncated write, a token from an IdP nobody configured, a push
// for a group that was retired, …).
//
// Each line gets exactly its code under docs/spec.md §8's order of precedence, and
// changes no state (so the stream's other events are unaffected). A signed
// run adds the token codes of docs/spec.md §15 (simulator/signed_bad_lines.h).
// Stateless; safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "simulator/population.h"
#include "simulator/token_writer.h"

namespace claimmap::sim {

// Relative weights of the kinds among bad lines, indexed by ErrorCode value
// (1 = event_too_large … 19 = unknown_role).
using BadKindWeights = std::array<uint32_t, kBadKindCount + 1>;

// An unsigned run's: a too-large line is over 1 MiB, so it is ten times
// rarer than the others. The signed-token codes (8 … 15, docs/spec.md §15)
// weigh nothing: an unsigned stream cannot have them.
inline constexpr BadKindWeights kBadKindWeight = {0, 1, 10, 10, 10, 10, 10, 10, 0, 0,
                                                  0, 0, 0,  0,  0,  0,  10, 10, 10, 10};

// The weights of a run: kBadKindWeight unsigned; signed (`--sign`), the
// token codes too (simulator/signed_bad_lines.h), 10 each, except
// wrong_audience (the config sets no audiences) and, unless Entra's logins
// are signed, token_not_yet_valid (only Entra tokens carry nbf).
BadKindWeights bad_kind_weights(bool signed_run, bool entra_signed);

// The share of bad lines that are of kind `code`: in an unsigned run, or
// under `weights`.
double bad_kind_share(uint8_t code);
double bad_kind_share(const BadKindWeights& weights, uint8_t code);

// Appends the bad line of kind `code` (an ErrorCode value) for event `index`
// about `user`, without the final '\n'. `ranks` is scratch. With `signing`
// (a signed run), logins in bad lines are signed as the stream's are, and
// the token codes and missing_subject are signed_bad_lines.h's lines.
void append_bad_line(const Population& population, uint8_t code, uint64_t index, uint32_t user, uint32_t iat,
                     std::vector<uint32_t>* ranks, std::string* out, const LoginSigning* signing = nullptr);

}  // namespace claimmap::sim
