#include "worker/group_members.h"

#include <algorithm>

namespace claimmap::scaleout {

GroupMembers::GroupMembers(Connection& conn, kvStore* members, std::string self, std::chrono::milliseconds ttl)
    : conn_(conn), kv_(members), self_(std::move(self)), ttl_(ttl) {}

GroupMembers::~GroupMembers() { retire_watcher(); }

void GroupMembers::watch() {
  kvWatchOptions options;
  kvWatchOptions_Init(&options);
  options.MetaOnly = true;  // names and operations only: the values are not read
  if (kvStore_WatchAll(&watcher_, kv_, &options) != NATS_OK) watcher_ = nullptr;
  last_update_ = Clock::now();
}

void GroupMembers::retire_watcher() {
  if (watcher_ == nullptr) return;
  kvWatcher_Stop(watcher_);  // unsubscribed now; freed once nothing can reach it
  kvWatcher* w = watcher_;
  conn_.retire([w] { kvWatcher_Destroy(w); });
  watcher_ = nullptr;
}

uint32_t GroupMembers::live(std::chrono::milliseconds wait) {
  // A new watcher first delivers every member's last put, then a marker:
  // read up to it (within a quarter TTL), so that the first count is whole.
  bool initial = false;
  if (watcher_ == nullptr) {
    watch();
    initial = true;
  }
  if (watcher_ != nullptr) {
    const int64_t initial_ms = std::max<int64_t>(1, ttl_.count() / 4);
    int64_t timeout_ms = initial ? initial_ms : std::max<int64_t>(1, wait.count());
    for (;;) {
      kvEntry* e = nullptr;
      const natsStatus s = kvWatcher_Next(&e, watcher_, timeout_ms);
      if (s == NATS_TIMEOUT) break;
      if (s != NATS_OK) {  // stopped under us, or the connection closed: watch anew next time
        retire_watcher();
        break;
      }
      last_update_ = Clock::now();
      if (e == nullptr) {  // the "initial values done" marker
        initial = false;
        timeout_ms = 1;
        continue;
      }
      timeout_ms = initial ? initial_ms : 1;  // then only what is already there
      const std::string name = kvEntry_Key(e);
      if (kvEntry_Operation(e) == kvOp_Put) {
        seen_[name] = last_update_;
      } else {
        seen_.erase(name);  // deleted at a clean stop
      }
      kvEntry_Destroy(e);
    }
    // This worker's own put arrives at every heartbeat (TTL / 5); nothing at
    // all for two TTLs means the watcher no longer delivers.
    if (watcher_ != nullptr && Clock::now() - last_update_ > 2 * ttl_) retire_watcher();
  }
  const auto now = Clock::now();
  uint32_t count = 1;  // this worker
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (now - it->second > ttl_) {
      it = seen_.erase(it);
      continue;
    }
    if (it->first != self_) ++count;
    ++it;
  }
  return count;
}

}  // namespace claimmap::scaleout
