#include "engine/sync/sync.h"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// A role's marks in DeltaScratch::role_marks: granted by a group added, by a
// group removed, still held (by a group kept, or directly).
constexpr uint8_t kGain = 1, kLoss = 2, kKeep = 4;
constexpr uint8_t kChecked = 8;  // looked up already (a role can be in `touched` twice)
constexpr uint8_t kSides = kGain | kLoss | kKeep;

}  // namespace

void login_delta(const CompiledConfig& config, std::span<const MappedPair> before, std::span<const MappedPair> after,
                 std::span<const GroupId> manual, std::span<const RoleId> direct, DeltaScratch& s, Outcome* out) {
  // The common prefix and suffix of the two mapped sets (compared 64 bytes at
  // a time) are kept groups; a login that changes a few of a large user's
  // groups leaves only a short middle to merge. Each end stops at a group
  // boundary, so that no group is split between an end and the middle.
  const size_t nb = before.size(), na = after.size();
  const size_t shorter = std::min(nb, na);
  size_t prefix = 0;
  while (prefix + 8 <= shorter && std::memcmp(before.data() + prefix, after.data() + prefix, 8 * sizeof(MappedPair)) == 0) {
    prefix += 8;
  }
  while (prefix < shorter && before[prefix] == after[prefix]) ++prefix;
  while (prefix > 0 && ((prefix < nb && before[prefix].group == before[prefix - 1].group) ||
                        (prefix < na && after[prefix].group == after[prefix - 1].group))) {
    --prefix;
  }
  size_t suffix = 0;
  const size_t room = shorter - prefix;
  while (suffix + 8 <= room &&
         std::memcmp(before.data() + nb - suffix - 8, after.data() + na - suffix - 8, 8 * sizeof(MappedPair)) == 0) {
    suffix += 8;
  }
  while (suffix < room && before[nb - 1 - suffix] == after[na - 1 - suffix]) ++suffix;
  while (suffix > 0 && ((nb - suffix > prefix && before[nb - suffix - 1].group == before[nb - suffix].group) ||
                        (na - suffix > prefix && after[na - suffix - 1].group == after[na - suffix].group))) {
    --suffix;
  }

  // The middle: one merge of the two sides by group. A group on both sides
  // is kept, else it was added or removed; further pairs of a group already
  // placed (a group matched by two mappings) are skipped. After a kept group,
  // runs of identical pairs are skipped 8 at a time (a few changes among
  // many groups leave long runs, at an offset). Otherwise branch-free: which
  // way a group goes is as unpredictable as a coin, and a mispredicted branch
  // a group would cost more than the rest of the merge. Groups come out
  // sorted; the kept ones (the ends' included, repeats and all) too.
  const size_t ie = nb - suffix, je = na - suffix;
  GroupId* const add_buf = s.group_buf(2, je - prefix);
  GroupId* const rem_buf = s.group_buf(3, ie - prefix);
  GroupId* const kept_buf = s.group_buf(4, nb + manual.size());
  size_t i = prefix, j = prefix, nadd = 0, nrem = 0, nkept = 0;
  for (size_t k = 0; k < prefix; ++k) kept_buf[nkept++] = before[k].group;
  uint32_t last_b = UINT32_MAX, last_a = UINT32_MAX;
  bool in_run = false;
  while (i < ie && j < je) {
    if (in_run && ie - i >= 8 && je - j >= 8 && std::memcmp(&before[i], &after[j], 8 * sizeof(MappedPair)) == 0) {
      for (size_t k = 0; k < 8; ++k) kept_buf[nkept++] = before[i + k].group;
      last_b = last_a = index_of(before[i + 7].group);
      i += 8;
      j += 8;
      continue;
    }
    const uint32_t x = index_of(before[i].group), y = index_of(after[j].group);
    if (x == last_b) {
      ++i;
      continue;
    }
    if (y == last_a) {
      ++j;
      continue;
    }
    rem_buf[nrem] = GroupId{x};
    nrem += x < y;
    add_buf[nadd] = GroupId{y};
    nadd += y < x;
    kept_buf[nkept] = GroupId{x};
    nkept += x == y;
    in_run = x == y;
    last_b = x <= y ? x : last_b;
    last_a = y <= x ? y : last_a;
    i += x <= y;
    j += y <= x;
  }
  for (; i < ie; ++i) {
    const uint32_t x = index_of(before[i].group);
    if (x != last_b) rem_buf[nrem++] = GroupId{x};
    last_b = x;
  }
  for (; j < je; ++j) {
    const uint32_t y = index_of(after[j].group);
    if (y != last_a) add_buf[nadd++] = GroupId{y};
    last_a = y;
  }
  for (size_t k = nb - suffix; k < nb; ++k) kept_buf[nkept++] = before[k].group;
  if (!manual.empty()) {
    // A manual group stays effective whatever the login did: neither added
    // nor removed, and kept (rare: pushes are few).
    auto drop_manual = [&](GroupId* v, size_t& n) {
      size_t w = 0;
      for (size_t k = 0; k < n; ++k) {
        if (!std::binary_search(manual.begin(), manual.end(), v[k])) v[w++] = v[k];
      }
      n = w;
    };
    drop_manual(add_buf, nadd);
    drop_manual(rem_buf, nrem);
    std::copy(manual.begin(), manual.end(), kept_buf + nkept);
    std::sort(kept_buf, kept_buf + nkept + manual.size());  // no allocation, unlike inplace_merge
    nkept = static_cast<size_t>(std::unique(kept_buf, kept_buf + nkept + manual.size()) - kept_buf);
  }
  out->groups_added.assign(add_buf, add_buf + nadd);
  out->groups_removed.assign(rem_buf, rem_buf + nrem);
  std::vector<RoleId>& granted = out->roles_granted;
  std::vector<RoleId>& revoked = out->roles_revoked;
  granted.clear();
  revoked.clear();
  if (nadd == 0 && nrem == 0) return;  // only provenance changed
  const std::span<const GroupId> added(add_buf, nadd), removed(rem_buf, nrem), kept(kept_buf, nkept);

  // Mark the roles of the groups added and removed.
  std::vector<uint8_t>& marks = s.role_marks;
  if (marks.size() < config.roles.size() + 64) marks.resize(config.roles.size() + 64, 0);
  // Every role of those groups goes to `touched` as it comes, repeats and
  // all: deduplicating here would chain each role's append to the load of its
  // mark, a few cycles a role on the critical path. Readers of `touched`
  // tolerate repeats (kChecked below; emit() of a cleared mark writes nothing).
  size_t refs = 0;
  for (GroupId g : added) refs += config.group_roles_padded_end(g) - config.group_roles_padded_begin(g);
  for (GroupId g : removed) refs += config.group_roles_padded_end(g) - config.group_roles_padded_begin(g);
  std::vector<RoleId>& touched = s.touched;
  if (touched.size() < refs + 1) touched.resize(refs + 1);  // +1: emit() writes one past
  RoleId* const touched_begin = touched.data();
  RoleId* touched_end = touched_begin;
  uint32_t low = UINT32_MAX, high = 0;
  // Over each group's padded role list (see CompiledConfig::kRolePad): the
  // padding role, one past the last, is marked too, and dropped below.
  auto mark = [&](GroupId g, uint8_t bit) {
    for (const RoleId* r = config.group_roles_padded_begin(g), *e = config.group_roles_padded_end(g); r != e;
         r += CompiledConfig::kRolePad) {
      for (size_t q = 0; q < CompiledConfig::kRolePad; ++q) {
        const uint32_t k = index_of(r[q]);
        *touched_end++ = r[q];
        low = std::min(low, k);
        high = std::max(high, k);
        marks[k] |= bit;
      }
    }
  };
  for (GroupId g : added) mark(g, kGain);
  for (GroupId g : removed) mark(g, kLoss);
  const uint32_t pad = static_cast<uint32_t>(config.roles.size());
  marks[pad] = 0;  // the padding role: in `touched` maybe, but never emitted
  if (high == pad) high = pad - 1;  // no role past the last (pad > 0 once a group has a role)
  if (low > high) return;           // only padding: no role at all
  const std::span<const RoleId> roles(touched_begin, touched_end);
  if (roles.empty()) return;

  // A role granted by a group added or removed but also held directly, or
  // through a group kept, is neither granted nor revoked (docs/spec.md §5).
  // Only roles that one side alone grants need the check.
  if (!direct.empty()) {
    if (direct.size() <= roles.size()) {
      for (RoleId r : direct) {
        if (index_of(r) < marks.size() && marks[index_of(r)] != 0) marks[index_of(r)] |= kKeep;
      }
    } else {
      for (RoleId r : roles) {
        if (std::binary_search(direct.begin(), direct.end(), r)) marks[index_of(r)] |= kKeep;
      }
    }
  }
  if (!kept.empty()) {
    // Either each such role's granting groups (compile-time lists) looked up
    // among the kept ones — marked for the purpose in a byte array by group,
    // two stores a kept group — or every kept group's roles marked:
    // whichever reads less. A small change to a large user takes the first,
    // a lookup stopping at the first kept group it meets. The estimate
    // stops as soon as the lookups would cost more than the scan.
    const size_t padded_per_group = config.group_role_padded.size() / std::max<size_t>(1, config.groups.size());
    const size_t scan_cost = kept.size() * 2 * padded_per_group;
    size_t cost = 2 * kept.size();
    bool look_up = cost < scan_cost;
    for (size_t k = 0; look_up && k < roles.size(); ++k) {
      const RoleId r = roles[k];
      const uint8_t x = marks[index_of(r)];
      cost += (x == kGain || x == kLoss) ? config.role_groups_end(r) - config.role_groups_begin(r) : 0;
      look_up = cost < scan_cost;
    }
    if (look_up) {
      std::vector<uint8_t>& held = s.group_marks;
      if (held.size() < config.groups.size()) held.resize(config.groups.size(), 0);
      for (GroupId g : kept) held[index_of(g)] = 1;
      for (RoleId r : roles) {
        uint8_t& x = marks[index_of(r)];
        if (x != kGain && x != kLoss) continue;
        x |= kChecked;
        for (const GroupId *g = config.role_groups_begin(r), *e = config.role_groups_end(r); g != e; ++g) {
          if (held[index_of(*g)]) {
            x |= kKeep;
            break;
          }
        }
      }
      for (GroupId g : kept) held[index_of(g)] = 0;
    } else {
      for (GroupId g : kept) {
        for (const RoleId *r = config.group_roles_padded_begin(g), *e = config.group_roles_padded_end(g); r != e;
             r += CompiledConfig::kRolePad) {
          for (size_t q = 0; q < CompiledConfig::kRolePad; ++q) {
            uint8_t& x = marks[index_of(r[q])];
            if (x != 0) x |= kKeep;  // rarely: most kept roles are not touched (the padding role never)
          }
        }
      }
    }
  }

  // Emit, sorted, and clear the marks. Few roles: sort them. Many: walk the
  // marks' range sixteen at a time, turning each chunk's granted and revoked
  // marks into bit masks, so that there is no branch per role (a role's
  // outcome is as unpredictable as a coin).
  // (+1: emit() writes one past the roles kept so far, whatever the mark.)
  RoleId* const g_begin = s.granted_buf(roles.size() + 1);
  RoleId* const r_begin = s.revoked_buf(roles.size() + 1);
  RoleId* g_out = g_begin;
  RoleId* r_out = r_begin;
  auto emit = [&](uint32_t k) {
    const uint8_t x = marks[k] & kSides;
    marks[k] = 0;
    *g_out = RoleId{k};
    g_out += x == kGain;
    *r_out = RoleId{k};
    r_out += x == kLoss;
  };
  if (roles.size() <= 32) {
    for (RoleId r : roles) emit(index_of(r));
    std::sort(g_begin, g_out);
    std::sort(r_begin, r_out);
  } else {
    uint32_t k = low;
#if defined(__SSE2__)
    // 64 marks at a time into two 64-bit masks: one loop exit a word, not a role.
    const __m128i gain = _mm_set1_epi8(kGain), loss = _mm_set1_epi8(kLoss), sides = _mm_set1_epi8(kSides);
    for (; k + 64 <= high + 1; k += 64) {
      uint64_t gains = 0, losses = 0;
      for (uint32_t c = 0; c < 4; ++c) {
        auto* p = reinterpret_cast<__m128i*>(marks.data() + k + 16 * c);
        const __m128i chunk = _mm_and_si128(_mm_loadu_si128(p), sides);
        gains |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, gain)))} << (16 * c);
        losses |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, loss)))} << (16 * c);
        _mm_storeu_si128(p, _mm_setzero_si128());
      }
      for (; gains != 0; gains &= gains - 1) *g_out++ = RoleId{k + static_cast<uint32_t>(std::countr_zero(gains))};
      for (; losses != 0; losses &= losses - 1) *r_out++ = RoleId{k + static_cast<uint32_t>(std::countr_zero(losses))};
    }
#endif
    for (; k <= high; ++k) emit(k);
  }
  granted.assign(g_begin, g_out);
  revoked.assign(r_begin, r_out);
}

void finish_deferred_login(const CompiledConfig& config, const DeferredLogins& log, const DeferredLogins::Ref& ref,
                           DeltaScratch& scratch, Outcome* out) {
  const MappedPair* mapped = log.mapped.data();
  login_delta(config, std::span<const MappedPair>(mapped + ref.before, mapped + ref.after),
              std::span<const MappedPair>(mapped + ref.after, mapped + ref.end),
              std::span<const GroupId>(log.manual.data() + ref.manual, log.manual.data() + ref.manual_end),
              std::span<const RoleId>(log.direct.data() + ref.direct, log.direct.data() + ref.direct_end), scratch,
              out);
}

namespace {

// Records a login's old and new mapped sets for finish_deferred_login().
void defer_login(const UserState& user, std::span<const MappedPair> next, SyncScratch& scratch) {
  DeferredLogins& log = *scratch.defer;
  DeferredLogins::Ref& ref = scratch.ref;
  ref.before = static_cast<uint32_t>(log.mapped.size());
  log.mapped.insert(log.mapped.end(), user.mapped.begin(), user.mapped.end());
  ref.after = static_cast<uint32_t>(log.mapped.size());
  log.mapped.insert(log.mapped.end(), next.begin(), next.end());
  ref.end = static_cast<uint32_t>(log.mapped.size());
  ref.manual = static_cast<uint32_t>(log.manual.size());
  log.manual.insert(log.manual.end(), user.manual.begin(), user.manual.end());
  ref.manual_end = static_cast<uint32_t>(log.manual.size());
  ref.direct = static_cast<uint32_t>(log.direct.size());
  log.direct.insert(log.direct.end(), user.direct_roles.begin(), user.direct_roles.end());
  ref.direct_end = static_cast<uint32_t>(log.direct.size());
  scratch.deferred = true;
}

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
  std::span<const MappedPair> next = match.matched;
  if (!match.indeterminate_claims.empty()) {
    std::vector<MappedPair>& merged = scratch.new_mapped;
    merged.assign(match.matched.begin(), match.matched.end());
    for (const MappedPair& pair : user.mapped) {
      if (match.is_indeterminate(config.mapping(pair.mapping))) merged.push_back(pair);
    }
    std::sort(merged.begin(), merged.end());
    merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
    next = merged;
  }
  if (!std::equal(next.begin(), next.end(), user.mapped.begin(), user.mapped.end())) {
    // Not suspended (above), so effective groups are mapped ∪ manual.
    if (scratch.defer != nullptr) {
      defer_login(user, next, scratch);
    } else {
      login_delta(config, user.mapped, next, user.manual, user.direct_roles, scratch.delta, out);
    }
    user.mapped.assign(next.begin(), next.end());
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
  scratch.deferred = false;

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
