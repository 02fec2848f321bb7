// simulator/organisation.h — the generated organisation: stages, providers,
// apps and roles, groups and mappings, and the config that describes them.
//
// Sizes follow GeneratorOptions::mappings: about one group per four mappings,
// one app per 24 groups, four roles per app. Every name is a pure function of
// its index, so nothing is stored per mapping beyond four integers, and the
// config for a million mappings is written without holding a string per id.
// Immutable after construction; any number of threads may read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/generator.h"
#include "simulator/names.h"
#include "simulator/zipf.h"

namespace claimmap::sim {

class TokenSigner;  // simulator/token_signer.h

inline constexpr int kStageCount = 3;  // dev, test, prod
std::string_view stage_name(uint32_t stage);

struct ProviderSpec {
  ProviderShape shape;
  std::string id;             // "entra", "okta", "keycloak", "adfs", "auth0"
  std::string issuer;         // empty for SAML: its logins come in envelopes
  std::string subject_claim;  // "oid", "sub", "NameID"
  std::string claim;          // the claim its mappings read
  std::string delimiter;      // ";" for SAML's memberOf, else empty
  uint32_t scope_mask = 0;    // bit per stage
  bool organization_scope = false;
  uint32_t user_weight = 0;   // share of users (relative)
  uint32_t catalog_size = 0;  // IdP groups it knows; ranks [0, catalog_size)
  uint32_t first_mapping = 0, mapping_count = 0;
  int64_t tenant_mapping = -1;  // Entra: the mapping on "tid" that every login matches
  ZipfSampler popularity;       // how many users are in the group of each rank
  // Active mappings by catalog rank (CSR), to compute a user's saved state.
  std::vector<uint32_t> rank_offsets;
  std::vector<uint32_t> rank_mappings;
};

struct MappingSpec {
  uint32_t provider = 0;
  uint32_t rank = 0;   // the IdP group (catalog rank) it matches
  uint32_t group = 0;  // the config group it grants
  bool active = true;  // false: the group's stage is outside the OIDC provider's scope
  bool tenant = false;  // Entra's "tid" mapping
};

class Organisation {
 public:
  explicit Organisation(const GeneratorOptions& options);

  uint64_t seed() const { return seed_; }
  const std::vector<ProviderSpec>& providers() const { return providers_; }
  const std::vector<MappingSpec>& mappings() const { return mappings_; }
  uint32_t group_count() const { return group_count_; }
  uint32_t role_count() const { return app_count_ * kRoleVerbCount; }
  uint32_t app_count() const { return app_count_; }
  uint32_t group_stage(uint32_t group) const { return group % kStageCount; }
  // The roles a group grants (1-3, or about GeneratorOptions::roles_per_group;
  // popular roles are shared by many groups).
  const uint32_t* group_roles_begin(uint32_t group) const { return &group_roles_[group_role_offsets_[group]]; }
  const uint32_t* group_roles_end(uint32_t group) const { return &group_roles_[group_role_offsets_[group + 1]]; }
  const std::string& tenant_id() const { return tenant_id_; }
  size_t inactive_mappings() const { return inactive_; }

  // Names, appended to `out`.
  void append_idp_group(uint32_t provider, uint32_t rank, std::string* out) const;  // as the IdP spells it
  void append_group_id(uint32_t group, std::string* out) const;
  void append_role_id(uint32_t role, std::string* out) const;
  void append_app_id(uint32_t app, std::string* out) const;
  void append_mapping_id(uint32_t mapping, std::string* out) const;

  // The docs/spec.md §2 config; with a signer, each provider it signs for
  // also gets its public keys and algorithm (docs/spec.md §15).
  std::string config_json(const TokenSigner* signer = nullptr) const;

 private:
  void add_provider(ProviderShape shape);
  void add_mappings(uint64_t total);
  void build_groups();

  uint64_t seed_;
  std::vector<ProviderSpec> providers_;
  std::vector<MappingSpec> mappings_;
  uint32_t group_count_ = 0;
  uint32_t app_count_ = 0;
  uint32_t roles_per_group_ = 0;   // GeneratorOptions::roles_per_group
  uint32_t groups_per_value_ = 1;  // GeneratorOptions::groups_per_value
  std::vector<uint32_t> group_role_offsets_;
  std::vector<uint32_t> group_roles_;
  std::vector<uint32_t> group_app_;
  std::string tenant_id_;
  size_t inactive_ = 0;
};

}  // namespace claimmap::sim
