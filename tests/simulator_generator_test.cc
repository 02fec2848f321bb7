// The generator (simulator/generator.h): determinism, realistic shape, and
// every event kind and error kind at the asked shares.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "simulator/bad_lines.h"
#include "simulator/generator.h"

namespace claimmap::sim {
namespace {

GeneratorOptions small_options(uint64_t seed) {
  GeneratorOptions o;
  o.seed = seed;
  o.users = 5000;
  o.mappings = 2000;
  o.bad_share = 0.05;
  o.push_share = 0.05;
  o.stale_share = 0.05;
  return o;
}

std::string events_of(const GeneratorOptions& o, uint64_t count) {
  Generator g(o);
  std::string out;
  g.append_events(count, &out);
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  return lines;
}

TEST(SimulatorGenerator, SameSeedGivesIdenticalBytes) {
  const GeneratorOptions o = small_options(7);
  Generator a(o), b(o);
  EXPECT_EQ(a.config_json(), b.config_json());
  EXPECT_EQ(a.initial_state_ndjson(), b.initial_state_ndjson());
  EXPECT_EQ(events_of(o, 3000), events_of(o, 3000));
}

TEST(SimulatorGenerator, DifferentSeedGivesDifferentBytes) {
  Generator a(small_options(7)), b(small_options(8));
  EXPECT_NE(a.config_json(), b.config_json());
  EXPECT_NE(a.initial_state_ndjson(), b.initial_state_ndjson());
  EXPECT_NE(events_of(small_options(7), 1000), events_of(small_options(8), 1000));
}

TEST(SimulatorGenerator, ChunkingDoesNotChangeTheStream) {
  // append_events(1000) once, or 10 x 100, or planned then rendered: same bytes.
  const GeneratorOptions o = small_options(11);
  const std::string whole = events_of(o, 1000);
  Generator g(o);
  std::string pieces;
  for (int i = 0; i < 10; ++i) g.append_events(100, &pieces);
  EXPECT_EQ(whole, pieces);
  Generator h(o);
  std::vector<PlannedEvent> planned;
  h.plan_events(1000, &planned);
  std::string rendered;
  for (auto it = planned.rbegin(); it != planned.rend(); ++it) {  // render order does not matter
    std::string line;
    h.render(*it, &line);
    rendered.insert(0, line);
  }
  EXPECT_EQ(whole, rendered);
}

TEST(SimulatorGenerator, ConfigAndStateLoad) {
  Generator g(small_options(3));
  ConfigReport report;
  auto config = load_config(g.config_json(), &report);
  ASSERT_TRUE(config.ok()) << (report.errors.empty() ? "" : report.errors[0].to_string());
  EXPECT_EQ(report.providers, 5u);
  EXPECT_EQ(report.mappings, 2000u);
  EXPECT_GT(report.mappings, report.active_mappings);  // some OIDC mappings are inactive
  Engine engine(config.value());
  StateLoadReport loaded;
  ASSERT_TRUE(engine.import_state(g.initial_state_ndjson(), &loaded).ok());
  EXPECT_EQ(loaded.users, 5000u);
  EXPECT_EQ(loaded.dropped(), 0u);
}

TEST(SimulatorGenerator, LoginsWithoutDriftChangeNothing) {
  // The saved state is what a login at version 0 maps: without churn, pushes
  // or bad lines, a storm over the saved state produces no delta at all.
  GeneratorOptions o = small_options(5);
  o.churn = 0, o.bad_share = 0, o.push_share = 0, o.stale_share = 0;
  Generator g(o);
  Engine engine(load_config(g.config_json()).value());
  ASSERT_TRUE(engine.import_state(g.initial_state_ndjson()).ok());
  std::string events;
  g.append_events(5000, &events);
  uint64_t seq = 0;
  for (std::string_view line : split_lines(events)) {
    const Delta d = engine.process(line, ++seq);
    ASSERT_EQ(d.status, claimmap::DeltaStatus::kOk) << line;
    ASSERT_TRUE(d.groups_added.empty() && d.groups_removed.empty() && !d.new_user) << line;
  }
}

TEST(SimulatorGenerator, ChurnGrantsAndRevokes) {
  GeneratorOptions o = small_options(6);
  o.churn = 0.5, o.bad_share = 0, o.push_share = 0, o.stale_share = 0;
  Generator g(o);
  Engine engine(load_config(g.config_json()).value());
  ASSERT_TRUE(engine.import_state(g.initial_state_ndjson()).ok());
  std::string events;
  g.append_events(4000, &events);
  size_t added = 0, removed = 0;
  for (std::string_view line : split_lines(events)) {
    const Delta d = engine.process(line, 1);
    added += d.groups_added.size();
    removed += d.groups_removed.size();
  }
  EXPECT_GT(added, 200u);
  EXPECT_GT(removed, 200u);
}

TEST(SimulatorGenerator, EveryKindAndErrorCodeAtTheAskedShares) {
  GeneratorOptions o = small_options(9);
  o.bad_share = 0.10, o.push_share = 0.10, o.stale_share = 0.05;
  Generator g(o);
  Engine engine(load_config(g.config_json()).value());
  ASSERT_TRUE(engine.import_state(g.initial_state_ndjson()).ok());
  constexpr uint64_t kEvents = 40000;
  std::vector<PlannedEvent> planned;
  g.plan_events(kEvents, &planned);
  std::array<uint64_t, kEventKindCount> kinds{};
  std::array<uint64_t, kBadKindCount + 1> planned_codes{}, got_codes{};
  uint64_t stale = 0;
  std::string line;
  for (const PlannedEvent& e : planned) {
    ++kinds[static_cast<int>(e.kind)];
    line.clear();
    g.render(e, &line);
    const Delta d = engine.process(std::string_view(line).substr(0, line.size() - 1), e.index + 1);
    if (e.kind == EventKind::kBad) {
      ++planned_codes[e.bad_code];
      ASSERT_EQ(static_cast<int>(d.error.code()), e.bad_code) << line.substr(0, 300);
      ++got_codes[e.bad_code];
    } else {
      ASSERT_TRUE(d.ok()) << d.error.to_string() << "\n" << line.substr(0, 300);
    }
    if (e.kind == EventKind::kStaleReplay) {
      EXPECT_TRUE(d.status == claimmap::DeltaStatus::kStale || d.status == claimmap::DeltaStatus::kSuspended) << line.substr(0, 300);
      stale += d.status == claimmap::DeltaStatus::kStale;
    }
  }
  auto share = [&](uint64_t n) { return static_cast<double>(n) / kEvents; };
  EXPECT_NEAR(share(kinds[static_cast<int>(EventKind::kBad)]), 0.10, 0.01);
  EXPECT_NEAR(share(kinds[static_cast<int>(EventKind::kStaleReplay)]), 0.05, 0.01);
  uint64_t pushes = 0;
  for (int k = static_cast<int>(EventKind::kAssign); k <= static_cast<int>(EventKind::kDelete); ++k) {
    EXPECT_GT(kinds[k], 0u) << event_kind_name(static_cast<EventKind>(k));
    pushes += kinds[k];
  }
  EXPECT_NEAR(share(pushes), 0.10, 0.01);
  EXPECT_GT(stale, kinds[static_cast<int>(EventKind::kStaleReplay)] * 9 / 10);
  // Each code's share of the bad lines follows the run's weights; an
  // unsigned run has no signed-token codes (simulator_sign_test.cc has them).
  const double bad = static_cast<double>(kinds[static_cast<int>(EventKind::kBad)]);
  for (uint8_t c = 1; c <= kBadKindCount; ++c) {
    const double expected = bad_kind_share(g.bad_kind_weights(), c);
    EXPECT_EQ(expected, bad_kind_share(c));  // unsigned: kBadKindWeight
    if (expected == 0) {
      EXPECT_EQ(got_codes[c], 0u) << "code " << int(c);
      continue;
    }
    EXPECT_GT(got_codes[c], 0u) << "code " << int(c);
    EXPECT_NEAR(got_codes[c] / bad, expected, 0.25 * expected + 0.005) << "code " << int(c);
  }
}

TEST(SimulatorGenerator, EntraTokensLookReal) {
  GeneratorOptions o = small_options(1);
  o.shapes = {true, false, false, false, false};
  o.bad_share = o.push_share = o.stale_share = 0;
  const std::string events = events_of(o, 2000);
  size_t total = 0, overage = 0, count = 0;
  for (std::string_view line : split_lines(events)) {
    ++count;
    total += line.size();
    overage += line.find("\"_claim_names\"") != std::string_view::npos;
    for (std::string_view claim : {"\"iss\"", "\"aud\"", "\"iat\"", "\"exp\"", "\"oid\"", "\"tid\"", "\"name\"",
                                   "\"preferred_username\""}) {
      ASSERT_NE(line.find(claim), std::string_view::npos) << claim << " in " << line;
    }
  }
  const double mean = static_cast<double>(total) / count;
  EXPECT_GT(mean, 900);  // ~1.2 KB with 20 GUID groups
  EXPECT_LT(mean, 2000);
  EXPECT_GT(overage, 0u);  // users in more than 200 groups get _claim_names
}

TEST(SimulatorGenerator, GeneratesQuickly) {
  // 1M events must take seconds, not minutes: 50k here in well under a second.
  GeneratorOptions o = small_options(2);
  o.bad_share = 0;  // no 1 MiB lines
  Generator g(o);
  std::string out;
  const auto start = std::chrono::steady_clock::now();
  g.append_events(50000, &out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 2.0);
}

}  // namespace
}  // namespace claimmap::sim
