// Sync: apply one login's mapped set to the user store (docs/spec.md §5) — a new
// user, an unchanged login (the common case of a storm), and a churned login
// that swaps two of its five memberships — with the delta it produces.
// Parsing and matching are outside the timed loop.
//
// BM_SyncSize: the same at 5, 20, 80 and 200 memberships, for an
// unchanged login, one that swaps 2 groups, and one that swaps them all
// (alternating between two disjoint sets): the cost should follow the
// change, not the user's size.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

#include "claimmap/config.h"
#include "engine/sync/sync.h"
#include "simulator/generator.h"

namespace claimmap::bench {
namespace {

const Config& sync_config() {
  static const Config config = [] {
    sim::GeneratorOptions options;
    options.users = 1000;
    options.initial_state = false;
    ConfigReport report;
    Result<Config> c = load_config(sim::Generator(options).config_json(), &report);
    if (!c.ok()) std::abort();
    return c.value();
  }();
  return config;
}

// `count` (group, mapping) pairs of active mappings, starting at `first`, sorted.
std::vector<MappedPair> pairs(const CompiledConfig& config, uint32_t first, uint32_t count) {
  std::vector<MappedPair> out;
  for (uint32_t i = first; out.size() < count && i < config.mappings.size(); ++i) {
    const CompiledMapping& m = config.mapping(MappingId{i});
    if (m.active && m.provider == ProviderId{0}) out.push_back({m.group, MappingId{i}});
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end(), [](auto a, auto b) { return a.group == b.group; }), out.end());
  return out;
}

ParsedEvent login_event(std::string_view subject, double iat) {
  ParsedEvent e;
  e.kind_known = e.provider_known = e.subject_known = true;
  e.kind = EventKind::kLogin;
  e.provider = ProviderId{0};
  e.subject = subject;
  e.has_iat = true;
  e.iat = iat;
  return e;
}

enum Case { kNewUser, kUnchanged, kChurned };

void BM_Sync(benchmark::State& state) {
  const CompiledConfig& config = ConfigAccess::compiled(sync_config());
  const Case which = static_cast<Case>(state.range(0));
  UserStore store;
  SyncScratch scratch;
  Outcome outcome;
  MatchResult a, b;
  a.matched = pairs(config, 0, 5);
  b.matched = pairs(config, 0, 3);
  for (const auto& p : pairs(config, 200, 2)) b.matched.push_back(p);
  std::sort(b.matched.begin(), b.matched.end());
  char subject[48] = "0f3c2b1e-0000-4000-8000-";
  const size_t prefix = std::strlen(subject);
  uint64_t n = 0;
  double iat = 1;
  auto apply = [&](std::string_view s, const MatchResult& m) {
    outcome.reset(n);
    const ParsedEvent event = login_event(s, iat);
    store.with_user(ProviderKey{0}, s, [&](UserHandle& user) { apply_event(config, event, m.view(), user, scratch, &outcome); });
    iat += 1;
  };
  const std::string_view fixed(subject, prefix + 12);
  std::fill(subject + prefix, subject + prefix + 12, '7');
  if (which != kNewUser) apply(fixed, a);
  for (auto _ : state) {
    if (which == kNewUser) {
      auto r = std::to_chars(subject + prefix, subject + sizeof subject, 100000000000 + n);
      apply(std::string_view(subject, static_cast<size_t>(r.ptr - subject)), a);
    } else if (which == kUnchanged) {
      apply(fixed, a);
    } else {
      apply(fixed, n % 2 ? a : b);
    }
    benchmark::DoNotOptimize(outcome.roles_granted.data());
    ++n;
  }
  state.SetLabel(which == kNewUser ? "new_user" : which == kUnchanged ? "unchanged" : "churned");
}
BENCHMARK(BM_Sync)->Arg(kNewUser)->Arg(kUnchanged)->Arg(kChurned)->ArgName("case");

// `count` pairs of provider 0's active mappings, one per group, whose groups
// are not in `exclude`, from mapping `first` on; sorted.
std::vector<MappedPair> pairs_excluding(const CompiledConfig& config, uint32_t first, uint32_t count,
                                        const std::vector<MappedPair>& exclude) {
  std::vector<MappedPair> out;
  std::vector<GroupId> seen;
  for (const auto& p : exclude) seen.push_back(p.group);
  for (uint32_t i = first; out.size() < count && i < config.mappings.size(); ++i) {
    const CompiledMapping& m = config.mapping(MappingId{i});
    if (!m.active || m.provider != ProviderId{0}) continue;
    if (std::find(seen.begin(), seen.end(), m.group) != seen.end()) continue;
    seen.push_back(m.group);
    out.push_back({m.group, MappingId{i}});
  }
  if (out.size() < count) std::abort();  // the config is too small for the case
  std::sort(out.begin(), out.end());
  return out;
}

enum Change { kNone, kTwo, kAll };

void BM_SyncSize(benchmark::State& state) {
  const CompiledConfig& config = ConfigAccess::compiled(sync_config());
  const uint32_t groups = static_cast<uint32_t>(state.range(0));
  const Change change = static_cast<Change>(state.range(1));
  UserStore store;
  SyncScratch scratch;
  Outcome outcome;
  MatchResult a, b;
  a.matched = pairs_excluding(config, 0, groups, {});
  if (change == kTwo) {
    b.matched.assign(a.matched.begin(), a.matched.end() - 2);
    for (const auto& p : pairs_excluding(config, 0, 2, a.matched)) b.matched.push_back(p);
    std::sort(b.matched.begin(), b.matched.end());
  } else {
    b.matched = change == kAll ? pairs_excluding(config, 0, groups, a.matched) : a.matched;
  }
  const std::string subject = "0f3c2b1e-0000-4000-8000-777777777777";
  uint64_t n = 0;
  double iat = 1;
  size_t changed = 0;
  auto apply = [&](const MatchResult& m) {
    outcome.reset(n);
    const ParsedEvent event = login_event(subject, iat);
    store.with_user(ProviderKey{0}, subject, [&](UserHandle& user) { apply_event(config, event, m.view(), user, scratch, &outcome); });
    iat += 1;
  };
  apply(a);
  for (auto _ : state) {
    apply(n % 2 ? a : b);
    changed += outcome.groups_added.size() + outcome.groups_removed.size();
    benchmark::DoNotOptimize(outcome.roles_granted.data());
    ++n;
  }
  state.counters["groups_changed"] = static_cast<double>(changed) / static_cast<double>(std::max<uint64_t>(n, 1));
  state.SetLabel(change == kNone ? "unchanged" : change == kTwo ? "change 2" : "change all");
}
BENCHMARK(BM_SyncSize)
    ->ArgsProduct({{5, 20, 80, 200}, {kNone, kTwo, kAll}})
    ->ArgNames({"groups", "change"});

}  // namespace
}  // namespace claimmap::bench
