// The config as written (docs/spec.md §2), after syntax checks and before compiling:
// plain strings, in file order. config_loader produces it; compiler consumes it.
#pragma once

#include <string>
#include <vector>

namespace claimmap {

enum class ProviderType { kOidc, kSaml };

struct ProviderDef {
  std::string id;
  ProviderType type = ProviderType::kOidc;
  bool has_issuer = false;
  std::string issuer;
  bool organization_scope = false;        // scope: "organization"
  std::vector<std::string> scope_stages;  // scope: [stages]
  std::string subject_claim = "sub";
};

struct RoleDef {
  std::string id;
  std::string app;
};

struct GroupDef {
  std::string id;
  std::string stage;
  std::vector<std::string> roles;
};

struct MappingDef {
  std::string id;
  std::string provider;
  std::string claim;
  std::string value;
  std::string delimiter;  // "" = none
  std::string group;
  friend bool operator==(const MappingDef&, const MappingDef&) = default;
};

struct ConfigModel {
  std::vector<std::string> stages;
  std::vector<ProviderDef> providers;
  std::vector<RoleDef> roles;
  std::vector<GroupDef> groups;
  std::vector<MappingDef> mappings;
};

}  // namespace claimmap
