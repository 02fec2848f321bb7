#include "worker/metrics.h"

#include <algorithm>

#include "support/engine_metrics.h"
#include "support/prometheus_text.h"

namespace claimmap::scaleout {

using support::append_family;
using support::append_real_sample;
using support::append_sample;

std::string render_worker_metrics(const WorkerMetrics& m) {
  std::string out;
  const std::string w = "worker=\"" + support::escape_label_value(m.worker) + "\"";
  auto pl = [&](uint32_t p) { return w + ",partition=\"" + std::to_string(p) + "\""; };

  // The families the server exposes, the same names and meaning
  // (support/engine_metrics.h): a dashboard reads a worker as it reads a server.
  support::append_event_metrics(m.counters, &out);
  support::EngineFigures engines;
  for (const PartitionStats& s : m.owned) {
    engines.users += s.users;
    engines.state_bytes += s.state_bytes;
    engines.config_version = std::max(engines.config_version, s.config_version);
  }
  support::append_engine_metrics(engines, &out);

  append_family("claimmap_worker_partitions", "Partitions in the group.", "gauge", &out);
  append_sample("claimmap_worker_partitions", w, m.partitions, &out);
  append_family("claimmap_worker_live_workers", "Workers this worker sees alive in the group.", "gauge", &out);
  append_sample("claimmap_worker_live_workers", w, m.live_workers, &out);
  append_family("claimmap_worker_owned_partitions", "Partitions this worker owns now.", "gauge", &out);
  append_sample("claimmap_worker_owned_partitions", w, m.owned.size(), &out);
  append_family("claimmap_worker_takeovers_total", "Partitions this worker took (from a checkpoint).", "counter", &out);
  append_sample("claimmap_worker_takeovers_total", w, m.takeovers, &out);
  append_family("claimmap_worker_releases_total", "Partitions this worker gave up cleanly (checkpointed).", "counter",
                &out);
  append_sample("claimmap_worker_releases_total", w, m.releases, &out);
  append_family("claimmap_worker_partition_failures_total",
                "Partitions this worker stopped on an error or a lost lease (resumed from their checkpoint).",
                "counter", &out);
  append_sample("claimmap_worker_partition_failures_total", w, m.failures, &out);

  append_family("claimmap_worker_partition_owned", "1 for each partition this worker owns.", "gauge", &out);
  for (const PartitionStats& s : m.owned) append_sample("claimmap_worker_partition_owned", pl(s.partition), 1, &out);
  append_family("claimmap_worker_consumer_lag", "Messages of the partition not yet delivered to the worker.", "gauge",
                &out);
  for (const PartitionStats& s : m.owned) append_sample("claimmap_worker_consumer_lag", pl(s.partition), s.lag, &out);
  append_family("claimmap_worker_applied_sequence", "Events stream sequence of the last message applied.", "gauge",
                &out);
  for (const PartitionStats& s : m.owned) {
    append_sample("claimmap_worker_applied_sequence", pl(s.partition), s.applied_seq, &out);
  }
  append_family("claimmap_worker_applied_line", "Input line number (seq) of the last message applied.", "gauge", &out);
  for (const PartitionStats& s : m.owned) {
    append_sample("claimmap_worker_applied_line", pl(s.partition), s.line_seq, &out);
  }
  append_family("claimmap_worker_checkpoint_sequence", "Events stream sequence the last checkpoint covers.", "gauge",
                &out);
  for (const PartitionStats& s : m.owned) {
    append_sample("claimmap_worker_checkpoint_sequence", pl(s.partition), s.checkpoint_seq, &out);
  }
  append_family("claimmap_worker_checkpoint_age_seconds", "Seconds since the last checkpoint was written.", "gauge",
                &out);
  for (const PartitionStats& s : m.owned) {
    const double age = s.checkpoint_unix_ms == 0 ? -1 : (m.now_unix_ms - s.checkpoint_unix_ms) / 1000.0;
    append_real_sample("claimmap_worker_checkpoint_age_seconds", pl(s.partition), age, &out);
  }
  append_family("claimmap_worker_partition_users", "Users held, by partition.", "gauge", &out);
  for (const PartitionStats& s : m.owned) {
    append_sample("claimmap_worker_partition_users", pl(s.partition), s.users, &out);
  }
  append_family("claimmap_worker_partition_config_version",
                "The partition engine's config version (1 + reloads applied).", "gauge", &out);
  for (const PartitionStats& s : m.owned) {
    append_sample("claimmap_worker_partition_config_version", pl(s.partition), s.config_version, &out);
  }
  append_family("claimmap_worker_results_published_total", "Result lines published to claimmap.deltas.<p>.", "counter",
                &out);
  for (const PartitionStats& s : m.owned) {
    append_sample("claimmap_worker_results_published_total", pl(s.partition), s.results_published, &out);
  }
  append_family("claimmap_worker_results_skipped_total",
                "Result lines of a replay not published again: already stored by a previous owner.", "counter", &out);
  for (const PartitionStats& s : m.owned) {
    append_sample("claimmap_worker_results_skipped_total", pl(s.partition), s.results_skipped, &out);
  }
  return out;
}

}  // namespace claimmap::scaleout
