// The read-only tools over a scale-out group's JetStream data (docs/scaleout.md
// "Reading the results back"): `claimmap worker --export-state` and
// `--export-deltas`. Neither joins the group nor changes anything in it.
#pragma once

#include <cstdint>
#include <string>

#include "claimmap/status.h"

namespace claimmap::scaleout {

// The group's state now: every partition's last checkpoint, with the
// partition's events published after it replayed on top (as the partition's
// next owner would), merged into one NDJSON state (docs/spec.md §9.2) sorted
// by provider then subject. So the export is exact whether or not the
// workers checkpointed before they stopped. A replay under the group's base
// config reads it from `base_config_path` when given, else from the copy the
// first worker recorded in the group bucket. `replayed` counts the events
// replayed past checkpoints.
Status export_group_state(const std::string& nats_url, uint32_t partitions, const std::string& base_config_path,
                          std::string* ndjson, uint64_t* users, uint64_t* replayed);

// Every result line stored on claimmap.deltas.* (in stream order, one a line).
Status export_group_deltas(const std::string& nats_url, std::string* ndjson, uint64_t* lines);

}  // namespace claimmap::scaleout
