#include "engine/state_io.h"

#include <unordered_map>

#include <algorithm>
#include <unordered_set>

#include <simdjson.h>

#include "engine/json_text.h"

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

// Parses one state line into `key`/`user`, dropping (and counting) what the
// config does not justify. Returns an error message, or empty on success;
// sets *keep = false when the whole user is dropped.
std::string read_user(const CompiledConfig& config, element root, UserKey* key, UserState* user, bool* keep,
                      StateLoadReport* report) {
  if (root.type() != element_type::OBJECT) return "not a JSON object";
  std::string_view provider, subject;
  element mapped, manual, roles, last_iat, suspended;
  bool has_mapped = false, has_manual = false, has_roles = false, has_iat = false, has_suspended = false;
  for (auto field : simdjson::dom::object(root.get_object().value_unsafe())) {
    const std::string_view k = field.key;
    if (k == "provider" && field.value.type() == element_type::STRING) provider = field.value.get_string().value_unsafe();
    else if (k == "subject" && field.value.type() == element_type::STRING) subject = field.value.get_string().value_unsafe();
    else if (k == "mapped") mapped = field.value, has_mapped = true;
    else if (k == "manual") manual = field.value, has_manual = true;
    else if (k == "direct_roles") roles = field.value, has_roles = true;
    else if (k == "last_iat") last_iat = field.value, has_iat = true;
    else if (k == "suspended") suspended = field.value, has_suspended = true;
    else if (k != "provider" && k != "subject") return "unknown member " + json_text::quoted(k);
    else return json_text::quoted(k) + " must be a string";
  }
  if (provider.empty()) return "missing \"provider\"";
  if (subject.empty()) return "missing \"subject\"";

  std::vector<std::string_view> names;
  std::vector<std::pair<std::string_view, std::vector<std::string_view>>> mapped_names;
  if (has_mapped) {
    if (mapped.type() != element_type::OBJECT) return "\"mapped\" must be an object";
    for (auto field : simdjson::dom::object(mapped.get_object().value_unsafe())) {
      names.clear();
      if (!string_array(field.value, &names)) return "\"mapped\" values must be arrays of mapping ids";
      mapped_names.emplace_back(field.key, names);
    }
  }
  std::vector<std::string_view> manual_names, role_names;
  if (has_manual && !string_array(manual, &manual_names)) return "\"manual\" must be an array of group ids";
  if (has_roles && !string_array(roles, &role_names)) return "\"direct_roles\" must be an array of role ids";
  if (has_iat && last_iat.type() != element_type::NULL_VALUE) {
    double v;
    if (last_iat.get_double().get(v)) return "\"last_iat\" must be a number or null";
    user->last_iat = v;
    user->has_iat = true;
  }
  if (has_suspended) {
    bool b;
    if (suspended.get_bool().get(b)) return "\"suspended\" must be a boolean";
    user->suspended = b;
  }

  auto p = config.provider_by_id.find(provider);
  if (p == config.provider_by_id.end()) {
    ++report->dropped_users;
    *keep = false;
    return {};
  }
  key->provider = p->second;
  key->subject.assign(subject);
  for (const auto& [group_name, mapping_names] : mapped_names) {
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
  for (std::string_view name : manual_names) {
    auto g = config.group_by_id.find(name);
    if (g == config.group_by_id.end()) ++report->dropped_manual;
    else user->manual.push_back(g->second);
  }
  for (std::string_view name : role_names) {
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
  return {};
}

}  // namespace

Status import_state(const CompiledConfig& config, std::string_view ndjson, UserStore* store, StateLoadReport* report) {
  *report = StateLoadReport{};
  simdjson::dom::parser parser;
  std::vector<std::pair<UserKey, UserState>> users;
  std::unordered_map<std::string, size_t> line_of;  // provider index, NUL, subject → line
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
    auto bad = [&](const std::string& why) {
      return Status(ErrorCode::kInvalidState, "state line " + std::to_string(line_no) + ": " + why);
    };
    element root;
    if (auto err = parser.parse(line.data(), line.size()).get(root)) {
      return bad(std::string("not valid JSON: ") + simdjson::error_message(err));
    }
    UserKey key;
    UserState user;
    bool keep = true;
    std::string why = read_user(config, root, &key, &user, &keep, report);
    if (!why.empty()) return bad(why);
    if (!keep) continue;
    std::string user_id = std::to_string(index_of(key.provider));
    user_id.push_back('\0');
    user_id.append(key.subject);
    auto [it, inserted] = line_of.emplace(std::move(user_id), line_no);
    if (!inserted) return bad("user repeated (first at line " + std::to_string(it->second) + ")");
    users.emplace_back(std::move(key), std::move(user));
  }
  store->clear();
  for (const auto& [key, user] : users) {
    store->with_user(key.provider, key.subject, [&](UserHandle& handle) { handle.save(user); });
  }
  report->users = users.size();
  return Status();
}

}  // namespace claimmap
