#include "worker/metrics.h"

#include <algorithm>

#include <cstdio>

#include "claimmap/delta.h"
#include "claimmap/status.h"
#include "server/metrics.h"

namespace claimmap::scaleout {
namespace {

std::string label_escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const char* name, const std::string& labels, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ';
  out += buf;
  out += '\n';
}

}  // namespace

std::string render_worker_metrics(const WorkerMetrics& m) {
  std::string out;
  const std::string w = "worker=\"" + label_escape(m.worker) + "\"";
  auto pl = [&](uint32_t p) { return w + ",partition=\"" + std::to_string(p) + "\""; };

  // The families the server exposes, the same names and meaning
  // (server/metrics.h): a dashboard reads a worker as it reads a server.
  server::append_event_metrics(m.counters, &out);
  server::EngineFigures engines;
  for (const PartitionStats& s : m.owned) {
    engines.users += s.users;
    engines.state_bytes += s.state_bytes;
    engines.config_version = std::max(engines.config_version, s.config_version);
  }
  server::append_engine_metrics(engines, &out);

  family(out, "claimmap_worker_partitions", "gauge", "Partitions in the group.");
  sample(out, "claimmap_worker_partitions", w, m.partitions);
  family(out, "claimmap_worker_live_workers", "gauge", "Workers this worker sees alive in the group.");
  sample(out, "claimmap_worker_live_workers", w, m.live_workers);
  family(out, "claimmap_worker_owned_partitions", "gauge", "Partitions this worker owns now.");
  sample(out, "claimmap_worker_owned_partitions", w, static_cast<double>(m.owned.size()));
  family(out, "claimmap_worker_takeovers_total", "counter", "Partitions this worker took (from a checkpoint).");
  sample(out, "claimmap_worker_takeovers_total", w, m.takeovers);
  family(out, "claimmap_worker_releases_total", "counter", "Partitions this worker gave up cleanly (checkpointed).");
  sample(out, "claimmap_worker_releases_total", w, m.releases);
  family(out, "claimmap_worker_partition_failures_total", "counter",
         "Partitions this worker stopped on an error or a lost lease (resumed from their checkpoint).");
  sample(out, "claimmap_worker_partition_failures_total", w, m.failures);

  family(out, "claimmap_worker_partition_owned", "gauge", "1 for each partition this worker owns.");
  for (const PartitionStats& s : m.owned) sample(out, "claimmap_worker_partition_owned", pl(s.partition), 1);
  family(out, "claimmap_worker_consumer_lag", "gauge", "Messages of the partition not yet delivered to the worker.");
  for (const PartitionStats& s : m.owned) sample(out, "claimmap_worker_consumer_lag", pl(s.partition), s.lag);
  family(out, "claimmap_worker_applied_sequence", "gauge", "Events stream sequence of the last message applied.");
  for (const PartitionStats& s : m.owned) sample(out, "claimmap_worker_applied_sequence", pl(s.partition), s.applied_seq);
  family(out, "claimmap_worker_applied_line", "gauge", "Input line number (seq) of the last message applied.");
  for (const PartitionStats& s : m.owned) sample(out, "claimmap_worker_applied_line", pl(s.partition), s.line_seq);
  family(out, "claimmap_worker_checkpoint_sequence", "gauge", "Events stream sequence the last checkpoint covers.");
  for (const PartitionStats& s : m.owned) {
    sample(out, "claimmap_worker_checkpoint_sequence", pl(s.partition), s.checkpoint_seq);
  }
  family(out, "claimmap_worker_checkpoint_age_seconds", "gauge", "Seconds since the last checkpoint was written.");
  for (const PartitionStats& s : m.owned) {
    const double age = s.checkpoint_unix_ms == 0 ? -1 : (m.now_unix_ms - s.checkpoint_unix_ms) / 1000.0;
    sample(out, "claimmap_worker_checkpoint_age_seconds", pl(s.partition), age);
  }
  family(out, "claimmap_worker_partition_users", "gauge", "Users held, by partition.");
  for (const PartitionStats& s : m.owned) sample(out, "claimmap_worker_partition_users", pl(s.partition), s.users);
  family(out, "claimmap_worker_partition_config_version", "gauge",
         "The partition engine's config version (1 + reloads applied).");
  for (const PartitionStats& s : m.owned) {
    sample(out, "claimmap_worker_partition_config_version", pl(s.partition), s.config_version);
  }
  family(out, "claimmap_worker_results_published_total", "counter", "Result lines published to claimmap.deltas.<p>.");
  for (const PartitionStats& s : m.owned) {
    sample(out, "claimmap_worker_results_published_total", pl(s.partition), s.results_published);
  }
  family(out, "claimmap_worker_results_skipped_total", "counter",
         "Result lines of a replay not published again: already stored by a previous owner.");
  for (const PartitionStats& s : m.owned) {
    sample(out, "claimmap_worker_results_skipped_total", pl(s.partition), s.results_skipped);
  }
  return out;
}

}  // namespace claimmap::scaleout
