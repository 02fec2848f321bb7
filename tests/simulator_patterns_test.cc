// `simulate --pattern-share`, `--template-share` and `--deny-share`
// (docs/simulator.md "Patterns, templates and login requirements"): the
// generated config holds the asked numbers of each match kind and templates,
// the saved state is what the patterns really map (checked through the
// engine), templates grant the groups they name, exactly the planned logins
// are denied — signed or not, on any thread count —, the report shows the
// knobs, and with the three knobs at 0 a dataset is the bytes it was before
// they existed.
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <simdjson.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "engine/jose/base64url.h"
#include "simulator/generator.h"
#include "simulator/organisation.h"
#include "simulator/pattern_mappings.h"
#include "simulator/replay.h"
#include "simulator/simulate.h"

namespace claimmap::sim {
namespace {

std::string sha256_hex(std::string_view data) {
  unsigned char hash[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), hash);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : hash) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

GeneratorOptions pattern_options(uint64_t seed) {
  GeneratorOptions o;
  o.seed = seed;
  o.users = 4000;
  o.mappings = 3000;
  o.pattern_share = 0.3;
  o.template_share = 0.4;
  return o;
}

// The dataset write_dataset() writes, as one string per file.
struct Dataset {
  std::string config, state, events;
};

Dataset written(const SimulateOptions& s, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("claimmap-patterns-" + std::to_string(::getpid()) + name);
  std::string summary;
  EXPECT_TRUE(write_dataset(s, dir.string(), &summary).ok());
  auto read = [&](const char* file) {
    std::ifstream in(dir / file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  Dataset d{read("config.json"), read("state.ndjson"), read("events.ndjson")};
  std::filesystem::remove_all(dir);
  return d;
}

// --- knobs at 0 ---------------------------------------------------------------

// `claimmap simulate ARGS --threads 2 --write-dataset DIR` before the knobs
// existed (commit 64206cf), as SHA-256 of config.json, state.ndjson and
// events.ndjson. With the knobs at 0 not a byte may move; if a deliberate
// generator change moves them, recompute with sha256sum over a --write-dataset.
struct Baseline {
  const char* args;
  SimulateOptions options;
  const char* config;
  const char* state;
  const char* events;
};

std::vector<Baseline> baselines() {
  std::vector<Baseline> all;
  SimulateOptions a;  // --seed 5 --users 3000 --mappings 1000 --logins 30000 --bad-share 0.05 --push-share 0.05 --stale-share 0.02
  a.generator.seed = 5, a.generator.users = 3000, a.generator.mappings = 1000, a.events = 30000;
  a.generator.bad_share = 0.05, a.generator.push_share = 0.05, a.generator.stale_share = 0.02;
  all.push_back({"a", a, "7c279e1e402a4056a2c9fef300f451ba0ef0790b87b309af07f966e53d8d0522",
                 "44e525140909d2c8aa37ce5b61bb0374dea34bb8235bcc926abc86c67bd3efa4",
                 "87e2cd007faf96e2e18b0988a864d7494a5f66137d9657df34a308a540b6f277"});
  // --seed 9 --users 4000 --mappings 3000 --logins 20000 --groups-per-value 4 --roles-per-group 2 --churn 0.3
  // --drift-share 0.2 (and the CLI's shares: bad 0.001, push 0.01, stale 0.005)
  SimulateOptions b;
  b.generator.seed = 9, b.generator.users = 4000, b.generator.mappings = 3000, b.events = 20000;
  b.generator.groups_per_value = 4, b.generator.roles_per_group = 2, b.generator.churn = 0.3;
  b.generator.drift_share = 0.2;
  b.generator.bad_share = 0.001, b.generator.push_share = 0.01, b.generator.stale_share = 0.005;
  all.push_back({"b", b, "701349346ec10a095b0d77e16a03bcb1a96927c467e6adb8c03ed8dca942fba0",
                 "4bae74948f2d0376aa4edaa0f8c942011cb5201014225f7d5951d71346e3168c",
                 "685c1b7882d97ab39c55b50771462fe28c664c4cec198ec6e718a2db9b11418d"});
  // --seed 11 --users 2000 --mappings 800 --logins 10000 --cold-start --providers okta,saml --bad-share 0.02
  SimulateOptions c;
  c.generator.seed = 11, c.generator.users = 2000, c.generator.mappings = 800, c.events = 10000;
  c.generator.initial_state = false, c.generator.shapes = {false, true, false, true, false};
  c.generator.bad_share = 0.02, c.generator.push_share = 0.01, c.generator.stale_share = 0.005;
  all.push_back({"c", c, "f10f02f288a0b13107109d67a36184091dd4ddadf0078f2ed61a7e64559fd80b",
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                 "800f9fd5435a4ed1752a7e3c54c4f2a6464997919034fdc6815fbd1e22de9538"});
  // --seed 5 --users 2000 --mappings 600 --logins 6000 --sign ES256 --bad-share 0.05 --stale-share 0.02
  SimulateOptions d;
  d.generator.seed = 5, d.generator.users = 2000, d.generator.mappings = 600, d.events = 6000;
  d.generator.sign = SignAlgorithm::kES256;
  d.generator.bad_share = 0.05, d.generator.push_share = 0.01, d.generator.stale_share = 0.02;
  all.push_back({"d", d, "3c2797e8067c87018eced1f1ee12b35758b6fbd842f3a8868fcaacf1a89d2c0c",
                 "6a345a13ea5e4f8eb1c79bf01725d002a1b0ed72f762d7e84b55585bb04b1936",
                 "54321955be53a24547969028a2c7d18ef6f104ad2bf8a891219ade878a590e31"});
  for (Baseline& x : all) x.options.threads = 2;
  return all;
}

TEST(SimulatorPatterns, KnobsAtZeroWriteTheBytesOfBefore) {
  for (const Baseline& b : baselines()) {
    // Unset, and set explicitly to 0 (a template share without patterns
    // makes no templates either): the same bytes as before the knobs.
    SimulateOptions zero = b.options;
    zero.generator.pattern_share = 0, zero.generator.template_share = 0.7, zero.generator.deny_share = 0;
    for (const SimulateOptions& s : {b.options, zero}) {
      const Dataset d = written(s, b.args);
      EXPECT_EQ(sha256_hex(d.config), b.config) << b.args;
      EXPECT_EQ(sha256_hex(d.state), b.state) << b.args;
      EXPECT_EQ(sha256_hex(d.events), b.events) << b.args;
    }
  }
}

TEST(SimulatorPatterns, DenyShareLeavesTheRestOfTheStreamAlone) {
  // The deny decision is keyed by the event, not drawn from the stream: the
  // same events are planned, and only the logins' claims (and the
  // requirement in the config) differ.
  GeneratorOptions o = pattern_options(3);
  o.pattern_share = 0, o.bad_share = 0.02, o.push_share = 0.02, o.stale_share = 0.02;
  Generator plain(o);
  o.deny_share = 0.2;
  Generator denying(o);
  std::vector<PlannedEvent> a, b;
  plain.plan_events(20000, &a);
  denying.plan_events(20000, &b);
  size_t denied = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].kind, b[i].kind) << i;
    ASSERT_EQ(a[i].user, b[i].user) << i;
    EXPECT_FALSE(a[i].denied);
    denied += b[i].denied;
  }
  EXPECT_GT(denied, 0u);
  EXPECT_EQ(plain.initial_state_ndjson(), denying.initial_state_ndjson());
}

// --- the config ------------------------------------------------------------------

TEST(SimulatorPatterns, ConfigHoldsTheAskedKindsAndTemplates) {
  for (const double share : {0.3, 1.0}) {
    GeneratorOptions o = pattern_options(7);
    o.pattern_share = share;
    Generator g(o);
    const Organisation& org = g.organisation();
    ConfigReport report;
    ASSERT_TRUE(load_config(g.config_json(), &report).ok()) << report.errors[0].to_string();
    EXPECT_TRUE(report.warnings.empty()) << report.warnings[0].to_string();
    ASSERT_EQ(report.match_summary.size(), org.providers().size());
    size_t templates = 0;
    for (size_t p = 0; p < org.providers().size(); ++p) {
      const ProviderSpec& spec = org.providers()[p];
      const ProviderMatchSummary& s = report.match_summary[p];
      // Picked evenly: floor(n·share) of the n mappings (Entra's tenant
      // mapping stays exact), prefix, glob, regex in turn; templates are
      // floor(patterns·template share) of those.
      const size_t eligible = spec.mapping_count - (spec.tenant_mapping >= 0 ? 1 : 0);
      const size_t patterns = eligible * static_cast<size_t>(share * 1e6 + 0.5) / 1'000'000;
      SCOPED_TRACE(s.provider);
      EXPECT_EQ(s.prefix, (patterns + 2) / 3);
      EXPECT_EQ(s.glob, (patterns + 1) / 3);
      EXPECT_EQ(s.regex, patterns / 3);
      EXPECT_EQ(s.exact, spec.mapping_count - patterns);
      EXPECT_EQ(s.templates, patterns * 400'000 / 1'000'000);
      EXPECT_EQ(s.never_match, 0u);
      EXPECT_EQ(s.require_rules, 0u);
      templates += s.templates;
    }
    EXPECT_EQ(templates, org.template_mappings());
    EXPECT_GT(org.template_group_count(), 0u);
    EXPECT_EQ(report.groups, org.config_group_count());
  }
}

TEST(SimulatorPatterns, PatternsAreDistinctAndStartWithLiteralText) {
  Generator g(pattern_options(8));
  simdjson::dom::parser parser;
  simdjson::dom::element config = parser.parse(simdjson::padded_string(g.config_json()));
  std::set<std::string> seen;
  size_t patterns = 0, value_templates = 0, capture_templates = 0;
  for (simdjson::dom::element m : config["mappings"].get_array()) {
    std::string_view match;
    if (m["match"].get(match) != simdjson::SUCCESS) continue;
    ++patterns;
    const std::string value{std::string_view(m["value"])};
    const std::string group{std::string_view(m["group"])};
    // Literal text first: a word, "CN=" or a GUID's hex digits.
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(value[0]))) << value;
    EXPECT_TRUE(seen.insert(std::string(std::string_view(m["provider"])) + " " + std::string(match) + " " + value).second)
        << value;
    value_templates += group == "{value}";
    capture_templates += group.ends_with("-{1}");
    if (group.ends_with("-{1}")) {
      EXPECT_EQ(match, "regex") << value;
    }
  }
  EXPECT_EQ(patterns, g.organisation().mappings().size() - g.organisation().mappings_of_kind(MatchKind::kExact));
  EXPECT_GT(value_templates, 0u);
  EXPECT_GT(capture_templates, 0u);
  EXPECT_EQ(value_templates + capture_templates, g.organisation().template_mappings());
}

TEST(SimulatorPatterns, EveryFormMatchesItsOwnValue) {
  // Each form of each kind, over a value of each shape: the equivalent glob
  // matches the value, and the forms that pin the number match only it.
  GeneratorOptions o = pattern_options(9);
  o.pattern_share = 1;
  Generator g(o);
  const Organisation& org = g.organisation();
  for (uint32_t p = 0; p < org.providers().size(); ++p) {
    const ProviderSpec& spec = org.providers()[p];
    for (uint32_t rank : {0u, 7u, 42u, 130u}) {
      std::string own;
      org.append_idp_group(p, rank, &own);
      for (MatchKind kind : {MatchKind::kPrefix, MatchKind::kGlob, MatchKind::kRegex}) {
        for (uint32_t v = 0; v < pattern_variant_count(spec.shape, kind); ++v) {
          for (bool templated : {false, true}) {
            const PatternMapping pattern = make_pattern(spec.shape, spec.id, own, kind, v, templated);
            EXPECT_TRUE(glob_matches(pattern.glob, own)) << own << " " << pattern.value << " " << pattern.glob;
            EXPECT_EQ(templated, !pattern.group.empty()) << pattern.value;
          }
        }
      }
    }
  }
}

// Runs every planned event through an engine loaded with the generator's
// config and state; `each` sees the plan and the result.
template <typename Each>
void run_through_engine(Generator& g, uint64_t events, Each each, EngineOptions engine_options = {}) {
  ConfigReport report;
  auto config = load_config(g.config_json(), &report);
  ASSERT_TRUE(config.ok()) << report.errors[0].to_string();
  Engine engine(config.value(), engine_options);
  StateLoadReport loaded;
  ASSERT_TRUE(engine.import_state(g.initial_state_ndjson(), &loaded).ok());
  ASSERT_EQ(loaded.dropped(), 0u);
  std::vector<PlannedEvent> planned;
  g.plan_events(events, &planned);
  std::string line;
  for (const PlannedEvent& e : planned) {
    line.clear();
    g.render(e, &line);
    each(e, line, engine.process(std::string_view(line).substr(0, line.size() - 1), e.index + 1));
  }
}

TEST(SimulatorPatterns, SavedStateIsWhatThePatternsMap) {
  // A login without drift changes nothing only if the saved state holds
  // exactly what the engine's prefix, glob and regex matching and its
  // templates give for the user's groups — including the other values a
  // prefix or a `?` also matches.
  for (uint32_t groups_per_value : {1u, 3u}) {
    GeneratorOptions o = pattern_options(10 + groups_per_value);
    o.pattern_share = groups_per_value == 1 ? 1.0 : 0.5, o.template_share = 0.5;
    o.groups_per_value = groups_per_value;
    o.churn = 0, o.bad_share = 0, o.push_share = 0, o.stale_share = 0;
    Generator g(o);
    size_t mapped = 0;
    run_through_engine(g, 8000, [&](const PlannedEvent&, const std::string& line, const Delta& d) {
      ASSERT_EQ(d.status, DeltaStatus::kOk) << line.substr(0, 300);
      ASSERT_FALSE(d.has_changes()) << line.substr(0, 300) << "\n" << (d.groups_added.empty() ? "" : d.groups_added[0])
                                    << (d.groups_removed.empty() ? "" : d.groups_removed[0]);
      ++mapped;
    });
    EXPECT_EQ(mapped, 8000u);
  }
}

TEST(SimulatorPatterns, TemplatesGrantTheGroupsTheyName) {
  // Cold start: every first login creates its user with everything it maps.
  GeneratorOptions o = pattern_options(12);
  o.pattern_share = 0.5, o.template_share = 1.0, o.initial_state = false;
  Generator g(o);
  const Organisation& org = g.organisation();
  std::set<std::string> value_named, capture_named;  // ids of the groups templates name
  for (uint32_t i = org.group_count(); i < org.config_group_count(); ++i) {
    std::string id;
    org.append_group_id(i, &id);
    bool capture = false;
    for (const ProviderSpec& p : org.providers()) capture |= id.starts_with(p.id + "-");
    (capture ? capture_named : value_named).insert(id);
  }
  ASSERT_FALSE(value_named.empty());
  ASSERT_FALSE(capture_named.empty());
  size_t by_value = 0, by_capture = 0, others = 0;
  run_through_engine(g, 6000, [&](const PlannedEvent&, const std::string&, const Delta& d) {
    for (const std::string& group : d.groups_added) {
      by_value += value_named.count(group);
      by_capture += capture_named.count(group);
      others += !value_named.count(group) && !capture_named.count(group);
    }
  });
  EXPECT_GT(by_value, 100u);
  EXPECT_GT(by_capture, 100u);
  EXPECT_GT(others, 100u);  // the fixed groups of exact and plain pattern mappings
}

// --- logins without MFA -----------------------------------------------------------

TEST(SimulatorPatterns, ExactlyThePlannedLoginsAreDenied) {
  GeneratorOptions o = pattern_options(13);
  o.deny_share = 0.1, o.bad_share = 0.02, o.push_share = 0.03, o.stale_share = 0.03;
  Generator g(o);
  ConfigReport report;
  ASSERT_TRUE(load_config(g.config_json(), &report).ok());
  for (const ProviderMatchSummary& s : report.match_summary) EXPECT_EQ(s.require_rules, 1u) << s.provider;
  uint64_t logins = 0, planned_denied = 0, denied = 0;
  run_through_engine(g, 30000, [&](const PlannedEvent& e, const std::string& line, const Delta& d) {
    planned_denied += e.denied;
    denied += d.status == DeltaStatus::kDenied;
    switch (e.kind) {
      case EventKind::kLogin:
        ++logins;
        ASSERT_EQ(d.status == DeltaStatus::kDenied, e.denied) << line.substr(0, 300);
        break;
      case EventKind::kStaleReplay:  // an old token that passed: still stale
        ASSERT_TRUE(d.status == DeltaStatus::kStale || d.status == DeltaStatus::kSuspended) << line.substr(0, 300);
        break;
      case EventKind::kBad:  // every §8 error comes before the requirement
        ASSERT_EQ(static_cast<int>(d.error.code()), e.bad_code) << line.substr(0, 300);
        break;
      default:
        ASSERT_TRUE(d.ok()) << line.substr(0, 300);
    }
  });
  EXPECT_EQ(denied, planned_denied);
  EXPECT_NEAR(static_cast<double>(denied) / logins, 0.1, 0.01);
}

TEST(SimulatorPatterns, DeniedCountIsThePlansOnAnyThreadCount) {
  GeneratorOptions o = pattern_options(14);
  o.deny_share = 0.1, o.churn = 0.2, o.bad_share = 0.01, o.push_share = 0.02, o.stale_share = 0.02;
  constexpr uint64_t kEvents = 20000;
  uint64_t planned_denied = 0;
  {
    Generator plan(o);
    std::vector<PlannedEvent> planned;
    plan.plan_events(kEvents, &planned);
    for (const PlannedEvent& e : planned) planned_denied += e.denied;
  }
  std::vector<DeltaTally> tallies;
  for (unsigned threads : {1u, 3u}) {
    Generator g(o);
    Engine engine(load_config(g.config_json()).value());
    ASSERT_TRUE(engine.import_state(g.initial_state_ndjson()).ok());
    ReplayOptions r;
    r.threads = threads;
    r.events = kEvents;
    r.window = threads == 1 ? 65536 : 4096;
    tallies.push_back(replay(engine, g, r).tally);
  }
  EXPECT_EQ(tallies[0].denied, planned_denied);
  EXPECT_EQ(tallies[1].denied, planned_denied);
  EXPECT_EQ(tallies[0].ok, tallies[1].ok);
  EXPECT_EQ(tallies[0].stale, tallies[1].stale);
  EXPECT_EQ(tallies[0].groups_added, tallies[1].groups_added);
  EXPECT_EQ(tallies[0].groups_removed, tallies[1].groups_removed);
  EXPECT_EQ(tallies[0].roles_revoked, tallies[1].roles_revoked);
  EXPECT_GT(tallies[0].groups_added, 0u);
}

TEST(SimulatorPatterns, SignedLoginsCarryAmrInTheirPayload) {
  GeneratorOptions o = pattern_options(15);
  o.users = 1500, o.mappings = 600;
  o.sign = SignAlgorithm::kES256, o.deny_share = 0.2, o.bad_share = 0.02;
  Generator g(o);
  ASSERT_TRUE(g.status().ok());
  EngineOptions engine_options;
  engine_options.now_seconds = g.now();
  uint64_t planned_denied = 0, denied = 0, signed_logins = 0;
  run_through_engine(
      g, 4000,
      [&](const PlannedEvent& e, const std::string& line, const Delta& d) {
        planned_denied += e.denied;
        denied += d.status == DeltaStatus::kDenied;
        if (e.kind == EventKind::kBad) return;
        ASSERT_NE(d.status, DeltaStatus::kError) << d.error.to_string() << "\n" << line.substr(0, 300);
        const size_t at = line.find("\"token\": \"");
        if (at == std::string::npos) {  // SAML: unsigned, in the envelope
          ASSERT_NE(line.find(kSamlAuthnClaim), std::string::npos) << line.substr(0, 300);
          return;
        }
        ++signed_logins;
        const std::string_view token = std::string_view(line).substr(at + 10, line.find('"', at + 10) - at - 10);
        const size_t first = token.find('.'), last = token.rfind('.');
        std::string payload;
        ASSERT_TRUE(base64url_decode(token.substr(first + 1, last - first - 1), &payload));
        const bool mfa = payload.find("\"mfa\"") != std::string::npos;
        EXPECT_EQ(mfa, !e.denied) << payload;
        // Auth0 sends amr only after MFA; the others always, with "pwd".
        if (payload.find("auth0|") == std::string::npos) {
          EXPECT_NE(payload.find("\"amr\": [\"pwd\""), std::string::npos) << payload;
        }
      },
      engine_options);
  EXPECT_GT(signed_logins, 2000u);
  EXPECT_GT(planned_denied, 0u);
  EXPECT_EQ(denied, planned_denied);
}

// --- determinism and the report ---------------------------------------------------

TEST(SimulatorPatterns, SameSeedSameBytesOnAnyThreadCount) {
  SimulateOptions s;
  s.generator = pattern_options(16);
  s.generator.deny_share = 0.05, s.generator.bad_share = 0.01, s.generator.stale_share = 0.01;
  s.events = 8000;
  s.threads = 1;
  const Dataset one = written(s, "t1");
  s.threads = 3;
  const Dataset three = written(s, "t3");
  EXPECT_EQ(one.config, three.config);
  EXPECT_EQ(one.state, three.state);
  EXPECT_EQ(one.events, three.events);
  EXPECT_NE(one.config.find("\"match\": \"regex\""), std::string::npos);
  EXPECT_NE(one.events.find("\"amr\": [\"pwd\"]"), std::string::npos);
}

TEST(SimulatorPatterns, ReportShowsTheKnobs) {
  SimulateOptions s;
  s.generator = pattern_options(17);
  s.generator.users = 2000;
  s.generator.deny_share = 0.05;
  s.events = 5000;
  s.threads = 2;
  std::string text, json;
  ASSERT_TRUE(run_simulation(s, &text).ok());
  EXPECT_NE(text.find("seed 17, pattern share 0.3 (template share 0.4), deny share 0.05\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  patterns         prefix "), std::string::npos) << text;
  EXPECT_NE(text.find("  login rule       MFA on every provider (5 rules); share 0.05 of logins lack it"),
            std::string::npos)
      << text;
  s.json = true;
  ASSERT_TRUE(run_simulation(s, &json).ok());
  simdjson::dom::parser parser;
  simdjson::dom::element report;
  ASSERT_EQ(parser.parse(simdjson::padded_string(json)).get(report), simdjson::SUCCESS) << json;
  EXPECT_EQ(double(report["pattern_share"]), 0.3);
  EXPECT_EQ(double(report["template_share"]), 0.4);
  EXPECT_EQ(double(report["deny_share"]), 0.05);
  const uint64_t prefix = report["match_kinds"]["prefix"], glob = report["match_kinds"]["glob"],
                 regex = report["match_kinds"]["regex"], exact = report["match_kinds"]["exact"];
  EXPECT_EQ(prefix + glob + regex + exact, uint64_t(report["mappings"]));
  EXPECT_EQ(prefix, 300u);  // floor(0.3 · (mappings - Entra's tenant mapping)), by provider
  EXPECT_GT(uint64_t(report["template_mappings"]), 0u);
  EXPECT_GT(uint64_t(report["template_groups"]), 0u);
  EXPECT_EQ(uint64_t(report["require_rules"]), 5u);
  EXPECT_GT(uint64_t(report["run"]["status"]["denied"]), 0u);

  // Without the knobs: no rows, the JSON's zeros.
  SimulateOptions plain;
  plain.generator.users = 2000, plain.generator.mappings = 1000;
  plain.events = 2000, plain.threads = 2;
  ASSERT_TRUE(run_simulation(plain, &text).ok());
  EXPECT_EQ(text.find("patterns"), std::string::npos) << text;
  EXPECT_EQ(text.find("login rule"), std::string::npos) << text;
  plain.json = true;
  ASSERT_TRUE(run_simulation(plain, &json).ok());
  ASSERT_EQ(parser.parse(simdjson::padded_string(json)).get(report), simdjson::SUCCESS) << json;
  EXPECT_EQ(double(report["pattern_share"]), 0.0);
  EXPECT_EQ(uint64_t(report["match_kinds"]["exact"]), 1000u);
  EXPECT_EQ(uint64_t(report["require_rules"]), 0u);
}

}  // namespace
}  // namespace claimmap::sim
