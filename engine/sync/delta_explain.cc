#include "engine/sync/delta_explain.h"

#include <algorithm>

#include "engine/common/json_text.h"

namespace claimmap {

std::string_view removal_reason_name(RemovalReason reason) {
  switch (reason) {
    case RemovalReason::kNoMatch: return "no_match";
    case RemovalReason::kMappingChanged: return "mapping_changed";
    case RemovalReason::kGroupDeleted: return "group_deleted";
    case RemovalReason::kUnassigned: return "unassigned";
    case RemovalReason::kSuspended: return "suspended";
    case RemovalReason::kDeleted: return "deleted";
  }
  return "no_match";
}

RemovalReason removal_reason_of(EventKind kind) {
  switch (kind) {
    case EventKind::kUnassign: return RemovalReason::kUnassigned;
    case EventKind::kSuspend: return RemovalReason::kSuspended;
    case EventKind::kDelete: return RemovalReason::kDeleted;
    default: return RemovalReason::kNoMatch;
  }
}

namespace {

constexpr std::string_view kMemberNames[] = {"groups_added", "groups_removed", "roles_granted", "roles_revoked"};

// `"name": [items]`; items quoted here, or as they are when `quoted`.
void append_array(std::string* out, std::string_view name, std::span<const std::string_view> items, bool* first,
                  bool quoted = false) {
  if (items.empty()) return;
  if (!*first) out->append(", ");
  *first = false;
  out->push_back('"');
  out->append(name);
  out->append("\": [");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out->append(", ");
    if (quoted) {
      out->append(items[i]);
    } else {
      json_text::append_quoted(*out, items[i]);
    }
  }
  out->push_back(']');
}

void append_true(std::string* out, std::string_view name, bool value, bool* first) {
  if (!value) return;
  if (!*first) out->append(", ");
  *first = false;
  out->push_back('"');
  out->append(name);
  out->append("\": true");
}

// Sorts and drops repeats: a name or value reached through two mappings.
// Mapping ids come in id order, which is name order: usually only checked.
void sort_unique(std::vector<std::string_view>& v) {
  if (!std::is_sorted(v.begin(), v.end())) std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// mapped ∪ manual, sorted and unique.
void union_groups(std::span<const MappedPair> mapped, std::span<const GroupId> manual, std::vector<GroupId>* out) {
  out->clear();
  for (const MappedPair& p : mapped) {
    if (out->empty() || out->back() != p.group) out->push_back(p.group);
  }
  const size_t mapped_end = out->size();
  out->insert(out->end(), manual.begin(), manual.end());
  std::inplace_merge(out->begin(), out->begin() + static_cast<ptrdiff_t>(mapped_end), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

}  // namespace

void RoleSources::find(const CompiledConfig& config, std::span<const GroupId> held, std::span<const RoleId> roles) {
  pairs_.clear();
  at_ = 0;
  if (roles.empty()) return;
  if (mark_.size() < config.roles.size()) mark_.assign(config.roles.size(), 0);
  for (RoleId r : roles) mark_[index_of(r)] = 1;
  for (GroupId g : held) {
    for (const RoleId* r = config.group_roles_begin(g); r != config.group_roles_end(g); ++r) {
      if (mark_[index_of(*r)]) pairs_.push_back({*r, g});
    }
  }
  for (RoleId r : roles) mark_[index_of(r)] = 0;
  std::sort(pairs_.begin(), pairs_.end());
}

void RoleSources::next(const CompiledConfig& config, RoleId role, std::vector<std::string_view>* quoted_names) {
  quoted_names->clear();
  while (at_ < pairs_.size() && pairs_[at_].first < role) ++at_;
  for (; at_ < pairs_.size() && pairs_[at_].first == role; ++at_) {
    quoted_names->push_back(config.group(pairs_[at_].second).quoted_id);
  }
}

void ExplainWriter::enter(Member member, std::string_view key) {
  if (member_ != member) {
    out_->append(member_ < 0 ? "{\"" : "}, \"");
    out_->append(kMemberNames[member]);
    out_->append("\": {");
    member_ = member;
  } else {
    out_->append(", ");
  }
  out_->append(key);  // quoted already
  out_->append(": {");
}

void ExplainWriter::group_added(std::string_view group, std::span<const std::string_view> mappings,
                                std::span<const std::string_view> values, bool manual) {
  enter(kGroupsAdded, group);
  bool first = true;
  append_array(out_, "mappings", mappings, &first);
  append_array(out_, "values", values, &first);
  append_true(out_, "manual", manual, &first);
  out_->push_back('}');
}

void ExplainWriter::group_removed(std::string_view group, RemovalReason reason) {
  enter(kGroupsRemoved, group);
  out_->append("\"reason\": \"");
  out_->append(removal_reason_name(reason));
  out_->append("\"}");
}

void ExplainWriter::role(Member member, std::string_view role, std::span<const std::string_view> groups,
                         bool direct) {
  enter(member, role);
  bool first = true;
  append_array(out_, "groups", groups, &first, /*quoted=*/true);
  append_true(out_, "direct", direct, &first);
  out_->push_back('}');
}

void ExplainWriter::role_granted(std::string_view role, std::span<const std::string_view> groups, bool direct) {
  this->role(kRolesGranted, role, groups, direct);
}

void ExplainWriter::role_revoked(std::string_view role, std::span<const std::string_view> groups, bool direct) {
  this->role(kRolesRevoked, role, groups, direct);
}

bool ExplainWriter::finish() {
  if (member_ < 0) return false;
  out_->append("}}");
  return true;
}

void explain_event(const CompiledConfig& config, const HeldSets& before, const HeldSets& after,
                   RemovalReason reason, std::span<const ValuedPair> values, ExplainScratch& s, Outcome* o) {
  o->explain.clear();
  ExplainWriter w(&o->explain);
  for (GroupId g : o->groups_added) {
    // The group's pairs and values: both sorted by group first.
    s.names.clear();
    auto pairs = std::equal_range(after.mapped.begin(), after.mapped.end(), MappedPair{g, MappingId{0}},
                                  [](const MappedPair& a, const MappedPair& b) { return a.group < b.group; });
    for (auto p = pairs.first; p != pairs.second; ++p) s.names.push_back(config.mapping_id(p->mapping));
    sort_unique(s.names);
    s.values.clear();
    auto matched = std::equal_range(values.begin(), values.end(), ValuedPair{{g, MappingId{0}}, {}},
                                    [](const ValuedPair& a, const ValuedPair& b) { return a.pair.group < b.pair.group; });
    for (auto v = matched.first; v != matched.second; ++v) s.values.push_back(v->value);
    sort_unique(s.values);
    const bool manual = std::binary_search(after.manual.begin(), after.manual.end(), g);
    w.group_added(config.group(g).quoted_id, s.names, s.values, manual);
  }
  for (GroupId g : o->groups_removed) w.group_removed(config.group(g).quoted_id, reason);
  s.sources.find(config, after.groups, o->roles_granted);
  for (RoleId r : o->roles_granted) {
    s.sources.next(config, r, &s.names);
    w.role_granted(config.role(r).quoted_id, s.names, std::binary_search(after.direct.begin(), after.direct.end(), r));
  }
  s.sources.find(config, before.groups, o->roles_revoked);
  for (RoleId r : o->roles_revoked) {
    s.sources.next(config, r, &s.names);
    w.role_revoked(config.role(r).quoted_id, s.names, std::binary_search(before.direct.begin(), before.direct.end(), r));
  }
  w.finish();
}

void explain_login(const CompiledConfig& config, std::span<const MappedPair> before, std::span<const MappedPair> after,
                   std::span<const GroupId> manual, std::span<const RoleId> direct, std::span<const ValuedPair> values,
                   ExplainScratch& s, Outcome* o) {
  union_groups(before, manual, &s.before_groups);
  union_groups(after, manual, &s.after_groups);
  explain_event(config, HeldSets{s.before_groups, before, manual, direct},
                HeldSets{s.after_groups, after, manual, direct}, RemovalReason::kNoMatch, values, s, o);
}

}  // namespace claimmap
