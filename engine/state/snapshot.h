// The binary snapshot of the engine's state (docs/spec.md §9): versioned and
// checksummed, refused whole when damaged or truncated. Users are stored by
// name (engine/state/state_io.h UserNames), sorted like the NDJSON export, so a
// snapshot loads under a changed config exactly as the NDJSON form does.
//
//   offset  0  magic "CLMSNAP" and a NUL        8 bytes
//           8  format version (1), u32 LE
//          12  reserved, 0, u32
//          16  user count, u64 LE
//          24  payload size in bytes, u64 LE
//          32  payload
//   32 + size  checksum of the payload, u64 LE (checksum64 below)
//
// Payload, per user: str provider, str subject, f64 last_iat, u8 flags
// (1 has iat, 2 suspended), u32 group count then per group str group, u32
// count and that many str mapping; u32 count and str manual groups; u32
// count and str direct roles. A str is a u32 LE length and its bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "claimmap/state.h"
#include "claimmap/status.h"
#include "engine/config/compiled_config.h"
#include "engine/state/user_store.h"

namespace claimmap {

// Whether `bytes` starts like a snapshot (loading tells the forms apart by content).
bool is_snapshot(std::string_view bytes);

std::string encode_snapshot(const CompiledConfig& config, const UserStore& store);

// Reads the snapshot's users under `config` into the empty store `staged`,
// keyed by `keys`' provider keys; on any damage nothing is loaded
// (kInvalidState).
Status import_snapshot(const CompiledConfig& config, std::string_view bytes, UserStore& keys, UserStore* staged,
                       StateLoadReport* report);

// A fixed (unseeded) 64-bit checksum, 8 bytes a step.
uint64_t checksum64(std::string_view bytes);

}  // namespace claimmap
