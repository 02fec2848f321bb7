// Match: one parsed token against the compiled tables (10k mappings a claim),
// by number of claim values, for a plain array claim, a delimited attribute
// and a JSON Pointer claim. Parsing is outside the timed loop.
#include <benchmark/benchmark.h>

#include <string>

#include "claimmap/config.h"
#include "engine/parse/event_parser.h"
#include "engine/match/matcher.h"

namespace claimmap::bench {
namespace {

constexpr int kMappingsPerClaim = 10000;

const Config& match_config() {
  static const Config config = [] {
    std::string json = R"({"version": 1, "stages": ["prod"],
      "providers": [{"id": "p", "type": "oidc", "issuer": "https://idp.example", "scope": ["prod"]}],
      "roles": [{"id": "R", "app": "A"}], "groups": [)";
    for (int g = 0; g < 100; ++g) json += (g ? ", " : "") + std::string(R"({"id": "G)") + std::to_string(g) + R"(", "stage": "prod", "roles": ["R"]})";
    json += R"(], "mappings": [)";
    const char* claims[] = {"groups", "memberOf", "/realm_access/roles"};
    const char* prefixes[] = {"6f1c2b1e-0000-4000-8000-", "CN=Group ", "role-"};
    for (int c = 0; c < 3; ++c) {
      for (int i = 0; i < kMappingsPerClaim; ++i) {
        json += (c || i ? ", " : "") + std::string(R"({"id": "m)") + std::to_string(c) + "-" + std::to_string(i) +
                R"(", "provider": "p", "claim": ")" + claims[c] + R"(", "value": ")" + prefixes[c] +
                std::to_string(100000000000 + i) + "\"" + (c == 1 ? R"(, "delimiter": ";")" : "") +
                R"(, "group": "G)" + std::to_string(i % 100) + "\"}";
      }
    }
    json += "]}";
    ConfigReport report;
    Result<Config> config = load_config(json, &report);
    if (!config.ok()) std::abort();
    return config.value();
  }();
  return config;
}

// A token whose claim holds `values` values, half of them mapped.
std::string token(int kind, int values) {
  std::string list;
  for (int i = 0; i < values; ++i) {
    const int n = i % 2 ? i * 37 % kMappingsPerClaim : kMappingsPerClaim + i;  // odd: mapped, even: not
    if (kind == 0) list += (i ? ", \"" : "\"") + std::string("6f1c2b1e-0000-4000-8000-") + std::to_string(100000000000 + n) + "\"";
    if (kind == 1) list += (i ? ";" : "") + std::string("CN=Group ") + std::to_string(100000000000 + n);
    if (kind == 2) list += (i ? ", \"" : "\"") + std::string("role-") + std::to_string(100000000000 + n) + "\"";
  }
  const std::string head = R"({"iss": "https://idp.example", "sub": "u1", "iat": 1700000000, )";
  if (kind == 0) return head + R"("groups": [)" + list + "]}";
  if (kind == 1) return head + R"("memberOf": ")" + list + "\"}";
  return head + R"("realm_access": {"roles": [)" + list + "]}}";
}

void BM_Match(benchmark::State& state) {
  const int kind = static_cast<int>(state.range(0));
  const int values = static_cast<int>(state.range(1));
  const CompiledConfig& config = ConfigAccess::compiled(match_config());
  std::string line = token(kind, values);
  const size_t size = line.size();
  line.append(64, ' ');  // simdjson's padding
  EventParser parser;
  ParsedEvent event;
  parser.parse(config, std::string_view(line.data(), size), &event);
  if (!event.ok()) {
    state.SkipWithError(event.error_message.c_str());
    return;
  }
  MatchResult result;
  for (auto _ : state) {
    match_login(config, event, &result);
    benchmark::DoNotOptimize(result.matched.data());
  }
  state.counters["matched"] = static_cast<double>(result.matched.size());
  state.counters["values_per_s"] = benchmark::Counter(values, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(kind == 0 ? "array" : kind == 1 ? "delimited" : "json_pointer");
}
BENCHMARK(BM_Match)->ArgsProduct({{0, 1, 2}, {1, 20, 200}})->ArgNames({"claim", "values"});

}  // namespace
}  // namespace claimmap::bench
