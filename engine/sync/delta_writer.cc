#include "engine/sync/delta_writer.h"

#include <charconv>

#include "engine/common/json_text.h"

namespace claimmap {
namespace {

std::string_view status_name(OutcomeStatus s) {
  switch (s) {
    case OutcomeStatus::kOk: return "ok";
    case OutcomeStatus::kStale: return "stale";
    case OutcomeStatus::kSuspended: return "suspended";
    case OutcomeStatus::kError: return "error";
  }
  return "error";
}

// `quoted_of(id)` gives the name already written as a JSON string (compiled
// once per config), so a line's many names are plain copies.
template <typename Ids, typename QuotedOf>
void append_names(std::string* out, std::string_view member, const Ids& ids, QuotedOf quoted_of) {
  out->append(", \"");
  out->append(member);
  out->append("\": [");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out->append(", ");
    quoted_of(ids[i]);
  }
  out->push_back(']');
}

}  // namespace

void append_outcome_line(const CompiledConfig& config, const Outcome& o, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, o.seq);
  out->append("{\"seq\": ");
  out->append(buf, r.ptr);
  if (o.is_reload || o.kind_known) {
    out->append(", \"cause\": \"");
    out->append(o.is_reload ? std::string_view("reload") : event_kind_name(o.kind));
    out->push_back('"');
  }
  if (o.provider_known) {
    out->append(", \"provider\": ");
    out->append(config.provider(o.provider).quoted_id);
  }
  if (o.subject_known) {
    out->append(", \"subject\": ");
    json_text::append_quoted(*out, o.subject);
  }
  out->append(", \"status\": \"");
  out->append(status_name(o.status));
  out->push_back('"');
  if (o.status == OutcomeStatus::kError) {
    out->append(", \"error\": {\"code\": \"");
    out->append(error_code_name(o.error));
    out->append("\", \"message\": ");
    json_text::append_quoted(*out, o.error_message);
    out->append("}}\n");
    return;
  }
  out->append(o.new_user ? ", \"new_user\": true" : ", \"new_user\": false");
  auto group_name = [&](GroupId g) { out->append(config.group(g).quoted_id); };
  auto role_name = [&](RoleId r) { out->append(config.role(r).quoted_id); };
  append_names(out, "groups_added", o.groups_added, group_name);
  append_names(out, "groups_removed", o.groups_removed, group_name);
  append_names(out, "roles_granted", o.roles_granted, role_name);
  append_names(out, "roles_revoked", o.roles_revoked, role_name);
  if (!o.overage.empty()) {
    append_names(out, "overage", o.overage, [&](std::string_view s) { json_text::append_quoted(*out, s); });
  }
  out->append("}\n");
}

}  // namespace claimmap
