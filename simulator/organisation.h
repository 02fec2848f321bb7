// simulator/organisation.h — the generated organisation: stages, providers,
// apps and roles, groups and mappings, and the config that describes them.
//
// Sizes follow GeneratorOptions::mappings: about one group per four mappings,
// one app per 24 groups, four roles per app. Every name is a pure function of
// its index, so nothing is stored per mapping beyond four integers, and the
// config for a million mappings is written without holding a string per id.
//
// With GeneratorOptions::pattern_share, that share of the mappings are prefix,
// glob or regex mappings over the value they would match exactly, and
// template_share of those name their groups from the value (docs/spec.md §16,
// simulator/pattern_mappings.h); every group a template can name is in the
// config, after the other groups. With deny_share > 0 every provider requires
// MFA at login (kMfaRule below).
// Immutable after construction; any number of threads may read it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/generator.h"
#include "simulator/names.h"
#include "simulator/pattern_mappings.h"
#include "simulator/zipf.h"

namespace claimmap::sim {

class TokenSigner;  // simulator/token_signer.h

inline constexpr int kStageCount = 3;  // dev, test, prod
std::string_view stage_name(uint32_t stage);

// The login requirement of `--deny-share` (docs/spec.md §16): MFA, as each
// shape says it — OIDC's `amr` holding "mfa" (RFC 8176), and, from the SAML
// bridge, the assertion's AuthnContextClassRef, which AD FS sets to its
// multi-factor URI after a second factor. (AD FS's own claim type for the
// methods, http://schemas.microsoft.com/claims/authnmethodsreferences, is
// longer than a claim name may be, docs/spec.md §2.)
inline constexpr std::string_view kAmrClaim = "amr";
inline constexpr std::string_view kAmrMfa = "mfa";
inline constexpr std::string_view kAmrPassword = "pwd";
inline constexpr std::string_view kSamlAuthnClaim = "AuthnContextClassRef";
inline constexpr std::string_view kSamlMfa = "http://schemas.microsoft.com/claims/multipleauthn";
inline constexpr std::string_view kSamlPassword = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";

// A mapping that a user's IdP group (a catalog rank) satisfies, and the group
// it then grants: the mapping's, or the one its template names for that rank.
struct RankGrant {
  uint32_t mapping = 0;
  uint32_t group = 0;
};

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
  // What each catalog rank maps to through the active mappings (CSR, by
  // rank), to compute a user's saved state: exact mappings under their
  // rank, a pattern under every rank whose value it matches.
  std::vector<uint32_t> rank_offsets;
  std::vector<RankGrant> rank_grants;
  // The group a template of each kind names for each rank (index
  // TemplateKind - 1), or kNoGroup; empty without templates.
  std::array<std::vector<uint32_t>, 2> template_groups;
};

inline constexpr uint32_t kNoGroup = UINT32_MAX;

struct MappingSpec {
  uint32_t provider = 0;
  uint32_t rank = 0;   // the IdP group (catalog rank) it matches
  uint32_t group = 0;  // the config group it grants
  bool active = true;  // false: the group's stage is outside the OIDC provider's scope
  bool tenant = false;  // Entra's "tid" mapping
  MatchKind match = MatchKind::kExact;  // --pattern-share: a pattern over the rank's value instead
  uint8_t variant = 0;                  // which form of its kind (simulator/pattern_mappings.h)
  bool templated = false;               // --template-share: `group` unused, a template names the groups
};

class Organisation {
 public:
  explicit Organisation(const GeneratorOptions& options);

  uint64_t seed() const { return seed_; }
  const std::vector<ProviderSpec>& providers() const { return providers_; }
  const std::vector<MappingSpec>& mappings() const { return mappings_; }
  // Groups made for mappings (what pushes assign); the config also lists
  // template_group_count() groups that templates name, indices from group_count().
  uint32_t group_count() const { return group_count_; }
  uint32_t template_group_count() const { return static_cast<uint32_t>(template_groups_.size()); }
  uint32_t config_group_count() const { return group_count_ + template_group_count(); }
  uint32_t role_count() const { return app_count_ * kRoleVerbCount; }
  uint32_t app_count() const { return app_count_; }
  uint32_t group_stage(uint32_t group) const {
    return group < group_count_ ? group % kStageCount : template_groups_[group - group_count_].stage;
  }
  // The roles a group grants (1-3, or about GeneratorOptions::roles_per_group;
  // popular roles are shared by many groups).
  const uint32_t* group_roles_begin(uint32_t group) const { return &group_roles_[group_role_offsets_[group]]; }
  const uint32_t* group_roles_end(uint32_t group) const { return &group_roles_[group_role_offsets_[group + 1]]; }
  const std::string& tenant_id() const { return tenant_id_; }
  size_t inactive_mappings() const { return inactive_; }
  // Mappings by match kind, and how many name their groups by template.
  size_t mappings_of_kind(MatchKind kind) const { return kind_counts_[static_cast<int>(kind)]; }
  size_t template_mappings() const { return template_mappings_; }
  // Whether every provider requires MFA at login (GeneratorOptions::deny_share > 0).
  bool requires_mfa() const { return requires_mfa_; }

  // Names, appended to `out`.
  void append_idp_group(uint32_t provider, uint32_t rank, std::string* out) const;  // as the IdP spells it
  void append_group_id(uint32_t group, std::string* out) const;
  void append_role_id(uint32_t role, std::string* out) const;
  void append_app_id(uint32_t app, std::string* out) const;
  void append_mapping_id(uint32_t mapping, std::string* out) const;
  // The pattern of a mapping whose match is not exact.
  PatternMapping pattern_of(uint32_t mapping) const;

  // The docs/spec.md §2 config; with a signer, each provider it signs for
  // also gets its public keys and algorithm (docs/spec.md §15).
  std::string config_json(const TokenSigner* signer = nullptr) const;

 private:
  void add_provider(ProviderShape shape);
  void add_mappings(uint64_t total);
  void build_groups();
  void make_pattern_mapping(uint64_t index, MappingSpec* m);
  void index_ranks(uint32_t provider);
  void ranks_matching(uint32_t provider, uint32_t own_rank, const PatternMapping& pattern,
                      std::vector<uint32_t>* ranks) const;
  uint32_t template_group(uint32_t provider, uint32_t rank, TemplateKind kind);
  void append_provider_json(uint32_t provider, const TokenSigner* signer, std::string* out) const;
  void append_mapping_json(uint32_t mapping, std::string* out) const;

  // A group a template names: the value of `rank` at `provider`, named as
  // `kind` says (pattern_mappings.h), in one of the provider's stages.
  struct TemplateGroup {
    uint32_t provider = 0, rank = 0;
    TemplateKind kind = TemplateKind::kValue;
    uint8_t stage = 0;
  };

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
  uint32_t pattern_per_million_ = 0;   // GeneratorOptions::pattern_share
  uint32_t template_per_million_ = 0;  // GeneratorOptions::template_share
  bool requires_mfa_ = false;
  std::vector<TemplateGroup> template_groups_;
  std::array<size_t, kMatchKindCount> kind_counts_{};
  size_t template_mappings_ = 0;
};

}  // namespace claimmap::sim
