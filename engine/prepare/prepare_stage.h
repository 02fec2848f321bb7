// The one prepare stage: everything a line needs before it touches the user
// store, done in one place for every path a line takes (docs/architecture.md
// "The path of one line") — Engine::process and process_to_ndjson (the
// embedding API, the server, SCIM, the worker), the stream's stages and
// event_user() (the publisher's routing).
//
//   1. a line over the limit becomes event_too_large, from its length alone;
//   2. parse: the envelope, push or bare token into a ParsedEvent
//      (engine/parse/event_parser.h) — or, for a push given as values
//      (Engine::push, the server's SCIM routes), its names resolved by the
//      same rules. A login's signed token is verified here (docs/spec.md
//      §15, engine/jose), so N threads preparing verify N tokens at once;
//   3. `after_parse` (the engine starts loading the user's table slot here,
//      so that its cache miss overlaps the match);
//   4. for a login, match its claims against the mappings
//      (engine/match/matcher.h).
// Checks that a login must pass before it is mapped (a token's signature —
// inside the parse, where the payload is read —, a provider's login
// requirements) belong between 2 and 4, here and nowhere else.
//
// Stateless: reads only the immutable compiled config and the caller's own
// scratch, so any number of threads prepare at once — the stream pipeline's
// parallel stage.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/config/compiled_config.h"
#include "engine/match/matcher.h"
#include "engine/parse/event_parser.h"

namespace claimmap {

// One line, as the prepare stage takes it.
struct LineInput {
  // The line's content (claimmap/lines.h line_content), with
  // SIMDJSON_PADDING readable bytes past its end.
  std::string_view text;
  // > 0: a line over the limit, given by its length alone (its bytes were
  // never held); `text` is then ignored.
  uint64_t oversize_length = 0;
  // Non-null: a push given as values (Engine::push), no text at all.
  const PushFields* push = nullptr;
  // `--explain` (docs/spec.md §17): the match keeps the claim values that
  // matched (MatchResult::want_values), and the delta is explained.
  bool explain = false;
};

// How far to go: routing needs only whom the event is about.
enum class PrepareUpTo : uint8_t { kUser, kMatch };

// One thread's scratch for preparing, reused from line to line (nothing is
// allocated once warmed up). The event and match view the parser's buffers
// and the compiled config: valid until the next prepare with this scratch.
struct PrepareScratch {
  explicit PrepareScratch(size_t max_line_bytes) : parser(max_line_bytes) {}
  EventParser parser;
  ParsedEvent event;
  MatchResult match;
  std::string padded;
  TokenClock clock;  // what signed tokens are checked against (the caller's engine sets it)

  // `line` copied into `padded` with simdjson's padding after it, for a
  // caller whose bytes have none.
  std::string_view pad(std::string_view line) {
    padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
    std::copy(line.begin(), line.end(), padded.begin());
    return std::string_view(padded.data(), line.size());
  }
};

template <typename AfterParse>
void prepare_line(const CompiledConfig& config, const LineInput& input, PrepareUpTo up_to, PrepareScratch& s,
                  AfterParse&& after_parse) {
  if (input.oversize_length > 0) {
    s.parser.too_large(input.oversize_length, &s.event);
    return;
  }
  if (input.push != nullptr) {
    s.parser.resolve_push(config, *input.push, &s.event);
  } else {
    s.parser.parse(config, input.text, &s.event, s.clock);
  }
  if (!s.event.ok()) return;
  after_parse(s.event);
  if (up_to == PrepareUpTo::kMatch && s.event.kind == EventKind::kLogin) match_login(config, s.event, &s.match);
}

inline void prepare_line(const CompiledConfig& config, const LineInput& input, PrepareUpTo up_to,
                         PrepareScratch& s) {
  prepare_line(config, input, up_to, s, [](const ParsedEvent&) {});
}

}  // namespace claimmap
