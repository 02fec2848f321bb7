#include "engine/sync/sync.h"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engine/common/json_text.h"
#include "engine/common/padded_copy.h"
#include "engine/common/set_bits.h"

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

// Merge steps without a run of kept pairs after which the rest of a login's
// middle is classified by marks instead (login_delta).
constexpr size_t kStepsBeforeMarks = 24;

// Role references (4 bytes each) that login_delta makes room for by a bound
// rather than by counting them first.
constexpr size_t kRoomWithoutCounting = size_t{16} << 10;

// Appends group g's roles at `t` and returns the new end: one fixed 16-byte
// move for a group of up to four roles (the compiled list has room past its
// end).
inline RoleId* copy_roles(const CompiledConfig& config, GroupId g, RoleId* t) {
  const RoleId* r = config.group_roles_begin(g);
  return copy_padded<CompiledConfig::kRoleCopy>(t, r, static_cast<size_t>(config.group_roles_end(g) - r));
}

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
  // sorted. Kept groups are not copied: they stay where they are in
  // `before`, as the two ends, runs (ranges) and single pairs (indices).
  const size_t ie = nb - suffix, je = na - suffix;
  GroupId* const add_buf = DeltaScratch::room(s.added, je - prefix);
  GroupId* const rem_buf = DeltaScratch::room(s.removed, ie - prefix);
  if (s.kept_at.size() < ie - prefix + 1) s.kept_at.resize(ie - prefix + 1);
  if (s.kept_runs.size() < (ie - prefix) / 8 + 1) s.kept_runs.resize((ie - prefix) / 8 + 1);
  uint32_t* const kept_at = s.kept_at.data();
  DeltaScratch::Run* const kept_runs = s.kept_runs.data();
  size_t i = prefix, j = prefix, nadd = 0, nrem = 0, nkept = 0, nruns = 0;
  uint32_t last_b = UINT32_MAX, last_a = UINT32_MAX;
  bool in_run = false;
  size_t single_steps = 0;  // since the last run
  while (i < ie && j < je) {
    if (single_steps >= kStepsBeforeMarks) {
      // No runs to skip here: most groups change (a fresh token, a cold
      // start). The rest is classified by marks by group instead, four
      // passes with no dependency from pair to pair, where each merge step
      // waits for the one before (the load of the next pair depends on which
      // side advanced).
      for (; i < ie && index_of(before[i].group) == last_b; ++i) {}
      for (; j < je && index_of(after[j].group) == last_a; ++j) {}
      std::vector<uint8_t>& side_v = s.side_marks;
      if (side_v.size() < config.groups.size()) side_v.resize(config.groups.size(), 0);
      uint8_t* const side = side_v.data();
      for (size_t k = i; k < ie; ++k) side[index_of(before[k].group)] = 1;
      for (size_t k = j; k < je; ++k) side[index_of(after[k].group)] |= 2;
      // The first pair of a group reads its sides and clears them, so that
      // its further pairs (a group of two mappings) place nothing.
      for (size_t k = i; k < ie; ++k) {
        const uint32_t g = index_of(before[k].group);
        const uint8_t v = side[g];
        side[g] = 0;
        rem_buf[nrem] = GroupId{g};
        nrem += v == 1;
        kept_at[nkept] = static_cast<uint32_t>(k);
        nkept += v == 3;
      }
      for (size_t k = j; k < je; ++k) {
        const uint32_t g = index_of(after[k].group);
        const uint8_t v = side[g];
        side[g] = 0;
        add_buf[nadd] = GroupId{g};
        nadd += v == 2;
      }
      i = ie;
      j = je;
      break;
    }
    if (in_run) {
      size_t run = 0;
      while (ie - i - run >= 8 && je - j - run >= 8 &&
             std::memcmp(&before[i + run], &after[j + run], 8 * sizeof(MappedPair)) == 0) {
        run += 8;
      }
      in_run = false;
      if (run != 0) {
        single_steps = 0;
        kept_runs[nruns++] = {static_cast<uint32_t>(i), static_cast<uint32_t>(i + run)};
        last_b = last_a = index_of(before[i + run - 1].group);
        i += run;
        j += run;
        continue;
      }
    }
    ++single_steps;
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
    kept_at[nkept] = static_cast<uint32_t>(i);
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
  }
  out->groups_added.assign(add_buf, add_buf + nadd);
  out->groups_removed.assign(rem_buf, rem_buf + nrem);
  std::vector<RoleId>& granted = out->roles_granted;
  std::vector<RoleId>& revoked = out->roles_revoked;
  granted.clear();
  revoked.clear();
  if (nadd == 0 && nrem == 0) return;  // only provenance changed
  const std::span<const GroupId> added(add_buf, nadd), removed(rem_buf, nrem);
  // Every kept group, some more than once (a group of two mappings in an
  // end or a run): whatever is done to them below may be done twice.
  size_t kept_count = prefix + suffix + nkept + manual.size();
  for (size_t r = 0; r < nruns; ++r) kept_count += kept_runs[r].end - kept_runs[r].begin;
  auto for_each_kept = [&](auto&& f) {
    for (size_t k = 0; k < prefix; ++k) f(before[k].group);
    for (size_t r = 0; r < nruns; ++r) {
      for (size_t k = kept_runs[r].begin; k < kept_runs[r].end; ++k) f(before[k].group);
    }
    for (size_t k = 0; k < nkept; ++k) f(before[kept_at[k]].group);
    for (size_t k = nb - suffix; k < nb; ++k) f(before[k].group);
    for (GroupId g : manual) f(g);
  };

  // The roles of the groups added, then of those removed, copied group by
  // group (repeats and all) and then marked: deduplicating as they come
  // would chain each role's append to the load of its mark. Readers of
  // `touched` tolerate repeats (kChecked below; emit() of a cleared mark
  // writes nothing).
  std::vector<uint8_t>& marks_v = s.role_marks;
  if (marks_v.size() < config.roles.size()) marks_v.resize(config.roles.size(), 0);
  uint8_t* const marks = marks_v.data();
  // Room for them: bounded by the largest group's roles when that bound is
  // small (most configs), else counted.
  size_t refs = CompiledConfig::kRoleCopy + (nadd + nrem) * config.max_group_roles;
  if (refs > kRoomWithoutCounting) {
    refs = CompiledConfig::kRoleCopy;
    for (GroupId g : added) refs += config.group_roles_end(g) - config.group_roles_begin(g);
    for (GroupId g : removed) refs += config.group_roles_end(g) - config.group_roles_begin(g);
  }
  std::vector<RoleId>& touched = s.touched;
  if (touched.size() < refs) touched.resize(refs);
  RoleId* const touched_begin = touched.data();
  RoleId* gain_end = touched_begin;
  for (GroupId g : added) gain_end = copy_roles(config, g, gain_end);
  RoleId* touched_end = gain_end;
  for (GroupId g : removed) touched_end = copy_roles(config, g, touched_end);
  if (touched_end == touched_begin) return;  // groups without roles
  uint32_t low = UINT32_MAX, high = 0;
  for (const RoleId* r = touched_begin; r != gain_end; ++r) {
    const uint32_t k = index_of(*r);
    low = std::min(low, k);
    high = std::max(high, k);
    marks[k] |= kGain;
  }
  for (const RoleId* r = gain_end; r != touched_end; ++r) {
    const uint32_t k = index_of(*r);
    low = std::min(low, k);
    high = std::max(high, k);
    marks[k] |= kLoss;
  }
  const std::span<const RoleId> roles(touched_begin, touched_end);

  // A role granted by a group added or removed but also held directly, or
  // through a group kept, is neither granted nor revoked (docs/spec.md §5).
  // Only roles that one side alone grants need the check.
  if (!direct.empty()) {
    if (direct.size() <= roles.size()) {
      for (RoleId r : direct) {
        if (index_of(r) < config.roles.size() && marks[index_of(r)] != 0) marks[index_of(r)] |= kKeep;
      }
    } else {
      for (RoleId r : roles) {
        if (std::binary_search(direct.begin(), direct.end(), r)) marks[index_of(r)] |= kKeep;
      }
    }
  }
  if (kept_count != 0) {
    // Either each such role's granting groups (compile-time lists) looked up
    // among the kept ones — marked for the purpose in an array by group, one
    // store a kept group (a mark is this call's epoch, so nothing needs
    // clearing) — or every kept group's roles marked: whichever reads less.
    // A small change to a large user takes the first, a lookup stopping at
    // the first kept group it meets. The estimate stops as soon as the
    // lookups would cost more than the scan.
    const size_t roles_per_group =
        (config.group_role_begin.back() + config.groups.size() - 1) / std::max<size_t>(1, config.groups.size());
    const size_t scan_cost = kept_count * 2 * std::max<size_t>(1, roles_per_group);
    size_t cost = kept_count;
    bool look_up = cost < scan_cost;
    for (size_t k = 0; look_up && k < roles.size(); ++k) {
      const RoleId r = roles[k];
      const uint8_t x = marks[index_of(r)];
      cost += (x == kGain || x == kLoss) ? config.role_groups_end(r) - config.role_groups_begin(r) : 0;
      look_up = cost < scan_cost;
    }
    if (look_up) {
      std::vector<uint32_t>& held_v = s.group_marks;
      if (held_v.size() < config.groups.size()) held_v.resize(config.groups.size(), 0);
      if (++s.epoch == 0) {  // wrapped: marks of 2^32 calls ago would read as this one's
        std::fill(held_v.begin(), held_v.end(), 0);
        s.epoch = 1;
      }
      uint32_t* const held = held_v.data();
      const uint32_t epoch = s.epoch;
      for_each_kept([&](GroupId g) { held[index_of(g)] = epoch; });
      for (RoleId r : roles) {
        uint8_t& x = marks[index_of(r)];
        if (x != kGain && x != kLoss) continue;
        x |= kChecked;
        for (const GroupId *g = config.role_groups_begin(r), *e = config.role_groups_end(r); g != e; ++g) {
          if (held[index_of(*g)] == epoch) {
            x |= kKeep;
            break;
          }
        }
      }
    } else {
      for_each_kept([&](GroupId g) {
        for (const RoleId *r = config.group_roles_begin(g), *e = config.group_roles_end(g); r != e; ++r) {
          uint8_t& x = marks[index_of(*r)];
          if (x != 0) x |= kKeep;  // rarely: most kept roles are not touched
        }
      });
    }
  }

  // Emit, sorted, and clear the marks. Few roles: sort them. Many: walk the
  // marks' range 64 at a time, turning each chunk's granted and revoked
  // marks into bit masks, so that there is no branch per role (a role's
  // outcome is as unpredictable as a coin).
  // (Room past the end: emit() writes one past the roles kept so far,
  // whatever the mark, and put_set_bits() kSetBitsSlack.)
  RoleId* const g_begin = DeltaScratch::room(s.granted, roles.size() + kSetBitsSlack);
  RoleId* const r_begin = DeltaScratch::room(s.revoked, roles.size() + kSetBitsSlack);
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
        auto* p = reinterpret_cast<__m128i*>(marks + k + 16 * c);
        const __m128i chunk = _mm_and_si128(_mm_loadu_si128(p), sides);
        gains |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, gain)))} << (16 * c);
        losses |= uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, loss)))} << (16 * c);
        _mm_storeu_si128(p, _mm_setzero_si128());
      }
      g_out = put_set_bits(g_out, k, gains);
      r_out = put_set_bits(r_out, k, losses);
    }
#endif
    for (; k <= high; ++k) emit(k);
  }
  granted.assign(g_begin, g_out);
  revoked.assign(r_begin, r_out);
}

void finish_deferred_login(const CompiledConfig& config, const DeferredLogins& log, const DeferredLogins::Ref& ref,
                           DeltaScratch& scratch, Outcome* out, ExplainScratch* why,
                           std::span<const ValuedPair> values) {
  const MappedPair* mapped = log.mapped.data();
  const std::span<const MappedPair> next = ref.next_view != nullptr
                                               ? std::span<const MappedPair>(ref.next_view, ref.next_end)
                                               : std::span<const MappedPair>(mapped + ref.next, mapped + ref.next_end);
  const std::span<const MappedPair> before(mapped + ref.before, mapped + ref.before_end);
  const std::span<const GroupId> manual(log.manual.data() + ref.manual, log.manual.data() + ref.manual_end);
  const std::span<const RoleId> direct(log.direct.data() + ref.direct, log.direct.data() + ref.direct_end);
  login_delta(config, before, next, manual, direct, scratch, out);
  if (why != nullptr) explain_login(config, before, next, manual, direct, values, *why, out);
}

namespace {

// Records a login's old and new mapped sets for finish_deferred_login().
// `next_is_match`: the new set is the match's own pairs (nothing merged in).
void defer_login(const UserHandle::View& user, std::span<const MappedPair> next, bool next_is_match,
                 SyncScratch& scratch) {
  DeferredLogins& log = *scratch.defer;
  DeferredLogins::Ref& ref = scratch.ref;
  ref.before = static_cast<uint32_t>(log.mapped.size());
  log.mapped.insert(log.mapped.end(), user.mapped.begin(), user.mapped.end());
  ref.before_end = static_cast<uint32_t>(log.mapped.size());
  if (next_is_match) {
    ref.next_view = next.data();
    ref.next = 0;
    ref.next_end = static_cast<uint32_t>(next.size());
  } else {
    ref.next_view = nullptr;
    ref.next = ref.before_end;
    log.mapped.insert(log.mapped.end(), next.begin(), next.end());
    ref.next_end = static_cast<uint32_t>(log.mapped.size());
  }
  ref.manual = static_cast<uint32_t>(log.manual.size());
  log.manual.insert(log.manual.end(), user.manual.begin(), user.manual.end());
  ref.manual_end = static_cast<uint32_t>(log.manual.size());
  ref.direct = static_cast<uint32_t>(log.direct.size());
  log.direct.insert(log.direct.end(), user.direct_roles.begin(), user.direct_roles.end());
  ref.direct_end = static_cast<uint32_t>(log.direct.size());
  scratch.deferred = true;
}

// What a login changes of its user: the mapped set and the highest iat.
struct LoginChange {
  bool mapped_changed = false;
  std::span<const MappedPair> mapped;  // the new set, when changed (never views the record)
  bool iat_changed = false;
  bool has_iat = false;
  double last_iat = 0;
};

// A login against the user's state as it is in the store (a new user: an
// empty view): fills the outcome, and returns what is to be saved.
LoginChange sync_login(const CompiledConfig& config, const ParsedEvent& event, const MatchView& match,
                       const UserHandle::View& user, SyncScratch& scratch, Outcome* out) {
  LoginChange change;
  change.has_iat = user.has_iat;
  change.last_iat = user.last_iat;
  if (user.suspended) {
    out->status = DeltaStatus::kSuspended;
    return change;
  }
  // An old or replayed token must never re-grant access (docs/spec.md §5).
  if (event.has_iat && user.has_iat && event.iat < user.last_iat) {
    out->status = DeltaStatus::kStale;
    return change;
  }
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
  // Compared as bytes (pairs have no padding): a pair-by-pair loop of two
  // field compares is most of an unchanged login of a large user.
  static_assert(sizeof(MappedPair) == 2 * sizeof(uint32_t));
  if (next.size() != user.mapped.size() ||
      (!next.empty() && std::memcmp(next.data(), user.mapped.data(), next.size_bytes()) != 0)) {
    // Not suspended (above), so effective groups are mapped ∪ manual.
    if (scratch.defer != nullptr) {
      defer_login(user, next, match.indeterminate_claims.empty(), scratch);
    } else {
      login_delta(config, user.mapped, next, user.manual, user.direct_roles, scratch.delta, out);
      if (scratch.explain) {
        explain_login(config, user.mapped, next, user.manual, user.direct_roles, match.values, scratch.why, out);
      }
    }
    change.mapped_changed = true;
    change.mapped = next;
  }
  if (event.has_iat && (!user.has_iat || event.iat > user.last_iat)) {
    change.last_iat = event.iat;
    change.has_iat = true;
    change.iat_changed = true;
  }
  return change;
}

void reset(UserState& user) {
  user.mapped.clear();
  user.manual.clear();
  user.direct_roles.clear();
  user.last_iat = 0;
  user.has_iat = false;
  user.suspended = false;
}

// The explain of a push (or delete) whose delta finish_delta() just took;
// `user_after` null for a deleted user.
void explain_push(const CompiledConfig& config, EventKind kind, const UserState* user_after, SyncScratch& scratch,
                  Outcome* out) {
  HeldSets after{scratch.groups_after};
  if (user_after != nullptr) {
    after.mapped = user_after->mapped;
    after.manual = user_after->manual;
    if (!user_after->suspended) after.direct = user_after->direct_roles;
  }
  explain_event(config, HeldSets{scratch.groups_before, {}, {}, scratch.direct_before}, after,
                removal_reason_of(kind), {}, scratch.why, out);
}

// What explain_push() needs of the user before a push.
void keep_direct_before(const UserState& user, SyncScratch& scratch) {
  scratch.direct_before.clear();
  if (!user.suspended) scratch.direct_before.assign(user.direct_roles.begin(), user.direct_roles.end());
}

void apply_push(const CompiledConfig& config, const ParsedEvent& event, UserState& user, SyncScratch& scratch,
                Outcome* out) {
  snapshot_effective(config, user, scratch);
  if (scratch.explain) keep_direct_before(user, scratch);
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
  if (scratch.explain) explain_push(config, event.kind, &user, scratch, out);
}

}  // namespace

void apply_event(const CompiledConfig& config, const ParsedEvent& event, const MatchView& match, UserHandle& handle,
                 SyncScratch& scratch, Outcome* out) {
  static_cast<EventIdentity&>(*out) = event;  // all known: only an ok event is applied
  scratch.deferred = false;

  {
    UserState& user = scratch.user;
    if (event.kind == EventKind::kDelete) {
      if (!handle.exists()) {
        out->status = DeltaStatus::kError;
        out->error = ErrorCode::kUnknownUser;
        out->error_message = "no user " + json_text::quoted(event.subject) + " for provider " +
                             json_text::quoted(config.provider(event.provider).def.id);
        return;
      }
      handle.load(&user);
      snapshot_effective(config, user, scratch);
      if (scratch.explain) keep_direct_before(user, scratch);
      handle.erase();
      finish_delta(config, nullptr, scratch, out);
      if (scratch.explain) explain_push(config, event.kind, nullptr, scratch, out);
      return;
    }
    if (event.kind == EventKind::kLogin) {
      // A login that fails a requirement changes nothing, and creates no one
      // (docs/spec.md §16); checked before the suspended and stale checks.
      if (match.denied_rule >= 0) {
        out->status = DeltaStatus::kDenied;
        out->denied_rule = match.denied_rule;
        return;
      }
      // In place: the record is read and written, not decoded and encoded.
      const bool exists = handle.exists();
      const LoginChange change =
          sync_login(config, event, match, exists ? handle.view() : UserHandle::View{}, scratch, out);
      if (exists) {
        if (change.mapped_changed || change.iat_changed) {
          handle.save_login(change.mapped_changed ? &change.mapped : nullptr, change.has_iat, change.last_iat);
        }
        return;
      }
      out->new_user = true;
      reset(user);
      user.mapped.assign(change.mapped.begin(), change.mapped.end());
      user.has_iat = change.has_iat;
      user.last_iat = change.last_iat;
      handle.save(user);
      return;
    }
    if (handle.exists()) {
      handle.load(&user);
    } else {
      reset(user);
      out->new_user = true;
    }
    apply_push(config, event, user, scratch, out);
    handle.save(user);
  }
}

}  // namespace claimmap
