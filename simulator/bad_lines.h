// simulator/bad_lines.h — lines that must fail, one kind per docs/spec.md §8 error
// code, each as it shows up in real pipelines (a raw JWT forwarded instead of
// its claims, a truncated write, a token from an IdP nobody configured, a push
// for a group that was retired, …).
//
// Each line gets exactly its code under docs/spec.md §8's order of precedence, and
// changes no state (so the stream's other events are unaffected).
// Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/population.h"

namespace claimmap::sim {

// Relative weights of the kinds among bad lines, indexed by ErrorCode value
// (1 = event_too_large … 11 = unknown_role). A too-large line is over 1 MiB,
// so it is ten times rarer than the others.
inline constexpr uint32_t kBadKindWeight[kBadKindCount + 1] = {0, 1, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
// The share of bad lines that are of kind `code`.
double bad_kind_share(uint8_t code);

// Appends the bad line of kind `code` (an ErrorCode value) for event `index`
// about `user`, without the final '\n'. `ranks` is scratch.
void append_bad_line(const Population& population, uint8_t code, uint64_t index, uint32_t user, uint32_t iat,
                     std::vector<uint32_t>* ranks, std::string* out);

}  // namespace claimmap::sim
