#include "simulator/names.h"

#include <array>

#include "simulator/prng.h"

namespace claimmap::sim {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kBase62[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct NamePart {
  std::string_view display, ascii;
};

// A mix of origins, some with non-ASCII letters, as in a global directory.
constexpr std::array<NamePart, 48> kFirstNames = {{
    {"Alice", "alice"},     {"Bob", "bob"},         {"Carol", "carol"},       {"David", "david"},
    {"Emma", "emma"},       {"Farid", "farid"},     {"Grace", "grace"},       {"Hiro", "hiro"},
    {"Ines", "ines"},       {"José", "jose"},       {"Karin", "karin"},       {"Liam", "liam"},
    {"Mei", "mei"},         {"Noah", "noah"},       {"Olga", "olga"},         {"Priya", "priya"},
    {"Quentin", "quentin"}, {"Rosa", "rosa"},       {"Søren", "soren"},       {"Tariq", "tariq"},
    {"Uma", "uma"},         {"Victor", "victor"},   {"Wen", "wen"},           {"Ximena", "ximena"},
    {"Yusuf", "yusuf"},     {"Zoë", "zoe"},         {"Aiko", "aiko"},         {"Bruno", "bruno"},
    {"Chloé", "chloe"},     {"Dmitri", "dmitri"},   {"Elif", "elif"},         {"Fatima", "fatima"},
    {"Gustav", "gustav"},   {"Hana", "hana"},       {"Ivan", "ivan"},         {"Jana", "jana"},
    {"Kwame", "kwame"},     {"Lucía", "lucia"},     {"Marek", "marek"},       {"Nadia", "nadia"},
    {"Oskar", "oskar"},     {"Paulo", "paulo"},     {"Ravi", "ravi"},         {"Sofia", "sofia"},
    {"Tomás", "tomas"},     {"Ula", "ula"},         {"Wojciech", "wojciech"}, {"Yara", "yara"},
}};
constexpr std::array<NamePart, 48> kLastNames = {{
    {"Martin", "martin"},     {"Okafor", "okafor"},   {"Nguyen", "nguyen"},     {"Smith", "smith"},
    {"García", "garcia"},     {"Müller", "muller"},   {"Tanaka", "tanaka"},     {"Kowalski", "kowalski"},
    {"Rossi", "rossi"},       {"Dubois", "dubois"},   {"Johansson", "johansson"}, {"Silva", "silva"},
    {"Kim", "kim"},           {"Patel", "patel"},     {"Cohen", "cohen"},       {"Ivanova", "ivanova"},
    {"Brown", "brown"},       {"Wang", "wang"},       {"Yilmaz", "yilmaz"},     {"Andersen", "andersen"},
    {"Novak", "novak"},       {"Haddad", "haddad"},   {"O'Brien", "obrien"},    {"Schmidt", "schmidt"},
    {"Fernández", "fernandez"}, {"Sato", "sato"},     {"Mensah", "mensah"},     {"Kaur", "kaur"},
    {"Lefebvre", "lefebvre"}, {"Horvat", "horvat"},   {"Jensen", "jensen"},     {"Costa", "costa"},
    {"Wójcik", "wojcik"},     {"Abebe", "abebe"},     {"Chen", "chen"},         {"Lopez", "lopez"},
    {"Virtanen", "virtanen"}, {"Popescu", "popescu"}, {"Suzuki", "suzuki"},     {"Mahlangu", "mahlangu"},
    {"Nielsen", "nielsen"},   {"Bauer", "bauer"},     {"Park", "park"},         {"Rahman", "rahman"},
    {"Öztürk", "ozturk"},     {"Hughes", "hughes"},   {"Moreau", "moreau"},     {"Singh", "singh"},
}};
constexpr std::array<std::string_view, 24> kDepartments = {
    "Sales",   "Finance", "Engineering", "Support", "Marketing", "Legal",    "HR",       "Operations",
    "Security", "Data",   "Design",      "Product", "Research",  "Procurement", "Facilities", "IT",
    "Payroll", "Audit",   "Partners",    "Training", "Logistics", "Quality", "Platform", "Compliance",
};
constexpr std::array<std::string_view, 8> kRegions = {"EMEA", "APAC", "AMER", "LATAM", "DACH", "Nordics", "UK", "ANZ"};
constexpr std::array<std::string_view, kAppWordCount> kApps = {
    "Crm",     "Payroll",  "Wiki",     "Jira",   "Git",      "Vpn",     "Hr",       "Billing",
    "Ledger",  "Helpdesk", "Analytics", "Warehouse", "Fleet", "Procure", "Travel",  "Expense",
    "Intranet", "Mail",    "Chat",     "Calendar", "Docs",   "Drive",   "Vault",    "Build",
    "Monitor", "Pager",    "Backup",   "Dns",    "Kube",     "Grafana", "Tickets",  "Design",
    "Notes",   "Forms",    "Reports",  "Workday", "Okr",     "Contracts", "Assets", "Learning",
};
constexpr std::array<std::string_view, kRoleVerbCount> kVerbs = {"Viewer", "Editor", "Approver", "Admin"};

void append_digits(std::string* out, uint64_t key, int count, const char* alphabet, uint64_t size) {
  // 6 bits a character, ten characters a draw (62 symbols: a slight,
  // harmless bias towards the first two).
  KeyedStream s(key);
  uint64_t bits = 0;
  for (int i = 0; i < count; ++i) {
    if (i % 10 == 0) bits = s.next();
    out->push_back(alphabet[((bits >> (6 * (i % 10))) & 63) % size]);
  }
}

}  // namespace

void append_guid(std::string* out, uint64_t unique, uint64_t extra) {
  // 32 hex digits; digit 12 is the version (4), digit 16 the variant (8-b).
  // `unique` fills digits 0-11, 13-15 and 17 (64 bits), `extra` the rest.
  extra = mix64(extra);  // callers may pass small keys; spread them over every digit
  char d[36];
  int pos = 0;
  auto put = [&](int digit) {
    if (pos == 8 || pos == 13 || pos == 18 || pos == 23) d[pos++] = '-';
    d[pos++] = kHex[digit & 15];
  };
  for (int i = 0; i < 12; ++i) put(static_cast<int>(unique >> (60 - 4 * i)));
  put(4);
  for (int i = 0; i < 3; ++i) put(static_cast<int>(unique >> (12 - 4 * i)));
  put(8 | static_cast<int>(extra & 3));
  put(static_cast<int>(unique));
  for (int i = 0; i < 14; ++i) put(static_cast<int>(extra >> (4 + 4 * i)));
  out->append(d, 36);
}

void append_base62(std::string* out, uint64_t key, int count) { append_digits(out, key, count, kBase62, 62); }
void append_base64url(std::string* out, uint64_t key, int count) { append_digits(out, key, count, kBase64Url, 64); }

void append_base62_number(std::string* out, uint64_t value, int width) {
  char buf[16];
  int n = 0;
  while (n < width || (value != 0 && n < 16)) {
    buf[n++] = kBase62[value % 62];
    value /= 62;
  }
  while (n > 0) out->push_back(buf[--n]);
}

void append_hex(std::string* out, uint64_t key, int count) {
  KeyedStream s(key);
  uint64_t bits = 0;
  for (int i = 0; i < count; ++i) {
    if (i % 16 == 0) bits = s.next();
    out->push_back(kHex[(bits >> (4 * (i % 16))) & 15]);
  }
}

void append_uint(std::string* out, uint64_t value) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) out->push_back(buf[--n]);
}

void append_padded(std::string* out, uint64_t value, int width) {
  char buf[20];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(buf[--n]);
}

PersonName person_name(uint64_t key) {
  const uint64_t h = mix64(key);
  const NamePart& f = kFirstNames[bounded(h, kFirstNames.size())];
  const NamePart& l = kLastNames[bounded(mix64(h), kLastNames.size())];
  return {f.display, l.display, f.ascii, l.ascii};
}

std::string_view department_word(uint64_t key) { return kDepartments[key % kDepartments.size()]; }
std::string_view region_word(uint64_t key) { return kRegions[key % kRegions.size()]; }
std::string_view app_word(uint64_t index) { return kApps[index % kApps.size()]; }
std::string_view role_verb(uint32_t index) { return kVerbs[index % kVerbs.size()]; }

void append_lower(std::string* out, std::string_view word) {
  for (char c : word) out->push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
}

}  // namespace claimmap::sim
