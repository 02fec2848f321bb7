// Sync: apply one login's mapped set to the user store (docs/spec.md §5) — a new
// user, an unchanged login (the common case of a storm), and a churned login
// that swaps two of its five memberships — with the delta it produces.
// Parsing and matching are outside the timed loop.
#include <benchmark/benchmark.h>

#include <charconv>
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
  const CompiledConfig& config = sync_config().compiled();
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
    store.with_user(ProviderKey{0}, s, [&](UserHandle& user) { apply_event(config, event, m, user, scratch, &outcome); });
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

}  // namespace
}  // namespace claimmap::bench
