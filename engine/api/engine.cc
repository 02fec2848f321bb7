// claimmap::Engine: the public facade over parse → match → sync → write, and
// the config versions behind reload (engine/api/engine_impl.h).
#include "claimmap/engine.h"

#include <algorithm>
#include <atomic>
#include <cassert>

#include "engine/api/engine_impl.h"
#include "claimmap/lines.h"
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
  v->config = ConfigAccess::shared(config);
  v->epoch = next_config_epoch();
  for (const CompiledProvider& p : v->config->providers) v->provider_keys.push_back(store.provider_key(p.def.id));
  return v;
}

}  // namespace

Engine::Impl::Impl(Config config, EngineOptions options) : options_(options) {
  auto v = make_version(config, store_);
  v->number = std::max<uint64_t>(options.first_config_version, 1);
  for (size_t i = 0; i < UserStore::kShardCount; ++i) {
    store_.with_shard(i, [&](LockedShard& shard) { shard.set_config_epoch(v->epoch); });
  }
  current_epoch_.store(v->epoch, std::memory_order_release);
  std::lock_guard<std::mutex> lock(version_mutex_);
  current_ = std::move(v);
}

Worker& Engine::Impl::thread_worker() const {
  // One Worker per thread, shared by every Engine that thread calls: a Worker
  // holds only scratch and a cached version, never state, between calls.
  thread_local std::unique_ptr<Worker> worker;
  if (!worker || worker->parser.max_line_bytes() != options_.max_line_bytes) {
    worker = std::make_unique<Worker>(options_.max_line_bytes);
  }
  return *worker;
}

std::shared_ptr<const ConfigVersion> Engine::Impl::current_version_shared() const {
  std::lock_guard<std::mutex> lock(version_mutex_);
  return current_;
}

const ConfigVersion& Engine::Impl::current_version(Worker& w) const {
  const uint64_t epoch = current_epoch_.load(std::memory_order_acquire);
  if (!w.version || w.version->epoch != epoch) w.version = current_version_shared();
  return *w.version;
}

void Engine::Impl::prepare(const ConfigVersion& v, Worker& w, const LineInput& line, bool prefetch) const {
  // The Worker is the thread's, shared by every engine and call: both set each time.
  w.clock.fixed = options_.now_seconds;
  w.match.want_values = line.explain;
  prepare_line(*v.config, line, PrepareUpTo::kMatch, w, [&](const ParsedEvent& event) {
    // The user's table slot is a likely cache miss (a million users do not
    // fit in cache): start loading it now so that it overlaps the match.
    if (prefetch) store_.prefetch_slot(v.key_of(event.provider), event.subject);
  });
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

bool Engine::Impl::apply(const ConfigVersion& v, const ParsedEvent& event, const MatchView& match,
                         SyncScratch& scratch, ReloadScratch& reload, Outcome* out) {
  if (!event.ok()) {
    // A bad line never changes state: it only reports what was known of it.
    static_cast<EventIdentity&>(*out) = event;
    out->status = DeltaStatus::kError;
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
  return store_.find_provider_key(provider, key);
}

const ConfigVersion& Engine::Impl::process(Worker& w, const LineInput& line, uint64_t seq) {
  return at_current_version(w, [&](const ConfigVersion& v) {
    w.outcome.reset(seq);
    prepare(v, w, line, /*prefetch=*/true);
    w.sync.explain = line.explain;
    return apply(v, w.event, w.match.view(), w.sync, w.reload, &w.outcome);
  });
}

Status Engine::Impl::load_state(std::string_view bytes, StateLoadReport* report) {
  StateLoadReport local;
  std::lock_guard<std::mutex> admin(admin_mutex_);
  const auto v = current_version_shared();
  UserStore staged;
  // The two forms are told apart by content (docs/spec.md §9).
  Status s = is_snapshot(bytes) ? import_snapshot(*v->config, bytes, store_, &staged, report ? report : &local)
                                : claimmap::import_state(*v->config, bytes, store_, &staged, report ? report : &local);
  if (s.ok()) store_.replace_all(staged, v->epoch);
  return s;
}

Status Engine::Impl::load_ndjson_state(const FileReader& file, StateLoadReport* report) {
  StateLoadReport local;
  std::lock_guard<std::mutex> admin(admin_mutex_);
  const auto v = current_version_shared();
  UserStore staged;
  Status s = import_state_file(*v->config, file, store_, &staged, report ? report : &local);
  if (s.ok()) store_.replace_all(staged, v->epoch);
  return s;
}

Result<ReloadResult> Engine::Impl::reload(Config next, bool explain) {
  std::lock_guard<std::mutex> admin(admin_mutex_);
  const std::shared_ptr<const ConfigVersion> old = current_version_shared();
  auto v = make_version(next, store_);
  v->number = old->number + 1;
  v->previous_epoch = old->epoch;
  {
    ReloadPlan plan = build_reload_plan(old->config, v->config);
    plan.explain = explain;
    v->plan = std::make_shared<const ReloadPlan>(std::move(plan));
  }
  v->log = std::make_shared<ReloadLog>();
  {
    std::lock_guard<std::mutex> lock(version_mutex_);
    current_ = v;
  }
  // The reload takes effect here: every event that reads the epoch from now
  // on runs under the new version, and converts its shard if the walk below
  // has not reached it yet.
  current_epoch_.store(v->epoch, std::memory_order_release);

  ReloadResult result;
  result.config_version = v->number;
  std::vector<LoggedReload> logged;
  Worker& w = thread_worker();
  for (size_t i = 0; i < UserStore::kShardCount; ++i) {
    store_.with_shard(i, [&](LockedShard& shard) {
      bring_shard_to(shard, *v, w.reload);
      auto& lines = v->log->lines[i];
      std::move(lines.begin(), lines.end(), std::back_inserter(logged));
      lines.clear();
      lines.shrink_to_fit();
      result.users_changed += v->log->users_changed[i];
    });
  }

  // Sorted bytewise by provider id, then subject (docs/spec.md §7).
  ProviderNames name_of(store_);
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
    d.explain = std::move(r.delta.explain);
    result.deltas.push_back(std::move(d));
  }
  return result;
}

void ReloadResult::append_ndjson(uint64_t seq, std::string* out, EventCounters* counters) {
  for (Delta& d : deltas) {
    d.seq = seq;
    if (counters != nullptr) counters->add(d);
    claimmap::append_ndjson(d, out);
  }
}

Engine::Engine(Config config, EngineOptions options) : impl_(std::make_unique<Impl>(config, options)) {}
Engine::~Engine() = default;

Delta Engine::process(std::string_view line, uint64_t seq, DeltaOptions options) {
  Worker& w = impl_->thread_worker();
  const ConfigVersion& v = impl_->process(w, LineInput{w.pad(line), 0, nullptr, options.explain}, seq);
  return to_delta(*v.config, w.outcome);
}

Delta Engine::push(const Push& push, uint64_t seq, DeltaOptions options) {
  Worker& w = impl_->thread_worker();
  // Cause lists the push types in EventKind's order, after kUnknown and kLogin.
  const bool is_push = push.type >= Cause::kAssign && push.type <= Cause::kDelete;
  const PushFields fields{is_push ? static_cast<EventKind>(static_cast<int>(push.type) - 1) : EventKind::kLogin,
                          push.provider, push.subject, push.group, push.role};
  const ConfigVersion& v = impl_->process(w, LineInput{{}, 0, &fields, options.explain}, seq);
  return to_delta(*v.config, w.outcome);
}

ErrorCode Engine::process_to_ndjson(std::string_view line, uint64_t seq, std::string* out, EventCounters* counters,
                                     DeltaOptions options) {
  Worker& w = impl_->thread_worker();
  const ConfigVersion& v = impl_->process(w, LineInput{w.pad(line), 0, nullptr, options.explain}, seq);
  append_outcome_line(*v.config, w.outcome, out);
  if (counters != nullptr) count_outcome(w.outcome, counters);
  return w.outcome.error;
}

std::vector<Delta> Engine::process_batch(const std::vector<std::string_view>& lines, uint64_t first_seq) {
  std::vector<Delta> deltas;
  deltas.reserve(lines.size());
  uint64_t seq = first_seq;
  for (std::string_view line : lines) {
    const std::string_view content = line_content(line);
    if (!is_blank_line(content)) deltas.push_back(process(content, seq));
    ++seq;
  }
  return deltas;
}

Result<ReloadResult> Engine::reload(Config next, DeltaOptions options) {
  return impl_->reload(std::move(next), options.explain);
}

std::vector<std::string> Engine::effective_roles(std::string_view provider, std::string_view subject) const {
  Worker& w = impl_->thread_worker();
  std::vector<std::string> names;
  impl_->with_current_user(w, provider, subject, [&](const ConfigVersion& v, UserHandle& handle) {
    names.clear();
    if (!handle.exists()) return;
    UserState& user = w.sync.user;
    handle.load(&user);
    effective_groups(user, &w.sync.groups_after);
    claimmap::effective_roles(*v.config, user, w.sync.groups_after, &w.sync.roles_after);
    for (RoleId r : w.sync.roles_after) names.push_back(v.config->role(r).id);
  });
  return names;
}

std::string Engine::export_state() const {
  return impl_->read_whole_state(
      [](const ConfigVersion& v, const UserStore& store) { return claimmap::export_state(*v.config, store); });
}

Status Engine::import_state(std::string_view ndjson, StateLoadReport* report) {
  return impl_->load_state(ndjson, report);
}

Status Engine::load_state_file(const std::string& path, StateLoadReport* report) {
  Result<FileReader> file = FileReader::open(path);
  if (!file.ok()) return file.status();
  // A crash can leave a zero-length file where a snapshot was: only a name
  // that says NDJSON makes an empty file an empty state (docs/spec.md §9).
  // (procfs says 0 and holds more: refused as a file that grew, as a whole read refuses it.)
  if (file.value().size() == 0) {
    if (Status s = file.value().check_no_more(); !s.ok()) return s;
    if (!path.ends_with(".ndjson")) {
      return Status(ErrorCode::kInvalidState,
                    path + ": empty file: a truncated snapshot, refused (only a name ending in .ndjson may be empty)");
    }
  }
  // The two forms are told apart by their first bytes (docs/spec.md §9). A
  // snapshot is read whole, in parallel (its sections are checked whole); an
  // NDJSON state, the largest file the engine reads, in pieces parsed as
  // they arrive (engine/state/state_io.cc), never held whole.
  char head[kSnapshotMagicBytes] = {};
  const size_t head_size = static_cast<size_t>(std::min<uint64_t>(file.value().size(), sizeof head));
  if (Status s = file.value().read(head, 0, head_size); !s.ok()) return s;
  Status s;
  if (is_snapshot(std::string_view(head, head_size))) {
    Result<FileBytes> text = read_file_in_parallel(path);
    if (!text.ok()) return text.status();
    s = impl_->load_state(text.value().view(), report);
  } else {
    s = impl_->load_ndjson_state(file.value(), report);
    if (s.code() == ErrorCode::kIoError) return s;  // names the path already, as a whole read's does
  }
  if (!s.ok()) return Status(s.code(), path + ": " + s.message());
  return s;
}

Status Engine::save_state_file(const std::string& path) const {
  const bool ndjson = path.ends_with(".ndjson");
  const std::string bytes = impl_->read_whole_state([&](const ConfigVersion& v, const UserStore& store) {
    return ndjson ? claimmap::export_state(*v.config, store) : encode_snapshot(*v.config, store);
  });
  return write_file_atomically(path, bytes);
}

size_t Engine::user_count() const { return impl_->user_count(); }
size_t Engine::state_bytes() const { return impl_->state_bytes(); }
Config Engine::config() const { return ConfigAccess::make(impl_->current_version_shared()->config); }
uint64_t Engine::config_version() const { return impl_->current_version_shared()->number; }
const EngineOptions& Engine::options() const { return impl_->options(); }

}  // namespace claimmap
