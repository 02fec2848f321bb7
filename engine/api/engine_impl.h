// The inside of claimmap::Engine, shared by the facade (engine.cc), the
// stream pipeline, the queries and state I/O: the current config version,
// the user store, and the per-thread Worker scratch that makes the
// steady-state path allocation-free.
//
// Config versions (docs/spec.md §7; docs/architecture.md "Config versions"): the
// current version is published by one atomic epoch; each thread keeps the
// version it last used in its Worker and takes `version_mutex` only when the
// epoch moved, so an event costs one atomic load, never a global lock. Every
// shard of the store records the epoch of its records' ids; a shard still at
// the previous epoch is converted, under its lock, by whoever locks it first
// after a reload — the reload walking all shards, or an event. An event
// prepared under an older version than its shard's is prepared again.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "claimmap/engine.h"
#include "engine/config/compiled_config.h"
#include "engine/match/matcher.h"
#include "engine/parse/event_parser.h"
#include "engine/reload/config_version.h"
#include "engine/reload/reload_plan.h"
#include "engine/sync/outcome.h"
#include "engine/sync/sync.h"
#include "engine/state/user_store.h"

namespace claimmap {

// Everything one thread needs to process events; owned by that thread.
struct Worker {
  explicit Worker(size_t max_line_bytes) : parser(max_line_bytes) {}
  EventParser parser;
  ParsedEvent event;
  MatchResult match;
  SyncScratch sync;
  Outcome outcome;
  ReloadScratch reload;
  std::string padded;  // a copy of a caller's line with simdjson's padding
  // The version this thread used last (of whichever engine): reused while
  // that engine's current epoch is still its epoch (epochs are unique).
  std::shared_ptr<const ConfigVersion> version;
};

struct Engine::Impl {
  Impl(Config config, EngineOptions options);

  // The current version, for the calling thread (see above).
  const ConfigVersion& current_version(Worker& worker) const;
  std::shared_ptr<const ConfigVersion> current_version_shared() const;

  // The calling thread's Worker (created on first use).
  Worker& thread_worker() const;

  // Parses and, for a login, matches `line` (readable SIMDJSON_PADDING bytes
  // past its end) into worker.event and worker.match under `version`, and
  // starts loading the user's table slot.
  void prepare_padded(const ConfigVersion& version, Worker& worker, std::string_view line, uint64_t seq);

  // Applies a parsed event (matched, if it is a login) prepared under
  // `version` to the user store, or turns its error into the outcome. `out`
  // must have been reset for the event's seq. Returns false, changing
  // nothing, when the user's shard is already at a newer version than
  // `version`: the caller prepares the line again under the current one.
  bool apply_parsed(const ConfigVersion& version, const ParsedEvent& event, const MatchView& match,
                    SyncScratch& scratch, ReloadScratch& reload, Outcome* out);

  // The whole of one line: prepare and apply under the current version,
  // again under a newer one if a reload overtook it. Returns the version
  // the outcome (in worker.outcome) was made under.
  const ConfigVersion& process_padded(Worker& worker, std::string_view line, uint64_t seq);

  // Brings a locked shard to `version` (see above). Requires the shard to be
  // at `version` or at its previous epoch.
  void bring_shard_to(LockedShard& shard, const ConfigVersion& version, ReloadScratch& scratch) const;

  // The store key of `provider` under `version`, or of a provider an earlier
  // config had (its users stay, docs/spec.md §7.3). False for a provider no
  // config ever had: it has no users.
  bool provider_key(const ConfigVersion& version, std::string_view provider, ProviderKey* key) const;

  // Calls f(UserHandle&) for the user with its shard locked and its records
  // at `version` (converting the shard first if a reload has not reached it
  // yet). Returns false without calling f when the shard is already at a
  // newer version: the caller asks again under the current one.
  template <typename F>
  bool with_user_at(const ConfigVersion& version, ProviderKey key, std::string_view subject, ReloadScratch& scratch,
                    F&& f) const {
    return store.with_user(key, subject, [&](UserHandle& handle) {
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

  // Calls f(const ConfigVersion&, LockedShard&) for every shard in turn,
  // each locked and at the current version. Holds `admin_mutex` (no reload
  // or state load meanwhile).
  template <typename F>
  void for_each_current_shard(F&& f) const;

  Result<ReloadResult> reload(Config next);
  // Replaces the whole state with `staged`'s users (keyed by this store's
  // provider keys, ids of the current version), atomically.
  void replace_state(UserStore& staged, const ConfigVersion& version);

  EngineOptions options;
  mutable UserStore store;

  // Serialises reloads, state loads and whole-state reads with each other.
  mutable std::mutex admin_mutex;
  mutable std::mutex version_mutex;  // guards `current`
  std::shared_ptr<const ConfigVersion> current;
  std::atomic<uint64_t> current_epoch{0};
};

// The engine-internal view of an Engine, for the pipeline and the queries.
class EngineAccess {
 public:
  static Engine::Impl& impl(Engine& engine) { return *engine.impl_; }
  static const Engine::Impl& impl(const Engine& engine) { return *engine.impl_; }
};

template <typename F>
void Engine::Impl::for_each_current_shard(F&& f) const {
  std::lock_guard<std::mutex> admin(admin_mutex);
  const std::shared_ptr<const ConfigVersion> version = current_version_shared();
  Worker& worker = thread_worker();
  for (size_t i = 0; i < UserStore::kShardCount; ++i) {
    store.with_shard(i, [&](LockedShard& shard) {
      bring_shard_to(shard, *version, worker.reload);
      f(*version, shard);
    });
  }
}

}  // namespace claimmap
