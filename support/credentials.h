// support/credentials.h — who may call `claimmap serve`, and for what
// (docs/spec.md §13 "Hardened serving", docs/server.md "Credentials").
//
// A credential is a name, a set of scopes and the SHA-256 of its bearer
// token: the tokens file (`serve --tokens-file`) holds no secret, one
// credential a line:
//
//   # NAME  SCOPE[,SCOPE…]   SHA256HEX
//   auth-pipeline  events    9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//   iam-connector  scim,read 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
//
// A bad line refuses the whole file, naming the line. `--token-file` gives
// one credential (named "token") with every scope.
//
// A CredentialStore holds the current set and swaps it whole on rotation
// (SIGHUP): a request checks against one set, old or new, never a mix.
// Thread-safety: CredentialSet is immutable; CredentialStore's methods may
// be called from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/status.h"

namespace claimmap::support {

// What a route needs (docs/spec.md §13): events (POST /v1/events), scim
// (/scim/v2), admin (PUT /v1/config), read (who-has, users, the config
// version), metrics (/metrics).
enum Scope : uint32_t {
  kScopeEvents = 1u << 0,
  kScopeScim = 1u << 1,
  kScopeAdmin = 1u << 2,
  kScopeRead = 1u << 3,
  kScopeMetrics = 1u << 4,
  kAllScopes = (1u << 5) - 1,
};
std::string_view scope_name(Scope scope);

using TokenDigest = std::array<uint8_t, 32>;
TokenDigest sha256_of(std::string_view token);

struct Credential {
  std::string name;
  uint32_t scopes = 0;  // Scope bits
  TokenDigest digest{};
};

class CredentialSet {
 public:
  // The tokens file's text; `source` names it in errors ("tokens.txt line 3:
  // …"). Comments (#…) and blank lines are allowed; names and digests must
  // be unique; at least one credential.
  static Result<CredentialSet> parse(std::string_view text, std::string_view source);
  // One credential named "token" with every scope (`--token-file`).
  static CredentialSet single_token(std::string_view token);

  // The credential whose digest is the SHA-256 of the bearer token in
  // `authorization` ("Bearer T", scheme case-insensitive), or null. Every
  // credential's digest is compared, each in constant time, so the time
  // taken says nothing of which one matched or how much of one did.
  const Credential* authenticate(std::string_view authorization) const;

  const std::vector<Credential>& credentials() const { return credentials_; }

 private:
  std::vector<Credential> credentials_;
};

class CredentialStore {
 public:
  explicit CredentialStore(CredentialSet initial)
      : current_(std::make_shared<const CredentialSet>(std::move(initial))) {}

  std::shared_ptr<const CredentialSet> current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }
  void replace(CredentialSet next) {
    auto p = std::make_shared<const CredentialSet>(std::move(next));
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::move(p);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const CredentialSet> current_;
};

// Reads and parses a tokens file (kIoError if unreadable, kInvalidArgument
// naming the line if bad).
Result<CredentialSet> load_tokens_file(const std::string& path);

}  // namespace claimmap::support
