#include "simulator/pattern_mappings.h"

#include <array>

namespace claimmap::sim {
namespace {


// A value of the numbered shapes, "Sales-EMEA-00042", "crm-editor-42",
// "crm:editor:42" or "CN=Sales EMEA 42,OU=Groups,…": two words, each
// followed by `sep`, the rank's number, and a fixed tail. Words hold no
// digits, so the number is the first run of digits.
struct NumberedValue {
  std::string_view head;    // "Sales-EMEA-": the words and their separators
  std::string_view number;  // "00042"
  std::string_view tail;    // "" or ",OU=Groups,DC=corp,DC=contoso,DC=example"
  std::string_view first, second;  // "Sales", "EMEA" (SAML: "CN=Sales", "EMEA")
  char sep = '-';
};

NumberedValue split_numbered(std::string_view v) {
  NumberedValue n;
  const size_t begin = v.find_first_of("0123456789");
  size_t end = v.find_first_not_of("0123456789", begin);
  if (end == std::string_view::npos) end = v.size();
  n.head = v.substr(0, begin);
  n.number = v.substr(begin, end - begin);
  n.tail = v.substr(end);
  n.sep = n.head.back();
  const size_t first_end = n.head.find(n.sep);
  n.first = n.head.substr(0, first_end);
  n.second = n.head.substr(first_end + 1, n.head.size() - first_end - 2);
  return n;
}

// RE2 syntax: a backslash before every character that would not be itself.
void append_regex_literal(std::string* out, std::string_view text) {
  for (char c : text) {
    if (std::string_view("\\.^$|?*+()[]{}").find(c) != std::string_view::npos) out->push_back('\\');
    out->push_back(c);
  }
}

void append_lower(std::string* out, std::string_view word) {
  for (char c : word) out->push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
}

// "Sal" of "Sales", "CN=Sal" of "CN=Sales": the literal text a glob keeps
// before its star.
std::string_view stem(std::string_view word) {
  const size_t keep = word.starts_with("CN=") ? 6 : 3;
  return word.substr(0, std::min(keep, word.size()));
}

std::string concat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

// The number without its last digit; empty for a one-digit number.
std::string_view all_but_last(std::string_view number) { return number.substr(0, number.size() - 1); }

void numbered_prefix(const NumberedValue& n, uint32_t variant, PatternMapping* p) {
  // A prefix ends inside or right after the number, so it may also match
  // longer numbers with the same words ("crm-editor-4" also "crm-editor-41").
  p->candidates = Candidates::kDigitPrefix;
  if (variant == 0 && n.number.size() > 1) {
    p->digits = all_but_last(n.number);
    p->value = concat({n.head, p->digits});
  } else {
    p->digits = n.number;
    p->value = concat({n.head, n.number});
    // SAML: "CN=Sales EMEA 42,OU=Groups", a DN's first two parts.
    if (variant == 2) p->value.append(n.tail.substr(0, n.tail.find(',', 1)));
  }
  p->glob = p->value + "*";
}

void numbered_glob(const NumberedValue& n, uint32_t variant, PatternMapping* p) {
  const std::string sep(1, n.sep);
  if (variant == 0) {  // "Sales-EMEA-0004?"
    p->value = concat({n.head, all_but_last(n.number), "?", n.tail});
    p->candidates = Candidates::kLastDigit;
    p->digits = n.number;
  } else if (variant == 1) {  // "Sales-*-00042"
    p->value = concat({n.first, sep, "*", sep, n.number, n.tail});
  } else {  // "Sal*-00042"
    p->value = concat({stem(n.first), "*", sep, n.number, n.tail});
  }
  p->glob = p->value;
}

void numbered_regex(const NumberedValue& n, uint32_t variant, PatternMapping* p) {
  const std::string sep(1, n.sep);
  std::string& v = p->value;
  if (variant == 0) {  // "Sales-EMEA-0004\d"
    append_regex_literal(&v, n.head);
    v.append(all_but_last(n.number)).append("\\d");
    append_regex_literal(&v, n.tail);
    p->glob = concat({n.head, all_but_last(n.number), "?", n.tail});
    p->candidates = Candidates::kLastDigit;
    p->digits = n.number;
    return;
  }
  append_regex_literal(&v, n.first);
  append_regex_literal(&v, sep);
  if (variant == 1) {  // "Sales-(EMEA)-00042"
    v.push_back('(');
    append_regex_literal(&v, n.second);
    v.push_back(')');
    p->glob = concat({n.head, n.number, n.tail});
  } else {  // "Sales-[A-Za-z]+-00042": words are letters only
    v.append("[A-Za-z]+");
    p->glob = concat({n.first, sep, "*", sep, n.number, n.tail});
  }
  append_regex_literal(&v, sep);
  v.append(n.number);
  append_regex_literal(&v, n.tail);
}

// "okta-sales-emea-00042": the provider, the words and the number (a SAML
// DN's OUs left out); with `number` "{1}", the template that names it.
void append_capture_group_id(std::string_view provider_id, const NumberedValue& n, std::string* out,
                             std::string_view number = {}) {
  std::string_view first = n.first;
  if (first.starts_with("CN=")) first.remove_prefix(3);
  out->append(provider_id).push_back('-');
  append_lower(out, first);
  out->push_back('-');
  append_lower(out, n.second);
  out->push_back('-');
  out->append(number.empty() ? n.number : number);
}

// "Sales-EMEA-(0004\d)" naming "okta-sales-emea-{1}": one group per number,
// as a team-per-number convention does.
void numbered_capture_template(const NumberedValue& n, std::string_view provider_id, PatternMapping* p) {
  append_regex_literal(&p->value, n.head);
  p->value.push_back('(');
  p->value.append(all_but_last(n.number)).append("\\d)");
  append_regex_literal(&p->value, n.tail);
  p->glob = concat({n.head, all_but_last(n.number), "?", n.tail});
  p->candidates = Candidates::kLastDigit;
  p->digits = n.number;
  p->template_kind = TemplateKind::kCapture;
  append_capture_group_id(provider_id, n, &p->group, "{1}");
}

// Entra: "uuuuuuuu-uuuu-4uuu-Vuxx-xxxxxxxxxxxx", where the u digits hold
// the 64 bits that tell groups apart (names.h, append_guid) and end at
// character 20. Every form keeps characters 0-20 but the variant digit V
// (19), which is not one of them: each matches its own GUID only.
constexpr size_t kGuidUnique = 21;
constexpr size_t kGuidVariant = 19;
constexpr std::string_view kGuidTailGlob = "?\?-????????????";  // characters 21-35 ("\?": no trigraph)

void guid_pattern(std::string_view g, MatchKind kind, uint32_t variant, PatternMapping* p) {
  const std::string_view unique = g.substr(0, kGuidUnique);
  const std::string_view before_variant = g.substr(0, kGuidVariant), after_variant = g.substr(kGuidVariant + 1, 1);
  std::string& v = p->value;
  switch (kind) {
    case MatchKind::kPrefix:
      v = g.substr(0, variant == 0 ? kGuidUnique : kGuidUnique + 2);
      p->glob = v + "*";
      return;
    case MatchKind::kGlob:
      if (variant == 0) v = concat({unique, "*"});
      else if (variant == 1) v = concat({before_variant, "?", after_variant, "*"});
      else v = concat({unique, kGuidTailGlob});
      p->glob = v;
      return;
    case MatchKind::kRegex:
      if (variant == 0) {
        v = concat({unique, "[0-9a-f]{2}-[0-9a-f]{12}"});
        p->glob = concat({unique, kGuidTailGlob});
      } else if (variant == 1) {
        v = concat({g.substr(0, 9), "(", g.substr(9, 4), ")", g.substr(13, kGuidUnique - 13), "[0-9a-f]{2}-[0-9a-f]{12}"});
        p->glob = concat({unique, kGuidTailGlob});
      } else {
        v = concat({before_variant, "[89ab]", after_variant, ".*"});
        p->glob = concat({before_variant, "?", after_variant, "*"});
      }
      return;
    case MatchKind::kExact:
      return;
  }
}

}  // namespace


uint32_t pattern_variant_count(ProviderShape shape, MatchKind kind) {
  if (kind == MatchKind::kExact) return 1;
  if (kind == MatchKind::kPrefix) return shape == ProviderShape::kSaml ? 3 : 2;
  return 3;
}

PatternMapping make_pattern(ProviderShape shape, std::string_view provider_id, std::string_view own, MatchKind kind,
                            uint32_t variant, bool templated) {
  PatternMapping p;
  variant %= pattern_variant_count(shape, kind);
  if (shape == ProviderShape::kEntra) {
    guid_pattern(own, kind, variant, &p);
  } else {
    const NumberedValue n = split_numbered(own);
    if (templated && kind == MatchKind::kRegex) {
      numbered_capture_template(n, provider_id, &p);
      return p;
    }
    if (kind == MatchKind::kPrefix) numbered_prefix(n, variant, &p);
    if (kind == MatchKind::kGlob) numbered_glob(n, variant, &p);
    if (kind == MatchKind::kRegex) numbered_regex(n, variant, &p);
  }
  if (templated) {
    // The group is named after the IdP group, as a "one app group per
    // directory group" sync does.
    p.group = "{value}";
    p.template_kind = TemplateKind::kValue;
  }
  return p;
}

void append_template_group_id(std::string_view provider_id, std::string_view value, TemplateKind kind,
                              std::string* out) {
  if (kind == TemplateKind::kCapture) return append_capture_group_id(provider_id, split_numbered(value), out);
  out->append(value);
}

bool glob_matches(std::string_view glob, std::string_view text) {
  // The classic two-pointer match: on a mismatch, let the last star take
  // one more character.
  size_t g = 0, t = 0, star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g, ++t;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++, star_t = t;
    } else if (star != std::string_view::npos) {
      g = star + 1, t = ++star_t;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

}  // namespace claimmap::sim
