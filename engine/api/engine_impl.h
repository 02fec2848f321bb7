// The inside of claimmap::Engine: the current config version, the user
// store, and the per-thread Worker scratch that makes the steady-state path
// allocation-free. Its members are private; the stream pipeline, the
// queries and the state entry points use the narrow interface below, in
// which each rule is written once: how a line is prepared (the one prepare
// stage, engine/prepare/prepare_stage.h), how an event applies, how a caller
// overtaken by a reload tries again, and which lock whole-state work holds.
//
// Config versions (docs/spec.md §7; docs/architecture.md "Config versions"):
// the current version is published by one atomic epoch; each thread keeps
// the version it last used in its Worker and takes `version_mutex_` only
// when the epoch moved, so an event costs one atomic load, never a global
// lock. Every shard of the store records the epoch of its records' ids; a
// shard still at the previous epoch is converted, under its lock, by
// whoever locks it first after a reload — the reload walking all shards, or
// an event. An event prepared under an older version than its shard's is
// prepared again.
//
// Thread-safety: every member function may be called from any thread;
// `admin_mutex_` serialises reloads, state loads and whole-state reads.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "claimmap/engine.h"
#include "engine/common/thread_annotations.h"
#include "engine/config/compiled_config.h"
#include "engine/match/matcher.h"
#include "engine/prepare/prepare_stage.h"
#include "engine/reload/config_version.h"
#include "engine/reload/reload_plan.h"
#include "engine/state/state_io.h"
#include "engine/state/user_store.h"
#include "engine/sync/outcome.h"
#include "engine/sync/sync.h"

namespace claimmap {

// Everything one thread needs to process events; owned by that thread. The
// prepare stage's scratch (parser, event, match, padded copy) is its base.
struct Worker : PrepareScratch {
  explicit Worker(size_t max_line_bytes) : PrepareScratch(max_line_bytes) {}
  SyncScratch sync;
  Outcome outcome;
  ReloadScratch reload;
  // The version this thread used last (of whichever engine): reused while
  // that engine's current epoch is still its epoch (epochs are unique).
  std::shared_ptr<const ConfigVersion> version;
};

class Engine::Impl {
 public:
  Impl(Config config, EngineOptions options);

  const EngineOptions& options() const { return options_; }

  // The calling thread's Worker (created on first use).
  Worker& thread_worker() const;

  // --- Versions -------------------------------------------------------------

  // The current version, for the calling thread (kept in worker.version).
  const ConfigVersion& current_version(Worker& worker) const EXCLUDES(version_mutex_);
  std::shared_ptr<const ConfigVersion> current_version_shared() const EXCLUDES(version_mutex_);
  // Whether `version` is still the current one (one atomic load).
  bool is_current(const ConfigVersion& version) const {
    return current_epoch_.load(std::memory_order_acquire) == version.epoch;
  }

  // --- One line -------------------------------------------------------------

  // The prepare stage under `version` into worker.event and worker.match
  // (engine/prepare/prepare_stage.h). With `prefetch`, the user's table
  // slot starts loading between the parse and the match (for a line
  // applied right after; the stream's parallel stage prefetches later, on
  // the thread that applies).
  void prepare(const ConfigVersion& version, Worker& worker, const LineInput& line, bool prefetch) const;

  // Applies a prepared event (matched, if it is a login) to the user store,
  // or turns its error into the outcome. `out` must have been reset for the
  // event's seq. Returns false, changing nothing, when the user's shard is
  // already at a newer version than `version`: the caller prepares the line
  // again under the current one.
  bool apply(const ConfigVersion& version, const ParsedEvent& event, const MatchView& match, SyncScratch& scratch,
             ReloadScratch& reload, Outcome* out);

  // The whole of one line: prepared and applied under the current version,
  // again under a newer one if a reload overtook it. The outcome is in
  // worker.outcome; returns the version it was made under.
  const ConfigVersion& process(Worker& worker, const LineInput& line, uint64_t seq);

  // Starts loading a user's table slot, or (after the slot has had time to
  // land) its record: hints for a caller that knows its next users.
  void prefetch_slot(const ConfigVersion& version, ProviderId provider, std::string_view subject) const {
    store_.prefetch_slot(version.key_of(provider), subject);
  }
  void prefetch_record(const ConfigVersion& version, ProviderId provider, std::string_view subject) {
    store_.prefetch_record(version.key_of(provider), subject);
  }

  // --- Users ----------------------------------------------------------------

  // Calls f(const ConfigVersion&, UserHandle&) for one user, with its shard
  // locked and its records at the current version; again under a newer
  // version if a reload overtook the call (f must start afresh each time).
  // False, without calling f, for a provider no config ever had.
  template <typename F>
  bool with_current_user(Worker& worker, std::string_view provider, std::string_view subject, F&& f) const;

  // Calls f(const ConfigVersion&, LockedShard&) for every shard in turn,
  // each locked and at the current version, holding admin_mutex_ (no reload
  // or state load meanwhile).
  template <typename F>
  void for_each_current_shard(F&& f) const EXCLUDES(admin_mutex_);

  // The store key of `provider` under `version`, or of a provider an earlier
  // config had (its users stay, docs/spec.md §7.3). False for a provider no
  // config ever had: it has no users.
  bool provider_key(const ConfigVersion& version, std::string_view provider, ProviderKey* key) const;

  // Provider ids of store keys, looked up once each.
  ProviderNames provider_names() const { return ProviderNames(store_); }
  size_t user_count() const { return store_.size(); }
  size_t state_bytes() const { return store_.memory_bytes(); }

  // --- The whole state ------------------------------------------------------

  // Calls f(const ConfigVersion&, const UserStore&) and returns its result,
  // holding admin_mutex_: a whole-state read (export, snapshot) sees one
  // version and no state load or reload midway. Shards are locked one at a
  // time by the reader itself.
  template <typename F>
  decltype(auto) read_whole_state(F&& f) const EXCLUDES(admin_mutex_);

  // Replaces the whole state with `bytes` (a binary snapshot or NDJSON, told
  // apart by content) at once, holding admin_mutex_: on any error nothing
  // changes. `report` says what the current config no longer justified.
  Status load_state(std::string_view bytes, StateLoadReport* report) EXCLUDES(admin_mutex_);
  // An NDJSON state read from `file` in pieces (import_state_file).
  Status load_ndjson_state(const FileReader& file, StateLoadReport* report) EXCLUDES(admin_mutex_);

  // With `explain`, each reload line carries its explain (docs/spec.md §17).
  Result<ReloadResult> reload(Config next, bool explain = false) EXCLUDES(admin_mutex_);

 private:
  // Calls attempt(const ConfigVersion&) under the current version until it
  // returns true: the one retry loop for a caller overtaken by a reload.
  template <typename Attempt>
  const ConfigVersion& at_current_version(Worker& worker, Attempt&& attempt) const;

  // Calls f(UserHandle&) for the user with its shard locked and its records
  // at `version` (converting the shard first if a reload has not reached it
  // yet). False without calling f when the shard is already at a newer
  // version.
  template <typename F>
  bool with_user_at(const ConfigVersion& version, ProviderKey key, std::string_view subject, ReloadScratch& scratch,
                    F&& f) const;

  // Brings a locked shard to `version` (see above). Requires the shard to be
  // at `version` or at its previous epoch.
  void bring_shard_to(LockedShard& shard, const ConfigVersion& version, ReloadScratch& scratch) const;

  const EngineOptions options_;
  // Each shard has its own lock (engine/state/user_store.h); the store's
  // shape changes only in replace_all, under every shard lock.
  mutable UserStore store_;

  // Serialises reloads, state loads and whole-state reads with each other.
  mutable std::mutex admin_mutex_;
  mutable std::mutex version_mutex_;
  std::shared_ptr<const ConfigVersion> current_ GUARDED_BY(version_mutex_);
  // current_->epoch, for the lock-free check of every event.
  std::atomic<uint64_t> current_epoch_{0};
};

// The engine-internal view of an Engine, for the pipeline, the queries and
// the state entry points.
class EngineAccess {
 public:
  static Engine::Impl& impl(Engine& engine) { return *engine.impl_; }
  static const Engine::Impl& impl(const Engine& engine) { return *engine.impl_; }
};

// --- Templates ----------------------------------------------------------------

template <typename Attempt>
const ConfigVersion& Engine::Impl::at_current_version(Worker& worker, Attempt&& attempt) const {
  for (;;) {
    const ConfigVersion& v = current_version(worker);
    if (attempt(v)) return v;
  }
}

template <typename F>
bool Engine::Impl::with_user_at(const ConfigVersion& version, ProviderKey key, std::string_view subject,
                                ReloadScratch& scratch, F&& f) const {
  return store_.with_user(key, subject, [&](UserHandle& handle) {
    LockedShard shard = handle.shard();
    if (shard.config_epoch() != version.epoch) {
      if (shard.config_epoch() > version.epoch) return false;  // a reload overtook the caller
      bring_shard_to(shard, version, scratch);
      handle.refresh();
    }
    f(handle);
    return true;
  });
}

template <typename F>
bool Engine::Impl::with_current_user(Worker& worker, std::string_view provider, std::string_view subject,
                                     F&& f) const {
  bool known = true;
  at_current_version(worker, [&](const ConfigVersion& v) {
    ProviderKey key;
    if (!provider_key(v, provider, &key)) {
      known = false;
      return true;
    }
    return with_user_at(v, key, subject, worker.reload, [&](UserHandle& handle) { f(v, handle); });
  });
  return known;
}

template <typename F>
void Engine::Impl::for_each_current_shard(F&& f) const {
  std::lock_guard<std::mutex> admin(admin_mutex_);
  const std::shared_ptr<const ConfigVersion> version = current_version_shared();
  Worker& worker = thread_worker();
  for (size_t i = 0; i < UserStore::kShardCount; ++i) {
    store_.with_shard(i, [&](LockedShard& shard) {
      bring_shard_to(shard, *version, worker.reload);
      f(*version, shard);
    });
  }
}

template <typename F>
decltype(auto) Engine::Impl::read_whole_state(F&& f) const {
  std::lock_guard<std::mutex> admin(admin_mutex_);
  const std::shared_ptr<const ConfigVersion> version = current_version_shared();
  return f(*version, static_cast<const UserStore&>(store_));
}

}  // namespace claimmap
