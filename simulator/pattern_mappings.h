// simulator/pattern_mappings.h — the prefix, glob and regex mappings of
// `simulate --pattern-share` and the group templates of `--template-share`
// (docs/spec.md §16), written over the IdP group value a mapping would
// otherwise match exactly.
//
// A pattern starts with literal text and keeps the value's number (or, for
// Entra's GUIDs, every digit that the group's rank decides), so it still
// matches the value users carry. Some forms match a few more catalog values
// (a prefix without the last digit, `?` or `\d` for the last digit); the
// organisation finds them (Organisation's rank index) by enumerating the
// numbers that could match — PatternMapping::candidates — and checking each
// value against `glob`, a glob that matches the same catalog values as the
// pattern. Forms whose number is delimited on both sides (or, for a GUID,
// whose unique digits are all literal) match their own value and no other.
//
// Templates: "{value}" names the group after the matched value (the value
// itself is the group id); a regex template "okta-sales-emea-{1}" over
// "Sales-EMEA-(0004\d)" names it from the captured number. Either way the
// id is a function of the matched value alone (template_group_id), so the
// organisation can list every group a template can name.
//
// Pure functions of their arguments; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/config/match_kind.h"
#include "simulator/generator.h"

namespace claimmap::sim {

// A mapping's `match` (docs/spec.md §16): the engine's MatchKind and its
// spellings (engine/config/match_kind.h).

// How a template names its group: after the whole value, or from a regex's capture.
enum class TemplateKind : uint8_t { kNone, kValue, kCapture };

// Which other catalog values a pattern may match, besides its own.
enum class Candidates : uint8_t {
  kOwn,          // none: the number (or the GUID's unique digits) is pinned
  kLastDigit,    // numbers of `digits`' length that differ in the last digit only
  kDigitPrefix,  // numbers whose decimal (padded) form starts with `digits`
};

struct PatternMapping {
  std::string value;  // the mapping's "value", raw (not JSON-escaped)
  std::string group;  // the template (e.g. "{value}"); empty when the group is fixed
  TemplateKind template_kind = TemplateKind::kNone;
  std::string glob;  // matches the same catalog values as `value` under its kind
  Candidates candidates = Candidates::kOwn;
  std::string digits;  // kLastDigit: the value's number; kDigitPrefix: the digits the prefix keeps
};

// The forms a kind has for a shape; `variant` is taken modulo this.
uint32_t pattern_variant_count(ProviderShape shape, MatchKind kind);

// The pattern of `kind` (not kExact) over `own`, an IdP group value of
// `shape` as Organisation::append_idp_group spells it. `templated`: the
// group is a template — a capture template for the regexes of numbered
// shapes, "{value}" otherwise. `provider_id` prefixes capture templates.
PatternMapping make_pattern(ProviderShape shape, std::string_view provider_id, std::string_view own, MatchKind kind,
                            uint32_t variant, bool templated);

// The id of the group a template of `kind` names for the matched value `value`.
void append_template_group_id(std::string_view provider_id, std::string_view value, TemplateKind kind,
                              std::string* out);

// Glob matching as docs/spec.md §16 defines it, for the ASCII text the
// simulator writes: `*` any run, `?` one character, no escapes.
bool glob_matches(std::string_view glob, std::string_view text);

}  // namespace claimmap::sim
