#include "simulator/delta_tally.h"

namespace claimmap::sim {
namespace {

// The number of strings in the JSON array that follows `"name": ` in `line`
// (0 if the member is absent). Strings are skipped whole, escapes included,
// so an id containing ',' or ']' is still one element.
uint64_t array_length(std::string_view line, std::string_view name) {
  size_t at = line.find(name);
  if (at == std::string_view::npos) return 0;
  at = line.find('[', at + name.size());
  if (at == std::string_view::npos) return 0;
  uint64_t count = 0;
  bool in_string = false;
  for (size_t i = at + 1; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
      ++count;
    } else if (c == ']') {
      break;
    }
  }
  return count;
}

}  // namespace

void DeltaTally::add(EventKind planned, ErrorCode code, std::string_view line) {
  ++events;
  ++planned_by_kind[static_cast<int>(planned)];
  if (code != ErrorCode::kOk) {
    ++errors;
    const auto c = static_cast<size_t>(code);
    if (c < errors_by_code.size()) ++errors_by_code[c];
    return;
  }
  if (line.find("\"status\": \"stale\"") != std::string_view::npos) {
    ++stale;
    return;
  }
  if (line.find("\"status\": \"suspended\"") != std::string_view::npos) {
    ++suspended;
    return;
  }
  ++ok;
  if (line.find("\"new_user\": true") != std::string_view::npos) ++new_users;
  groups_added += array_length(line, "\"groups_added\"");
  groups_removed += array_length(line, "\"groups_removed\"");
  roles_granted += array_length(line, "\"roles_granted\"");
  roles_revoked += array_length(line, "\"roles_revoked\"");
  if (line.find("\"overage\"") != std::string_view::npos) ++overage_logins;
}

void DeltaTally::merge(const DeltaTally& o) {
  events += o.events;
  ok += o.ok, stale += o.stale, suspended += o.suspended, errors += o.errors;
  for (size_t i = 0; i < errors_by_code.size(); ++i) errors_by_code[i] += o.errors_by_code[i];
  for (size_t i = 0; i < planned_by_kind.size(); ++i) planned_by_kind[i] += o.planned_by_kind[i];
  new_users += o.new_users;
  groups_added += o.groups_added, groups_removed += o.groups_removed;
  roles_granted += o.roles_granted, roles_revoked += o.roles_revoked;
  overage_logins += o.overage_logins;
  input_bytes += o.input_bytes;
}

}  // namespace claimmap::sim
