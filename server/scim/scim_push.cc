#include "server/scim/scim_push.h"

#include <string>

#include "claimmap/counters.h"
#include "claimmap/delta.h"

namespace claimmap::server::scim {

std::optional<ScimError> run_push(RouteContext& context, std::string_view type, std::string_view subject,
                                  std::string_view group) {
  Json push = {{"type", type}, {"provider", context.settings.scim_provider}, {"subject", subject}};
  if (!group.empty()) push["group"] = group;
  // Callers pass only ids checked with valid_utf8 or read from a parsed JSON
  // body, so the strict dump cannot throw here.
  const Delta delta = context.engine.process(push.dump());
  EventCounters counters;
  counters.add(delta);
  context.metrics.record_events(counters);
  if (delta.ok()) return std::nullopt;
  const std::string why = std::string(error_code_name(delta.error.code())) + ": " + delta.error.message();
  switch (delta.error.code()) {
    case ErrorCode::kUnknownUser:
    case ErrorCode::kUnknownGroup:
      return ScimError{404, "", why};
    default:
      return ScimError{500, "", "the engine refused the " + std::string(type) + " push: " + why};
  }
}

}  // namespace claimmap::server::scim
