// Checks the references and rules that span sections of a config (docs/spec.md §2):
// unique ids and issuers, every reference resolves, SAML scope rules, and which
// OIDC mappings are inactive. Appends to the report; never throws.
#pragma once

#include <vector>

#include "claimmap/config.h"
#include "engine/config/config_model.h"

namespace claimmap {

struct ValidationResult {
  std::vector<bool> mapping_active;  // per model mapping; false = inactive
};

ValidationResult validate_config_model(const ConfigModel& model, ConfigReport* report);

}  // namespace claimmap
