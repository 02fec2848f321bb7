// claimmap/scaleout.h — the few things the scale-out layer (worker/,
// docs/scaleout.md, docs/spec.md §14) needs of the engine beyond engine.h:
// which user an event line is about (to choose its partition), and the
// state as bytes in memory (to checkpoint a partition into JetStream and load
// it back on another machine). Nothing here re-implements the engine: each
// function is a thin entry to the engine's own parser and state codecs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "claimmap/state.h"
#include "claimmap/status.h"

namespace claimmap {

// The user (provider id, subject) an event line is about, as the engine's
// parser reads it under `config` (docs/spec.md §3, §5): the provider named or
// found by `iss`, the subject from the provider's `subject_claim` or the
// push's `subject`. `known` is false when either cannot be told (malformed
// JSON, an unknown provider, a missing subject, a line over
// `max_line_bytes`, …): such a line changes no user's state. Thread-safe
// (a parser per thread). `line` excludes its LF (a final CR is ignored).
struct EventUser {
  bool known = false;
  std::string provider;
  std::string subject;
};
EventUser event_user(const Config& config, std::string_view line, size_t max_line_bytes = kDefaultMaxLineBytes);

// The engine's whole state as a binary snapshot (docs/spec.md §9.3) in
// memory: the bytes Engine::save_state_file writes to a file not named
// .ndjson. Each shard is copied under its own lock.
std::string save_state_bytes(const Engine& engine);

// Replaces the engine's whole state with `bytes` (a snapshot or NDJSON state,
// told apart by content), exactly as Engine::load_state_file does with a
// file's bytes; refused whole (kInvalidState) when damaged. An empty `bytes`
// is an empty state.
[[nodiscard]] Status load_state_bytes(Engine& engine, std::string_view bytes, StateLoadReport* report = nullptr);

// The users of several states (each a snapshot or NDJSON, by name, no config,
// as `claimmap state convert` reads them) merged into one NDJSON state
// (docs/spec.md §9.2), sorted by provider then subject. A user present in two
// states refuses the merge (kInvalidState): partitions hold disjoint users.
[[nodiscard]] Result<std::string> merge_states_to_ndjson(const std::vector<std::string_view>& states,
                                                         uint64_t* users = nullptr);

// The users of `state` (a snapshot or NDJSON, by name, no config) split into
// `parts` NDJSON states, user (provider, subject) going to part
// part_of(provider, subject) (< parts). Each part is sorted.
[[nodiscard]] Result<std::vector<std::string>> split_state_to_ndjson(
    std::string_view state, uint32_t parts,
    const std::function<uint32_t(std::string_view provider, std::string_view subject)>& part_of,
    uint64_t* users = nullptr);

}  // namespace claimmap
