// Dense integer ids for the names of a compiled config.
//
// Names are interned in bytewise order, so sorting ids sorts names: the output's
// "arrays sorted bytewise" rule (docs/spec.md §8) costs an integer sort. Each kind of id
// is its own type so that a GroupId cannot be passed where a RoleId is meant.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

namespace claimmap {

enum class ProviderId : uint32_t {};
enum class GroupId : uint32_t {};
enum class RoleId : uint32_t {};
enum class MappingId : uint32_t {};

// A provider as the user store knows it: interned by the store from the
// provider's id (its name) the first time any config version names it, and
// never reused. Stable across reloads, unlike ProviderId, which is a position
// in one compiled config: a user's record keeps its ProviderKey when the
// providers around it are added or deleted (a deleted provider's users stay
// in the store with their manual memberships, docs/spec.md §7).
enum class ProviderKey : uint32_t {};

template <typename Id>
constexpr uint32_t index_of(Id id) { return static_cast<uint32_t>(id); }

inline constexpr uint32_t kNoIndex = std::numeric_limits<uint32_t>::max();

// A mapped membership and the mapping that justifies it (its provenance).
struct MappedPair {
  GroupId group;
  MappingId mapping;
  friend bool operator==(const MappedPair&, const MappedPair&) = default;
  friend bool operator<(const MappedPair& a, const MappedPair& b) {
    return a.group != b.group ? a.group < b.group : a.mapping < b.mapping;
  }
};

// A pair a login matched and a claim value (or part) that matched it, for
// `--explain` (docs/spec.md §17). The value views the login's parsed claims.
struct ValuedPair {
  MappedPair pair;
  std::string_view value;
  friend bool operator<(const ValuedPair& a, const ValuedPair& b) {
    return a.pair < b.pair || (a.pair == b.pair && a.value < b.value);
  }
};

}  // namespace claimmap
