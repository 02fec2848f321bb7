#include "engine/config/pattern_checks.h"

#include <re2/re2.h>

#include "engine/common/json_text.h"
#include "engine/match/glob.h"
#include "engine/match/pattern_table.h"

namespace claimmap {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

PatternCheck check_pattern(MatchKind kind, const std::string& value, const std::string& delimiter,
                           const std::string& path, const std::string& owner, ConfigReport* report) {
  PatternCheck check;
  const std::string value_path = path + ".value";
  // The text every match starts with: a part never holds its delimiter, and
  // never starts with the blanks trimming takes away.
  std::string literal;
  switch (kind) {
    case MatchKind::kExact: {
      // A value that contains its own delimiter, or the blanks that parts
      // lose to trimming, can never equal a part (docs/spec.md §4 step 3).
      if (delimiter.empty()) return check;
      const bool has_delim = value.find(delimiter) != std::string::npos;
      const bool padded = is_blank(value.front()) || is_blank(value.back());
      if (has_delim || padded) {
        report->warnings.push_back({value_path, has_delim ? "contains its delimiter, so it can never match"
                                                          : "starts or ends with a space or tab, so it can never "
                                                            "match a trimmed part"});
        check.never_matches = true;
      }
      return check;
    }
    case MatchKind::kPrefix: literal = value; break;
    case MatchKind::kGlob: {
      std::string error;
      if (!glob_to_regex(value, &error)) {
        report->errors.push_back({value_path, "invalid glob in " + owner + ": " + error});
        check.ok = false;
        return check;
      }
      literal = glob_literal_text(value);
      break;
    }
    case MatchKind::kRegex: {
      std::string error;
      auto re = compile_claim_regex(value, &error);
      if (!re) {
        report->errors.push_back({value_path, "invalid regex in " + owner + ": " + error});
        check.ok = false;
        return check;
      }
      check.capture_groups = re->NumberOfCapturingGroups();
      break;
    }
  }
  if (!delimiter.empty() && !literal.empty()) {
    if (literal.find(delimiter) != std::string::npos) {
      report->warnings.push_back({value_path, "starts with text that holds its delimiter " +
                                                  json_text::quoted(delimiter) + ", so it can never match a part"});
      check.never_matches = true;
    } else if (is_blank(literal.front())) {
      report->warnings.push_back({value_path, "starts with a space or tab, so it can never match a trimmed part"});
      check.never_matches = true;
    }
  }
  return check;
}

void check_template(const GroupTemplate& t, MatchKind kind, const PatternCheck& pattern, const std::string& path,
                    ConfigReport* report) {
  if (t.max_capture() == 0 || !pattern.ok) return;
  const std::string n = "{" + std::to_string(t.max_capture()) + "}";
  if (kind != MatchKind::kRegex) {
    report->errors.push_back({path + ".group", "uses " + n + ", but only a regex mapping has capture groups (match is " +
                                                   json_text::quoted(match_kind_name(kind)) + ")"});
  } else if (t.max_capture() > pattern.capture_groups) {
    report->errors.push_back({path + ".group", "uses " + n + ", but the regex has " +
                                                   std::to_string(pattern.capture_groups) + " capture group" +
                                                   (pattern.capture_groups == 1 ? "" : "s")});
  }
}

}  // namespace claimmap
