// `claimmap publish` (docs/spec.md §14, docs/scaleout.md "Publishing"): an
// NDJSON event stream into JetStream, one message per non-blank line on
// claimmap.events.<p>, p chosen from the line's user by partition_of(); and
// reload markers on every partition.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/status.h"
#include "worker/jetstream.h"

namespace claimmap::scaleout {

// The partition of user (provider, subject): FNV-1a 64 (offset basis
// 0xcbf29ce484222325, prime 0x100000001b3) over the provider id's bytes, one
// 0x00 byte, and the subject's bytes, mod `partitions`. Stable across
// versions, machines and runs (docs/scaleout.md gives a Python one-liner).
uint32_t partition_of(std::string_view provider, std::string_view subject, uint32_t partitions);

// FNV-1a 64 of `text` (the hash above, over one string): message-id tails
// and a worker's starting offset among the partitions.
uint64_t fnv1a(std::string_view text);

struct PublishOptions {
  std::string nats_url;
  uint32_t partitions = 0;
  std::string input;         // a file, "-" for stdin, "" for no input (a marker only)
  std::string reload_config;  // --config NEW: a reload marker before the input's lines
  std::string routing_config;  // --routing-config C: route by C instead of the group's current config
  uint64_t first_seq = 0;      // 0: continue after the last line in the stream
  // --seed-state S: the group's initial state, split by partition into each
  // partition's first checkpoint (refused once any partition has one).
  std::string seed_state;
  GroupSettings settings;
  int64_t max_pending = 65536;  // acknowledgements outstanding
};

struct PublishReport {
  uint64_t lines = 0;      // input lines read, blank ones included
  uint64_t published = 0;  // event messages acknowledged
  uint64_t blank = 0;
  uint64_t unrouted = 0;   // lines without a known user (partition 0)
  uint64_t oversize = 0;   // lines over the engine's limit, sent as their length
  uint64_t markers = 0;    // reload markers (one per partition)
  uint64_t seeded_users = 0;
  uint64_t first_seq = 0, next_seq = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  std::vector<uint64_t> per_partition;
  std::string to_text() const;
};

// Runs the publish. Config problems come back in `problems` (one line each),
// with kInvalidConfig; NATS failures are kIoError.
Status run_publish(const PublishOptions& options, PublishReport* report, std::vector<std::string>* problems);

}  // namespace claimmap::scaleout
