// One owned partition, on a thread of its own (docs/scaleout.md "A
// partition"): loads the partition's last checkpoint into an Engine of its
// own, replays the partition's events from the message after it through the
// Engine API (process_to_ndjson, reload), publishes each result line to
// claimmap.deltas.<p> with a Nats-Msg-Id derived from the input's stream
// sequence, and checkpoints every N events or T seconds and when it stops.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "claimmap/config.h"
#include "claimmap/counters.h"
#include "claimmap/status.h"
#include "worker/jetstream.h"

namespace claimmap::scaleout {

// Configs by their text, compiled once per worker: a reload marker's config
// is the same on every partition.
class ConfigCache {
 public:
  // `base_dir`: where a reload config's `jwks_file` is read from (the
  // worker's --config folder; configs travel through the stream as text).
  explicit ConfigCache(Config base, std::string base_dir = "") : base_(std::move(base)), base_dir_(std::move(base_dir)) {}
  const Config& base() const { return base_; }
  // The config of reload marker `marker_seq` of the events stream (0: the
  // base), from `text` when given, else read from the stream.
  Result<Config> get(JetStream& js, uint64_t marker_seq, std::string_view text = {});

 private:
  Config base_;
  std::string base_dir_;
  std::mutex mutex_;
  std::map<std::string, Config, std::less<>> by_text_;
};

struct RunnerSettings {
  uint64_t checkpoint_events = 50000;  // checkpoint after this many messages …
  int64_t checkpoint_ms = 10000;       // … or this long with something new
  int fetch_batch = 512;
  int64_t chunk_bytes = 512 * 1024;
  int64_t max_pending = 65536;
  // `worker --explain`: result lines carry their explain (docs/spec.md §17).
  // Give every worker of a group the same setting, or the results of its
  // partitions differ in shape.
  bool explain = false;
};

// What the metrics show of a partition (docs/scaleout.md "Operations").
struct PartitionStats {
  uint32_t partition = 0;
  uint64_t applied_seq = 0;     // events stream sequence of the last message applied
  uint64_t line_seq = 0;        // its Claimmap-Seq
  uint64_t lag = 0;             // messages of the partition not yet delivered (consumer's pending)
  uint64_t checkpoint_seq = 0;  // the last checkpoint's covered sequence
  int64_t checkpoint_unix_ms = 0;
  uint64_t users = 0;
  uint64_t state_bytes = 0;
  uint64_t config_version = 0;
  uint64_t results_published = 0, results_skipped = 0;  // skipped: already stored (a replay)
  EventCounters counters;
};

class PartitionRunner {
 public:
  using Log = std::function<void(const std::string&)>;
  PartitionRunner(uint32_t partition, Connection& conn, ConfigCache& configs, RunnerSettings settings, Log log);
  ~PartitionRunner();

  void start();
  // Finish the batch in hand, checkpoint, stop (a clean release).
  void stop();
  // Stop at once, without a checkpoint (the lease was lost: someone else
  // may own the partition now).
  void abandon();
  bool finished() const { return finished_.load(); }
  // Finished because of an error (it released nothing: the worker does).
  bool failed() const { return failed_.load(); }
  void join();

  // Fencing: the runner publishes and checkpoints only while its lease is
  // known to be valid; the worker moves this forward at every renewal.
  void set_lease_valid_until(std::chrono::steady_clock::time_point t);
  // Whether the lease is known to be valid now (renewed recently enough).
  bool lease_valid() const;
  // Called by the runner's own thread before a checkpoint when the lease's
  // validity has run out (a busy machine delays the renewal thread): renews
  // the lease at once and says whether it is still ours. Set before start().
  void set_lease_renewer(std::function<bool()> renew) { renew_ = std::move(renew); }

  uint32_t partition() const { return partition_; }
  PartitionStats stats() const;

 private:
  void run();
  Status run_owned();
  // The lease is valid, or was renewed just now: a checkpoint may be written.
  bool lease_held_for_checkpoint();
  // Every asynchronous result publish acknowledged (see the definition).
  Status wait_for_acks(JetStream& js);

  uint32_t partition_;
  Connection& conn_;
  ConfigCache& configs_;
  RunnerSettings settings_;
  Log log_;
  std::function<bool()> renew_;
  std::thread thread_;
  std::atomic<bool> stop_{false}, abandon_{false}, finished_{false}, failed_{false};
  std::atomic<int64_t> lease_valid_until_ns_{0};
  mutable std::mutex stats_mutex_;
  PartitionStats stats_;
};

}  // namespace claimmap::scaleout
