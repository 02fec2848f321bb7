// cli/exit_code.h — the process exit code for a failed status (docs/spec.md
// §10): 1 for I/O, 2 for bad usage, config or state. This is the command
// line's policy, not the library's: a library caller (and the server and
// simulator libraries) get the Status itself and decide for themselves.
//
// A pure function: call it from any thread.
#pragma once

#include "claimmap/status.h"

namespace claimmap::cli {

// 0 for an ok status, 1 for kIoError, 2 for every other code.
int exit_code_for(const Status& status);

}  // namespace claimmap::cli
