// simulator/names.h — realistic-looking identifiers and names.
//
// Everything a generated token or config spells (GUIDs, Okta ids, person
// names, directory group names, app and role names) is a pure function of
// integer keys, written straight into a std::string: no allocation beyond the
// output's growth, no formatting library on the per-line path. Stateless;
// safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace claimmap::sim {

// A lowercase RFC 4122 version-4 GUID (8-4-4-4-12). The 64 bits of `unique`
// are all kept, so distinct `unique` values give distinct GUIDs; `extra`
// fills the other digits.
void append_guid(std::string* out, uint64_t unique, uint64_t extra);
// `count` characters of [A-Za-z0-9] (keyed), e.g. Okta's "00u…" ids.
void append_base62(std::string* out, uint64_t key, int count);
// `count` characters of base64url (keyed), e.g. Entra's pairwise "sub".
void append_base64url(std::string* out, uint64_t key, int count);
// `value` in base 62, left-padded to `width` (11 digits hold any 64-bit
// value), so distinct values give distinct ids.
void append_base62_number(std::string* out, uint64_t value, int width);
// `count` lowercase hex digits (keyed).
void append_hex(std::string* out, uint64_t key, int count);
void append_uint(std::string* out, uint64_t value);
// A zero-padded decimal of at least `width` digits.
void append_padded(std::string* out, uint64_t value, int width);

// A person, chosen by `key`: display name (may be non-ASCII UTF-8) and an
// ASCII login stem ("jose.garcia").
struct PersonName {
  std::string_view first, last;            // display
  std::string_view first_ascii, last_ascii;  // for usernames and e-mail
};
PersonName person_name(uint64_t key);

// Words for directory groups and apps.
std::string_view department_word(uint64_t key);  // "Sales", "Finance", …
std::string_view region_word(uint64_t key);      // "EMEA", "APAC", …
std::string_view app_word(uint64_t index);       // "Crm", "Payroll", … (cycles)
inline constexpr int kAppWordCount = 40;
std::string_view role_verb(uint32_t index);  // "Viewer", "Editor", "Approver", "Admin"
inline constexpr int kRoleVerbCount = 4;

// Appends `word` lowercased (ASCII only).
void append_lower(std::string* out, std::string_view word);

}  // namespace claimmap::sim
