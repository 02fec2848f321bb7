// The binary snapshot of the engine's state (docs/spec.md §9.2): versioned,
// cut into sections that each carry an XXH3 checksum (libxxhash), so damage
// is found at memory speed and named by section; refused whole when damaged
// or truncated anywhere. Format version 2:
//
//   file header, 24 bytes: magic "CLMSNAP\0", u32 format version (2),
//     u32 section count, u64 XXH3-64 of the 16 bytes before it
//   sections, each: a 32-byte header — u32 kind, u32 index (among sections of
//     its kind), u64 payload length, u64 XXH3-64 of the payload, u64 XXH3-64
//     of the 24 header bytes before it — then the payload
//   nothing after the last section
//
// Sections, in this order:
//   meta (kind 1): u64 users, u64 fingerprint of the config written under,
//     u32 user sections
//   names (kind 2): the dictionary the users refer to by index —
//     providers (the store's provider keys, by id), groups, roles, and
//     mappings with their whole definition (id, provider, claim, value,
//     delimiter, group, u8 active), so that a load under another config
//     applies the reload rule (engine/reload/reload_rules.h) to every field
//   users (kind 3) × n: up to 65,536 users each, sorted by provider id then
//     subject: u32 provider, str subject, f64 last_iat, u8 flags (1 has iat,
//     2 suspended), u32 n + n × (u32 group, u32 mapping), u32 n + n × u32
//     manual group, u32 n + n × u32 direct role
// Integers are little-endian; a str is a u32 length and its bytes.
// Format version 1 (one payload, a hand-written checksum) is still read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/state.h"
#include "claimmap/status.h"
#include "engine/config/compiled_config.h"
#include "engine/state/state_io.h"
#include "engine/state/user_store.h"

namespace claimmap {

// Whether `bytes` starts like a snapshot (loading tells the forms apart by
// content); its first kSnapshotMagicBytes bytes are enough to tell.
inline constexpr size_t kSnapshotMagicBytes = 8;
bool is_snapshot(std::string_view bytes);

// A fingerprint of a config's meaning (every definition, in id order): equal
// for two configs that differ only in the order or layout of their text.
uint64_t config_fingerprint(const CompiledConfig& config);

// Encodes `store`, whose records hold ids of `config`. Each shard is copied
// under its own lock, one at a time, so events continue meanwhile.
std::string encode_snapshot(const CompiledConfig& config, const UserStore& store);

// Reads the snapshot's users under `config` into the empty store `staged`,
// keyed by `keys`' provider keys; on any damage nothing is loaded
// (kInvalidState, naming the section and the problem).
Status import_snapshot(const CompiledConfig& config, std::string_view bytes, UserStore& keys, UserStore* staged,
                       StateLoadReport* report);

// Calls f(names, where) for each user of a snapshot (either format
// version), by name, with no config: what `claimmap state convert` reads.
Status for_each_snapshot_user(std::string_view bytes,
                              const std::function<Status(const UserNames&, const std::string&)>& f);

// A snapshot of users known only by name (`state convert` from NDJSON): the
// dictionary holds each mapping's id, provider and group, not its claim,
// value or delimiter, and the config fingerprint is 0 (unknown). `users`
// must be sorted by provider id then subject.
std::string encode_snapshot_from_names(const std::vector<UserNames>& users);

// What `claimmap state inspect` shows.
struct SnapshotSection {
  std::string name;  // "meta", "names", "users 3"
  uint64_t offset = 0, length = 0;
  bool ok = false;
};
struct SnapshotInfo {
  uint32_t format_version = 0;
  uint64_t users = 0;
  uint64_t config_fingerprint = 0;
  std::vector<SnapshotSection> sections;
  Status damage;  // ok when every check passed
};
SnapshotInfo inspect_snapshot(std::string_view bytes);

// Format version 1's checksum (a fixed 64-bit mix, 8 bytes a step).
uint64_t checksum64(std::string_view bytes);

}  // namespace claimmap
