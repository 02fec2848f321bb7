// Writes an Outcome as one NDJSON output line (docs/spec.md §8; member order and
// spacing in docs/semantics.md). The one place output lines are formatted.
#pragma once

#include <string>

#include "engine/config/compiled_config.h"
#include "engine/sync/outcome.h"

namespace claimmap {

// Appends the line, with its trailing newline, to `out`.
void append_outcome_line(const CompiledConfig& config, const Outcome& outcome, std::string* out);

}  // namespace claimmap
