// One version of an engine's config: the compiled tables, the store's keys
// for its providers, and — when it came from a reload — how shards still at
// the previous version are brought to it (docs/spec.md §7; docs/architecture.md
// "Config versions").
//
// Immutable once published, except the reload log, whose per-shard parts are
// written only under that shard's lock. Shared by every thread that
// evaluates events under it (thread-local caches hold references).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/common/ids.h"
#include "engine/config/compiled_config.h"
#include "engine/reload/reload_plan.h"
#include "engine/state/user_store.h"

namespace claimmap {

// A user's reload line, waiting to be collected by the reload.
struct LoggedReload {
  ProviderKey provider;
  std::string subject;
  UserReloadDelta delta;
};

// What converting each shard found; shard i's part is written under its lock.
struct ReloadLog {
  std::array<std::vector<LoggedReload>, UserStore::kShardCount> lines;
  std::array<size_t, UserStore::kShardCount> users_changed{};
};

struct ConfigVersion {
  std::shared_ptr<const CompiledConfig> config;
  uint64_t epoch = 0;                      // unique in the process, increasing
  uint64_t number = 1;                     // the engine's 1, 2, 3, … (config_version())
  std::vector<ProviderKey> provider_keys;  // index = ProviderId

  // From a reload: shards at `previous_epoch` are converted by `plan`.
  uint64_t previous_epoch = 0;
  std::shared_ptr<const ReloadPlan> plan;
  std::shared_ptr<ReloadLog> log;

  ProviderKey key_of(ProviderId id) const { return provider_keys[index_of(id)]; }
};

// A process-wide unique, increasing epoch for a new version.
uint64_t next_config_epoch();

}  // namespace claimmap
