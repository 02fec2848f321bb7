// The config as written (docs/spec.md §2), after syntax checks and before compiling:
// plain strings, in file order. config_loader produces it; compiler consumes it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config/match_kind.h"
#include "engine/jose/jwk.h"
#include "engine/jose/jws_algorithm.h"

namespace claimmap {

enum class ProviderType { kOidc, kSaml };

// How a provider's signed tokens are checked (docs/spec.md §15). The keys are
// parsed once, when the config is loaded (jwks inline, or jwks_file read then).
struct TokenPolicy {
  bool has_keys = false;  // jwks or jwks_file given: tokens verify, unsigned logins are refused
  KeySet keys;
  std::string jwks_file;  // as written (resolved against the config's folder when read)
  AlgorithmSet algorithms;  // ["RS256"] unless given
  std::vector<std::string> audiences;  // empty: aud is not checked
  int64_t leeway_seconds = 60;
  bool accept_unsigned = false;

  TokenPolicy() { algorithms.add(JwsAlgorithm::kRS256); }
};

// A login requirement (docs/spec.md §16): some candidate (or part) of
// `claim` must match `value`, or the login is denied.
struct RequireDef {
  std::string claim;
  std::string value;
  std::string delimiter;  // "" = none
  MatchKind match = MatchKind::kExact;
  friend bool operator==(const RequireDef&, const RequireDef&) = default;
};

struct ProviderDef {
  std::string id;
  ProviderType type = ProviderType::kOidc;
  bool has_issuer = false;
  std::string issuer;
  bool organization_scope = false;        // scope: "organization"
  std::vector<std::string> scope_stages;  // scope: [stages]
  std::string subject_claim = "sub";
  TokenPolicy token;
  std::vector<RequireDef> require;  // every rule must match (docs/spec.md §16)
};

struct RoleDef {
  std::string id;
  std::string app;
};

struct GroupDef {
  std::string id;
  std::string stage;
  std::vector<std::string> roles;
};

// Views into the parsed document (ConfigModel::document): a million
// mappings are read without a string of their own each.
struct MappingDef {
  std::string_view id;
  std::string_view provider;
  std::string_view claim;
  std::string_view value;
  std::string_view delimiter;  // "" = none
  std::string_view group;      // a group id, or a template ("{value}", "app-{1}": docs/spec.md §16)
  MatchKind match = MatchKind::kExact;
  friend bool operator==(const MappingDef&, const MappingDef&) = default;
};

struct ConfigModel {
  // Owns the parsed document the mappings' views point into: keep the model
  // (or this) while they are read.
  std::shared_ptr<const void> document;
  std::vector<std::string> stages;
  std::vector<ProviderDef> providers;
  std::vector<RoleDef> roles;
  std::vector<GroupDef> groups;
  std::vector<MappingDef> mappings;
};

}  // namespace claimmap
