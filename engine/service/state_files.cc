// `claimmap state convert` and `claimmap state inspect` (docs/spec.md §9,
// §10), and the scale-out layer's merge and split of states
// (claimmap/scaleout.h): state files handled by name, with no config. It
// lives in service/, above engine/state/ whose readers and writers it uses,
// so that state/ includes nothing of the layers that use it.
#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "claimmap/scaleout.h"
#include "claimmap/service.h"
#include "engine/common/file_io.h"
#include "engine/state/snapshot.h"
#include "engine/state/state_io.h"

namespace claimmap {
namespace {

bool ndjson_name(const std::string& path) { return path.size() >= 7 && path.ends_with(".ndjson"); }

// Users read by name, owning their strings (a reader's views live only
// during its callback).
class NamedUsers {
 public:
  Status add(const UserNames& in, const std::string& where) {
    UserNames u;
    u.provider = keep(in.provider);
    u.subject = keep(in.subject);
    // The state the engine would hold: a group named twice is one group, an
    // id listed twice is one id, a group with no mapping holds nothing.
    std::map<std::string_view, std::set<std::string_view>> mapped;
    for (const auto& [group, ids] : in.mapped) {
      for (std::string_view id : ids) mapped[keep(group)].insert(keep(id));
    }
    for (const auto& [group, ids] : mapped) u.mapped.emplace_back(group, std::vector<std::string_view>(ids.begin(), ids.end()));
    auto sorted_unique = [&](const std::vector<std::string_view>& from, std::vector<std::string_view>* to) {
      for (std::string_view name : from) to->push_back(keep(name));
      std::sort(to->begin(), to->end());
      to->erase(std::unique(to->begin(), to->end()), to->end());
    };
    sorted_unique(in.manual, &u.manual);
    sorted_unique(in.direct_roles, &u.direct_roles);
    u.has_iat = in.has_iat;
    u.last_iat = in.last_iat;
    u.suspended = in.suspended;
    users_.push_back(std::move(u));
    where_.push_back(where);
    return Status();
  }

  // Sorted by provider then subject; a user twice refuses the whole file.
  Status finish() {
    std::vector<size_t> order(users_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto key = [&](size_t i) { return std::make_pair(users_[i].provider, users_[i].subject); };
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
    std::vector<UserNames> sorted;
    sorted.reserve(order.size());
    for (size_t k = 0; k < order.size(); ++k) {
      if (k > 0 && key(order[k]) == key(order[k - 1])) {
        const size_t first = std::min(order[k], order[k - 1]), second = std::max(order[k], order[k - 1]);
        return Status(ErrorCode::kInvalidState, where_[second] + ": user repeated (first at " + where_[first] + ")");
      }
      sorted.push_back(std::move(users_[order[k]]));
    }
    users_ = std::move(sorted);
    return Status();
  }
  const std::vector<UserNames>& users() const { return users_; }

 private:
  std::string_view keep(std::string_view s) { return strings_.emplace_back(s); }
  std::deque<std::string> strings_;  // stable addresses
  std::vector<UserNames> users_;
  std::vector<std::string> where_;
};

// Reads any state file by name (the form told apart by content, docs/spec.md §9).
Status read_named(const std::string& path, const std::string& bytes, NamedUsers* users) {
  auto add = [&](const UserNames& n, const std::string& where) { return users->add(n, where); };
  if (bytes.empty() && !ndjson_name(path)) {
    return Status(ErrorCode::kInvalidState, "empty file: a truncated snapshot, refused (only a name ending in .ndjson may be empty)");
  }
  Status s = is_snapshot(bytes) ? for_each_snapshot_user(bytes, add) : for_each_state_line(bytes, add);
  if (!s.ok()) return s;
  return users->finish();
}

}  // namespace

Status convert_state_file(const std::string& in, const std::string& out, uint64_t* users_converted) {
  // OUT first: a big IN is not read only to find that OUT cannot be written.
  if (Status s = check_output_file(out, OutputWrite::kReplaced); !s.ok()) return s;
  Result<std::string> bytes = read_file(in);
  if (!bytes.ok()) return bytes.status();
  NamedUsers users;
  if (Status s = read_named(in, bytes.value(), &users); !s.ok()) return Status(s.code(), in + ": " + s.message());
  std::string text;
  if (ndjson_name(out)) {
    for (const UserNames& u : users.users()) append_state_line(text, u);
  } else {
    text = encode_snapshot_from_names(users.users());
  }
  if (users_converted != nullptr) *users_converted = users.users().size();
  return write_file_atomically(out, text);
}

Result<std::string> merge_states_to_ndjson(const std::vector<std::string_view>& states, uint64_t* users_merged) {
  NamedUsers users;
  for (size_t i = 0; i < states.size(); ++i) {
    const std::string name = "state " + std::to_string(i + 1) + ".ndjson";  // empty means empty
    if (Status s = read_named(name, std::string(states[i]), &users); !s.ok()) {
      return Status(s.code(), "state " + std::to_string(i + 1) + ": " + s.message());
    }
  }
  if (Status s = users.finish(); !s.ok()) return s;
  std::string text;
  for (const UserNames& u : users.users()) append_state_line(text, u);
  if (users_merged != nullptr) *users_merged = users.users().size();
  return text;
}

Result<std::vector<std::string>> split_state_to_ndjson(
    std::string_view state, uint32_t parts,
    const std::function<uint32_t(std::string_view provider, std::string_view subject)>& part_of, uint64_t* users_split) {
  NamedUsers users;
  if (Status s = read_named("state.ndjson", std::string(state), &users); !s.ok()) return s;
  std::vector<std::string> out(parts);
  for (const UserNames& u : users.users()) {
    const uint32_t p = part_of(u.provider, u.subject);
    if (p >= parts) return Status(ErrorCode::kInvalidArgument, "split_state_to_ndjson: part out of range");
    append_state_line(out[p], u);
  }
  if (users_split != nullptr) *users_split = users.users().size();
  return out;
}

Result<StateFileInfo> inspect_state_file(const std::string& path) {
  Result<std::string> bytes = read_file(path);
  if (!bytes.ok()) return bytes.status();
  StateFileInfo info;
  info.path = path;
  info.bytes = bytes.value().size();
  if (is_snapshot(bytes.value())) {
    info.form = "binary snapshot";
    const SnapshotInfo snap = inspect_snapshot(bytes.value());
    info.format_version = snap.format_version;
    info.config_fingerprint = snap.config_fingerprint;
    info.users = snap.users;
    for (const SnapshotSection& s : snap.sections) info.sections.push_back({s.name, s.offset, s.length, s.ok});
    info.damage = snap.damage;
    if (info.damage.ok() && snap.format_version == 2) {
      // Every user record parses too (the checksums say the bytes are as written).
      NamedUsers users;
      info.damage = read_named(path, bytes.value(), &users);
    }
    return info;
  }
  info.form = bytes.value().empty() && !ndjson_name(path) ? "empty file" : "ndjson";
  NamedUsers users;
  info.damage = read_named(path, bytes.value(), &users);
  info.users = users.users().size();
  return info;
}

std::string StateFileInfo::to_text() const {
  std::string s = path + "\n";
  s += "  form             " + form + "\n";
  if (form != "ndjson") {
    s += "  format version   " + std::to_string(format_version) + "\n";
    char fp[32];
    std::snprintf(fp, sizeof fp, "%016llx", static_cast<unsigned long long>(config_fingerprint));
    s += std::string("  config           ") + (config_fingerprint == 0 ? "unknown (converted from NDJSON)" : fp) + "\n";
  }
  s += "  users            " + std::to_string(users) + "\n";
  s += "  size             " + std::to_string(bytes) + " bytes\n";
  for (const Section& sec : sections) {
    s += "  section " + sec.name + ": bytes " + std::to_string(sec.offset) + "+" + std::to_string(sec.length) +
         (sec.ok ? ", checksum ok\n" : ", CHECKSUM MISMATCH\n");
  }
  s += damage.ok() ? (form == "ndjson" ? "  every line reads\n" : "  checksums ok\n") : "  DAMAGED: " + damage.message() + "\n";
  return s;
}

}  // namespace claimmap
