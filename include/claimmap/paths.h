// claimmap/paths.h — paths checked before any work, as values.
//
// A front end (the CLI, the simulator, an embedding service) calls these
// before it loads a config or a state or starts a run, so that a path that
// cannot work fails at once with a message naming it and the reason, and not
// after minutes of work (a state save at the end of a run) or with an abort.
// Every function returns kIoError (docs/spec.md §10: exit 1) on a bad path;
// none creates, truncates or opens anything for writing, and none throws.
//
// A check is a snapshot of the file system, not a promise: the path can
// change between the check and the write, so the writer still reports its
// own failure. The checks use the effective user and group ids (as open()
// does); root passes every permission check.
//
// Reading is done by the loaders themselves (load_config_file,
// Engine::load_state_file, read_text_file, which the CLI reads token files
// with): they read a regular file only, and refuse a directory, a FIFO, a
// socket or a device with a kIoError that says which it is, without waiting
// on a FIFO that has no writer.
//
// Thread-safety: free functions with no state; call from any thread.
#pragma once

#include <string>

#include "claimmap/status.h"

namespace claimmap {

// How an output file gets written, which decides what may already be there.
enum class OutputWrite {
  // Opened and truncated, then written (`eval -o`, a dataset file, an
  // export): any writable path that is not a directory, including a FIFO,
  // a terminal or /dev/null.
  kInPlace,
  // Written to a temporary file beside it and renamed over it (state files,
  // the simulator's report page, the worker's metrics file): the path must be
  // a regular file or not exist yet (renaming over /dev/null would replace
  // the device), and its directory must let us create, rename and fsync.
  kReplaced,
};

// Whether `path` can be written as an output: not a directory, its directory
// exists and is writable, and the path itself writable if it exists (for
// kReplaced also a regular file). Messages read "cannot write PATH: REASON".
[[nodiscard]] Status check_output_file(const std::string& path, OutputWrite how);

// Whether `dir` can receive output files (`simulate --write-dataset DIR`):
// an existing writable directory, or, when missing, one that can be created
// (with its missing parents) under the nearest existing directory.
[[nodiscard]] Status check_output_directory(const std::string& dir);

// Whether `path` is a readable regular file (a config, a state, a token, a
// replay file): what the loaders accept. "cannot open PATH: No such file or
// directory", "cannot read PATH: is a directory", "cannot read PATH: is a
// FIFO, not a regular file", … Cheap (stat and access), for checking every
// input before the first long step.
[[nodiscard]] Status check_input_file(const std::string& path);

// Whether `path` is readable as an event stream (`eval INPUT`, `publish
// INPUT`): a regular file, a FIFO or a device such as /dev/stdin; refuses a
// directory and a socket. Does not open it: opening a FIFO waits for its
// writer, which is right for a stream but wrong for a check.
[[nodiscard]] Status check_input_stream(const std::string& path);

}  // namespace claimmap
