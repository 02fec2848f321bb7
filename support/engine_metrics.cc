#include "support/engine_metrics.h"

#include "claimmap/delta.h"
#include "claimmap/status.h"
#include "support/prometheus_text.h"

namespace claimmap::support {

void append_event_metrics(const EventCounters& c, std::string* out) {
  append_family("claimmap_events_total", "Event results by cause (reload lines as cause \"reload\").", "counter", out);
  for (int i = 0; i < kCauseCount; ++i) {
    const std::string_view name = cause_name(static_cast<Cause>(i));
    append_sample("claimmap_events_total", "cause=\"" + std::string(name.empty() ? "unknown" : name) + "\"",
                  c.by_cause[i], out);
  }
  append_family("claimmap_event_status_total", "Event results by status.", "counter", out);
  append_sample("claimmap_event_status_total", "status=\"ok\"", c.ok, out);
  append_sample("claimmap_event_status_total", "status=\"stale\"", c.stale, out);
  append_sample("claimmap_event_status_total", "status=\"suspended\"", c.suspended, out);
  append_sample("claimmap_event_status_total", "status=\"denied\"", c.denied, out);
  append_sample("claimmap_event_status_total", "status=\"error\"", c.errors, out);
  append_family("claimmap_event_errors_total", "Event lines refused, by error code.", "counter", out);
  for (int i = 1; i <= kEventErrorCodeCount; ++i) {
    append_sample("claimmap_event_errors_total",
                  "code=\"" + std::string(error_code_name(static_cast<ErrorCode>(i))) + "\"", c.errors_by_code[i],
                  out);
  }
  append_family("claimmap_new_users_total", "Users created by an event.", "counter", out);
  append_sample("claimmap_new_users_total", "", c.new_users, out);
  append_family("claimmap_delta_items_total", "Groups added and removed, roles granted and revoked.", "counter", out);
  append_sample("claimmap_delta_items_total", "kind=\"groups_added\"", c.groups_added, out);
  append_sample("claimmap_delta_items_total", "kind=\"groups_removed\"", c.groups_removed, out);
  append_sample("claimmap_delta_items_total", "kind=\"roles_granted\"", c.roles_granted, out);
  append_sample("claimmap_delta_items_total", "kind=\"roles_revoked\"", c.roles_revoked, out);
}

void append_engine_metrics(const EngineFigures& f, std::string* out) {
  append_family("claimmap_users", "Users the engine holds.", "gauge", out);
  append_sample("claimmap_users", "", f.users, out);
  append_family("claimmap_state_bytes", "Bytes of user state held.", "gauge", out);
  append_sample("claimmap_state_bytes", "", f.state_bytes, out);
  append_family("claimmap_config_version", "The current config version (1 at start, one more per reload).", "gauge",
                out);
  append_sample("claimmap_config_version", "", f.config_version, out);
}

}  // namespace claimmap::support
