#include "engine/sync/event_counting.h"

#include <cstdio>

namespace claimmap {

std::string_view delta_status_name(DeltaStatus status) {
  switch (status) {
    case DeltaStatus::kOk: return "ok";
    case DeltaStatus::kStale: return "stale";
    case DeltaStatus::kSuspended: return "suspended";
    case DeltaStatus::kDenied: return "denied";
    case DeltaStatus::kError: return "error";
  }
  return "error";
}

std::string_view cause_name(Cause cause) {
  switch (cause) {
    case Cause::kUnknown: return "";
    case Cause::kLogin: return "login";
    case Cause::kAssign: return "assign";
    case Cause::kUnassign: return "unassign";
    case Cause::kGrant: return "grant";
    case Cause::kRevoke: return "revoke";
    case Cause::kSuspend: return "suspend";
    case Cause::kResume: return "resume";
    case Cause::kDelete: return "delete";
    case Cause::kReload: return "reload";
  }
  return "";
}

Cause cause_of(const Outcome& o) {
  if (o.is_reload) return Cause::kReload;
  if (!o.kind_known) return Cause::kUnknown;
  // EventKind lists the event types in Cause's order, after kUnknown.
  return static_cast<Cause>(static_cast<int>(o.kind) + 1);
}
static_assert(static_cast<int>(EventKind::kDelete) + 1 == static_cast<int>(Cause::kDelete));

Delta to_delta(const CompiledConfig& cfg, const Outcome& o) {
  Delta d;
  d.seq = o.seq;
  d.cause = cause_of(o);
  if (o.provider_known) d.provider = cfg.provider(o.provider).def.id;
  if (o.subject_known) d.subject = o.subject;
  d.status = o.status;
  d.denied_rule = o.denied_rule;
  if (o.status == DeltaStatus::kError) d.error = Status(o.error, o.error_message);
  d.new_user = o.new_user;
  for (GroupId g : o.groups_added) d.groups_added.push_back(cfg.group(g).id);
  for (GroupId g : o.groups_removed) d.groups_removed.push_back(cfg.group(g).id);
  for (RoleId r : o.roles_granted) d.roles_granted.push_back(cfg.role(r).id);
  for (RoleId r : o.roles_revoked) d.roles_revoked.push_back(cfg.role(r).id);
  for (std::string_view name : o.overage) d.overage.emplace_back(name);
  d.explain = o.explain;
  return d;
}

namespace {

// The counting rule, over either form of a result.
void count(DeltaStatus status, ErrorCode error, Cause cause, bool new_user, size_t groups_added, size_t groups_removed,
           size_t roles_granted, size_t roles_revoked, bool overage, EventCounters* c) {
  ++c->events;
  ++c->by_cause[static_cast<size_t>(cause)];
  switch (status) {
    case DeltaStatus::kOk: ++c->ok; break;
    case DeltaStatus::kStale: ++c->stale; break;
    case DeltaStatus::kSuspended: ++c->suspended; break;
    case DeltaStatus::kDenied: ++c->denied; break;
    case DeltaStatus::kError: {
      ++c->errors;
      const auto i = static_cast<size_t>(error);
      if (i < c->errors_by_code.size()) ++c->errors_by_code[i];
      return;
    }
  }
  c->new_users += new_user;
  c->groups_added += groups_added;
  c->groups_removed += groups_removed;
  c->roles_granted += roles_granted;
  c->roles_revoked += roles_revoked;
  c->overage_logins += overage;
}

}  // namespace

void count_outcome(const Outcome& o, EventCounters* c) {
  count(o.status, o.error, cause_of(o), o.new_user, o.groups_added.size(), o.groups_removed.size(),
        o.roles_granted.size(), o.roles_revoked.size(), !o.overage.empty(), c);
}

void EventCounters::add(const Delta& d) {
  count(d.status, d.error.code(), d.cause, d.new_user, d.groups_added.size(), d.groups_removed.size(),
        d.roles_granted.size(), d.roles_revoked.size(), !d.overage.empty(), this);
}

void EventCounters::merge(const EventCounters& o) {
  events += o.events;
  ok += o.ok, stale += o.stale, suspended += o.suspended, denied += o.denied, errors += o.errors;
  for (size_t i = 0; i < errors_by_code.size(); ++i) errors_by_code[i] += o.errors_by_code[i];
  for (size_t i = 0; i < by_cause.size(); ++i) by_cause[i] += o.by_cause[i];
  new_users += o.new_users;
  groups_added += o.groups_added, groups_removed += o.groups_removed;
  roles_granted += o.roles_granted, roles_revoked += o.roles_revoked;
  overage_logins += o.overage_logins;
}

std::string EventCounters::to_text() const {
  std::string s;
  const uint64_t reload_lines = by_cause[static_cast<size_t>(Cause::kReload)];
  s += "events: " + std::to_string(events - reload_lines) + " (" + std::to_string(ok - reload_lines) + " ok, " +
       std::to_string(stale) + " stale, " + std::to_string(suspended) + " suspended, " +
       (denied ? std::to_string(denied) + " denied, " : "") + std::to_string(errors) + " errors)\n";
  if (errors) {
    s += "errors by code:";
    for (int c = 1; c <= kEventErrorCodeCount; ++c) {
      if (errors_by_code[c]) {
        s += " " + std::string(error_code_name(static_cast<ErrorCode>(c))) + "=" + std::to_string(errors_by_code[c]);
      }
    }
    s += "\n";
  }
  if (reload_lines) s += "reload lines: " + std::to_string(reload_lines) + "\n";
  s += "users created: " + std::to_string(new_users) + "\n";
  s += "groups added: " + std::to_string(groups_added) + ", removed: " + std::to_string(groups_removed) + "\n";
  s += "roles granted: " + std::to_string(roles_granted) + ", revoked: " + std::to_string(roles_revoked) + "\n";
  return s;
}

}  // namespace claimmap
