// Reads one NDJSON event line (docs/spec.md §3) in a single pass of simdjson On-Demand:
// checks it completely (UTF-8, structure, numbers, duplicate member names at
// any depth), tells envelopes, pushes and bare tokens apart, verifies a signed
// token (docs/spec.md §15, engine/jose) and reads its payload, resolves provider,
// subject, group and role against the compiled config, and records the values
// of every claim any mapping reads (the config's CaptureTrie).
//
// One EventParser per thread: it owns the simdjson parser and scratch buffers,
// and the string_views of a ParsedEvent point into them (or into the line)
// until the next parse() on the same EventParser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/lines.h"
#include "claimmap/status.h"
#include "engine/config/compiled_config.h"
#include "engine/common/ids.h"

namespace claimmap {

enum class EventKind : uint8_t { kLogin, kAssign, kUnassign, kGrant, kRevoke, kSuspend, kResume, kDelete };
std::string_view event_kind_name(EventKind kind);

// A provisioning push given as values (claimmap::Push), its strings viewed.
struct PushFields {
  EventKind kind = EventKind::kAssign;
  std::string_view provider, subject, group, role;
};

enum class ValueKind : uint8_t { kAbsent, kNull, kString, kNumber, kBool, kArray, kObject };

// The value found at one captured claim path.
struct CaptureSlot {
  ValueKind kind = ValueKind::kAbsent;
  bool contiguous = true;  // entries [begin, end) all belong to this slot
  std::string_view scalar;  // strings unescaped; numbers as literal text
  uint32_t begin = 0;       // candidate entries (docs/spec.md §4 step 2)
  uint32_t end = 0;
  // For an array: every element is a string (a token's `aud` must be a
  // string or an array of strings, docs/spec.md §15).
  bool only_strings = true;
};

// The captured claims of one claims object (a bare token, or an envelope's claims).
class ClaimCaptures {
 public:
  struct Entry {
    uint32_t node;
    std::string_view text;
  };

  void reset(size_t node_count);
  const CaptureSlot& slot(uint32_t node) const { return slots_[node]; }
  CaptureSlot& touch(uint32_t node);
  void add_candidate(uint32_t node, std::string_view text);
  void note_not_string(uint32_t node) { slots_[node].only_strings = false; }
  // Calls f(text) for each candidate of `node`.
  template <typename F>
  void for_each_candidate(uint32_t node, F&& f) const {
    const CaptureSlot& s = slots_[node];
    for (uint32_t i = s.begin; i < s.end; ++i) {
      if (s.contiguous || entries_[i].node == node) f(entries_[i].text);
    }
  }

  // Member names of an object-valued `_claim_names` (Entra overage, docs/spec.md §4).
  bool has_claim_names = false;
  std::vector<std::string_view> claim_names;

 private:
  std::vector<CaptureSlot> slots_;
  std::vector<uint32_t> touched_;
  std::vector<Entry> entries_;
};

// What an event is and whom it is about, as far as could be told: a bad
// line's result reports what was known of it. Shared by ParsedEvent and the
// Outcome made of it, which copies it whole.
struct EventIdentity {
  bool kind_known = false;
  EventKind kind = EventKind::kLogin;
  bool provider_known = false;
  ProviderId provider{};
  bool subject_known = false;
  std::string_view subject;
};

struct ParsedEvent : EventIdentity {
  ErrorCode error = ErrorCode::kOk;
  std::string error_message;

  // Logins.
  const ClaimCaptures* claims = nullptr;
  bool has_iat = false;
  double iat = 0;

  // Pushes.
  GroupId group{};
  RoleId role{};

  bool ok() const { return error == ErrorCode::kOk; }
};

// The time signed tokens are checked against (docs/spec.md §15): fixed
// (`--now`, EngineOptions::now_seconds) or the wall clock, read only when a
// token is checked.
struct TokenClock {
  std::optional<int64_t> fixed;
  int64_t now() const;
};

class EventParser {
 public:
  explicit EventParser(size_t max_line_bytes = kDefaultMaxLineBytes);
  ~EventParser();
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  // `line` excludes the newline; it must stay readable for SIMDJSON_PADDING
  // (64) bytes past its end (the bytes there may be anything). A login that
  // carries a signed token (docs/spec.md §15) is verified here, against
  // `clock`, and its claims are the verified payload's.
  void parse(const CompiledConfig& config, std::string_view line, ParsedEvent* out, const TokenClock& clock = {});

  // The result of a line of `length` bytes over the limit (event_too_large),
  // from its length alone: an over-long line is measured, never held.
  void too_large(uint64_t length, ParsedEvent* out) const;

  // A push given as values into `out`, exactly as the same push read from a
  // line would be (its views point into `push`'s strings).
  void resolve_push(const CompiledConfig& config, const PushFields& push, ParsedEvent* out) const;

  size_t max_line_bytes() const { return max_line_bytes_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t max_line_bytes_;
};

}  // namespace claimmap
