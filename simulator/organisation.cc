#include "simulator/organisation.h"

#include <algorithm>
#include <array>

#include "simulator/names.h"
#include "simulator/prng.h"
#include "simulator/token_signer.h"

namespace claimmap::sim {
namespace {

constexpr std::array<std::string_view, kStageCount> kStages = {"dev", "test", "prod"};
constexpr uint32_t kDev = 1, kTest = 2, kProd = 4;
constexpr uint32_t kAllStages = kDev | kTest | kProd;

// Hash domains, so that two uses of one index never share random bits.
enum Domain : uint64_t { kMappingDomain = 1, kGroupDomain, kRoleDomain, kTenantDomain, kCatalogDomain, kTemplateDomain };

// Shares of users and of mappings for each shape: Entra dominates enterprise
// logins; the others are the long tail a platform team also has to serve.
constexpr std::array<uint32_t, kProviderShapeCount> kShapeWeight = {40, 20, 15, 15, 10};
constexpr uint32_t kInactivePercent = 2;  // OIDC mappings aimed at a stage outside the scope
constexpr uint32_t kDuplicateValueEvery = 20;  // every 20th mapping reuses the previous IdP group

uint32_t groups_in_stage(uint32_t group_count, uint32_t stage) { return (group_count - stage + 2) / kStageCount; }

// A share as an integer count per million, so that only integer arithmetic
// decides which mappings are patterns.
uint32_t per_million(double share) { return static_cast<uint32_t>(std::clamp(share, 0.0, 1.0) * 1e6 + 0.5); }

// How many of the first n items a share picks when it picks them evenly
// (item i is picked when the count grows from i to i+1).
uint64_t picked_before(uint64_t n, uint32_t share_per_million) { return n * share_per_million / 1'000'000; }
bool picked(uint64_t i, uint32_t share_per_million) {
  return picked_before(i + 1, share_per_million) > picked_before(i, share_per_million);
}

uint64_t power_of_ten(size_t exponent) {
  uint64_t p = 1;
  while (exponent-- > 0) p *= 10;
  return p;
}

// A mapping's value or group: the simulator's text holds no control
// characters, only backslashes (regexes) and, in principle, quotes to escape.
void append_json_text(std::string* out, std::string_view text) {
  for (char c : text) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
}

}  // namespace

std::string_view stage_name(uint32_t stage) { return kStages[stage]; }

Organisation::Organisation(const GeneratorOptions& options)
    : seed_(options.seed),
      pattern_per_million_(per_million(options.pattern_share)),
      template_per_million_(per_million(options.template_share)),
      requires_mfa_(options.deny_share > 0) {
  for (int s = 0; s < kProviderShapeCount; ++s) {
    if (options.shapes[s]) add_provider(static_cast<ProviderShape>(s));
  }
  if (providers_.empty()) add_provider(ProviderShape::kEntra);
  const uint64_t total = std::max<uint64_t>(options.mappings, providers_.size());
  group_count_ = static_cast<uint32_t>(std::max<uint64_t>(12, total / 4));
  roles_per_group_ = std::min<uint32_t>(options.roles_per_group, 64);
  groups_per_value_ = std::clamp<uint32_t>(options.groups_per_value, 1, 64);
  app_count_ = std::max<uint32_t>(3, group_count_ / (roles_per_group_ > 0 ? 8 : 24));
  std::string tenant;
  append_guid(&tenant, mix64(hash_of(seed_, kTenantDomain)), hash_of(seed_, kTenantDomain, 1));
  tenant_id_ = tenant;
  for (auto& p : providers_) {
    if (p.shape == ProviderShape::kEntra) p.issuer = "https://login.microsoftonline.com/" + tenant_id_ + "/v2.0";
  }
  build_groups();
  add_mappings(total);
}

void Organisation::add_provider(ProviderShape shape) {
  ProviderSpec p;
  p.shape = shape;
  p.user_weight = kShapeWeight[static_cast<int>(shape)];
  switch (shape) {
    case ProviderShape::kEntra:
      p.id = "entra", p.subject_claim = "oid", p.claim = "groups", p.scope_mask = kTest | kProd;
      break;
    case ProviderShape::kOkta:
      p.id = "okta", p.issuer = "https://contoso.okta.com/oauth2/default", p.subject_claim = "sub";
      p.claim = "groups", p.scope_mask = kAllStages, p.organization_scope = true;
      break;
    case ProviderShape::kKeycloak:
      p.id = "keycloak", p.issuer = "https://sso.contoso.example/realms/corp", p.subject_claim = "sub";
      p.claim = "/realm_access/roles", p.scope_mask = kDev | kTest;
      break;
    case ProviderShape::kSaml:
      p.id = "adfs", p.subject_claim = "NameID", p.claim = "memberOf", p.delimiter = ";";
      p.scope_mask = kDev | kProd;
      break;
    case ProviderShape::kAuth0:
      p.id = "auth0", p.issuer = "https://contoso.eu.auth0.com/", p.subject_claim = "sub";
      p.claim = "https://claimmap.example/roles", p.scope_mask = kProd;
      break;
  }
  providers_.push_back(std::move(p));
}

void Organisation::build_groups() {
  // A group serves one app at one stage with 1-3 roles: the app's role at the
  // group's level, often the viewer role too, and sometimes a popular shared
  // role (a wiki, the VPN), so that revoking one group rarely revokes a role.
  const uint32_t roles = role_count();
  const ZipfSampler role_popularity(roles);
  group_role_offsets_.reserve(group_count_ + 1);
  group_app_.resize(group_count_);
  group_role_offsets_.push_back(0);
  for (uint32_t g = 0; g < group_count_; ++g) {
    KeyedStream s(hash_of(seed_, kGroupDomain, g));
    const uint32_t app = static_cast<uint32_t>(bounded(s.next(), app_count_));
    group_app_[g] = app;
    const uint64_t level = bounded(s.next(), 100);
    const uint32_t verb = level < 50 ? 0 : level < 80 ? 1 : level < 92 ? 2 : 3;
    const size_t start = group_roles_.size();
    group_roles_.push_back(app * kRoleVerbCount + verb);
    if (roles_per_group_ > 0) {
      // Many roles a group (--roles-per-group): 1 … 2r-1 of them, mean r, half
      // from its own app, half popular ones shared across the organisation.
      const uint32_t want = 1 + static_cast<uint32_t>(bounded(s.next(), 2 * roles_per_group_ - 1));
      for (int attempt = 0; group_roles_.size() - start < want && attempt < 8 * static_cast<int>(want); ++attempt) {
        const uint32_t r = bounded(s.next(), 2) == 0 ? app * kRoleVerbCount + static_cast<uint32_t>(bounded(s.next(), kRoleVerbCount))
                                                     : role_popularity.draw(s.next());
        if (std::find(group_roles_.begin() + start, group_roles_.end(), r) == group_roles_.end()) {
          group_roles_.push_back(r);
        }
      }
      group_role_offsets_.push_back(static_cast<uint32_t>(group_roles_.size()));
      continue;
    }
    if (verb > 0 && bounded(s.next(), 4) == 0) group_roles_.push_back(app * kRoleVerbCount);
    if (bounded(s.next(), 2) == 0) {
      const uint32_t shared = role_popularity.draw(s.next());
      if (std::find(group_roles_.begin() + start, group_roles_.end(), shared) == group_roles_.end()) {
        group_roles_.push_back(shared);
      }
    }
    group_role_offsets_.push_back(static_cast<uint32_t>(group_roles_.size()));
  }
}

void Organisation::add_mappings(uint64_t total) {
  uint64_t weight_sum = 0;
  for (const auto& p : providers_) weight_sum += p.user_weight;
  uint64_t left = total;
  for (size_t pi = 0; pi < providers_.size(); ++pi) {
    ProviderSpec& p = providers_[pi];
    const uint64_t share =
        pi + 1 == providers_.size() ? left : std::max<uint64_t>(1, total * p.user_weight / weight_sum);
    left -= std::min(left, share);
    p.first_mapping = static_cast<uint32_t>(mappings_.size());
    p.mapping_count = static_cast<uint32_t>(share);
    // Half the IdP's groups are mapped (even ranks), spread over popularity,
    // so tokens also carry groups no mapping reads, as real ones do.
    // With --groups-per-value k, k consecutive mappings share one IdP group.
    const uint64_t values = (share + groups_per_value_ - 1) / groups_per_value_;
    p.catalog_size = static_cast<uint32_t>(std::max<uint64_t>(2 * values + 2, 600));
    p.popularity = ZipfSampler(p.catalog_size);
    std::array<uint32_t, kStageCount> in_scope{}, out_of_scope{};
    size_t in_count = 0, out_count = 0;
    for (uint32_t s = 0; s < kStageCount; ++s) {
      if (p.scope_mask & (1u << s)) in_scope[in_count++] = s;
      else out_of_scope[out_count++] = s;
    }
    const bool oidc = p.shape != ProviderShape::kSaml;
    uint32_t first_local = 0;
    if (p.shape == ProviderShape::kEntra) {
      // Every Entra token carries the tenant id: one mapping gives all staff a group.
      p.tenant_mapping = static_cast<int64_t>(mappings_.size());
      mappings_.push_back({static_cast<uint32_t>(pi), 0, 2 /* a prod group */, true, true});
      first_local = 1;
    }
    for (uint32_t k = first_local; k < share; ++k) {
      KeyedStream s(hash_of(seed_, kMappingDomain, (uint64_t{static_cast<uint32_t>(pi)} << 32) | k));
      const uint32_t j = k - first_local;
      MappingSpec m;
      m.provider = static_cast<uint32_t>(pi);
      m.rank = groups_per_value_ > 1 ? 2 * (j / groups_per_value_)
                                     : 2 * (j % kDuplicateValueEvery == kDuplicateValueEvery - 1 ? j - 1 : j);
      m.active = !(oidc && out_count > 0 && bounded(s.next(), 100) < kInactivePercent);
      const uint32_t stage = m.active ? in_scope[bounded(s.next(), in_count)] : out_of_scope[bounded(s.next(), out_count)];
      m.group = stage + kStageCount * static_cast<uint32_t>(bounded(s.next(), groups_in_stage(group_count_, stage)));
      // --pattern-share: picked evenly over the provider's mappings (no
      // random draw, so that the other mappings stay as they were).
      if (picked(j, pattern_per_million_)) make_pattern_mapping(picked_before(j, pattern_per_million_), &m);
      if (!m.active) ++inactive_;
      mappings_.push_back(m);
    }
    for (uint32_t m = p.first_mapping; m < p.first_mapping + p.mapping_count; ++m) {
      ++kind_counts_[static_cast<int>(mappings_[m].match)];
    }
    index_ranks(static_cast<uint32_t>(pi));
  }
}

void Organisation::make_pattern_mapping(uint64_t ordinal, MappingSpec* m) {
  // Prefix, glob and regex in turn, and each kind's forms in turn, so that
  // a config holds every form in about equal numbers.
  static constexpr std::array<MatchKind, 3> kKinds = {MatchKind::kPrefix, MatchKind::kGlob, MatchKind::kRegex};
  m->match = kKinds[ordinal % kKinds.size()];
  const uint32_t forms = pattern_variant_count(providers_[m->provider].shape, m->match);
  m->variant = static_cast<uint8_t>((ordinal / kKinds.size()) % forms);
  m->templated = picked(ordinal, template_per_million_);
  if (m->templated) {
    // Its groups are made in the provider's scope, and a template mapping
    // is never inactive (docs/spec.md §16), whatever group it was drawn.
    m->active = true;
    ++template_mappings_;
  }
}

void Organisation::index_ranks(uint32_t pi) {
  // Exact mappings under their own rank; a pattern under every rank whose
  // value it matches (found first: that can make template groups).
  struct PatternGrant {
    uint32_t rank;
    RankGrant grant;
  };
  std::vector<PatternGrant> pattern_grants;
  std::vector<uint32_t> matched;
  const uint32_t first = providers_[pi].first_mapping, end = first + providers_[pi].mapping_count;
  for (uint32_t i = first; i < end; ++i) {
    const MappingSpec& m = mappings_[i];
    if (!m.active || m.tenant || m.match == MatchKind::kExact) continue;
    const PatternMapping pattern = pattern_of(i);
    ranks_matching(pi, m.rank, pattern, &matched);
    for (uint32_t r : matched) {
      const uint32_t group = m.templated ? template_group(pi, r, pattern.template_kind) : m.group;
      pattern_grants.push_back({r, {i, group}});
    }
  }
  ProviderSpec& p = providers_[pi];
  const auto exact = [&](uint32_t i) {
    return mappings_[i].active && !mappings_[i].tenant && mappings_[i].match == MatchKind::kExact;
  };
  p.rank_offsets.assign(p.catalog_size + 1, 0);
  for (uint32_t i = first; i < end; ++i) {
    if (exact(i)) ++p.rank_offsets[mappings_[i].rank + 1];
  }
  for (const PatternGrant& g : pattern_grants) ++p.rank_offsets[g.rank + 1];
  for (uint32_t r = 0; r < p.catalog_size; ++r) p.rank_offsets[r + 1] += p.rank_offsets[r];
  p.rank_grants.resize(p.rank_offsets.back());
  std::vector<uint32_t> fill(p.rank_offsets.begin(), p.rank_offsets.end() - 1);
  for (uint32_t i = first; i < end; ++i) {
    if (exact(i)) p.rank_grants[fill[mappings_[i].rank]++] = {i, mappings_[i].group};
  }
  for (const PatternGrant& g : pattern_grants) p.rank_grants[fill[g.rank]++] = g.grant;
}

void Organisation::ranks_matching(uint32_t pi, uint32_t own_rank, const PatternMapping& pattern,
                                  std::vector<uint32_t>* ranks) const {
  const ProviderSpec& p = providers_[pi];
  const uint64_t catalog = p.catalog_size;
  ranks->clear();
  // The ranks whose number could match: Okta pads numbers to five digits
  // (append_idp_group), the others write them as they are, so the numbers
  // written with `length` digits start at 0 or at 10^(length-1).
  const size_t width = p.shape == ProviderShape::kOkta ? 5 : 1;
  const auto first_of_length = [&](size_t length) { return length == width ? 0 : power_of_ten(length - 1); };
  switch (pattern.candidates) {
    case Candidates::kOwn:
      ranks->push_back(own_rank);
      break;
    case Candidates::kLastDigit: {
      const size_t length = pattern.digits.size();
      const uint64_t low = first_of_length(length), high = std::min(power_of_ten(length), catalog);
      for (uint64_t r = own_rank - own_rank % 10; r < own_rank - own_rank % 10 + 10; ++r) {
        if (r >= low && r < high) ranks->push_back(static_cast<uint32_t>(r));
      }
      break;
    }
    case Candidates::kDigitPrefix: {
      // Numbers that start with the kept digits, at every length up to the catalog's.
      uint64_t kept = 0;
      for (char c : pattern.digits) kept = kept * 10 + static_cast<uint64_t>(c - '0');
      for (size_t length = std::max(width, pattern.digits.size()); length <= 10; ++length) {
        const uint64_t scale = power_of_ten(length - pattern.digits.size());
        const uint64_t low = std::max(kept * scale, first_of_length(length));
        if (low >= catalog) break;
        const uint64_t high = std::min({(kept + 1) * scale, power_of_ten(length), catalog});
        for (uint64_t r = low; r < high; ++r) ranks->push_back(static_cast<uint32_t>(r));
      }
      break;
    }
  }
  // Of those, the values the pattern matches (the words must be the same too).
  std::string value;
  size_t kept = 0;
  for (uint32_t r : *ranks) {
    value.clear();
    append_idp_group(pi, r, &value);
    if (glob_matches(pattern.glob, value)) (*ranks)[kept++] = r;
  }
  ranks->resize(kept);
}

uint32_t Organisation::template_group(uint32_t pi, uint32_t rank, TemplateKind kind) {
  ProviderSpec& p = providers_[pi];
  std::vector<uint32_t>& by_rank = p.template_groups[static_cast<int>(kind) - 1];
  if (by_rank.empty()) by_rank.assign(p.catalog_size, kNoGroup);
  if (by_rank[rank] != kNoGroup) return by_rank[rank];
  // In one of the provider's stages (so that the template grants it), with
  // the roles of a group drawn from the others.
  KeyedStream s(hash_of(seed_, kTemplateDomain, (uint64_t{pi} << 34) | (uint64_t{rank} << 2) | static_cast<uint64_t>(kind)));
  std::array<uint32_t, kStageCount> in_scope{};
  size_t in_count = 0;
  for (uint32_t stage = 0; stage < kStageCount; ++stage) {
    if (p.scope_mask & (1u << stage)) in_scope[in_count++] = stage;
  }
  const uint8_t stage = static_cast<uint8_t>(in_scope[bounded(s.next(), in_count)]);
  const uint32_t like = static_cast<uint32_t>(bounded(s.next(), group_count_));
  for (uint32_t i = group_role_offsets_[like]; i < group_role_offsets_[like + 1]; ++i) {
    const uint32_t role = group_roles_[i];
    group_roles_.push_back(role);
  }
  group_role_offsets_.push_back(static_cast<uint32_t>(group_roles_.size()));
  template_groups_.push_back({pi, rank, kind, stage});
  return by_rank[rank] = group_count_ + static_cast<uint32_t>(template_groups_.size() - 1);
}

PatternMapping Organisation::pattern_of(uint32_t mapping) const {
  const MappingSpec& m = mappings_[mapping];
  const ProviderSpec& p = providers_[m.provider];
  std::string own;
  append_idp_group(m.provider, m.rank, &own);
  return make_pattern(p.shape, p.id, own, m.match, m.variant, m.templated);
}

void Organisation::append_idp_group(uint32_t provider, uint32_t rank, std::string* out) const {
  const ProviderSpec& p = providers_[provider];
  const uint64_t h = hash_of(seed_, kCatalogDomain, (uint64_t{provider} << 32) | rank);
  switch (p.shape) {
    case ProviderShape::kEntra:  // object ids of directory groups
      append_guid(out, mix64(rank ^ hash_of(seed_, kCatalogDomain, provider)), h);
      return;
    case ProviderShape::kOkta:  // "Sales-EMEA-00042"
      out->append(department_word(h));
      out->push_back('-');
      out->append(region_word(h >> 8));
      out->push_back('-');
      append_padded(out, rank, 5);
      return;
    case ProviderShape::kKeycloak:  // realm roles: "crm-editor-42"
    case ProviderShape::kAuth0:     // permissions: "crm:editor:42"
    {
      const char sep = p.shape == ProviderShape::kKeycloak ? '-' : ':';
      append_lower(out, app_word(h));
      out->push_back(sep);
      append_lower(out, role_verb(static_cast<uint32_t>(h >> 8)));
      out->push_back(sep);
      append_uint(out, rank);
      return;
    }
    case ProviderShape::kSaml:  // Active Directory distinguished names
      out->append("CN=");
      out->append(department_word(h));
      out->push_back(' ');
      out->append(region_word(h >> 8));
      out->push_back(' ');
      append_uint(out, rank);
      out->append(",OU=Groups,DC=corp,DC=contoso,DC=example");
      return;
  }
}

void Organisation::append_app_id(uint32_t app, std::string* out) const {
  out->append(app_word(app));
  if (app >= kAppWordCount) append_uint(out, app / kAppWordCount + 1);
}

void Organisation::append_role_id(uint32_t role, std::string* out) const {
  append_app_id(role / kRoleVerbCount, out);
  out->push_back('.');
  out->append(role_verb(role % kRoleVerbCount));
}

void Organisation::append_group_id(uint32_t group, std::string* out) const {
  if (group >= group_count_) {
    const TemplateGroup& t = template_groups_[group - group_count_];
    std::string value;
    append_idp_group(t.provider, t.rank, &value);
    return append_template_group_id(providers_[t.provider].id, value, t.kind, out);
  }
  out->append(stage_name(group_stage(group)));
  out->push_back('-');
  const uint32_t app = group_app_[group];
  append_lower(out, app_word(app));
  if (app >= kAppWordCount) append_uint(out, app / kAppWordCount + 1);
  out->push_back('-');
  append_lower(out, department_word(mix64(hash_of(seed_, kGroupDomain, group))));
  out->push_back('-');
  append_padded(out, group, 5);
}

void Organisation::append_mapping_id(uint32_t mapping, std::string* out) const {
  const MappingSpec& m = mappings_[mapping];
  const ProviderSpec& p = providers_[m.provider];
  out->append(p.id);
  if (m.tenant) {
    out->append("-tenant");
    return;
  }
  out->push_back('-');
  append_padded(out, mapping - p.first_mapping, 5);
}

void Organisation::append_provider_json(uint32_t i, const TokenSigner* signer, std::string* out) const {
  const ProviderSpec& p = providers_[i];
  out->append("    {\"id\": \"").append(p.id).append("\", \"type\": \"");
  out->append(p.shape == ProviderShape::kSaml ? "saml" : "oidc").append("\"");
  if (!p.issuer.empty()) out->append(", \"issuer\": \"").append(p.issuer).append("\"");
  if (p.organization_scope) {
    out->append(", \"scope\": \"organization\"");
  } else {
    out->append(", \"scope\": [");
    bool first = true;
    for (uint32_t s = 0; s < kStageCount; ++s) {
      if (!(p.scope_mask & (1u << s))) continue;
      out->append(first ? "\"" : ", \"").append(stage_name(s)).append("\"");
      first = false;
    }
    out->append("]");
  }
  if (p.subject_claim != "sub") out->append(", \"subject_claim\": \"").append(p.subject_claim).append("\"");
  if (requires_mfa_) {  // kAmrClaim (organisation.h)
    out->append(", \"require\": [{\"claim\": \"");
    if (p.shape == ProviderShape::kSaml) {
      out->append(kSamlAuthnClaim).append("\", \"value\": \"").append(kSamlMfa).append("\"}]");
    } else {
      out->append(kAmrClaim).append("\", \"value\": \"").append(kAmrMfa).append("\"}]");
    }
  }
  if (signer && signer->signs(i)) signer->append_config_members(i, out);
  out->append(i + 1 < providers_.size() ? "},\n" : "}\n");
}

void Organisation::append_mapping_json(uint32_t i, std::string* out) const {
  const MappingSpec& m = mappings_[i];
  const ProviderSpec& p = providers_[m.provider];
  const PatternMapping pattern = m.match == MatchKind::kExact ? PatternMapping{} : pattern_of(i);
  out->append("    {\"id\": \"");
  append_mapping_id(i, out);
  out->append("\", \"provider\": \"").append(p.id).append("\", \"claim\": \"");
  if (m.tenant) {
    out->append("tid\", \"value\": \"").append(tenant_id_);
  } else {
    out->append(p.claim).append("\", \"value\": \"");
    if (m.match == MatchKind::kExact) append_idp_group(m.provider, m.rank, out);
    else append_json_text(out, pattern.value);
  }
  out->push_back('"');
  if (!p.delimiter.empty() && !m.tenant) out->append(", \"delimiter\": \"").append(p.delimiter).append("\"");
  if (m.match != MatchKind::kExact) out->append(", \"match\": \"").append(match_kind_name(m.match)).append("\"");
  out->append(", \"group\": \"");
  if (m.templated) append_json_text(out, pattern.group);
  else append_group_id(m.group, out);
  out->append(i + 1 < mappings_.size() ? "\"},\n" : "\"}\n");
}

std::string Organisation::config_json(const TokenSigner* signer) const {
  std::string out;
  out.reserve(200 * mappings_.size() + 100 * config_group_count() + 4096);
  out.append("{\n  \"version\": 1,\n  \"stages\": [\"dev\", \"test\", \"prod\"],\n  \"providers\": [\n");
  for (uint32_t i = 0; i < providers_.size(); ++i) append_provider_json(i, signer, &out);
  out.append("  ],\n  \"roles\": [\n");
  for (uint32_t r = 0; r < role_count(); ++r) {
    out.append("    {\"id\": \"");
    append_role_id(r, &out);
    out.append("\", \"app\": \"");
    append_app_id(r / kRoleVerbCount, &out);
    out.append(r + 1 < role_count() ? "\"},\n" : "\"}\n");
  }
  out.append("  ],\n  \"groups\": [\n");
  // The groups templates name come last (Organisation::template_group).
  const uint32_t groups = config_group_count();
  std::string id;
  for (uint32_t g = 0; g < groups; ++g) {
    out.append("    {\"id\": \"");
    id.clear();
    append_group_id(g, &id);
    append_json_text(&out, id);
    out.append("\", \"stage\": \"").append(stage_name(group_stage(g))).append("\", \"roles\": [");
    for (const uint32_t* r = group_roles_begin(g); r != group_roles_end(g); ++r) {
      out.append(r == group_roles_begin(g) ? "\"" : ", \"");
      append_role_id(*r, &out);
      out.push_back('"');
    }
    out.append(g + 1 < groups ? "]},\n" : "]}\n");
  }
  out.append("  ],\n  \"mappings\": [\n");
  for (uint32_t i = 0; i < mappings_.size(); ++i) append_mapping_json(i, &out);
  out.append("  ]\n}\n");
  return out;
}

}  // namespace claimmap::sim
