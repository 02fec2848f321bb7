// server/state_owner.h — whether `claimmap serve` may rewrite an NDJSON
// --state file (docs/spec.md §13, docs/server.md "State files").
//
// The server rewrites --state at every stop and snapshot. An NDJSON state is
// also what people write by hand and what `simulate --write-dataset` writes:
// serving such a file in place would replace the original at the first stop.
// So the server rewrites only a `.ndjson` it wrote itself, or one it is told
// to take over (`serve --overwrite-state`). It knows its own file by a
// sidecar, S.owner, which it rewrites after each save of S: one line,
// `claimmap-serve-state 1 size=N mtime_ns=T`, the file as it left it. A file
// changed since (copied over, edited) no longer matches and is refused too.
// Binary snapshots are only ever written by claimmap: they need no sidecar.
//
// Thread-safety: free functions over the file system; callers serialise the
// saves of one path (serve saves from one thread at a time).
#pragma once

#include <string>

#include "claimmap/status.h"

namespace claimmap::server {

// The sidecar's path for the state file `state_path`.
std::string state_owner_path(const std::string& state_path);

// Ok when the server may load and later rewrite `state_path`: not an NDJSON
// name, no such file yet, `overwrite` given, or the sidecar matches the file.
// Otherwise kInvalidArgument, saying why and how to proceed.
[[nodiscard]] Status check_state_ownership(const std::string& state_path, bool overwrite);

// Records `state_path` as this server's own, as it is now (after a save). A
// no-op for a name that is not NDJSON. kIoError if the sidecar cannot be
// written (the state itself is saved: the caller reports it and goes on).
[[nodiscard]] Status record_state_ownership(const std::string& state_path);

}  // namespace claimmap::server
