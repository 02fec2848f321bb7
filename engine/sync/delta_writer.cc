#include "engine/sync/delta_writer.h"

#include <charconv>
#include <cstring>

#include "claimmap/delta.h"
#include "engine/common/json_text.h"
#include "engine/common/padded_copy.h"
#include "engine/sync/event_counting.h"

namespace claimmap {
namespace {

// The members of a result line, in the order of docs/spec.md §8. Both forms
// of a result — an Outcome (ids) and a public Delta (names) — are written
// through these, so their bytes cannot drift apart.
void begin_line(std::string* out, uint64_t seq, Cause cause) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, seq);
  out->append("{\"seq\": ");
  out->append(buf, r.ptr);
  if (cause != Cause::kUnknown) {
    out->append(", \"cause\": \"");
    out->append(cause_name(cause));
    out->push_back('"');
  }
}

void append_status(std::string* out, DeltaStatus status) {
  out->append(", \"status\": \"");
  out->append(delta_status_name(status));
  out->push_back('"');
}

// A denied login's rule (docs/spec.md §16), after its status.
void append_denied(std::string* out, int32_t rule) {
  out->append(", \"denied\": {\"rule\": ");
  out->append(std::to_string(rule));
  out->push_back('}');
}

// Ends an error line.
void append_error(std::string* out, ErrorCode code, std::string_view message) {
  out->append(", \"error\": {\"code\": \"");
  out->append(error_code_name(code));
  out->append("\", \"message\": ");
  json_text::append_quoted(*out, message);
  out->append("}}\n");
}

// The explain object (docs/spec.md §17), last, when there is one.
void append_explain(std::string* out, std::string_view explain) {
  if (explain.empty()) return;
  out->append(", \"explain\": ");
  out->append(explain);
}

// `name_of(item)` appends the item already written as a JSON string.
template <typename Items, typename NameOf>
void append_names(std::string* out, std::string_view member, const Items& items, NameOf name_of) {
  out->append(", \"");
  out->append(member);
  out->append("\": [");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out->append(", ");
    name_of(items[i]);
  }
  out->push_back(']');
}

// Room for one array member of names: its key, brackets and every name with
// its separator, plus what append_id_names() may write past the end. When
// no name is long, bounded by the longest: summing a heavy line's 250 name
// sizes was most of this function's time, and the bound overshoots by a
// few bytes a name.
template <typename Id>
size_t id_names_room(std::string_view member, const std::vector<Id>& ids, const CompiledConfig::NameRef* names,
                     uint32_t longest) {
  size_t n = member.size() + 8 + CompiledConfig::kNamePadding;
  if (longest <= CompiledConfig::kNamePadding) return n + ids.size() * (longest + 2);
  for (Id id : ids) n += names[index_of(id)].size + 2;
  return n;
}

// Writes the names of `ids` as a JSON array member at `p` and returns the
// end. Each name is copied from the config's name blob with its ", "
// separator: one fixed 64-byte move when both fit (the blob has that much
// padding after its last name, and the caller room for the overshoot), so a
// heavy login's 250 names cost no string append per name and comma, and no
// branch on a name's length (group ids of 30 to 60 bytes are common).
template <typename Id>
char* append_id_names(char* p, std::string_view member, const std::vector<Id>& ids, const char* blob,
                      const CompiledConfig::NameRef* names) {
  std::memcpy(p, ", \"", 3);
  p += 3;
  std::memcpy(p, member.data(), member.size());
  p += member.size();
  std::memcpy(p, "\": [", 4);
  p += 4;
  if (ids.empty()) {
    *p++ = ']';
    return p;
  }
  for (Id id : ids) {
    const CompiledConfig::NameRef n = names[index_of(id)];
    p = copy_padded<CompiledConfig::kNamePadding>(p, blob + n.offset, n.size + 2);
  }
  p[-2] = ']';  // over the last separator
  return p - 1;
}

}  // namespace

void append_outcome_line(const CompiledConfig& config, const Outcome& o, std::string* out) {
  begin_line(out, o.seq, cause_of(o));
  if (o.provider_known) {
    out->append(", \"provider\": ");
    out->append(config.provider(o.provider).quoted_id);
  }
  if (o.subject_known) {
    out->append(", \"subject\": ");
    json_text::append_quoted(*out, o.subject);
  }
  append_status(out, o.status);
  if (o.status == DeltaStatus::kError) return append_error(out, o.error, o.error_message);
  if (o.status == DeltaStatus::kDenied) append_denied(out, o.denied_rule);
  out->append(o.new_user ? ", \"new_user\": true" : ", \"new_user\": false");
  // Names were quoted once per config, so a line's many names are plain
  // copies, written in place: the line grows once for all four arrays (a
  // heavy login's are ~6 KB) and shrinks to what was written.
  const char* blob = config.name_blob.data();
  const CompiledConfig::NameRef* groups = config.group_names.data();
  const CompiledConfig::NameRef* roles = config.role_names.data();
  const size_t at = out->size();
  out->resize(at + id_names_room("groups_added", o.groups_added, groups, config.longest_group_name) +
              id_names_room("groups_removed", o.groups_removed, groups, config.longest_group_name) +
              id_names_room("roles_granted", o.roles_granted, roles, config.longest_role_name) +
              id_names_room("roles_revoked", o.roles_revoked, roles, config.longest_role_name));
  char* p = out->data() + at;
  p = append_id_names(p, "groups_added", o.groups_added, blob, groups);
  p = append_id_names(p, "groups_removed", o.groups_removed, blob, groups);
  p = append_id_names(p, "roles_granted", o.roles_granted, blob, roles);
  p = append_id_names(p, "roles_revoked", o.roles_revoked, blob, roles);
  out->resize(static_cast<size_t>(p - out->data()));
  if (!o.overage.empty()) {
    append_names(out, "overage", o.overage, [&](std::string_view s) { json_text::append_quoted(*out, s); });
  }
  append_explain(out, o.explain);
  out->append("}\n");
}

void append_ndjson(const Delta& d, std::string* out) {
  begin_line(out, d.seq, d.cause);
  if (!d.provider.empty()) {
    out->append(", \"provider\": ");
    json_text::append_quoted(*out, d.provider);
  }
  if (!d.subject.empty()) {
    out->append(", \"subject\": ");
    json_text::append_quoted(*out, d.subject);
  }
  append_status(out, d.status);
  if (d.status == DeltaStatus::kError) return append_error(out, d.error.code(), d.error.message());
  if (d.status == DeltaStatus::kDenied) append_denied(out, d.denied_rule);
  out->append(d.new_user ? ", \"new_user\": true" : ", \"new_user\": false");
  auto name = [&](const std::string& s) { json_text::append_quoted(*out, s); };
  append_names(out, "groups_added", d.groups_added, name);
  append_names(out, "groups_removed", d.groups_removed, name);
  append_names(out, "roles_granted", d.roles_granted, name);
  append_names(out, "roles_revoked", d.roles_revoked, name);
  if (!d.overage.empty()) append_names(out, "overage", d.overage, name);
  append_explain(out, d.explain);
  out->append("}\n");
}

}  // namespace claimmap
