// The compiled form of a config: immutable lookup tables shared by every
// thread that evaluates logins (built once by compiler.cc, never modified; a
// reload builds a new one). Names are interned in bytewise order (engine/common/ids.h).
//
// Matching a login walks: provider → its claims (each located once in the
// token) → per delimiter, a hash table from claim value to the (group, mapping)
// pairs it grants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/container/flat_map.hpp>

#include "claimmap/config.h"
#include "engine/config/config_model.h"
#include "engine/common/ids.h"
#include "engine/common/flat_string_map.h"
#include "engine/common/name_index.h"
#include "engine/common/string_map.h"
#include "engine/common/value_index.h"
#include "engine/match/pattern_table.h"

namespace claimmap {

// The engine-internal view of a public Config: its compiled tables, and a
// Config made from them. Only the engine (and its benchmarks) use it.
class ConfigAccess {
 public:
  static const CompiledConfig& compiled(const Config& config) { return *config.compiled_; }
  static const std::shared_ptr<const CompiledConfig>& shared(const Config& config) { return config.compiled_; }
  static Config make(std::shared_ptr<const CompiledConfig> compiled) { return Config(std::move(compiled)); }
};

// The claim paths that any provider's subject, issuer or mappings read, as a
// trie from the claims object down. The event parser walks a token once and
// records the values found at the nodes marked `captured`.
struct CaptureTrie {
  struct Node {
    boost::container::flat_map<std::string, uint32_t, std::less<>> children;  // while building
    // The same, searched: every member of every token is looked up here, and a
    // bisection costs a memcmp call a step where a hash costs one multiply and
    // one inlined compare (a heavy storm's 1-thread profile: ~2% less).
    FlatStringMap<uint32_t> lookup;
    bool captured = false;
  };
  std::vector<Node> nodes{Node{}};  // nodes[0] is the claims object itself
  static constexpr uint32_t kRoot = 0;

  uint32_t child(uint32_t node, std::string_view name) const {
    const uint32_t* next = nodes[node].lookup.find(name);
    return next == nullptr ? kNoIndex : *next;
  }
  // Adds the path (creating nodes) and marks its end captured; returns its node.
  uint32_t insert(const std::vector<std::string>& tokens);
  // Builds the nodes' lookups: call once every path is inserted.
  void finish();
};

// All mappings of one provider that read one claim with one delimiter.
struct DelimiterTable {
  using Range = ValueIndex::Range;
  std::string delimiter;  // "" = none
  ValueIndex values;               // claim value → grants[begin, begin+count); keys in mapping_text
  std::vector<MappedPair> grants;  // sorted within each range; kGrantCopy pairs of padding past the last
  // A value's grants are copied in one fixed move of this many pairs when
  // they fit (most values grant one group): no call to memmove per value.
  static constexpr size_t kGrantCopy = 8;
  // Prefix, glob and regex mappings, and templates (docs/spec.md §16).
  PatternTable patterns;
};

struct ClaimMatcher {
  std::string claim;           // as written in the config
  std::string top_level_name;  // the member an overage (_claim_names) would name
  uint32_t capture_node = kNoIndex;
  std::vector<DelimiterTable> tables;
};

// A login requirement (docs/spec.md §16), ready to test a claim's candidates.
struct CompiledRequirement {
  RequireDef def;
  uint32_t capture_node = kNoIndex;
  std::shared_ptr<const re2::RE2> regex;  // glob and regex rules
};

struct CompiledProvider {
  ProviderDef def;
  std::string quoted_id;  // the id as a JSON string, quotes included (output lines)
  uint32_t subject_node = kNoIndex;
  std::vector<ClaimMatcher> claims;  // only claims with active mappings
  std::vector<CompiledRequirement> require;
  // By GroupId: whether the group's stage is in this provider's scope. Only
  // built when a template mapping names groups at login time (else empty).
  std::vector<uint8_t> group_in_scope;
};

struct CompiledGroup {
  std::string id;
  std::string stage;
  std::vector<RoleId> roles;  // sorted
  std::string quoted_id;      // the id as a JSON string, quotes included
};

struct CompiledRole {
  std::string id;
  std::string app;
  std::string quoted_id;  // the id as a JSON string, quotes included
};

// A string of CompiledConfig::mapping_text.
struct TextRef {
  uint32_t offset = 0, size = 0;
};

// What many mappings share, kept once: a million mappings read a handful of
// claims with a handful of delimiters and match kinds (and templates name
// their groups with a handful of texts).
struct MappingShape {
  std::string claim, delimiter;
  std::string group_template;  // a template's group as written; "" for a fixed group
  MatchKind match = MatchKind::kExact;
};

// A mapping as written (docs/spec.md §2), seen through the compiled tables:
// CompiledConfig::mapping_def. Valid while the CompiledConfig is.
struct MappingView {
  std::string_view id, provider, claim, value, delimiter;
  std::string_view group;  // a group id, or a template
  MatchKind match = MatchKind::kExact;
  friend bool operator==(const MappingView&, const MappingView&) = default;
};

// 36 bytes a mapping: its id and value in the config's mapping_text, the
// rest interned (a config of a million mappings keeps them all, and kept
// six strings a mapping before: 216 bytes and two or three allocations).
struct CompiledMapping {
  TextRef id, value;   // into CompiledConfig::mapping_text
  uint32_t shape = 0;  // into CompiledConfig::mapping_shapes
  ProviderId provider{};
  GroupId group{};  // GroupId{kNoIndex} for a template: its groups are named at each login
  uint32_t claim_index = kNoIndex;  // into its provider's claims; kNoIndex when inactive
  bool is_template = false;
  bool active = false;
};

class CompiledConfig {
 public:
  CompiledConfig() = default;
  // Not copyable: the value tables read their keys from this object's own
  // mapping_text (a copy's tables would point into the original's).
  CompiledConfig(const CompiledConfig&) = delete;
  CompiledConfig& operator=(const CompiledConfig&) = delete;

  ConfigReport report;

  std::vector<CompiledProvider> providers;  // index = ProviderId, sorted by id
  std::vector<CompiledGroup> groups;        // index = GroupId
  std::vector<CompiledRole> roles;          // index = RoleId
  std::vector<CompiledMapping> mappings;    // index = MappingId
  std::string mapping_text;                 // every mapping's id and value, back to back
  std::vector<MappingShape> mapping_shapes;

  StringMap<ProviderId> provider_by_id;
  StringMap<ProviderId> provider_by_issuer;
  // Groups, roles and mappings by id: indexes into the tables above, which
  // own the names (a million mappings' ids are not copied into a map).
  std::optional<GroupId> find_group(std::string_view id) const {
    const uint32_t at = group_index.find(id, [this](uint32_t i) { return std::string_view(groups[i].id); });
    return at == NameIndex::kAbsent ? std::nullopt : std::optional<GroupId>(GroupId{at});
  }
  std::optional<RoleId> find_role(std::string_view id) const {
    const uint32_t at = role_index.find(id, [this](uint32_t i) { return std::string_view(roles[i].id); });
    return at == NameIndex::kAbsent ? std::nullopt : std::optional<RoleId>(RoleId{at});
  }
  std::optional<MappingId> find_mapping(std::string_view id) const {
    const uint32_t at = mapping_index.find(id, [this](uint32_t i) { return text(mappings[i].id); });
    return at == NameIndex::kAbsent ? std::nullopt : std::optional<MappingId>(MappingId{at});
  }
  NameIndex group_index, role_index, mapping_index;  // built by compile_config

  // The roles of every group (sorted, unique) and the groups that grant every
  // role (sorted), flattened: a login's delta is computed from the groups it
  // added and removed (engine/sync/sync.cc) without touching the rest.
  std::vector<uint32_t> group_role_begin;  // size groups + 1, into group_role_list
  std::vector<RoleId> group_role_list;
  std::vector<uint32_t> role_group_begin;  // size roles + 1, into role_group_list
  std::vector<GroupId> role_group_list;
  uint32_t max_group_roles = 0;  // the most roles of one group: bounds a delta's room without counting
  // group_role_list has kRoleCopy entries past its last (RoleId{0}), so that
  // a group's roles can be copied in one fixed move of kRoleCopy (sync.cc):
  // a copy of a whole number of fixed steps, for most groups one, has a
  // predictable loop exit.
  static constexpr size_t kRoleCopy = 4;

  // Every group's and role's quoted id followed by ", ", back to back, with
  // kNamePadding bytes after the last: the output writer copies a name of
  // up to 62 bytes and its separator in one fixed 64-byte move
  // (engine/sync/delta_writer.cc).
  struct NameRef {
    uint32_t offset, size;  // size: of the quoted id, without the separator
  };
  static constexpr size_t kNamePadding = 64;
  std::string name_blob;
  std::vector<NameRef> group_names, role_names;  // by id
  uint32_t longest_group_name = 0, longest_role_name = 0;  // NameRef::size

  CaptureTrie trie;
  uint32_t iss_node = kNoIndex;
  uint32_t iat_node = kNoIndex;
  // Read only when some provider has keys (docs/spec.md §15); else kNoIndex.
  uint32_t exp_node = kNoIndex, nbf_node = kNoIndex, aud_node = kNoIndex;
  size_t bytes = 0;  // approximate memory of the tables

  const CompiledProvider& provider(ProviderId id) const { return providers[index_of(id)]; }
  const CompiledGroup& group(GroupId id) const { return groups[index_of(id)]; }
  const CompiledRole& role(RoleId id) const { return roles[index_of(id)]; }
  const CompiledMapping& mapping(MappingId id) const { return mappings[index_of(id)]; }
  // A mapping's id, and the whole mapping as written.
  std::string_view mapping_id(MappingId id) const { return text(mapping(id).id); }
  std::string_view mapping_id(const CompiledMapping& m) const { return text(m.id); }
  MappingView mapping_def(const CompiledMapping& m) const {
    const MappingShape& shape = mapping_shapes[m.shape];
    return {text(m.id),      provider(m.provider).def.id,
            shape.claim,     text(m.value),
            shape.delimiter, m.is_template ? std::string_view(shape.group_template) : std::string_view(group(m.group).id),
            shape.match};
  }
  MappingView mapping_def(MappingId id) const { return mapping_def(mapping(id)); }
  std::string_view text(TextRef r) const { return std::string_view(mapping_text.data() + r.offset, r.size); }
  const RoleId* group_roles_begin(GroupId g) const { return group_role_list.data() + group_role_begin[index_of(g)]; }
  const RoleId* group_roles_end(GroupId g) const { return group_role_list.data() + group_role_begin[index_of(g) + 1]; }
  const GroupId* role_groups_begin(RoleId r) const { return role_group_list.data() + role_group_begin[index_of(r)]; }
  const GroupId* role_groups_end(RoleId r) const { return role_group_list.data() + role_group_begin[index_of(r) + 1]; }
};

}  // namespace claimmap
