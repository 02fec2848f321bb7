// The worker's metrics as Prometheus text exposition (format 0.0.4): the
// engine's event counts (the same EventCounters `claimmap eval` and the
// server count with) plus what only a worker has — the partitions it owns,
// each one's consumer lag, applied sequence and last checkpoint.
//
// This is the seam for the HTTP server (docs/scaleout.md "Operations"):
// `claimmap worker` writes it to --metrics-file every few seconds and to
// stderr on SIGUSR1; a /metrics handler can serve the same string.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "claimmap/counters.h"
#include "worker/partition_runner.h"

namespace claimmap::scaleout {

struct WorkerMetrics {
  std::string worker;
  uint32_t partitions = 0;  // in the group
  uint32_t live_workers = 0;
  std::vector<PartitionStats> owned;  // sorted by partition
  // Everything this worker applied, partitions it no longer owns included.
  EventCounters counters;
  uint64_t takeovers = 0, releases = 0, failures = 0;
  int64_t now_unix_ms = 0;
};

std::string render_worker_metrics(const WorkerMetrics& m);

}  // namespace claimmap::scaleout
