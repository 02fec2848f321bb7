// simulator/population.h — the users: who they are, which IdP groups they
// are in, and how that drifts.
//
// Nothing is stored per user: a user's provider, subject, name and groups
// are pure functions of (seed, user index, drift version). Version 0 is the
// user's groups as saved in the initial state; each later version applies one
// drift step (join a group, leave one, or move from one to another), so a
// login at version v sees v steps of churn since the dataset began.
// Immutable; any number of threads may call it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/organisation.h"

namespace claimmap::sim {

// Entra ID puts at most 200 groups in a token; beyond that it sends
// `_claim_names` instead (overage, docs/spec.md §4).
inline constexpr uint32_t kEntraGroupLimit = 200;

// Tokens in the stream are issued from this moment (2025-01-01T07:00:00Z),
// 50 a second; saved state is from the week before.
inline constexpr uint32_t kStreamStartIat = 1735714800;

class Population {
 public:
  Population(const Organisation& org, const GeneratorOptions& options);

  uint64_t size() const { return users_; }
  uint32_t provider(uint32_t user) const;
  // The subject, as the provider's subject claim spells it (unique per user).
  void append_subject(uint32_t user, std::string* out) const;
  // The user's IdP groups (catalog ranks of their provider) at `version`.
  void groups_at(uint32_t user, uint16_t version, std::vector<uint32_t>* ranks) const;
  // Whether a token with `count` groups leaves them out (Entra overage).
  bool overage(uint32_t user, size_t count) const;
  // The highest iat of the user's saved state.
  uint32_t initial_iat(uint32_t user) const;
  // The user's docs/spec.md §9 state line (ending in '\n'): what a login at version
  // 0 maps. `ranks` is scratch.
  void append_state_line(uint32_t user, std::vector<uint32_t>* ranks, std::string* out) const;

  const Organisation& organisation() const { return org_; }

 private:
  uint32_t group_count(uint32_t user, const ProviderSpec& p) const;
  uint32_t draw_new(const ProviderSpec& p, KeyedStream* s, const std::vector<uint32_t>& have) const;

  const Organisation& org_;
  uint64_t seed_;
  uint64_t users_;
  uint32_t groups_per_token_;
  uint32_t spread_below_, spread_above_;  // the count's range around the mean
  uint32_t drift_per_mille_;              // GeneratorOptions::drift_share, in 1/1000
  std::vector<uint32_t> provider_cumulative_weight_;
};

}  // namespace claimmap::sim
