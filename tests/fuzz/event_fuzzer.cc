// libFuzzer harness for the event path: parse → match → sync →
// write, through the public API, for one or more NDJSON lines against a fixed
// config. Besides "no crash" (ASan, UBSan), it checks on every input:
//   1. run_stream writes exactly one output line per non-blank input line, in
//      input order, each valid JSON with the right "seq";
//   2. Engine::process gives the same status and error code as the stream;
//   3. a line with an error leaves the state exactly as it was (export_state
//      before and after);
//   4. every group and role in a delta is one of the config's;
//   5. the exported state is valid NDJSON and imports back to itself.
// A broken invariant aborts, so that libFuzzer keeps the input.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "claimmap/stream.h"

namespace {

using claimmap::Delta;
using claimmap::Engine;

// Every provider shape: OIDC with issuer and oid subjects (Entra), an
// organisation-scoped OIDC with a JSON Pointer claim (Keycloak), SAML with
// delimiters, an inactive mapping, numeric and boolean values, and a
// provider with keys (docs/spec.md §15) whose signed tokens the fuzzer
// mutates, so that every step of verification is reached (decoding, the
// header, the key, the signature, the claims). Its key is Ed25519 with the seed
// 32 × 0x07 (tests/fuzz/make_seeds.sh signs its seed tokens with it).
constexpr std::string_view kConfig = R"({
  "version": 1,
  "stages": ["dev", "prod"],
  "providers": [
    {"id": "entra", "type": "oidc", "issuer": "https://e", "scope": ["prod"], "subject_claim": "oid"},
    {"id": "kc", "type": "oidc", "issuer": "https://k", "scope": "organization"},
    {"id": "adfs", "type": "saml", "scope": ["dev", "prod"]},
    {"id": "signed", "type": "oidc", "issuer": "https://s", "scope": "organization", "audiences": ["a"],
     "algorithms": ["EdDSA", "ES256"], "leeway_seconds": 0,
     "jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": "6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw"}]}}
  ],
  "roles": [{"id": "R1", "app": "A"}, {"id": "R2", "app": "A"}, {"id": "R3", "app": "B"}],
  "groups": [
    {"id": "g1", "stage": "prod", "roles": ["R1", "R2"]},
    {"id": "g2", "stage": "prod", "roles": ["R2"]},
    {"id": "g3", "stage": "dev", "roles": ["R3"]},
    {"id": "g4", "stage": "prod", "roles": []}
  ],
  "mappings": [
    {"id": "m1", "provider": "entra", "claim": "groups", "value": "a", "group": "g1"},
    {"id": "m2", "provider": "entra", "claim": "groups", "value": "b", "group": "g2"},
    {"id": "m3", "provider": "entra", "claim": "groups", "value": "c", "group": "g3"},
    {"id": "m4", "provider": "entra", "claim": "n", "value": "1", "group": "g4"},
    {"id": "m5", "provider": "entra", "claim": "f", "value": "true", "group": "g2"},
    {"id": "m6", "provider": "entra", "claim": "r", "value": "x", "delimiter": ";", "group": "g4"},
    {"id": "m7", "provider": "kc", "claim": "/ra/roles", "value": "a", "group": "g1"},
    {"id": "m8", "provider": "kc", "claim": "/l/0", "value": "b", "group": "g2"},
    {"id": "m9", "provider": "kc", "claim": "h/r", "value": "c", "group": "g3"},
    {"id": "m10", "provider": "adfs", "claim": "m", "value": "a", "delimiter": ";", "group": "g3"},
    {"id": "m11", "provider": "adfs", "claim": "m", "value": "b", "delimiter": ", ", "group": "g1"},
    {"id": "m12", "provider": "signed", "claim": "groups", "value": "a", "group": "g1"},
    {"id": "m13", "provider": "signed", "claim": "groups", "value": "b", "group": "g4"}
  ]
})";

// Small, so that the fuzzer reaches event_too_large.
constexpr size_t kMaxLineBytes = 512;
// A fixed clock: the seed tokens' exp and nbf are on both sides of it.
constexpr int64_t kNow = 500;

[[noreturn]] void broken(const char* invariant, std::string_view detail) {
  std::fprintf(stderr, "invariant broken: %s\n%.*s\n", invariant, static_cast<int>(std::min<size_t>(detail.size(), 2000)),
               detail.data());
  std::abort();
}

const claimmap::Config& config() {
  static const claimmap::Config* c = [] {
    auto r = claimmap::load_config(kConfig);
    if (!r.ok()) broken("the fuzzer's config loads", r.status().message());
    return new claimmap::Config(r.value());
  }();
  return *c;
}

// The config's group and role ids, read from its text.
struct Names {
  std::set<std::string> groups, roles;
};
const Names& names() {
  static const Names* n = [] {
    auto* out = new Names;
    simdjson::dom::parser parser;
    simdjson::padded_string text(kConfig);
    simdjson::dom::element root = parser.parse(text).value();
    const simdjson::dom::array groups = root["groups"].get_array().value();
    const simdjson::dom::array roles = root["roles"].get_array().value();
    for (auto g : groups) out->groups.emplace(std::string_view(g["id"].get_string().value()));
    for (auto r : roles) out->roles.emplace(std::string_view(r["id"].get_string().value()));
    return out;
  }();
  return *n;
}

// The stream's view of lines (docs/spec.md §8): split on LF, one final CR dropped;
// blank = only spaces and tabs.
struct Line {
  uint64_t seq;
  std::string_view text;
};
std::vector<Line> non_blank_lines(std::string_view input) {
  std::vector<Line> lines;
  uint64_t seq = 0;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t end = input.find('\n', pos);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(pos, end - pos);
    pos = end + 1;
    ++seq;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    lines.push_back({seq, line});
  }
  return lines;
}

std::string run_stream(Engine& engine, std::string_view input) {
  const int in = ::memfd_create("in", 0), out = ::memfd_create("out", 0);
  if (in < 0 || out < 0) std::abort();
  if (::write(in, input.data(), input.size()) != static_cast<ssize_t>(input.size())) std::abort();
  ::lseek(in, 0, SEEK_SET);
  claimmap::StreamSummary summary;
  claimmap::Status s = claimmap::run_stream(engine, in, out, {}, &summary);
  if (!s.ok()) broken("run_stream succeeds on a memfd", s.message());
  std::string result(static_cast<size_t>(::lseek(out, 0, SEEK_END)), '\0');
  if (::pread(out, result.data(), result.size(), 0) != static_cast<ssize_t>(result.size())) std::abort();
  ::close(in);
  ::close(out);
  return result;
}

std::vector<std::string_view> split_output(std::string_view out) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < out.size()) {
    const size_t end = out.find('\n', pos);
    if (end == std::string_view::npos) broken("every output line ends with a newline", out);
    lines.push_back(out.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

void check_names(const Delta& d, std::string_view line) {
  for (const auto* list : {&d.groups_added, &d.groups_removed}) {
    for (const auto& g : *list) {
      if (!names().groups.count(g)) broken("a delta's groups are the config's", line);
    }
  }
  for (const auto* list : {&d.roles_granted, &d.roles_revoked}) {
    for (const auto& r : *list) {
      if (!names().roles.count(r)) broken("a delta's roles are the config's", line);
    }
  }
}

void check_state_round_trip(const Engine& engine) {
  const std::string state = engine.export_state();
  simdjson::dom::parser parser;
  for (std::string_view line : split_output(state)) {
    simdjson::padded_string padded(line);
    if (parser.parse(padded).error()) broken("exported state lines are JSON", line);
  }
  Engine copy(config(), claimmap::EngineOptions{.max_line_bytes = kMaxLineBytes, .now_seconds = kNow});
  claimmap::Status s = copy.import_state(state);
  if (!s.ok()) broken("exported state imports", s.message() + "\n" + state);
  if (copy.export_state() != state) broken("exported state imports back to itself", state);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const claimmap::EngineOptions options{.max_line_bytes = kMaxLineBytes, .now_seconds = kNow};
  const std::vector<Line> lines = non_blank_lines(input);

  // 1. The stream: one valid JSON output line per non-blank line, in order.
  Engine streamed(config(), options);
  const std::string output = run_stream(streamed, input);
  const std::vector<std::string_view> out_lines = split_output(output);
  if (out_lines.size() != lines.size()) broken("one output line per non-blank input line", output);
  simdjson::dom::parser parser;
  std::vector<std::string> stream_status(lines.size()), stream_code(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    simdjson::padded_string padded(out_lines[i]);
    simdjson::dom::element result;
    if (parser.parse(padded).get(result)) broken("output lines are JSON", out_lines[i]);
    uint64_t seq = 0;
    if (result["seq"].get_uint64().get(seq) || seq != lines[i].seq) broken("output seq is the input line", out_lines[i]);
    std::string_view status;
    if (result["status"].get_string().get(status)) broken("output lines have a status", out_lines[i]);
    stream_status[i] = status;
    std::string_view code;
    if (status == "error" && result["error"]["code"].get_string().get(code)) broken("errors have a code", out_lines[i]);
    stream_code[i] = code;
  }

  // 2-4. Line by line through Engine::process, on a second engine.
  Engine engine(config(), options);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string before = engine.export_state();
    const Delta d = engine.process(lines[i].text, lines[i].seq);
    if (d.seq != lines[i].seq) broken("a delta carries its seq", lines[i].text);
    if (claimmap::delta_status_name(d.status) != stream_status[i]) broken("process and the stream agree on the status", lines[i].text);
    if (!d.ok()) {
      if (std::string_view(claimmap::error_code_name(d.error.code())) != stream_code[i]) {
        broken("process and the stream agree on the error code", lines[i].text);
      }
      if (engine.export_state() != before) broken("an error line changes no state", lines[i].text);
      if (d.new_user || !d.groups_added.empty() || !d.groups_removed.empty() || !d.roles_granted.empty() ||
          !d.roles_revoked.empty()) {
        broken("an error line has an empty delta", lines[i].text);
      }
    } else if (d.status == claimmap::DeltaStatus::kStale || d.status == claimmap::DeltaStatus::kSuspended) {
      if (engine.export_state() != before) broken("a stale or suspended login changes no state", lines[i].text);
    }
    check_names(d, lines[i].text);
  }
  if (engine.export_state() != streamed.export_state()) broken("process and the stream end in the same state", input);

  // 5. The state survives export and import.
  check_state_round_trip(engine);
  return 0;
}
