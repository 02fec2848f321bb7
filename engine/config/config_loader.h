// Reads a config's JSON text into a ConfigModel, checking its shape: JSON
// syntax, duplicate and unknown members, types, and the length limits of docs/spec.md
// §2. Every problem is appended to `errors` with its JSON path; references
// between sections are checked later, by config_validator.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "claimmap/config.h"
#include "engine/config/config_model.h"

namespace claimmap {

// Returns false when the text is not JSON at all (one error says why); true
// otherwise, with `model` filled from every well-formed part. A provider's
// `jwks_file` is read here, relative to `base_dir` (the current directory
// when empty), and its keys parsed (docs/spec.md §15). `readable_padding`:
// how many bytes past the text's end may be read (its buffer's spare
// capacity); with simdjson's 64 the text is parsed in place, else copied.
bool read_config_model(std::string_view json, const std::string& base_dir, ConfigModel* model,
                       std::vector<ConfigProblem>* errors, size_t readable_padding = 0);

}  // namespace claimmap
