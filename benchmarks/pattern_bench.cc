// Prefix, glob and regex mappings (docs/spec.md §16): what a login costs with
// 10,000 pattern mappings beside what it costs with 100, on the same logins,
// one thread, in the same run.
//
// BM_PatternScaling runs, each round, over the same 4,000 login lines (20
// group values each, some matching a pattern of every kind, most matching
// none — a token's groups are mostly ones no mapping reads):
//   - the engine under a config of 100 pattern mappings (a third each prefix,
//     glob and regex, every tenth regex a template);
//   - the engine under 10,000 of the same shapes;
// each timed on a warm engine (every user known: a storm's steady state).
// Counter: ratio_10k_to_100 (target ≤ 1.5), the median of the rounds.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"

namespace claimmap::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string number(int i) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04d", i);
  return buf;
}

// `patterns` mappings: prefixes "dept-NNNN-", globs "team-NNNN-*-eu?",
// regexes "app-NNNN-(crm|erp|hr)-(users|admins)" (every tenth a template
// "app-{1}"), each onto one of 50 groups.
std::string pattern_config(int patterns) {
  std::string c = R"({"version": 1, "stages": ["prod"], "providers": [{"id": "okta", "type": "oidc", )"
                  R"("issuer": "https://okta", "scope": "organization"}], "roles": [{"id": "R", "app": "a"}], "groups": [)";
  for (int g = 0; g < 50; ++g) c += (g ? ", " : "") + ("{\"id\": \"g" + std::to_string(g) + R"(", "stage": "prod", "roles": ["R"]})");
  for (const char* app : {"crm", "erp", "hr"}) c += std::string(R"(, {"id": "app-)") + app + R"(", "stage": "prod", "roles": ["R"]})";
  c += "], \"mappings\": [";
  for (int i = 0; i < patterns; ++i) {
    const int n = i / 3;
    std::string value, match, group = "g" + std::to_string(i % 50);
    switch (i % 3) {
      case 0: match = "prefix", value = "dept-" + number(n) + "-"; break;
      case 1: match = "glob", value = "team-" + number(n) + "-*-eu?"; break;
      default:
        match = "regex", value = "app-" + number(n) + "-(crm|erp|hr)-(users|admins)";
        if (n % 10 == 0) group = "app-{1}";
        break;
    }
    c += (i ? ", " : "") + (R"({"id": "m)" + std::to_string(i) + R"(", "provider": "okta", "claim": "groups", "value": ")" +
                            value + R"(", "match": ")" + match + R"(", "group": ")" + group + "\"}");
  }
  return c + "]}";
}

// Values drawn from the first 33 of each shape (which both configs have),
// and values no pattern matches.
std::vector<std::string> login_lines(int users) {
  std::vector<std::string> lines;
  static const char* kApps[] = {"crm", "erp", "hr"};
  for (int u = 0; u < users; ++u) {
    std::string groups;
    for (int k = 0; k < 20; ++k) {
      const int n = (u * 7 + k * 13) % 33;
      std::string v;
      switch ((u + k) % 8) {
        case 0: v = "dept-" + number(n) + "-sales"; break;
        case 1: v = "team-" + number(n) + "-core-eu" + std::to_string(k % 3); break;
        case 2: v = "app-" + number(n) + "-" + kApps[k % 3] + "-users"; break;
        default: v = "Group-" + std::to_string(u % 500) + "-" + std::to_string(k); break;  // matches nothing
      }
      groups += (k ? ", \"" : "\"") + v + "\"";
    }
    lines.push_back(R"({"claims": {"iss": "https://okta", "sub": "u)" + std::to_string(u) + R"(", "groups": [)" + groups + "]}}");
  }
  return lines;
}

double seconds(Engine& engine, const std::vector<std::string>& lines) {
  std::string out;
  const auto t0 = Clock::now();
  for (size_t i = 0; i < lines.size(); ++i) {
    out.clear();
    if (engine.process_to_ndjson(lines[i], i + 1, &out) != ErrorCode::kOk) std::abort();
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void BM_PatternScaling(benchmark::State& state) {
  const std::vector<std::string> lines = login_lines(4000);
  const auto load_start = Clock::now();
  Result<Config> large = load_config(pattern_config(10000));
  const double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
  Result<Config> small = load_config(pattern_config(100));
  if (!large.ok() || !small.ok()) return state.SkipWithError("config rejected");
  Engine e_small(small.value()), e_large(large.value());
  seconds(e_small, lines);  // every user known, and the automata warm
  seconds(e_large, lines);
  std::vector<double> s, l;
  for (auto _ : state) {
    for (int round = 0; round < 5; ++round) {
      s.push_back(seconds(e_small, lines));
      l.push_back(seconds(e_large, lines));
    }
  }
  state.counters["logins_per_s_100"] = lines.size() / median(s);
  state.counters["logins_per_s_10k"] = lines.size() / median(l);
  state.counters["ratio_10k_to_100"] = median(l) / median(s);
  state.counters["load_10k_s"] = load_seconds;
  state.counters["compiled_10k_bytes"] = static_cast<double>(large.value().compiled_bytes());
}

BENCHMARK(BM_PatternScaling)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace claimmap::bench
