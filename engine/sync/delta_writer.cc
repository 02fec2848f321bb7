#include "engine/sync/delta_writer.h"

#include <charconv>
#include <cstring>

#include "claimmap/delta.h"
#include "engine/common/json_text.h"
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

// Ends an error line.
void append_error(std::string* out, ErrorCode code, std::string_view message) {
  out->append(", \"error\": {\"code\": \"");
  out->append(error_code_name(code));
  out->append("\", \"message\": ");
  json_text::append_quoted(*out, message);
  out->append("}}\n");
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

// The names of `ids` as a JSON array member, from the config's name blob:
// each name of up to 32 bytes is two 16-byte moves (the blob has 32 bytes of
// padding after its last name) into this thread's scratch, which then joins
// the line in one append — no string append per name and comma, and no
// zero-filled growth of the line (a heavy login's line is ~6 KB).
template <typename Id>
void append_id_names(std::string* out, std::string_view member, const std::vector<Id>& ids, const char* blob,
                     const CompiledConfig::NameRef* names) {
  out->append(", \"");
  out->append(member);
  out->append("\": [");
  if (ids.empty()) {
    out->push_back(']');
    return;
  }
  size_t total = 0;
  for (Id id : ids) total += names[index_of(id)].size + 2;  // ", " or the closing "]"
  thread_local std::string scratch;
  if (scratch.size() < total + CompiledConfig::kNamePadding) scratch.resize(total + CompiledConfig::kNamePadding);
  char* const begin = scratch.data();
  char* p = begin;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) {
      std::memcpy(p, ", ", 2);
      p += 2;
    }
    const CompiledConfig::NameRef n = names[index_of(ids[i])];
    if (n.size <= 32) {
      std::memcpy(p, blob + n.offset, 16);
      std::memcpy(p + 16, blob + n.offset + 16, 16);
    } else {
      std::memcpy(p, blob + n.offset, n.size);
    }
    p += n.size;
  }
  *p++ = ']';
  out->append(begin, static_cast<size_t>(p - begin));
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
  append_status(out, status_of(o.status));
  if (o.status == OutcomeStatus::kError) return append_error(out, o.error, o.error_message);
  out->append(o.new_user ? ", \"new_user\": true" : ", \"new_user\": false");
  // Names were quoted once per config, so a line's many names are plain copies.
  const char* blob = config.name_blob.data();
  append_id_names(out, "groups_added", o.groups_added, blob, config.group_names.data());
  append_id_names(out, "groups_removed", o.groups_removed, blob, config.group_names.data());
  append_id_names(out, "roles_granted", o.roles_granted, blob, config.role_names.data());
  append_id_names(out, "roles_revoked", o.roles_revoked, blob, config.role_names.data());
  if (!o.overage.empty()) {
    append_names(out, "overage", o.overage, [&](std::string_view s) { json_text::append_quoted(*out, s); });
  }
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
  out->append(d.new_user ? ", \"new_user\": true" : ", \"new_user\": false");
  auto name = [&](const std::string& s) { json_text::append_quoted(*out, s); };
  append_names(out, "groups_added", d.groups_added, name);
  append_names(out, "groups_removed", d.groups_removed, name);
  append_names(out, "roles_granted", d.roles_granted, name);
  append_names(out, "roles_revoked", d.roles_revoked, name);
  if (!d.overage.empty()) append_names(out, "overage", d.overage, name);
  out->append("}\n");
}

}  // namespace claimmap
