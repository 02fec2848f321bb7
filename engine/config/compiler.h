// Turns a validated ConfigModel into the immutable lookup tables of
// CompiledConfig. Call only on a model that validate_config_model accepted.
#pragma once

#include <memory>
#include <vector>

#include "engine/config/compiled_config.h"

namespace claimmap {

std::shared_ptr<const CompiledConfig> compile_config(ConfigModel model, const std::vector<bool>& mapping_active,
                                                     ConfigReport report);

}  // namespace claimmap
