// The checks of a mapping's or a login requirement's value under its match
// kind, and of a group template (docs/spec.md §16): an invalid regex or glob
// is an error with its path; a pattern that can never match a candidate is a
// warning. Used by the validator; never throws.
#pragma once

#include <string>
#include <vector>

#include "claimmap/config.h"
#include "engine/config/match_kind.h"
#include "engine/match/group_template.h"

namespace claimmap {

struct PatternCheck {
  bool ok = true;            // no error
  bool never_matches = false;  // a warning was added
  int capture_groups = 0;    // of a valid regex
};

// Checks `value` (at `path`, e.g. "mappings[3]") as a pattern of `kind`;
// `owner` names the mapping or rule in messages ("mapping \"m1\"").
PatternCheck check_pattern(MatchKind kind, const std::string& value, const std::string& delimiter,
                           const std::string& path, const std::string& owner, ConfigReport* report);

// Checks a template's {N} against the mapping's kind and regex.
void check_template(const GroupTemplate& t, MatchKind kind, const PatternCheck& pattern, const std::string& path,
                    ConfigReport* report);

}  // namespace claimmap
