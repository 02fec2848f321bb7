// Checks the references and rules that span sections of a config (docs/spec.md §2):
// unique ids and issuers, every reference resolves, SAML scope rules, and which
// OIDC mappings are inactive. Appends to the report; never throws.
#pragma once

#include <cstdint>
#include <vector>

#include "claimmap/config.h"
#include "engine/config/config_model.h"

namespace claimmap {

struct ValidationResult {
  std::vector<uint8_t> mapping_active;  // per model mapping; 0 = inactive (bytes: pieces set them in parallel)
  // Per model mapping, the positions in the model of its provider and its
  // group (kNoIndex for a template): found once, here, and not looked up
  // again by the compiler (two hash lookups and compares a mapping).
  std::vector<uint32_t> mapping_provider, mapping_group;
};

ValidationResult validate_config_model(const ConfigModel& model, ConfigReport* report);

// Whether a group of `stage` is in provider `p`'s scope (docs/spec.md §2):
// "organization" covers every stage. The validator's inactive mappings and
// the compiler's template scope (docs/spec.md §16) both ask this.
bool stage_in_scope(const ProviderDef& p, const std::string& stage);

}  // namespace claimmap
