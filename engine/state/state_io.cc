#include "engine/state/state_io.h"

#include <unordered_map>

#include <algorithm>
#include <unordered_set>

#include <simdjson.h>

#include "engine/common/json_text.h"

namespace claimmap {

std::string StateLoadReport::to_string() const {
  std::string s = std::to_string(users) + " users loaded";
  if (dropped() == 0) return s;
  s += "; dropped as the config no longer justifies them: " + std::to_string(dropped_users) + " users of unknown providers, " +
       std::to_string(dropped_mapped) + " mapped memberships, " + std::to_string(dropped_manual) +
       " manual memberships, " + std::to_string(dropped_direct_roles) + " direct roles";
  return s;
}

std::string export_state(const CompiledConfig& config, const UserStore& store) {
  std::string out;
  for (const auto& [key, user] : store.sorted_users()) {
    out.append("{\"provider\": ");
    json_text::append_quoted(out, config.provider(key.provider).def.id);
    out.append(", \"subject\": ");
    json_text::append_quoted(out, key.subject);
    out.append(", \"mapped\": {");
    for (size_t i = 0; i < user.mapped.size(); ++i) {
      const bool first_of_group = i == 0 || user.mapped[i - 1].group != user.mapped[i].group;
      if (first_of_group) {
        if (i) out.append("], ");
        json_text::append_quoted(out, config.group(user.mapped[i].group).id);
        out.append(": [");
      } else {
        out.append(", ");
      }
      json_text::append_quoted(out, config.mapping(user.mapped[i].mapping).def.id);
    }
    if (!user.mapped.empty()) out.push_back(']');
    out.append("}, \"manual\": [");
    for (size_t i = 0; i < user.manual.size(); ++i) {
      if (i) out.append(", ");
      json_text::append_quoted(out, config.group(user.manual[i]).id);
    }
    out.append("], \"direct_roles\": [");
    for (size_t i = 0; i < user.direct_roles.size(); ++i) {
      if (i) out.append(", ");
      json_text::append_quoted(out, config.role(user.direct_roles[i]).id);
    }
    out.append("], \"last_iat\": ");
    if (user.has_iat) {
      json_text::append_double(out, user.last_iat);
    } else {
      out.append("null");
    }
    out.append(user.suspended ? ", \"suspended\": true}\n" : ", \"suspended\": false}\n");
  }
  return out;
}

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

struct LineError {
  std::string message;
};

// Reads an array of strings; false if `e` is not one.
bool string_array(element e, std::vector<std::string_view>* out) {
  if (e.type() != element_type::ARRAY) return false;
  for (element item : simdjson::dom::array(e.get_array().value_unsafe())) {
    if (item.type() != element_type::STRING) return false;
    out->push_back(item.get_string().value_unsafe());
  }
  return true;
}

// Reads one state line into `names`. Returns an error message, or empty.
std::string read_user_line(element root, UserNames* names) {
  if (root.type() != element_type::OBJECT) return "not a JSON object";
  element mapped, manual, roles, last_iat, suspended;
  bool has_mapped = false, has_manual = false, has_roles = false, has_iat = false, has_suspended = false;
  for (auto field : simdjson::dom::object(root.get_object().value_unsafe())) {
    const std::string_view k = field.key;
    if (k == "provider" && field.value.type() == element_type::STRING) names->provider = field.value.get_string().value_unsafe();
    else if (k == "subject" && field.value.type() == element_type::STRING) names->subject = field.value.get_string().value_unsafe();
    else if (k == "mapped") mapped = field.value, has_mapped = true;
    else if (k == "manual") manual = field.value, has_manual = true;
    else if (k == "direct_roles") roles = field.value, has_roles = true;
    else if (k == "last_iat") last_iat = field.value, has_iat = true;
    else if (k == "suspended") suspended = field.value, has_suspended = true;
    else if (k != "provider" && k != "subject") return "unknown member " + json_text::quoted(k);
    else return json_text::quoted(k) + " must be a string";
  }
  if (names->provider.empty()) return "missing \"provider\"";
  if (names->subject.empty()) return "missing \"subject\"";
  if (has_mapped) {
    if (mapped.type() != element_type::OBJECT) return "\"mapped\" must be an object";
    for (auto field : simdjson::dom::object(mapped.get_object().value_unsafe())) {
      std::vector<std::string_view> mappings;
      if (!string_array(field.value, &mappings)) return "\"mapped\" values must be arrays of mapping ids";
      names->mapped.emplace_back(field.key, std::move(mappings));
    }
  }
  if (has_manual && !string_array(manual, &names->manual)) return "\"manual\" must be an array of group ids";
  if (has_roles && !string_array(roles, &names->direct_roles)) return "\"direct_roles\" must be an array of role ids";
  if (has_iat && last_iat.type() != element_type::NULL_VALUE) {
    if (last_iat.get_double().get(names->last_iat)) return "\"last_iat\" must be a number or null";
    names->has_iat = true;
  }
  if (has_suspended && suspended.get_bool().get(names->suspended)) return "\"suspended\" must be a boolean";
  return {};
}

}  // namespace

bool resolve_user(const CompiledConfig& config, const UserNames& names, UserKey* key, UserState* user,
                  StateLoadReport* report) {
  auto p = config.provider_by_id.find(names.provider);
  if (p == config.provider_by_id.end()) {
    ++report->dropped_users;
    return false;
  }
  key->provider = p->second;
  key->subject.assign(names.subject);
  user->last_iat = names.last_iat;
  user->has_iat = names.has_iat;
  user->suspended = names.suspended;
  for (const auto& [group_name, mapping_names] : names.mapped) {
    auto g = config.group_by_id.find(group_name);
    for (std::string_view mapping_name : mapping_names) {
      auto m = config.mapping_by_id.find(mapping_name);
      // Kept only if the mapping still exists, is active, and still grants this
      // group for this provider (the parts of "unchanged" a state line can show).
      const bool justified = g != config.group_by_id.end() && m != config.mapping_by_id.end() &&
                             config.mapping(m->second).active && config.mapping(m->second).group == g->second &&
                             config.mapping(m->second).provider == p->second;
      if (!justified) {
        ++report->dropped_mapped;
        continue;
      }
      user->mapped.push_back({g->second, m->second});
    }
  }
  for (std::string_view name : names.manual) {
    auto g = config.group_by_id.find(name);
    if (g == config.group_by_id.end()) ++report->dropped_manual;
    else user->manual.push_back(g->second);
  }
  for (std::string_view name : names.direct_roles) {
    auto r = config.role_by_id.find(name);
    if (r == config.role_by_id.end()) ++report->dropped_direct_roles;
    else user->direct_roles.push_back(r->second);
  }
  auto sort_unique = [](auto& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  sort_unique(user->mapped);
  sort_unique(user->manual);
  sort_unique(user->direct_roles);
  return true;
}

Status UserLoader::add(const UserNames& names, const std::string& where) {
  UserKey key;
  UserState user;
  if (!resolve_user(config_, names, &key, &user, report_)) return Status();
  std::string user_id = std::to_string(index_of(key.provider));
  user_id.push_back('\0');
  user_id.append(key.subject);
  auto [it, inserted] = where_of_.emplace(std::move(user_id), where);
  if (!inserted) return Status(ErrorCode::kInvalidState, where + ": user repeated (first at " + it->second + ")");
  users_.emplace_back(std::move(key), std::move(user));
  return Status();
}

void UserLoader::commit(UserStore* store) {
  store->clear();
  for (const auto& entry : users_) {  // (not a structured binding: clang 14 cannot capture one)
    const UserState& user = entry.second;
    store->with_user(entry.first.provider, entry.first.subject, [&](UserHandle& handle) { handle.save(user); });
  }
  report_->users = users_.size();
}

Status import_state(const CompiledConfig& config, std::string_view ndjson, UserStore* store, StateLoadReport* report) {
  *report = StateLoadReport{};
  simdjson::dom::parser parser;
  UserLoader loader(config, report);
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < ndjson.size()) {
    size_t end = ndjson.find('\n', pos);
    if (end == std::string_view::npos) end = ndjson.size();
    std::string_view line = ndjson.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string where = "state line " + std::to_string(line_no);
    element root;
    if (auto err = parser.parse(line.data(), line.size()).get(root)) {
      return Status(ErrorCode::kInvalidState, where + ": not valid JSON: " + simdjson::error_message(err));
    }
    UserNames names;
    if (std::string why = read_user_line(root, &names); !why.empty()) {
      return Status(ErrorCode::kInvalidState, where + ": " + why);
    }
    if (Status s = loader.add(names, where); !s.ok()) return s;
  }
  loader.commit(store);
  return Status();
}

}  // namespace claimmap
