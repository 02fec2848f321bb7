// `claimmap worker` (docs/spec.md §14, docs/scaleout.md): joins the group,
// owns partitions through leases in a JetStream key-value bucket whose
// entries expire, shares them evenly with the other live workers, takes over
// those of a worker that died once its leases expire, and runs each owned
// partition on a PartitionRunner. The read-only tools over a group's data
// are in worker/group_export.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "claimmap/status.h"
#include "support/tls_context.h"
#include "worker/jetstream.h"
#include "worker/partition_runner.h"

namespace claimmap::scaleout {

struct WorkerOptions {
  std::string nats_url;
  std::string config_path;  // the group's base config
  uint32_t partitions = 0;
  std::string name;         // unique in the group; default host-pid
  GroupSettings settings;   // used when the streams and buckets are created
  RunnerSettings runner;
  std::string metrics_file;  // rewritten atomically every metrics_every_ms
  int64_t metrics_every_ms = 2000;
  std::string metrics_listen;  // HOST:PORT for GET /metrics (worker/metrics_endpoint.h); empty: none
  support::TlsOptions metrics_tls;  // --metrics-tls-cert/--metrics-tls-key: that endpoint over HTTPS
  std::string metrics_token;        // --metrics-token-file: GET /metrics needs it; empty: open
  uint32_t max_partitions = 0;  // never own more than this (0: no limit)
};

// Runs until SIGTERM or SIGINT (then checkpoints every owned partition,
// releases its leases and returns ok). Config errors go to `problems`.
Status run_worker(const WorkerOptions& options, std::vector<std::string>* problems);

// Installs the worker's handlers: SIGTERM and SIGINT stop it cleanly, SIGUSR1
// prints its metrics to stderr. SIGPIPE is ignored.
void install_worker_signal_handlers();


}  // namespace claimmap::scaleout
