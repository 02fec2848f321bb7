// simulator/generator.h — synthetic organisations and login streams (docs/spec.md §11).
//
// A Generator turns GeneratorOptions into an organisation (stages, providers of
// five real shapes, apps and roles, groups, mappings), a population of users
// with Zipf-skewed IdP group memberships, their saved state, and an endless
// NDJSON event stream: logins whose groups drift, stale replays, provisioning
// pushes and bad lines of every docs/spec.md §8 error kind.
//
// Determinism: the same options give the same bytes, on any machine and with
// any thread count. Only integer arithmetic and IEEE +,-,*,/ decide what is
// generated (no <random> distributions, no libm), so library versions cannot
// change a dataset.
//
// Producing a stream has two steps, so that replay can render on many threads:
// plan_events() decides, in order, what each next event is (sequential: it
// advances the per-user drift); render() writes one planned event's line
// (a pure function of the plan: thread-safe). append_events() does both.
//
// Signed runs (GeneratorOptions::sign, docs/simulator.md "Signed logins")
// make one key pair per OIDC provider in the constructor (RSA: ~0.3 s each,
// in parallel), and render() signs each login's token — the costly part, and
// why rendering is spread over threads.
//
// Thread-safety: const methods (config_json, initial_state_ndjson, render,
// describe) may be called from any number of threads at once; plan_events and
// append_events mutate the generator and need one caller at a time.
// Ownership: the Generator owns its tables; returned references live as long
// as it does.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/status.h"
#include "simulator/prng.h"
#include "simulator/signing_key.h"

namespace claimmap::sim {

// The IdP shapes a generated organisation can contain (docs/simulator.md).
enum class ProviderShape : uint8_t {
  kEntra,     // GUID "groups", subject "oid", tid; overage (_claim_names) for users in >200 groups
  kOkta,      // group names in "groups", Okta user ids as "sub"
  kKeycloak,  // realm roles at the JSON Pointer /realm_access/roles
  kSaml,      // a ";"-delimited "memberOf" attribute, NameID subject, always in an envelope
  kAuth0,     // a namespaced claim "https://claimmap.example/roles", "auth0|…" subjects
};
inline constexpr int kProviderShapeCount = 5;
std::string_view provider_shape_name(ProviderShape shape);  // "entra", "okta", …

struct GeneratorOptions {
  uint64_t seed = 42;
  uint64_t users = 1'000'000;
  uint64_t mappings = 10'000;
  uint32_t groups_per_token = 20;  // mean IdP groups in an Entra-like token (max 200)
  // How far a token's group count spreads around the mean: uniform over
  // [g - ceil(g*spread), g + floor(g*spread)] (at least 1). 0.5: [g/2, 3g/2].
  double group_spread = 0.5;
  double churn = 0.02;             // share of logins whose IdP groups drift since last time
  // How much one drift step changes: 0, one join, leave or move; else this
  // share of the user's groups is replaced by others (1: a fresh draw).
  double drift_share = 0.0;
  // Config groups that one mapped IdP group grants (that many mappings share
  // its value): a token of g mapped values then matches about g·k groups.
  uint32_t groups_per_value = 1;
  // Mean roles a group grants; 0: 1-3 (the app's role, often its viewer
  // role, sometimes a popular shared one). Above 0 also gives the
  // organisation three times the apps (a role catalogue to match).
  uint32_t roles_per_group = 0;
  double bad_share = 0.0;          // share of bad lines (every §8 error kind)
  double push_share = 0.0;         // share of provisioning pushes
  double stale_share = 0.0;        // share of stale replays
  // Which provider shapes to include; default all. At least one must be on.
  std::array<bool, kProviderShapeCount> shapes = {true, true, true, true, true};
  // Users start with saved state (docs/spec.md §9) from an earlier login, as on a
  // Monday morning; false: every user is new at their first login.
  bool initial_state = true;
  // Signed logins (`--sign`, docs/spec.md §15): the OIDC providers' logins
  // carry compact JWS tokens signed with keys made from the seed, and the
  // config carries their public keys. kNone: decoded claims, as always.
  SignAlgorithm sign = SignAlgorithm::kNone;
  // Matching beyond exact values (docs/spec.md §16), for storms that measure
  // it. pattern_share: that share of the mappings (all but Entra's tenant
  // mapping) are prefix, glob and regex mappings, a third each, over the
  // value they would match exactly (simulator/pattern_mappings.h);
  // template_share: that share of those name their groups by template, and
  // the config has every group they can name. deny_share > 0: every
  // provider requires MFA at login, and that share of the logins lack it
  // (so they come out "denied"); 0 writes no requirement at all. With all
  // three 0 the dataset is byte for byte what it was before they existed.
  double pattern_share = 0.0;
  double template_share = 0.0;
  double deny_share = 0.0;
  // A signed run's `now` (seconds since the epoch): every signed token is
  // valid at it (simulator/token_writer.h), and the bad lines that must be
  // expired or not yet valid are so at it. 0: storm_now(0). Unused unsigned.
  uint32_t now = 0;
};

// The `now` of a storm of `events` events: the iat of its last event (iat
// advances one second every 50 events from kStreamStartIat).
uint32_t storm_now(uint64_t events);

// What one planned event is. Pushes are in docs/spec.md §6 order.
enum class EventKind : uint8_t {
  kLogin,
  kStaleReplay,
  kAssign,
  kUnassign,
  kGrant,
  kRevoke,
  kSuspend,
  kResume,
  kDelete,
  kBad,
};
inline constexpr int kEventKindCount = 10;
std::string_view event_kind_name(EventKind kind);  // "login", "stale_replay", "assign", …

// The bad-line kinds, one per docs/spec.md §8 error code, indexed by
// claimmap::ErrorCode value (kEventTooLarge = 1 … kUnknownRole = 19). Index
// 0 is unused.
inline constexpr int kBadKindCount = 19;

// One planned event: enough to render its line and to route it (by `user`).
struct PlannedEvent {
  uint64_t index = 0;    // 0-based position in the stream
  uint32_t user = 0;     // the user it concerns (for bad lines: a spreading key)
  uint32_t iat = 0;      // the token's iat (logins and stale replays)
  uint32_t target = 0;   // group or role index (pushes)
  uint16_t version = 0;  // the user's drift count: their IdP groups at this login
  EventKind kind = EventKind::kLogin;
  uint8_t bad_code = 0;  // for kBad: the claimmap::ErrorCode value the line must get
  // A login without MFA (GeneratorOptions::deny_share): the engine must
  // answer "denied", and the login changes nothing.
  bool denied = false;
};

class Organisation;     // simulator/organisation.h
class TokenSigner;      // simulator/token_signer.h
class Population;       // simulator/population.h
struct GeneratorTables;  // both, built once (generator.cc)

class Generator {
 public:
  explicit Generator(const GeneratorOptions& options);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  const GeneratorOptions& options() const { return options_; }
  // A signed run that cannot sign: kInvalidArgument when no provider's
  // logins can be signed (SAML only), kInternal when OpenSSL could not make
  // a key or a signature (out of memory; TokenSigner::failures). Else OK:
  // nothing else fails.
  Status status() const;

  // The docs/spec.md §2 config of the organisation (valid; some mappings inactive).
  const std::string& config_json() const;

  // The next `count` NDJSON lines, each ending in '\n', appended to `out`.
  void append_events(uint64_t count, std::string* out);

  // The docs/spec.md §9 NDJSON state of every user before the stream starts: what
  // their first planned login would map, so that a login without drift
  // changes nothing. Empty when options.initial_state is false.
  std::string initial_state_ndjson() const;

  // Plans the next `count` events, appending them to `out`.
  void plan_events(uint64_t count, std::vector<PlannedEvent>* out);
  // Appends the line of `event` (ending in '\n') to `out`. Thread-safe.
  void render(const PlannedEvent& event, std::string* out) const;

  // Events planned so far.
  uint64_t planned() const { return next_index_; }
  // A few lines about the organisation, for reports.
  std::string describe() const;

  const Organisation& organisation() const;
  const Population& population() const;
  // The keys of a signed run; null when unsigned.
  const TokenSigner* signer() const;
  // A signed run's now (GeneratorOptions::now, or its default); 0 unsigned.
  uint32_t now() const { return signing_now_; }
  // How bad lines are spread over the error codes in this run.
  const std::array<uint32_t, kBadKindCount + 1>& bad_kind_weights() const { return bad_weights_; }

 private:
  uint32_t pick_user();
  int64_t pick_seen_user();  // a user with a saved iat, or -1 after a few misses
  void plan_one(PlannedEvent* e);
  void plan_push(PlannedEvent* e, double u);

  GeneratorOptions options_;
  std::unique_ptr<GeneratorTables> tables_;
  std::string config_json_;
  Status signer_status_;
  uint32_t signing_now_ = 0;
  std::array<uint32_t, kBadKindCount + 1> bad_weights_{};
  uint32_t deny_per_million_ = 0;  // GeneratorOptions::deny_share
  // Per-user drift: version, highest iat applied, and flags. 7 bytes a user.
  std::vector<uint16_t> version_;
  std::vector<uint32_t> last_iat_;
  std::vector<uint8_t> flags_;
  std::vector<uint32_t> suspended_users_;  // candidates for resume
  uint64_t next_index_ = 0;
  Xoshiro256 rng_;  // the sequential stream: who does what next
};

}  // namespace claimmap::sim
