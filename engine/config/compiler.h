// Turns a validated ConfigModel into the immutable lookup tables of
// CompiledConfig. Call only on a model that validate_config_model accepted.
#pragma once

#include <memory>
#include <vector>

#include "engine/config/compiled_config.h"
#include "engine/config/config_validator.h"

namespace claimmap {

std::shared_ptr<const CompiledConfig> compile_config(ConfigModel model, const ValidationResult& validation,
                                                     ConfigReport report);

}  // namespace claimmap
