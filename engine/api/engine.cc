// claimmap::Engine: the public facade over parse → match → sync → write, and
// the config versions behind reload (engine/api/engine_impl.h).
#include "claimmap/engine.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cassert>

#include "engine/api/engine_impl.h"
#include "engine/common/file_io.h"
#include "engine/state/snapshot.h"
#include "engine/state/state_io.h"
#include "engine/sync/delta_writer.h"
#include "engine/sync/event_counting.h"

namespace claimmap {

uint64_t next_config_epoch() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

namespace {

std::shared_ptr<ConfigVersion> make_version(const Config& config, UserStore& store) {
  auto v = std::make_shared<ConfigVersion>();
  v->config = config.shared();
  v->epoch = next_config_epoch();
  for (const CompiledProvider& p : v->config->providers) v->provider_keys.push_back(store.provider_key(p.def.id));
  return v;
}

}  // namespace

Engine::Impl::Impl(Config config, EngineOptions options) : options(options) {
  auto v = make_version(config, store);
  v->number = std::max<uint64_t>(options.first_config_version, 1);
  for (size_t i = 0; i < UserStore::kShardCount; ++i) {
    store.with_shard(i, [&](LockedShard& shard) { shard.set_config_epoch(v->epoch); });
  }
  current_epoch.store(v->epoch, std::memory_order_release);
  current = std::move(v);
}

Worker& Engine::Impl::thread_worker() const {
  // One Worker per thread, shared by every Engine that thread calls: a Worker
  // holds only scratch and a cached version, never state, between calls.
  thread_local std::unique_ptr<Worker> worker;
  if (!worker || worker->parser.max_line_bytes() != options.max_line_bytes) {
    worker = std::make_unique<Worker>(options.max_line_bytes);
  }
  return *worker;
}

std::shared_ptr<const ConfigVersion> Engine::Impl::current_version_shared() const {
  std::lock_guard<std::mutex> lock(version_mutex);
  return current;
}

const ConfigVersion& Engine::Impl::current_version(Worker& w) const {
  const uint64_t epoch = current_epoch.load(std::memory_order_acquire);
  if (!w.version || w.version->epoch != epoch) w.version = current_version_shared();
  return *w.version;
}

void Engine::Impl::prepare_padded(const ConfigVersion& v, Worker& w, std::string_view line, uint64_t seq) {
  w.outcome.reset(seq);
  w.parser.parse(*v.config, line, &w.event);
  if (!w.event.ok()) return;
  // The user's table slot is a likely cache miss (a million users do not fit
  // in cache): start loading it now so that it overlaps the match.
  store.prefetch_slot(v.key_of(w.event.provider), w.event.subject);
  if (w.event.kind == EventKind::kLogin) match_login(*v.config, w.event, &w.match);
}

void Engine::Impl::bring_shard_to(LockedShard& shard, const ConfigVersion& v, ReloadScratch& scratch) const {
  if (shard.config_epoch() == v.epoch) return;
  // Reloads are serialised and each converts every shard before the next
  // starts, so a shard is at most one version behind.
  assert(shard.config_epoch() == v.previous_epoch && v.plan != nullptr);
  if (!v.plan->identity) {
    const size_t i = shard.index();
    std::vector<LoggedReload>& lines = v.log->lines[i];
    size_t& changed = v.log->users_changed[i];
    UserState user;
    UserReloadDelta delta;
    shard.for_each_user([&](ProviderKey provider, std::string_view subject, UserHandle& handle) {
      handle.load(&user);
      if (convert_user(*v.plan, user, scratch, &delta)) {
        handle.save(user);
        ++changed;
      }
      if (!delta.empty()) lines.push_back(LoggedReload{provider, std::string(subject), delta});
    });
  }
  shard.set_config_epoch(v.epoch);
}

bool Engine::Impl::apply_parsed(const ConfigVersion& v, const ParsedEvent& event, const MatchView& match,
                                SyncScratch& scratch, ReloadScratch& reload, Outcome* out) {
  if (!event.ok()) {
    // A bad line never changes state: it only reports what was known of it.
    out->kind_known = event.kind_known;
    out->kind = event.kind;
    out->provider_known = event.provider_known;
    out->provider = event.provider;
    out->subject_known = event.subject_known;
    out->subject = event.subject;
    out->status = OutcomeStatus::kError;
    out->error = event.error;
    out->error_message = event.error_message;
    return true;
  }
  return with_user_at(v, v.key_of(event.provider), event.subject, reload,
                      [&](UserHandle& handle) { apply_event(*v.config, event, match, handle, scratch, out); });
}

bool Engine::Impl::provider_key(const ConfigVersion& v, std::string_view provider, ProviderKey* key) const {
  auto p = v.config->provider_by_id.find(provider);
  if (p != v.config->provider_by_id.end()) {
    *key = v.key_of(p->second);
    return true;
  }
  return store.find_provider_key(provider, key);
}

const ConfigVersion& Engine::Impl::process_padded(Worker& w, std::string_view line, uint64_t seq) {
  for (;;) {
    const ConfigVersion& v = current_version(w);
    prepare_padded(v, w, line, seq);
    if (apply_parsed(v, w.event, w.match.view(), w.sync, w.reload, &w.outcome)) return v;
  }
}

Result<ReloadResult> Engine::Impl::reload(Config next) {
  std::lock_guard<std::mutex> admin(admin_mutex);
  const std::shared_ptr<const ConfigVersion> old = current_version_shared();
  auto v = make_version(next, store);
  v->number = old->number + 1;
  v->previous_epoch = old->epoch;
  v->plan = std::make_shared<const ReloadPlan>(build_reload_plan(old->config, v->config));
  v->log = std::make_shared<ReloadLog>();
  {
    std::lock_guard<std::mutex> lock(version_mutex);
    current = v;
  }
  // The reload takes effect here: every event that reads the epoch from now
  // on runs under the new version, and converts its shard if the walk below
  // has not reached it yet.
  current_epoch.store(v->epoch, std::memory_order_release);

  ReloadResult result;
  result.config_version = v->number;
  std::vector<LoggedReload> logged;
  Worker& w = thread_worker();
  for (size_t i = 0; i < UserStore::kShardCount; ++i) {
    store.with_shard(i, [&](LockedShard& shard) {
      bring_shard_to(shard, *v, w.reload);
      auto& lines = v->log->lines[i];
      std::move(lines.begin(), lines.end(), std::back_inserter(logged));
      lines.clear();
      lines.shrink_to_fit();
      result.users_changed += v->log->users_changed[i];
    });
  }

  // Sorted bytewise by provider id, then subject (docs/spec.md §7).
  ProviderNames name_of(store);
  std::sort(logged.begin(), logged.end(), [&](const LoggedReload& a, const LoggedReload& b) {
    if (a.provider != b.provider) return name_of(a.provider) < name_of(b.provider);
    return a.subject < b.subject;
  });
  result.deltas.reserve(logged.size());
  for (LoggedReload& r : logged) {
    Delta d;
    d.cause = Cause::kReload;
    d.provider = name_of(r.provider);
    d.subject = std::move(r.subject);
    d.status = DeltaStatus::kOk;
    d.groups_removed.assign(r.delta.groups_removed.begin(), r.delta.groups_removed.end());
    d.roles_granted.assign(r.delta.roles_granted.begin(), r.delta.roles_granted.end());
    d.roles_revoked.assign(r.delta.roles_revoked.begin(), r.delta.roles_revoked.end());
    result.deltas.push_back(std::move(d));
  }
  return result;
}

void Engine::Impl::replace_state(UserStore& staged, const ConfigVersion& version) {
  store.replace_all(staged, version.epoch);
}

namespace {

// The line copied into the worker's buffer with simdjson's padding after it.
std::string_view padded_copy(Worker& w, std::string_view line) {
  w.padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
  std::copy(line.begin(), line.end(), w.padded.begin());
  return std::string_view(w.padded.data(), line.size());
}

}  // namespace

Engine::Engine(Config config, EngineOptions options) : impl_(std::make_unique<Impl>(config, options)) {}
Engine::~Engine() = default;

Delta Engine::process(std::string_view line, uint64_t seq) {
  Worker& w = impl_->thread_worker();
  const ConfigVersion& v = impl_->process_padded(w, padded_copy(w, line), seq);
  return to_delta(*v.config, w.outcome);
}

ErrorCode Engine::process_to_ndjson(std::string_view line, uint64_t seq, std::string* out, EventCounters* counters) {
  Worker& w = impl_->thread_worker();
  const ConfigVersion& v = impl_->process_padded(w, padded_copy(w, line), seq);
  append_outcome_line(*v.config, w.outcome, out);
  if (counters != nullptr) count_outcome(w.outcome, counters);
  return w.outcome.error;
}

std::vector<Delta> Engine::process_batch(const std::vector<std::string_view>& lines, uint64_t first_seq) {
  std::vector<Delta> deltas;
  deltas.reserve(lines.size());
  uint64_t seq = first_seq;
  for (std::string_view line : lines) {
    std::string_view content = line;
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (content.find_first_not_of(" \t") != std::string_view::npos) deltas.push_back(process(content, seq));
    ++seq;
  }
  return deltas;
}

Result<ReloadResult> Engine::reload(Config next) { return impl_->reload(std::move(next)); }

std::vector<std::string> Engine::effective_roles(std::string_view provider, std::string_view subject) const {
  Worker& w = impl_->thread_worker();
  std::vector<std::string> names;
  for (;;) {
    const ConfigVersion& v = impl_->current_version(w);
    ProviderKey key;
    if (!impl_->provider_key(v, provider, &key)) return names;
    const bool done = impl_->with_user_at(v, key, subject, w.reload, [&](UserHandle& handle) {
      if (!handle.exists()) return;
      UserState& user = w.sync.user;
      handle.load(&user);
      effective_groups(user, &w.sync.groups_after);
      claimmap::effective_roles(*v.config, user, w.sync.groups_after, &w.sync.roles_after);
      for (RoleId r : w.sync.roles_after) names.push_back(v.config->role(r).id);
    });
    if (done) return names;
  }
}

std::string Engine::export_state() const {
  std::lock_guard<std::mutex> admin(impl_->admin_mutex);
  return claimmap::export_state(*impl_->current_version_shared()->config, impl_->store);
}

Status Engine::import_state(std::string_view ndjson, StateLoadReport* report) {
  StateLoadReport local;
  std::lock_guard<std::mutex> admin(impl_->admin_mutex);
  const auto v = impl_->current_version_shared();
  UserStore staged;
  Status s = claimmap::import_state(*v->config, ndjson, impl_->store, &staged, report ? report : &local);
  if (s.ok()) impl_->replace_state(staged, *v);
  return s;
}

Status Engine::load_state_file(const std::string& path, StateLoadReport* report) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  // A crash can leave a zero-length file where a snapshot was: only a name
  // that says NDJSON makes an empty file an empty state (docs/spec.md §9).
  constexpr std::string_view kNdjson = ".ndjson";
  if (text.value().empty() && !(path.size() >= kNdjson.size() && path.ends_with(kNdjson))) {
    return Status(ErrorCode::kInvalidState,
                  path + ": empty file: a truncated snapshot, refused (only a name ending in .ndjson may be empty)");
  }
  StateLoadReport local;
  std::lock_guard<std::mutex> admin(impl_->admin_mutex);
  const auto v = impl_->current_version_shared();
  UserStore staged;
  // The two forms are told apart by content (docs/spec.md §9).
  Status s = is_snapshot(text.value())
                 ? import_snapshot(*v->config, text.value(), impl_->store, &staged, report ? report : &local)
                 : claimmap::import_state(*v->config, text.value(), impl_->store, &staged, report ? report : &local);
  if (!s.ok()) return Status(s.code(), path + ": " + s.message());
  impl_->replace_state(staged, *v);
  return s;
}

Status Engine::save_state_file(const std::string& path) const {
  constexpr std::string_view kNdjson = ".ndjson";
  const bool ndjson =
      path.size() >= kNdjson.size() && path.compare(path.size() - kNdjson.size(), kNdjson.size(), kNdjson) == 0;
  std::string bytes;
  {
    std::lock_guard<std::mutex> admin(impl_->admin_mutex);
    const auto v = impl_->current_version_shared();
    bytes = ndjson ? claimmap::export_state(*v->config, impl_->store) : encode_snapshot(*v->config, impl_->store);
  }
  return write_file_atomically(path, bytes);
}

size_t Engine::user_count() const { return impl_->store.size(); }
size_t Engine::state_bytes() const { return impl_->store.memory_bytes(); }
Config Engine::config() const { return Config(impl_->current_version_shared()->config); }
uint64_t Engine::config_version() const { return impl_->current_version_shared()->number; }

}  // namespace claimmap
