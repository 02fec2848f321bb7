#include "server/scim/scim_push.h"

#include <string>

#include "claimmap/counters.h"
#include "claimmap/delta.h"

namespace claimmap::server::scim {

std::optional<ScimError> run_push(RouteContext& context, Cause type, std::string_view subject,
                                  std::string_view group) {
  Push push;
  push.type = type;
  push.provider = context.settings.scim_provider;
  push.subject = subject;
  push.group = group;
  const Delta delta = context.engine.push(push);
  EventCounters counters;
  counters.add(delta);
  context.metrics.record_events(counters);
  if (context.facts != nullptr) {  // the audit line counts what the request's pushes did
    context.facts->has_counters = true;
    context.facts->counters.merge(counters);
  }
  if (delta.ok()) return std::nullopt;
  const std::string why = std::string(error_code_name(delta.error.code())) + ": " + delta.error.message();
  switch (delta.error.code()) {
    case ErrorCode::kUnknownUser:
    case ErrorCode::kUnknownGroup:
      return ScimError{404, "", why};
    default:
      return ScimError{500, "", "the engine refused the " + std::string(cause_name(type)) + " push: " + why};
  }
}

}  // namespace claimmap::server::scim
