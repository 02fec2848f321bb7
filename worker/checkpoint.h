// Partition checkpoints kept in JetStream itself (docs/spec.md §14,
// docs/scaleout.md "Checkpoints"): the partition's state as a binary snapshot
// (docs/spec.md §9.3), cut into chunks on claimmap.checkpoints.<p>.data, then
// a manifest on claimmap.checkpoints.<p>.manifest that names the chunks by
// stream sequence and says exactly what the state covers. The manifest is
// written last, with Nats-Rollup: sub (only the newest is kept), and only then
// are the previous checkpoint's chunks purged: a crash at any point leaves the
// previous checkpoint or the new one, whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "claimmap/status.h"
#include "worker/jetstream.h"

namespace claimmap::scaleout {

struct Checkpoint {
  uint32_t partition = 0;
  // The events stream sequence of the last message applied to `state`
  // (0: none): the state is exactly that of every message of the partition
  // up to and including it, none after. Replay resumes at covered + 1.
  uint64_t covered = 0;
  // The stream sequence of the reload marker whose config the state is
  // under (0: the group's base config, `worker --config`).
  uint64_t config_seq = 0;
  // CLAIMMAP_DELTAS' sequence when the checkpoint was taken, every result of
  // the messages up to `covered` acknowledged: results stored after it are
  // for messages after `covered` (checked on replay, docs/scaleout.md).
  uint64_t deltas_seq = 0;
  uint64_t line_seq = 0;  // Claimmap-Seq of the last message applied (for people)
  uint64_t users = 0;
  int64_t unix_ms = 0;    // when it was taken
  std::string state;      // the binary snapshot
  // Set by read(): the stream sequence of this checkpoint's manifest.
  uint64_t manifest_seq = 0;
};

class CheckpointStore {
 public:
  // `chunk_bytes`: the largest chunk (below the server's max_payload).
  CheckpointStore(JetStream& js, int64_t chunk_bytes) : js_(js), chunk_bytes_(chunk_bytes) {}
  // With `fence`: the manifest is stored only if the newest one on the
  // partition's subject is still the one at *fence (a checkpoint read or
  // written by this owner; 0: none known, no check), and *fence becomes the
  // new one. A previous owner that still thinks it owns the partition then
  // cannot put an older state over its successor's (an error).
  Status write(const Checkpoint& checkpoint, uint64_t* fence = nullptr);
  // The newest checkpoint of `partition`, or nullopt when it has none.
  Result<std::optional<Checkpoint>> read(uint32_t partition);
  // Only the manifest (state left empty), or nullopt.
  Result<std::optional<Checkpoint>> read_manifest(uint32_t partition);

 private:
  // The newest checkpoint of `partition` (its chunks read only `with_state`).
  Result<std::optional<Checkpoint>> read_checkpoint(uint32_t partition, bool with_state);

  JetStream& js_;
  int64_t chunk_bytes_;
};

}  // namespace claimmap::scaleout
