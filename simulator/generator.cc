#include "simulator/generator.h"

#include <algorithm>
#include <array>

#include "simulator/bad_lines.h"
#include "simulator/names.h"
#include "simulator/organisation.h"
#include "simulator/population.h"
#include "simulator/token_signer.h"
#include "simulator/token_writer.h"

namespace claimmap::sim {
namespace {

constexpr uint8_t kSeen = 1;       // the engine knows the user
constexpr uint8_t kSuspended = 2;  // their logins get "suspended"
constexpr uint32_t kLoginsPerSecond = 50;  // iat advances one second every 50 events
constexpr uint64_t kFormDomain = 401;
constexpr uint64_t kDenyDomain = 402;
constexpr int kPickAttempts = 8;

// Push mix (cumulative shares of all pushes), in EventKind order from kAssign:
// IAM tools mostly assign and unassign; offboarding is rare.
constexpr std::array<double, 7> kPushCumulative = {0.30, 0.50, 0.65, 0.75, 0.85, 0.95, 1.0};

constexpr std::array<std::string_view, kEventKindCount> kKindNames = {
    "login", "stale_replay", "assign", "unassign", "grant", "revoke", "suspend", "resume", "delete", "bad"};
constexpr std::array<std::string_view, kProviderShapeCount> kShapeNames = {"entra", "okta", "keycloak", "saml",
                                                                           "auth0"};

}  // namespace

std::string_view event_kind_name(EventKind kind) { return kKindNames[static_cast<int>(kind)]; }
std::string_view provider_shape_name(ProviderShape shape) { return kShapeNames[static_cast<int>(shape)]; }

uint32_t storm_now(uint64_t events) {
  return kStreamStartIat + static_cast<uint32_t>((events > 0 ? events - 1 : 0) / kLoginsPerSecond);
}

// The population lives beside the organisation it reads; both are immutable,
// and so are a signed run's keys.
struct GeneratorTables {
  Organisation org;
  Population population;
  std::unique_ptr<TokenSigner> signer;
  LoginSigning signing;  // signer null when unsigned
  explicit GeneratorTables(const GeneratorOptions& o) : org(o), population(org, o) {}
  const LoginSigning* signing_or_null() const { return signing.signer ? &signing : nullptr; }
};

Generator::Generator(const GeneratorOptions& options)
    : options_(options), tables_(std::make_unique<GeneratorTables>(options)), rng_(hash_of(options.seed, 0x5eed)) {
  options_.users = std::clamp<uint64_t>(options_.users, 1, UINT32_MAX);
  bool entra_signed = false;
  if (options_.sign != SignAlgorithm::kNone) {
    Result<std::unique_ptr<TokenSigner>> signer = TokenSigner::create(tables_->org, options_.sign);
    if (signer.ok() && signer.value()->signing_providers() > 0) {
      tables_->signer = std::move(signer).value();
      signing_now_ = options_.now ? options_.now : storm_now(0);
      tables_->signing = {tables_->signer.get(), signing_now_};
      for (uint32_t p = 0; p < tables_->org.providers().size(); ++p) {
        entra_signed |= tables_->signer->signs(p) && tables_->org.providers()[p].shape == ProviderShape::kEntra;
      }
    } else {
      signer_status_ = signer.ok() ? Status(ErrorCode::kInvalidArgument,
                                            "--sign: no provider to sign for (SAML logins stay unsigned)")
                                   : signer.status();
    }
  }
  bad_weights_ = sim::bad_kind_weights(tables_->signer != nullptr, entra_signed);
  deny_per_million_ = static_cast<uint32_t>(std::clamp(options_.deny_share, 0.0, 1.0) * 1e6 + 0.5);
  config_json_ = tables_->org.config_json(tables_->signer.get());
  const size_t users = options_.users;
  version_.assign(users, 0);
  last_iat_.resize(users, 0);
  flags_.assign(users, options_.initial_state ? kSeen : 0);
  if (options_.initial_state) {
    for (size_t u = 0; u < users; ++u) last_iat_[u] = tables_->population.initial_iat(static_cast<uint32_t>(u));
  }
}

Generator::~Generator() = default;

const std::string& Generator::config_json() const { return config_json_; }
const Organisation& Generator::organisation() const { return tables_->org; }
const Population& Generator::population() const { return tables_->population; }
const TokenSigner* Generator::signer() const { return tables_->signer.get(); }

Status Generator::status() const {
  if (!signer_status_.ok()) return signer_status_;
  if (tables_->signer && tables_->signer->failures() > 0) {
    return Status(ErrorCode::kInternal, std::to_string(tables_->signer->failures()) +
                                            " tokens could not be signed (OpenSSL failed)");
  }
  return {};
}

std::string Generator::initial_state_ndjson() const {
  std::string out;
  if (!options_.initial_state) return out;
  out.reserve(options_.users * 300);
  std::vector<uint32_t> ranks;
  for (uint64_t u = 0; u < options_.users; ++u) {
    tables_->population.append_state_line(static_cast<uint32_t>(u), &ranks, &out);
  }
  return out;
}

uint32_t Generator::pick_user() { return static_cast<uint32_t>(rng_.next_below(options_.users)); }

int64_t Generator::pick_seen_user() {
  for (int attempt = 0; attempt < kPickAttempts; ++attempt) {
    const uint32_t u = pick_user();
    if ((flags_[u] & kSeen) && last_iat_[u] != 0) return u;
  }
  return -1;
}

void Generator::plan_events(uint64_t count, std::vector<PlannedEvent>* out) {
  out->reserve(out->size() + count);
  for (uint64_t i = 0; i < count; ++i) {
    PlannedEvent e;
    e.index = next_index_++;
    plan_one(&e);
    out->push_back(e);
  }
}

void Generator::plan_one(PlannedEvent* e) {
  const double u = rng_.next_double();
  const double bad = options_.bad_share, push = options_.push_share, stale = options_.stale_share;
  e->iat = kStreamStartIat + static_cast<uint32_t>(e->index / kLoginsPerSecond);
  if (u < bad) {
    e->kind = EventKind::kBad;
    e->user = pick_user();
    uint32_t total = 0;
    for (uint32_t w : bad_weights_) total += w;
    uint64_t pick = rng_.next_below(total);
    uint8_t code = 1;
    while (pick >= bad_weights_[code]) pick -= bad_weights_[code++];
    e->bad_code = code;
    return;
  }
  if (u < bad + push) return plan_push(e, (u - bad) / push);
  if (u < bad + push + stale) {
    // An old token of a known user, replayed: it must come back "stale".
    if (const int64_t seen = pick_seen_user(); seen >= 0) {
      e->kind = EventKind::kStaleReplay;
      e->user = static_cast<uint32_t>(seen);
      e->version = version_[e->user];
      e->iat = last_iat_[e->user] - 60 - static_cast<uint32_t>(rng_.next_below(3600));
      return;
    }
  }
  e->kind = EventKind::kLogin;
  e->user = pick_user();
  uint16_t& version = version_[e->user];
  if (rng_.next_double() < options_.churn && version < UINT16_MAX) ++version;
  e->version = version;
  // A login without MFA (--deny-share) is denied: it changes nothing and
  // creates no one (docs/spec.md §16). Keyed by the event's index rather
  // than drawn from the stream, so that the stream is the same with or
  // without it.
  e->denied = deny_per_million_ > 0 &&
              bounded(hash_of(options_.seed, kDenyDomain, e->index), 1'000'000) < deny_per_million_;
  if (e->denied) return;
  // A suspended user's login changes nothing, not even the highest iat.
  if (!(flags_[e->user] & kSuspended)) last_iat_[e->user] = e->iat;
  flags_[e->user] |= kSeen;
}

void Generator::plan_push(PlannedEvent* e, double share) {
  int k = 0;
  while (k + 1 < static_cast<int>(kPushCumulative.size()) && share >= kPushCumulative[k]) ++k;
  e->kind = static_cast<EventKind>(static_cast<int>(EventKind::kAssign) + k);
  e->user = pick_user();
  switch (e->kind) {
    case EventKind::kAssign:
    case EventKind::kUnassign:
      e->target = static_cast<uint32_t>(rng_.next_below(tables_->org.group_count()));
      break;
    case EventKind::kGrant:
    case EventKind::kRevoke:
      e->target = static_cast<uint32_t>(rng_.next_below(tables_->org.role_count()));
      break;
    case EventKind::kSuspend:
      if (!(flags_[e->user] & kSuspended)) suspended_users_.push_back(e->user);
      flags_[e->user] |= kSuspended;
      break;
    case EventKind::kResume:
      if (!suspended_users_.empty()) {
        const size_t i = rng_.next_below(suspended_users_.size());
        e->user = suspended_users_[i];
        suspended_users_[i] = suspended_users_.back();
        suspended_users_.pop_back();
      }
      flags_[e->user] &= static_cast<uint8_t>(~kSuspended);
      break;
    case EventKind::kDelete:
      // Offboard someone who exists; the engine forgets them, iat included.
      if (const int64_t seen = pick_seen_user(); seen >= 0) {
        e->user = static_cast<uint32_t>(seen);
        flags_[e->user] = 0;
        last_iat_[e->user] = 0;
        return;
      }
      e->kind = EventKind::kAssign;
      e->target = static_cast<uint32_t>(rng_.next_below(tables_->org.group_count()));
      break;
    default:
      break;
  }
  flags_[e->user] |= kSeen;  // a push for an unknown user creates it (docs/spec.md §6)
}

void Generator::render(const PlannedEvent& e, std::string* out) const {
  thread_local std::vector<uint32_t> ranks;
  const Population& pop = tables_->population;
  const Organisation& org = tables_->org;
  switch (e.kind) {
    case EventKind::kLogin:
    case EventKind::kStaleReplay: {
      // With an MFA requirement every login says how the user signed in;
      // a stale replay is an old token that passed it.
      const AuthMethods auth = !org.requires_mfa() ? AuthMethods::kNone
                               : e.denied          ? AuthMethods::kPassword
                                                   : AuthMethods::kMfa;
      append_login(pop,
                   {.user = e.user, .version = e.version, .iat = e.iat,
                    .form_key = hash_of(options_.seed, kFormDomain, e.index), .auth = auth},
                   &ranks, out, tables_->signing_or_null());
      break;
    }
    case EventKind::kBad:
      append_bad_line(pop, e.bad_code, e.index, e.user, e.iat, &ranks, out, tables_->signing_or_null());
      break;
    default: {
      const ProviderSpec& p = org.providers()[pop.provider(e.user)];
      out->append("{\"type\": \"").append(event_kind_name(e.kind));
      out->append("\", \"provider\": \"").append(p.id).append("\", \"subject\": \"");
      pop.append_subject(e.user, out);
      out->push_back('"');
      if (e.kind == EventKind::kAssign || e.kind == EventKind::kUnassign) {
        out->append(", \"group\": \"");
        org.append_group_id(e.target, out);
        out->push_back('"');
      } else if (e.kind == EventKind::kGrant || e.kind == EventKind::kRevoke) {
        out->append(", \"role\": \"");
        org.append_role_id(e.target, out);
        out->push_back('"');
      }
      out->push_back('}');
      break;
    }
  }
  out->push_back('\n');
}

void Generator::append_events(uint64_t count, std::string* out) {
  std::vector<PlannedEvent> batch;
  constexpr uint64_t kBatch = 4096;
  while (count > 0) {
    const uint64_t n = std::min(count, kBatch);
    batch.clear();
    plan_events(n, &batch);
    for (const PlannedEvent& e : batch) render(e, out);
    count -= n;
  }
}

std::string Generator::describe() const {
  const Organisation& org = tables_->org;
  std::string out = "providers:";
  for (const auto& p : org.providers()) out.append(" ").append(p.id);
  out.append("; ");
  append_uint(&out, org.app_count());
  out.append(" apps, ");
  append_uint(&out, org.role_count());
  out.append(" roles, ");
  append_uint(&out, org.group_count());
  out.append(" groups");
  if (org.template_group_count() > 0) {  // --template-share
    out.append(" (+");
    append_uint(&out, org.template_group_count());
    out.append(" named by templates)");
  }
  out.append(", ");
  append_uint(&out, org.mappings().size());
  out.append(" mappings (");
  append_uint(&out, org.inactive_mappings());
  out.append(" inactive");
  const size_t patterns = org.mappings().size() - org.mappings_of_kind(MatchKind::kExact);
  if (patterns > 0) {  // --pattern-share
    out.append(", ");
    append_uint(&out, patterns);
    out.append(" prefix, glob or regex, ");
    append_uint(&out, org.template_mappings());
    out.append(" templates");
  }
  out.append(org.requires_mfa() ? "); MFA required; " : "); ");
  append_uint(&out, options_.users);
  out.append(" users");
  return out;
}

}  // namespace claimmap::sim
