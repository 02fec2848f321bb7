#include "support/credentials.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cctype>

#include "claimmap/service.h"

namespace claimmap::support {

namespace {

constexpr std::string_view kScopeNames[] = {"events", "scim", "admin", "read", "metrics"};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The line's whitespace-separated fields.
std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_digest(std::string_view hex, TokenDigest* out) {
  if (hex.size() != 64) return false;
  for (size_t i = 0; i < 32; ++i) {
    const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

// "events,read" → bits; false (with the bad name) on an unknown scope.
bool parse_scopes(std::string_view list, uint32_t* bits, std::string* bad) {
  *bits = 0;
  size_t start = 0;
  for (;;) {
    const size_t comma = list.find(',', start);
    const std::string_view name = list.substr(start, comma == std::string_view::npos ? comma : comma - start);
    bool known = false;
    for (size_t k = 0; k < std::size(kScopeNames); ++k) {
      if (name == kScopeNames[k]) *bits |= 1u << k, known = true;
    }
    if (!known) {
      *bad = std::string(name);
      return false;
    }
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

bool valid_name(std::string_view name) {
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != '@') return false;
  }
  return !name.empty();
}

}  // namespace

std::string_view scope_name(Scope scope) {
  for (size_t k = 0; k < std::size(kScopeNames); ++k) {
    if (scope == (1u << k)) return kScopeNames[k];
  }
  return "?";
}

TokenDigest sha256_of(std::string_view token) {
  TokenDigest d{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), d.data());
  return d;
}

Result<CredentialSet> CredentialSet::parse(std::string_view text, std::string_view source) {
  CredentialSet set;
  size_t line_no = 0;
  auto bad = [&](const std::string& why) {
    return Status(ErrorCode::kInvalidArgument,
                  std::string(source) + " line " + std::to_string(line_no) + ": " + why +
                      " (want: NAME SCOPE[,SCOPE…] SHA256HEX; scopes: events, scim, admin, read, metrics)");
  };
  for (size_t at = 0; at <= text.size();) {
    const size_t end = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++line_no;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const std::vector<std::string_view> f = fields_of(line);
    if (f.empty()) {
      if (end == text.size()) break;
      continue;
    }
    if (f.size() != 3) return bad("expected 3 fields, got " + std::to_string(f.size()));
    Credential c;
    if (!valid_name(f[0])) return bad("a name is letters, digits and -_.@");
    c.name = std::string(f[0]);
    std::string unknown;
    if (!parse_scopes(f[1], &c.scopes, &unknown)) return bad("unknown scope \"" + unknown + "\"");
    if (!parse_digest(f[2], &c.digest)) {
      return bad("the third field must be the token's SHA-256 as 64 hex digits (sha256sum), not the token");
    }
    for (const Credential& other : set.credentials_) {
      if (other.name == c.name) return bad("credential \"" + c.name + "\" is named twice");
      if (other.digest == c.digest) return bad("the same token digest as credential \"" + other.name + "\"");
    }
    set.credentials_.push_back(std::move(c));
    if (end == text.size()) break;
  }
  if (set.credentials_.empty()) {
    return Status(ErrorCode::kInvalidArgument, std::string(source) + ": no credential in the file");
  }
  return set;
}

CredentialSet CredentialSet::single_token(std::string_view token) {
  CredentialSet set;
  set.credentials_.push_back(Credential{"token", kAllScopes, sha256_of(token)});
  return set;
}

const Credential* CredentialSet::authenticate(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return nullptr;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return nullptr;
  }
  // The given token is hashed, so what is compared has a fixed length
  // whatever was sent; no early exit, so every credential costs the same.
  const TokenDigest given = sha256_of(authorization.substr(kScheme.size()));
  const Credential* found = nullptr;
  for (const Credential& c : credentials_) {
    const bool same = CRYPTO_memcmp(given.data(), c.digest.data(), given.size()) == 0;
    if (same) found = &c;
  }
  return found;
}

Result<CredentialSet> load_tokens_file(const std::string& path) {
  Result<std::string> text = read_text_file(path);
  if (!text.ok()) return text.status();
  return CredentialSet::parse(text.value(), path);
}

}  // namespace claimmap::support
