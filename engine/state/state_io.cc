#include "engine/state/state_io.h"

#include <unordered_map>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <numeric>
#include <cstdio>
#include <unordered_set>

#include <simdjson.h>

#include "claimmap/lines.h"
#include "engine/common/json_text.h"
#include "engine/common/parallel_pieces.h"
#include "engine/common/sort_pairs.h"
#include "engine/reload/reload_rules.h"

namespace claimmap {

std::string StateLoadReport::to_string() const {
  std::string s = std::to_string(users) + " users loaded";
  if (users_without_provider > 0) {
    s += " (" + std::to_string(users_without_provider) +
         " of providers not in the config: kept with their manual memberships and direct roles)";
  }
  if (config_changed) {
    char fp[24];
    std::snprintf(fp, sizeof fp, "%016llx", static_cast<unsigned long long>(snapshot_config_fingerprint));
    s += std::string("; the snapshot was written under another config (") + fp + "), reconciled by the reload rules";
  }
  if (dropped() == 0) return s;
  s += "; dropped as the config no longer justifies them: " + std::to_string(dropped_mapped) +
       " mapped memberships, " + std::to_string(dropped_manual) + " manual memberships, " +
       std::to_string(dropped_direct_roles) + " direct roles";
  return s;
}

const std::string& ProviderNames::operator()(ProviderKey key) {
  while (names_.size() <= index_of(key)) names_.push_back(store_.provider_name(static_cast<ProviderKey>(names_.size())));
  return names_[index_of(key)];
}

namespace {
// Users sorted bytewise by provider id, then subject (docs/spec.md §9).
std::vector<std::pair<UserKey, UserState>> users_by_name(const UserStore& store, ProviderNames& names) {
  // The store sorts by provider key, then subject: each provider's users are
  // one run already in subject order, so only the runs need putting in the
  // order of their providers' ids.
  auto by_key = store.sorted_users();
  std::vector<std::pair<size_t, size_t>> runs;  // [begin, end) of one provider
  for (size_t i = 0; i < by_key.size(); ++i) {
    if (i == 0 || by_key[i].first.provider != by_key[i - 1].first.provider) runs.emplace_back(i, i);
    runs.back().second = i + 1;
  }
  std::sort(runs.begin(), runs.end(), [&](const auto& a, const auto& b) {
    return names(by_key[a.first].first.provider) < names(by_key[b.first].first.provider);
  });
  std::vector<std::pair<UserKey, UserState>> users;
  users.reserve(by_key.size());
  for (const auto& [begin, end] : runs) {
    std::move(by_key.begin() + static_cast<ptrdiff_t>(begin), by_key.begin() + static_cast<ptrdiff_t>(end),
              std::back_inserter(users));
  }
  return users;
}
}  // namespace


void append_state_line(std::string& out, const UserNames& u) {
  auto append_list = [&](const std::vector<std::string_view>& names) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (i) out.append(", ");
      json_text::append_quoted(out, names[i]);
    }
  };
  out.append("{\"provider\": ");
  json_text::append_quoted(out, u.provider);
  out.append(", \"subject\": ");
  json_text::append_quoted(out, u.subject);
  out.append(", \"mapped\": {");
  for (size_t i = 0; i < u.mapped.size(); ++i) {
    if (i) out.append(", ");
    json_text::append_quoted(out, u.mapped[i].first);
    out.append(": [");
    append_list(u.mapped[i].second);
    out.push_back(']');
  }
  out.append("}, \"manual\": [");
  append_list(u.manual);
  out.append("], \"direct_roles\": [");
  append_list(u.direct_roles);
  out.append("], \"last_iat\": ");
  if (u.has_iat) {
    json_text::append_double(out, u.last_iat);
  } else {
    out.append("null");
  }
  out.append(u.suspended ? ", \"suspended\": true}\n" : ", \"suspended\": false}\n");
}

std::string export_state(const CompiledConfig& config, const UserStore& store) {
  std::string out;
  ProviderNames provider_names(store);
  UserNames names;
  for (const auto& [key, user] : users_by_name(store, provider_names)) {
    names.provider = provider_names(key.provider);
    names.subject = key.subject;
    names.mapped.clear();
    for (size_t i = 0; i < user.mapped.size(); ++i) {
      if (i == 0 || user.mapped[i - 1].group != user.mapped[i].group) {
        names.mapped.emplace_back(config.group(user.mapped[i].group).id, std::vector<std::string_view>{});
      }
      names.mapped.back().second.emplace_back(config.mapping_id(user.mapped[i].mapping));
    }
    names.manual.clear();
    for (GroupId g : user.manual) names.manual.push_back(config.group(g).id);
    names.direct_roles.clear();
    for (RoleId r : user.direct_roles) names.direct_roles.push_back(config.role(r).id);
    names.has_iat = user.has_iat;
    names.last_iat = user.last_iat;
    names.suspended = user.suspended;
    append_state_line(out, names);
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

// A line's mapping lists, kept between lines so that reading a user
// allocates nothing once the first few lines are read.
using SpareLists = std::vector<std::vector<std::string_view>>;

// Empties `names` for the next line; its mapping lists go to `spare`.
void recycle(UserNames* names, SpareLists* spare) {
  for (auto& entry : names->mapped) {
    entry.second.clear();
    spare->push_back(std::move(entry.second));
  }
  names->mapped.clear();
  names->manual.clear();
  names->direct_roles.clear();
  names->provider = names->subject = {};
  names->has_iat = false;
  names->last_iat = 0;
  names->suspended = false;
}

// Reads one state line into the empty `names`. Returns an error message, or empty.
std::string read_user_line(element root, UserNames* names, SpareLists* spare) {
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
      if (!spare->empty()) {
        mappings = std::move(spare->back());
        spare->pop_back();
      }
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

void resolve_user(const CompiledConfig& config, UserStore& keys, const UserNames& names, UserKey* key,
                  UserState* user, StateLoadReport* report) {
  key->provider = keys.provider_key(names.provider);
  key->subject.assign(names.subject);
  if (config.provider_by_id.find(names.provider) == config.provider_by_id.end()) ++report->users_without_provider;
  user->last_iat = names.last_iat;
  user->has_iat = names.has_iat;
  user->suspended = names.suspended;
  for (const auto& [group_name, mapping_names] : names.mapped) {
    // The group by name is looked up once a group, and only for a template's
    // membership: a fixed mapping's group was compared by name already.
    std::optional<std::optional<GroupId>> named_group;
    for (std::string_view mapping_name : mapping_names) {
      // A state line shows a mapping's id, group and provider: the parts of
      // "unchanged" it can show (the binary snapshot shows all).
      MappingIdentity old{mapping_name, names.provider, group_name};
      old.group_is_membership = true;
      const auto kept = surviving_mapping(config, old);
      std::optional<GroupId> group;
      if (kept && !config.mapping(*kept).is_template) {
        group = config.mapping(*kept).group;  // what surviving_group(group_name) gives it
      } else if (kept) {
        if (!named_group) named_group = surviving_group(config, group_name);
        group = *named_group;
      }
      if (!group || !membership_survives(config, *kept, *group)) {
        ++report->dropped_mapped;
        continue;
      }
      user->mapped.push_back({*group, *kept});
    }
  }
  for (std::string_view name : names.manual) {
    if (auto g = surviving_group(config, name)) user->manual.push_back(*g);
    else ++report->dropped_manual;
  }
  for (std::string_view name : names.direct_roles) {
    if (auto r = surviving_role(config, name)) user->direct_roles.push_back(*r);
    else ++report->dropped_direct_roles;
  }
  auto sort_unique = [](auto& v) {
    // A saved state lists them in order already (the writer sorts them).
    if (!std::is_sorted(v.begin(), v.end())) std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  // (The pairs of a state written under another config are not in this
  // config's order: sorted as a login's are.)
  sort_mapped_pairs(user->mapped, config.groups.size());
  user->mapped.erase(std::unique(user->mapped.begin(), user->mapped.end()), user->mapped.end());
  sort_unique(user->manual);
  sort_unique(user->direct_roles);
}

Status UserLoader::add(const UserNames& names, const std::string& where) {
  UserKey key;
  UserState user;
  resolve_user(config_, keys_, names, &key, &user, report_);
  std::string user_id = std::to_string(index_of(key.provider));
  user_id.push_back('\0');
  user_id.append(key.subject);
  auto [it, inserted] = where_of_.emplace(std::move(user_id), where);
  if (!inserted) return Status(ErrorCode::kInvalidState, where + ": user repeated (first at " + it->second + ")");
  users_.emplace_back(std::move(key), std::move(user));
  return Status();
}

void UserLoader::commit(UserStore* staged) {
  UserStore* store = staged;
  for (const auto& entry : users_) {  // (not a structured binding: clang 14 cannot capture one)
    const UserState& user = entry.second;
    store->with_user(entry.first.provider, entry.first.subject, [&](UserHandle& handle) { handle.save(user); });
  }
  report_->users = users_.size();
}

namespace {

// The one walk over state lines, for the whole file and for a piece of it:
// calls f(names, line) for each user line of `text`, its lines counted from
// 1 (a piece's numbers are its own: only the walk of a whole file names a
// problem). Stops at the first bad line (kInvalidState, "state line N: …")
// or the first error f returns.
template <typename F>
Status walk_state_lines(std::string_view text, F&& f) {
  simdjson::dom::parser parser;
  UserNames names;
  SpareLists spare;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = line_content(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (is_blank_line(line)) continue;
    auto bad = [&](const std::string& why) {
      return Status(ErrorCode::kInvalidState, "state line " + std::to_string(line_no) + ": " + why);
    };
    element root;
    // Parsed where it is when simdjson's padding past the line is inside
    // `text` (every line but the last few bytes'), else from its copy.
    const bool padded = static_cast<size_t>(line.data() + line.size() - text.data()) + simdjson::SIMDJSON_PADDING <= text.size();
    if (auto err = parser.parse(line.data(), line.size(), !padded).get(root)) {
      return bad(std::string("not valid JSON: ") + simdjson::error_message(err));
    }
    recycle(&names, &spare);
    if (std::string why = read_user_line(root, &names, &spare); !why.empty()) return bad(why);
    if (Status s = f(names, line_no); !s.ok()) return s;
  }
  return Status();
}

}  // namespace

Status for_each_state_line(std::string_view ndjson,
                           const std::function<Status(const UserNames&, const std::string&)>& f) {
  return walk_state_lines(ndjson, [&f](const UserNames& names, size_t line) {
    return f(names, "state line " + std::to_string(line));
  });
}

namespace {

// One piece of a state file, read on its own and stored as it is read: how
// many users it stored, what it dropped, and whether it met a problem — a
// bad line (the users after it are not read) or a user already in the store
// when it came to store one. A problem is named afterwards by one reader
// going through the file in order (first_problem), so the pieces count no
// lines and keep no keys.
struct ChunkRead {
  size_t users = 0;
  StateLoadReport report;
  bool bad_line = false;
  bool repeated = false;
};

// Reads the lines of `text` and stores each user in `staged` unless it is
// there already.
void read_chunk(const CompiledConfig& config, UserStore& keys, std::string_view text, UserStore* staged,
                ChunkRead* out) {
  UserKey key;      // scratch, reused line after line
  UserState state;
  const Status read = walk_state_lines(
      text,
      [&](const UserNames& names, size_t) {
        ++out->users;
        state.mapped.clear();  // (resolve_user sets the rest)
        state.manual.clear();
        state.direct_roles.clear();
        resolve_user(config, keys, names, &key, &state, &out->report);
        staged->with_user(key.provider, key.subject, [&](UserHandle& handle) {
          if (handle.exists()) {
            out->repeated = true;
          } else {
            handle.save(state);
          }
        });
        return Status();
      });
  out->bad_line = !read.ok();
}

// The first problem of the file, as one reader going line by line meets it:
// a bad line, or a user met before (UserLoader names both as the serial
// loader always has).
Status first_problem(const CompiledConfig& config, std::string_view ndjson, UserStore& keys) {
  StateLoadReport ignored;
  UserLoader loader(config, keys, &ignored);
  Status s = for_each_state_line(ndjson, [&](const UserNames& names, const std::string& where) {
    return loader.add(names, where);
  });
  if (!s.ok()) return s;
  return Status(ErrorCode::kInternal, "a state load found a problem it cannot name");
}

bool any_problem(const std::vector<ChunkRead>& reads) {
  return std::any_of(reads.begin(), reads.end(), [](const ChunkRead& r) { return r.bad_line || r.repeated; });
}

// The pieces' counts, summed into the load's report.
void add_up(const std::vector<ChunkRead>& reads, StateLoadReport* report) {
  for (const ChunkRead& r : reads) {
    report->users += r.users;
    report->users_without_provider += r.report.users_without_provider;
    report->dropped_mapped += r.report.dropped_mapped;
    report->dropped_manual += r.report.dropped_manual;
    report->dropped_direct_roles += r.report.dropped_direct_roles;
  }
}

// Pieces of about this many bytes, cut at line ends: enough of them for the
// threads to share the work evenly, each large enough that starting one is
// nothing beside reading it.
constexpr size_t kChunkBytes = size_t{4} << 20;

}  // namespace

Status import_state(const CompiledConfig& config, std::string_view ndjson, UserStore& keys, UserStore* staged,
                    StateLoadReport* report) {
  *report = StateLoadReport{};
  // Cut at line ends. (No line is counted here: only a problem needs line
  // numbers, and first_problem counts them.)
  std::vector<std::string_view> pieces;
  for (size_t pos = 0; pos < ndjson.size();) {
    size_t end = std::min(ndjson.size(), pos + kChunkBytes);
    if (end < ndjson.size()) {
      const size_t nl = ndjson.find('\n', end);
      end = nl == std::string_view::npos ? ndjson.size() : nl + 1;
    }
    pieces.push_back(ndjson.substr(pos, end - pos));
    pos = end;
  }
  // Read, resolved and stored in parallel, in the caller's TBB arena (`eval
  // --threads N` loads on N threads). `staged` is the caller's to discard if
  // the load is refused: nothing of it is seen before the load succeeds.
  // The store's shards lock on their own; a user stored twice is caught
  // there, whichever thread comes second.
  std::vector<ChunkRead> reads(pieces.size());
  // At most one user a line: no table grows on the way. (The lines are
  // counted on the threads too: one pass over hundreds of MB is a tenth of a
  // second.)
  std::vector<size_t> lines(pieces.size());
  for_each_piece(pieces.size(), [&](size_t i) {
    lines[i] = static_cast<size_t>(std::count(pieces[i].begin(), pieces[i].end(), '\n'));
  });
  staged->reserve(std::accumulate(lines.begin(), lines.end(), size_t{1}));
  for_each_piece(pieces.size(), [&](size_t i) { read_chunk(config, keys, pieces[i], staged, &reads[i]); });
  // Then, only when something is wrong, the file is walked in order to name
  // its first problem: that problem refuses the load.
  if (any_problem(reads)) return first_problem(config, ndjson, keys);
  add_up(reads, report);
  return Status();
}

namespace {

// A thread's buffer for the pieces it reads, reused piece after piece.
struct PieceBuffer {
  std::unique_ptr<char[]> bytes;
  size_t room = 0;
  void ensure(size_t n) {
    if (n <= room) return;
    room = std::max(n, room * 2);
    bytes.reset(new char[room]);  // not zero-filled: every byte used is read over
  }
};

// Reads into `buffer` the lines of `file` that start in [begin, end) —
// each whole, however far past `end` the last one runs — and sets `*text`
// to them (empty when no line starts there). A line starts at 0 and after
// each newline.
Status read_piece_lines(const FileReader& file, uint64_t begin, uint64_t end, PieceBuffer* buffer,
                        std::string_view* text) {
  constexpr uint64_t kLookAhead = uint64_t{64} << 10;
  const uint64_t size = file.size();
  const uint64_t from = begin == 0 ? 0 : begin - 1;  // the byte before says if a line starts at `begin`
  uint64_t have = std::min(size, end + kLookAhead) - from;
  buffer->ensure(have);
  if (Status s = file.read(buffer->bytes.get(), from, have); !s.ok()) return s;
  const char* data = buffer->bytes.get();
  size_t first = 0;
  if (begin != 0) {
    const void* nl = std::memchr(data, '\n', end - from);  // a newline at begin - 1 … end - 1
    if (nl == nullptr) {
      *text = {};
      return Status();
    }
    first = static_cast<size_t>(static_cast<const char*>(nl) - data) + 1;
    if (from + first >= end) {
      *text = {};
      return Status();
    }
  }
  // The end of the line running over end - 1: the first newline from there.
  size_t search = end - 1 - from;
  for (;;) {
    const void* nl = std::memchr(buffer->bytes.get() + search, '\n', have - search);
    if (nl != nullptr) {
      const size_t last = static_cast<size_t>(static_cast<const char*>(nl) - buffer->bytes.get()) + 1;
      *text = std::string_view(buffer->bytes.get() + first, last - first);
      return Status();
    }
    if (from + have == size) {  // the file's last line has no newline
      *text = std::string_view(buffer->bytes.get() + first, have - first);
      return Status();
    }
    // A line longer than the look-ahead: read on, keeping what is read.
    search = have;
    const uint64_t more = std::min(size - from - have, std::max<uint64_t>(have, kLookAhead));
    if (have + more > buffer->room) {
      PieceBuffer larger;
      larger.ensure(have + more);
      std::memcpy(larger.bytes.get(), buffer->bytes.get(), have);
      *buffer = std::move(larger);
    }
    if (Status s = file.read(buffer->bytes.get() + have, from + have, more); !s.ok()) return s;
    have += more;
  }
}

// About how many users `file` holds, from the lines of its first MiB, with
// a margin: enough to size the store's tables once (an estimate too low
// only means a table grows on the way).
Result<size_t> estimate_users(const FileReader& file) {
  const size_t sample = static_cast<size_t>(std::min<uint64_t>(file.size(), uint64_t{1} << 20));
  std::unique_ptr<char[]> head(new char[sample + 1]);
  if (Status s = file.read(head.get(), 0, sample); !s.ok()) return s;
  const size_t lines = static_cast<size_t>(std::count(head.get(), head.get() + sample, '\n')) + 1;
  const double per_byte = static_cast<double>(lines) / static_cast<double>(std::max<size_t>(sample, 1));
  return static_cast<size_t>(per_byte * static_cast<double>(file.size()) * 1.1) + 16;
}

}  // namespace

Status import_state_file(const CompiledConfig& config, const FileReader& file, UserStore& keys, UserStore* staged,
                         StateLoadReport* report) {
  *report = StateLoadReport{};
  Result<size_t> users = estimate_users(file);
  if (!users.ok()) return users.status();
  staged->reserve(users.value());
  const size_t pieces = static_cast<size_t>((file.size() + kChunkBytes - 1) / kChunkBytes);
  std::vector<ChunkRead> reads(pieces);
  std::vector<Status> failed(pieces);
  for_each_piece_with<PieceBuffer>(pieces, [&](PieceBuffer& buffer, size_t i) {
    std::string_view text;
    const uint64_t begin = uint64_t{i} * kChunkBytes;
    const uint64_t end = std::min<uint64_t>(file.size(), begin + kChunkBytes);
    failed[i] = read_piece_lines(file, begin, end, &buffer, &text);
    if (failed[i].ok()) read_chunk(config, keys, text, staged, &reads[i]);
  });
  for (const Status& s : failed) {
    if (!s.ok()) return s;
  }
  if (Status s = file.check_no_more(); !s.ok()) return s;
  if (any_problem(reads)) {
    // Named exactly as import_state names it, from the whole text.
    Result<FileBytes> whole = read_file_in_parallel(file.path());
    if (!whole.ok()) return whole.status();
    return first_problem(config, whole.value().view(), keys);
  }
  add_up(reads, report);
  return Status();
}

}  // namespace claimmap
