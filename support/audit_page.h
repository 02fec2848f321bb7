// The audit page (`claimmap audit --report FILE.html`, docs/spec.md §17): one
// self-contained HTML file — inline CSS and SVG, no script, nothing fetched —
// that a platform admin reads top to bottom: the lockout hazards first, then
// per app who holds it and how, then every finding.
#pragma once

#include <string>

#include "claimmap/audit.h"

namespace claimmap::support {

struct AuditPageInput {
  std::string config_path, state_path;
  const AuditReport* report = nullptr;
};

std::string render_audit_page(const AuditPageInput& input);

}  // namespace claimmap::support
