#include "engine/sync/sync.h"

#include <algorithm>

#include "engine/common/json_text.h"

namespace claimmap {

void snapshot_effective(const CompiledConfig& config, const UserState& user, SyncScratch& scratch) {
  effective_groups(user, &scratch.groups_before);
  effective_roles(config, user, scratch.groups_before, &scratch.roles_before);
}

void finish_delta(const CompiledConfig& config, const UserState* user_after, SyncScratch& scratch, Outcome* out) {
  scratch.groups_after.clear();
  scratch.roles_after.clear();
  if (user_after != nullptr) {
    effective_groups(*user_after, &scratch.groups_after);
    effective_roles(config, *user_after, scratch.groups_after, &scratch.roles_after);
  }
  diff_sorted(scratch.groups_before, scratch.groups_after, &out->groups_added, &out->groups_removed);
  // A role still held through another group, or directly, is in both sets and
  // so is neither granted nor revoked (docs/spec.md §5).
  diff_sorted(scratch.roles_before, scratch.roles_after, &out->roles_granted, &out->roles_revoked);
}

namespace {

// Returns whether the user's stored state changed.
bool sync_login(const CompiledConfig& config, const ParsedEvent& event, const MatchResult& match, UserState& user,
                SyncScratch& scratch, Outcome* out) {
  if (user.suspended) {
    out->status = OutcomeStatus::kSuspended;
    return false;
  }
  // An old or replayed token must never re-grant access (docs/spec.md §5).
  if (event.has_iat && user.has_iat && event.iat < user.last_iat) {
    out->status = OutcomeStatus::kStale;
    return false;
  }
  bool changed = false;
  out->overage.assign(match.overage.begin(), match.overage.end());

  // The new mapped set replaces the old one, except that memberships justified
  // by an indeterminate (overage) claim stay as they were.
  std::vector<MappedPair>& next = scratch.new_mapped;
  next.assign(match.matched.begin(), match.matched.end());
  if (!match.indeterminate_claims.empty()) {
    for (const MappedPair& pair : user.mapped) {
      if (match.is_indeterminate(config.mapping(pair.mapping))) next.push_back(pair);
    }
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
  }
  if (next != user.mapped) {
    snapshot_effective(config, user, scratch);
    user.mapped.assign(next.begin(), next.end());
    finish_delta(config, &user, scratch, out);
    changed = true;
  }
  if (event.has_iat && (!user.has_iat || event.iat > user.last_iat)) {
    user.last_iat = event.iat;
    user.has_iat = true;
    changed = true;
  }
  return changed;
}

void reset(UserState& user) {
  user.mapped.clear();
  user.manual.clear();
  user.direct_roles.clear();
  user.last_iat = 0;
  user.has_iat = false;
  user.suspended = false;
}

void apply_push(const CompiledConfig& config, const ParsedEvent& event, UserState& user, SyncScratch& scratch,
                Outcome* out) {
  snapshot_effective(config, user, scratch);
  switch (event.kind) {
    case EventKind::kAssign: insert_sorted(user.manual, event.group); break;
    case EventKind::kUnassign: erase_sorted(user.manual, event.group); break;
    case EventKind::kGrant: insert_sorted(user.direct_roles, event.role); break;
    case EventKind::kRevoke: erase_sorted(user.direct_roles, event.role); break;
    case EventKind::kSuspend: user.suspended = true; break;
    case EventKind::kResume: user.suspended = false; break;
    case EventKind::kLogin:
    case EventKind::kDelete: break;  // handled by apply_event
  }
  finish_delta(config, &user, scratch, out);
}

}  // namespace

void apply_event(const CompiledConfig& config, const ParsedEvent& event, const MatchResult& match, UserHandle& handle,
                 SyncScratch& scratch, Outcome* out) {
  out->kind_known = true;
  out->kind = event.kind;
  out->provider_known = true;
  out->provider = event.provider;
  out->subject_known = true;
  out->subject = event.subject;

  {
    UserState& user = scratch.user;
    if (event.kind == EventKind::kDelete) {
      if (!handle.exists()) {
        out->status = OutcomeStatus::kError;
        out->error = ErrorCode::kUnknownUser;
        out->error_message = "no user " + json_text::quoted(event.subject) + " for provider " +
                             json_text::quoted(config.provider(event.provider).def.id);
        return;
      }
      handle.load(&user);
      snapshot_effective(config, user, scratch);
      handle.erase();
      finish_delta(config, nullptr, scratch, out);
      return;
    }
    if (handle.exists()) {
      handle.load(&user);
    } else {
      reset(user);
      out->new_user = true;
    }
    bool changed = true;
    if (event.kind == EventKind::kLogin) {
      changed = sync_login(config, event, match, user, scratch, out);
    } else {
      apply_push(config, event, user, scratch, out);
    }
    if (changed || out->new_user) handle.save(user);
  }
}

}  // namespace claimmap
