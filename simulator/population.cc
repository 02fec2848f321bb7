#include "simulator/population.h"

#include <algorithm>

#include "simulator/names.h"
#include "simulator/prng.h"

namespace claimmap::sim {
namespace {

enum Domain : uint64_t {
  kProviderDomain = 101,
  kCountDomain,
  kBaseDomain,
  kDriftDomain,
  kIatDomain,
  kSubjectDomain,
  kFreshDomain
};

constexpr uint32_t kBigUserPerMille = 3;  // users in 150-300 groups: some overflow Entra's token
constexpr uint32_t kOktaGroupLimit = 100;  // Okta caps the groups claim at 100
constexpr uint32_t kSavedStateWindow = 7 * 86400;

}  // namespace

Population::Population(const Organisation& org, const GeneratorOptions& options)
    : org_(org),
      seed_(options.seed),
      users_(options.users),
      groups_per_token_(std::clamp<uint32_t>(options.groups_per_token, 1, kEntraGroupLimit)) {
  // Per mille, rounded, so that only integer arithmetic decides a count.
  const auto per_mille = [](double share) {
    return static_cast<uint32_t>(std::clamp(share, 0.0, 1.0) * 1000 + 0.5);
  };
  const uint32_t spread = per_mille(options.group_spread);
  spread_below_ = (groups_per_token_ * spread + 999) / 1000;  // 0.5: ceil(g/2), as before the knob
  spread_above_ = groups_per_token_ * spread / 1000;
  drift_per_mille_ = per_mille(options.drift_share);
  uint32_t sum = 0;
  for (const auto& p : org_.providers()) provider_cumulative_weight_.push_back(sum += p.user_weight);
}

uint32_t Population::provider(uint32_t user) const {
  const uint64_t pick = bounded(hash_of(seed_, kProviderDomain, user), provider_cumulative_weight_.back());
  uint32_t p = 0;
  while (pick >= provider_cumulative_weight_[p]) ++p;
  return p;
}

void Population::append_subject(uint32_t user, std::string* out) const {
  const ProviderSpec& p = org_.providers()[provider(user)];
  // The bijective mix of the user index keeps every subject unique.
  const uint64_t unique = mix64(user ^ hash_of(seed_, kSubjectDomain, static_cast<uint64_t>(p.shape)));
  const uint64_t extra = hash_of(seed_, kSubjectDomain, user);
  switch (p.shape) {
    case ProviderShape::kEntra:
    case ProviderShape::kKeycloak:
      append_guid(out, unique, extra);
      return;
    case ProviderShape::kOkta:
      out->append("00u");
      append_base62_number(out, unique, 11);
      append_base62(out, extra, 6);
      return;
    case ProviderShape::kSaml: {
      const PersonName n = person_name(extra);
      out->append(n.first_ascii).push_back('.');
      out->append(n.last_ascii).push_back('.');
      append_uint(out, user);
      out->append("@contoso.example");
      return;
    }
    case ProviderShape::kAuth0:
      out->append("auth0|");
      for (int i = 15; i >= 0; --i) out->push_back("0123456789abcdef"[(unique >> (4 * i)) & 15]);
      append_hex(out, extra, 8);
      return;
  }
}

uint32_t Population::group_count(uint32_t user, const ProviderSpec& p) const {
  KeyedStream s(hash_of(seed_, kCountDomain, user));
  uint32_t n;
  if (p.shape == ProviderShape::kEntra && bounded(s.next(), 1000) < kBigUserPerMille) {
    n = 150 + static_cast<uint32_t>(bounded(s.next(), 151));
  } else {
    // Uniform over [g - below, g + above] (at least 1): with the default
    // spread [g/2, 3g/2], mean g, and no token exactly like the next.
    const uint32_t low = std::max<uint32_t>(1, groups_per_token_ - spread_below_);
    n = low + static_cast<uint32_t>(bounded(s.next(), spread_below_ + spread_above_ + 1));
  }
  if (p.shape == ProviderShape::kOkta) n = std::min(n, kOktaGroupLimit);
  return std::min(n, p.catalog_size / 2);
}

uint32_t Population::draw_new(const ProviderSpec& p, KeyedStream* s, const std::vector<uint32_t>& have) const {
  // Popular groups are drawn again and again; give up on popularity after a
  // few tries rather than loop (only near-complete catalogs get there).
  for (int attempt = 0; attempt < 64; ++attempt) {
    const uint32_t r = p.popularity.draw(s->next());
    if (std::find(have.begin(), have.end(), r) == have.end()) return r;
  }
  for (uint32_t r = static_cast<uint32_t>(bounded(s->next(), p.catalog_size));; r = (r + 1) % p.catalog_size) {
    if (std::find(have.begin(), have.end(), r) == have.end()) return r;
  }
}

void Population::groups_at(uint32_t user, uint16_t version, std::vector<uint32_t>* ranks) const {
  const ProviderSpec& p = org_.providers()[provider(user)];
  ranks->clear();
  const uint32_t n = group_count(user, p);
  if (drift_per_mille_ >= 1000 && version > 0) {
    // Every drift is a fresh draw: the groups at this version owe nothing to
    // the earlier ones (beyond popularity, which brings some back).
    KeyedStream fresh(hash_of(seed_, kFreshDomain, (uint64_t{user} << 16) | version));
    while (ranks->size() < n) ranks->push_back(draw_new(p, &fresh, *ranks));
    return;
  }
  KeyedStream base(hash_of(seed_, kBaseDomain, user));
  while (ranks->size() < n) ranks->push_back(draw_new(p, &base, *ranks));
  if (drift_per_mille_ > 0) {
    // Each step moves this share of the groups (at least one) to others.
    for (uint32_t step = 1; step <= version; ++step) {
      KeyedStream s(hash_of(seed_, kDriftDomain, (uint64_t{user} << 16) | step));
      const size_t moves = std::max<size_t>(1, ranks->size() * drift_per_mille_ / 1000);
      for (size_t k = 0; k < moves; ++k) {
        const size_t slot = bounded(s.next(), ranks->size());
        (*ranks)[slot] = draw_new(p, &s, *ranks);
      }
    }
    return;
  }
  for (uint32_t step = 1; step <= version; ++step) {
    KeyedStream s(hash_of(seed_, kDriftDomain, (uint64_t{user} << 16) | step));
    const uint64_t op = bounded(s.next(), 3);
    if (op == 0 && ranks->size() < p.catalog_size / 2) {  // joins a group
      ranks->push_back(draw_new(p, &s, *ranks));
    } else if (op == 1 && ranks->size() > 1) {  // leaves one
      ranks->erase(ranks->begin() + static_cast<ptrdiff_t>(bounded(s.next(), ranks->size())));
    } else {  // moves from one group to another
      const size_t slot = bounded(s.next(), ranks->size());
      (*ranks)[slot] = draw_new(p, &s, *ranks);
    }
  }
}

bool Population::overage(uint32_t user, size_t count) const {
  return count > kEntraGroupLimit && org_.providers()[provider(user)].shape == ProviderShape::kEntra;
}

uint32_t Population::initial_iat(uint32_t user) const {
  return kStreamStartIat - 3600 - static_cast<uint32_t>(bounded(hash_of(seed_, kIatDomain, user), kSavedStateWindow));
}

void Population::append_state_line(uint32_t user, std::vector<uint32_t>* ranks, std::string* out) const {
  const uint32_t pi = provider(user);
  const ProviderSpec& p = org_.providers()[pi];
  groups_at(user, 0, ranks);
  // (group, mapping) pairs of every active mapping the groups match, grouped
  // by group: the "mapped" object with its provenance.
  thread_local std::vector<std::pair<uint32_t, uint32_t>> pairs;
  pairs.clear();
  if (p.tenant_mapping >= 0) {
    const auto m = static_cast<uint32_t>(p.tenant_mapping);
    pairs.emplace_back(org_.mappings()[m].group, m);
  }
  for (uint32_t r : *ranks) {
    for (uint32_t i = p.rank_offsets[r]; i < p.rank_offsets[r + 1]; ++i) {
      pairs.emplace_back(p.rank_grants[i].group, p.rank_grants[i].mapping);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  out->append("{\"provider\": \"").append(p.id).append("\", \"subject\": \"");
  append_subject(user, out);
  out->append("\", \"mapped\": {");
  for (size_t i = 0; i < pairs.size(); ++i) {
    const bool new_group = i == 0 || pairs[i].first != pairs[i - 1].first;
    if (new_group) {
      if (i > 0) out->append("], ");
      out->push_back('"');
      org_.append_group_id(pairs[i].first, out);
      out->append("\": [\"");
    } else {
      out->append(", \"");
    }
    org_.append_mapping_id(pairs[i].second, out);
    out->push_back('"');
  }
  if (!pairs.empty()) out->push_back(']');
  out->append("}, \"manual\": [], \"direct_roles\": [], \"last_iat\": ");
  append_uint(out, initial_iat(user));
  out->append(", \"suspended\": false}\n");
}

}  // namespace claimmap::sim
