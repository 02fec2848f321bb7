// Format version 2 of the snapshot (engine/state/snapshot.h has the layout).
#include "engine/state/snapshot.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <array>
#include <deque>
#include <map>
#include <unordered_map>

#include "engine/reload/reload_rules.h"
#include "engine/state/snapshot_format.h"
#include "engine/state/state_io.h"

namespace claimmap {

using namespace snapshot_format;

namespace {

constexpr uint32_t kVersion = 2;
constexpr size_t kFileHeaderBytes = 24;
constexpr size_t kSectionHeaderBytes = 32;
constexpr size_t kUsersPerSection = 65536;
enum SectionKind : uint32_t { kMeta = 1, kNames = 2, kUsers = 3 };
// A mapping's flags in the names section. Without kMappingDefined (a
// snapshot converted from NDJSON, which holds only ids) its claim, value and
// delimiter are unknown and not compared on load.
constexpr uint8_t kMappingActive = 1, kMappingDefined = 2;
// Bits 2-3: the mapping's match kind (docs/spec.md §16); 0, exact, in files
// written before there were others.
constexpr int kMappingMatchShift = 2;

uint64_t xxh3(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

void append_section(std::string& out, uint32_t kind, uint32_t index, std::string_view payload) {
  const size_t at = out.size();
  put<uint32_t>(out, kind);
  put<uint32_t>(out, index);
  put<uint64_t>(out, payload.size());
  put<uint64_t>(out, xxh3(payload));
  put<uint64_t>(out, xxh3(std::string_view(out).substr(at, 24)));
  out.append(payload);
}

std::string section_name(uint32_t kind, uint32_t index) {
  switch (kind) {
    case kMeta: return "meta";
    case kNames: return "names";
    case kUsers: return "users " + std::to_string(index + 1);
  }
  return "of unknown kind " + std::to_string(kind);
}

// One user's encoded record inside a shard's buffer, for sorting: by the
// rank of its provider's id, then by subject — the subject's first 8 bytes
// compared as one big-endian integer first, the rest only on a tie.
struct Encoded {
  uint32_t provider_rank;
  uint32_t shard;
  uint64_t prefix;
  std::string_view subject;  // into the buffer
  uint64_t offset, length;
};

uint64_t prefix_of(std::string_view s) {
  unsigned char bytes[8] = {};
  std::memcpy(bytes, s.data(), std::min<size_t>(8, s.size()));
  uint64_t v = 0;
  for (unsigned char b : bytes) v = v << 8 | b;
  return v;
}

// The format version of a snapshot's bytes, 0 when there is no complete
// magic and version to read.
uint32_t format_version_of(std::string_view bytes) {
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return 0;
  uint32_t version;
  std::memcpy(&version, bytes.data() + 8, 4);
  return version;
}

}  // namespace

static_assert(sizeof(kMagic) == kSnapshotMagicBytes);

bool is_snapshot(std::string_view bytes) {
  return bytes.size() >= sizeof(kMagic) && std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) == 0;
}

uint64_t config_fingerprint(const CompiledConfig& config) {
  // Every definition in id (name) order, fields separated by a byte no id
  // contains unescaped meaningfully: NUL, and records by 0x1e.
  std::string text;
  auto field = [&](std::string_view s) {
    text.append(s);
    text.push_back('\0');
  };
  for (const CompiledProvider& p : config.providers) {
    field(p.def.id), field(p.def.type == ProviderType::kSaml ? "saml" : "oidc");
    field(p.def.has_issuer ? p.def.issuer : std::string("\x01"));
    field(p.def.organization_scope ? "organization" : "stages");
    for (const std::string& stage : p.def.scope_stages) field(stage);
    field(p.def.subject_claim);
    text.push_back('\x1e');
  }
  for (const CompiledRole& r : config.roles) field(r.id), field(r.app), text.push_back('\x1e');
  for (const CompiledGroup& g : config.groups) {
    field(g.id), field(g.stage);
    for (RoleId r : g.roles) field(config.role(r).id);
    text.push_back('\x1e');
  }
  for (const CompiledMapping& m : config.mappings) {
    const MappingView def = config.mapping_def(m);
    field(def.id), field(def.provider), field(def.claim), field(def.value), field(def.delimiter);
    field(def.group), field(m.active ? "active" : "inactive");
    if (def.match != MatchKind::kExact) field(match_kind_name(def.match));  // exact: as before §16
    text.push_back('\x1e');
  }
  return xxh3(text);
}

namespace {

// The file around its sections: header, meta, names, then the users in
// sections of kUsersPerSection; append_user(i, payload) appends user i's record.
template <typename AppendUser>
std::string write_file(size_t reserve, const std::string& meta, const std::string& names, size_t users,
                       AppendUser&& append_user) {
  const uint32_t user_sections = static_cast<uint32_t>((users + kUsersPerSection - 1) / kUsersPerSection);
  std::string out;
  out.reserve(reserve);
  out.append(kMagic, sizeof(kMagic));
  put<uint32_t>(out, kVersion);
  put<uint32_t>(out, 2 + user_sections);
  put<uint64_t>(out, xxh3(std::string_view(out).substr(0, 16)));
  append_section(out, kMeta, 0, meta);
  append_section(out, kNames, 0, names);
  std::string payload;
  for (uint32_t s = 0; s < user_sections; ++s) {
    payload.clear();
    const size_t end = std::min(users, size_t{s + 1} * kUsersPerSection);
    for (size_t i = size_t{s} * kUsersPerSection; i < end; ++i) append_user(i, payload);
    append_section(out, kUsers, s, payload);
  }
  return out;
}

std::string meta_section(uint64_t users, uint64_t fingerprint) {
  std::string meta;
  put<uint64_t>(meta, users);
  put<uint64_t>(meta, fingerprint);
  put<uint32_t>(meta, static_cast<uint32_t>((users + kUsersPerSection - 1) / kUsersPerSection));
  return meta;
}

}  // namespace

std::string encode_snapshot(const CompiledConfig& config, const UserStore& store) {
  // 1. A consistent copy of each shard, encoded, under that shard's lock only.
  std::vector<std::string> buffers(UserStore::kShardCount);
  std::vector<Encoded> users;
  ProviderNames provider_names(store);
  std::deque<std::string> names_by_key;  // provider ids, index = key (stable addresses)
  std::vector<std::pair<uint32_t, uint64_t>> raw;  // (shard, offset) per user, then lengths
  UserState user;
  for (size_t i = 0; i < UserStore::kShardCount; ++i) {
    std::string& buf = buffers[i];
    store.with_shard(i, [&](LockedShard& shard) {
      buf.reserve(shard.size() * 96);
      shard.for_each_user([&](ProviderKey provider, std::string_view subject, UserHandle& handle) {
        handle.load(&user);
        const uint64_t at = buf.size();
        put<uint32_t>(buf, index_of(provider));
        put_str(buf, subject);
        put<double>(buf, user.last_iat);
        put<uint8_t>(buf, (user.has_iat ? 1 : 0) | (user.suspended ? 2 : 0));
        put<uint32_t>(buf, static_cast<uint32_t>(user.mapped.size()));
        for (const MappedPair& p : user.mapped) put<uint32_t>(buf, index_of(p.group)), put<uint32_t>(buf, index_of(p.mapping));
        put<uint32_t>(buf, static_cast<uint32_t>(user.manual.size()));
        for (GroupId g : user.manual) put<uint32_t>(buf, index_of(g));
        put<uint32_t>(buf, static_cast<uint32_t>(user.direct_roles.size()));
        for (RoleId r : user.direct_roles) put<uint32_t>(buf, index_of(r));
        users.push_back(Encoded{0, static_cast<uint32_t>(i), 0, {}, at, buf.size() - at});
      });
    });
  }
  // 2. Sorted by provider id, then subject: the same state gives the same
  // bytes whatever the history of the tables.
  uint32_t max_key = 0;
  for (Encoded& e : users) {
    uint32_t key;
    std::memcpy(&key, buffers[e.shard].data() + e.offset, 4);
    max_key = std::max(max_key, key + 1);
  }
  std::vector<uint32_t> by_name(max_key), rank(max_key);
  for (uint32_t k = 0; k < max_key; ++k) by_name[k] = k;
  std::sort(by_name.begin(), by_name.end(), [&](uint32_t a, uint32_t b) {
    return provider_names(static_cast<ProviderKey>(a)) < provider_names(static_cast<ProviderKey>(b));
  });
  for (uint32_t r = 0; r < max_key; ++r) rank[by_name[r]] = r;
  for (Encoded& e : users) {
    const char* p = buffers[e.shard].data() + e.offset;
    uint32_t key, subject_size;
    std::memcpy(&key, p, 4);
    std::memcpy(&subject_size, p + 4, 4);
    e.provider_rank = rank[key];
    e.subject = std::string_view(p + 8, subject_size);
    e.prefix = prefix_of(e.subject);
  }
  std::sort(users.begin(), users.end(), [](const Encoded& a, const Encoded& b) {
    if (a.provider_rank != b.provider_rank) return a.provider_rank < b.provider_rank;
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return a.subject < b.subject;
  });

  // 3. The sections.
  std::string names;
  put<uint32_t>(names, max_key);
  for (uint32_t k = 0; k < max_key; ++k) put_str(names, provider_names(static_cast<ProviderKey>(k)));
  put<uint32_t>(names, static_cast<uint32_t>(config.groups.size()));
  for (const CompiledGroup& g : config.groups) put_str(names, g.id);
  put<uint32_t>(names, static_cast<uint32_t>(config.roles.size()));
  for (const CompiledRole& r : config.roles) put_str(names, r.id);
  put<uint32_t>(names, static_cast<uint32_t>(config.mappings.size()));
  for (const CompiledMapping& m : config.mappings) {
    const MappingView def = config.mapping_def(m);
    for (std::string_view f : {def.id, def.provider, def.claim, def.value, def.delimiter, def.group}) put_str(names, f);
    put<uint8_t>(names, static_cast<uint8_t>((m.active ? kMappingActive : 0) | kMappingDefined |
                                             static_cast<int>(def.match) << kMappingMatchShift));
  }
  const size_t user_sections = (users.size() + kUsersPerSection - 1) / kUsersPerSection;
  const std::string meta = meta_section(users.size(), config_fingerprint(config));

  size_t total = kFileHeaderBytes + (2 + user_sections) * kSectionHeaderBytes + meta.size() + names.size();
  for (const std::string& b : buffers) total += b.size();
  return write_file(total, meta, names, users.size(), [&](size_t i, std::string& payload) {
    payload.append(buffers[users[i].shard], users[i].offset, users[i].length);
  });
}

namespace {

struct Section {
  uint32_t kind, index;
  uint64_t offset;  // of the payload
  std::string_view payload;
};

// Checks the file's structure and every checksum; fills `sections`. The
// first problem found is the status; `info` (if given) gets every section
// read up to there.
Status read_sections(std::string_view bytes, std::vector<Section>* sections, SnapshotInfo* info) {
  auto refuse = [](const std::string& why) { return Status(ErrorCode::kInvalidState, "snapshot " + why); };
  if (!is_snapshot(bytes)) return refuse("has no snapshot header (wrong magic)");
  if (bytes.size() < 12) return refuse("is truncated inside its file header");
  uint32_t version;
  std::memcpy(&version, bytes.data() + 8, 4);
  if (info) info->format_version = version;
  if (version > kVersion) {
    return refuse("has format version " + std::to_string(version) + ", newer than this build reads (up to " +
                  std::to_string(kVersion) + ")");
  }
  if (version != kVersion) return refuse("has unknown format version " + std::to_string(version));
  if (bytes.size() < kFileHeaderBytes) return refuse("is truncated inside its file header");
  uint32_t count;
  uint64_t header_sum;
  std::memcpy(&count, bytes.data() + 12, 4);
  std::memcpy(&header_sum, bytes.data() + 16, 8);
  if (header_sum != xxh3(bytes.substr(0, 16))) return refuse("file header is damaged (checksum mismatch)");
  uint64_t at = kFileHeaderBytes;
  for (uint32_t s = 0; s < count; ++s) {
    if (bytes.size() - at < kSectionHeaderBytes) {
      return refuse("is truncated: section " + std::to_string(s + 1) + " of " + std::to_string(count) +
                    " has no complete header at byte " + std::to_string(at) + " (file of " +
                    std::to_string(bytes.size()) + " bytes)");
    }
    Section sec;
    uint64_t length, payload_sum, sum;
    std::memcpy(&sec.kind, bytes.data() + at, 4);
    std::memcpy(&sec.index, bytes.data() + at + 4, 4);
    std::memcpy(&length, bytes.data() + at + 8, 8);
    std::memcpy(&payload_sum, bytes.data() + at + 16, 8);
    std::memcpy(&sum, bytes.data() + at + 24, 8);
    if (sum != xxh3(bytes.substr(at, 24))) {
      return refuse("header of section " + std::to_string(s + 1) + " (byte " + std::to_string(at) +
                    ") is damaged (checksum mismatch)");
    }
    const std::string name = section_name(sec.kind, sec.index);
    sec.offset = at + kSectionHeaderBytes;
    if (bytes.size() - sec.offset < length) {
      return refuse("is truncated: section " + name + " declares " + std::to_string(length) + " bytes at byte " +
                    std::to_string(sec.offset) + ", only " + std::to_string(bytes.size() - sec.offset) + " remain");
    }
    sec.payload = bytes.substr(sec.offset, length);
    const bool ok = xxh3(sec.payload) == payload_sum;
    if (info) info->sections.push_back({name, sec.offset, length, ok});
    if (!ok) return refuse("section " + name + " is damaged (checksum mismatch)");
    sections->push_back(sec);
    at = sec.offset + length;
  }
  if (at != bytes.size()) {
    return refuse("has trailing bytes: " + std::to_string(bytes.size() - at) + " after its last section");
  }
  if (count < 2 || (*sections)[0].kind != kMeta || (*sections)[1].kind != kNames) {
    return refuse("is damaged: its sections are not meta, names, users");
  }
  return Status();
}

struct Meta {
  uint64_t users = 0, fingerprint = 0;
  uint32_t user_sections = 0;
};

Status read_meta(const std::vector<Section>& sections, Meta* meta) {
  Reader in(sections[0].payload);
  meta->users = in.get<uint64_t>();
  meta->fingerprint = in.get<uint64_t>();
  meta->user_sections = in.get<uint32_t>();
  if (!in.ok() || !in.done() || meta->user_sections + 2 != sections.size()) {
    return Status(ErrorCode::kInvalidState, "snapshot section meta is damaged: it does not describe the file");
  }
  for (size_t i = 2; i < sections.size(); ++i) {
    if (sections[i].kind != kUsers || sections[i].index != i - 2) {
      return Status(ErrorCode::kInvalidState, "snapshot is damaged: section " + std::to_string(i + 1) +
                                                  " is not users " + std::to_string(i - 1));
    }
  }
  return Status();
}

}  // namespace

Status import_snapshot(const CompiledConfig& config, std::string_view bytes, UserStore& keys, UserStore* staged,
                       StateLoadReport* report) {
  *report = StateLoadReport{};
  if (format_version_of(bytes) == 1) return import_snapshot_v1(config, bytes, keys, staged, report);
  std::vector<Section> sections;
  if (Status s = read_sections(bytes, &sections, nullptr); !s.ok()) return s;
  Meta meta;
  if (Status s = read_meta(sections, &meta); !s.ok()) return s;
  auto damaged = [](const std::string& where, const std::string& why) {
    return Status(ErrorCode::kInvalidState, "snapshot section " + where + " is damaged: " + why);
  };

  // The dictionary, resolved once under `config` by the reload rules.
  Reader names(sections[1].payload);
  std::vector<ProviderKey> provider_to;
  std::vector<bool> provider_known;
  std::vector<uint32_t> group_to, role_to, mapping_to;
  for (uint32_t n = names.get_count(4), i = 0; i < n && names.ok(); ++i) {
    const std::string_view id = names.get_str();
    provider_to.push_back(keys.provider_key(id));
    provider_known.push_back(config.provider_by_id.find(id) != config.provider_by_id.end());
  }
  for (uint32_t n = names.get_count(4), i = 0; i < n && names.ok(); ++i) {
    auto g = surviving_group(config, names.get_str());
    group_to.push_back(g ? index_of(*g) : kNoIndex);
  }
  for (uint32_t n = names.get_count(4), i = 0; i < n && names.ok(); ++i) {
    auto r = surviving_role(config, names.get_str());
    role_to.push_back(r ? index_of(*r) : kNoIndex);
  }
  for (uint32_t n = names.get_count(25), i = 0; i < n && names.ok(); ++i) {
    std::string f[6];
    for (std::string& field : f) field = names.get_str();
    const uint8_t flags = names.get<uint8_t>();
    const bool active = (flags & kMappingActive) != 0;
    MappingIdentity old{f[0], f[1], f[5]};
    const auto match = static_cast<MatchKind>((flags >> kMappingMatchShift) & 3);
    if (flags & kMappingDefined) old.claim = f[2], old.value = f[3], old.delimiter = f[4], old.match = match;
    auto m = active ? surviving_mapping(config, old) : std::nullopt;
    mapping_to.push_back(m ? index_of(*m) : kNoIndex);
  }
  if (!names.ok() || !names.done()) return damaged("names", "its dictionary does not parse");

  uint64_t loaded = 0;
  UserState user;
  for (size_t s = 2; s < sections.size(); ++s) {
    const std::string where = section_name(kUsers, sections[s].index);
    Reader in(sections[s].payload);
    while (!in.done()) {
      const uint32_t provider = in.get<uint32_t>();
      const std::string_view subject = in.get_str();
      user.last_iat = in.get<double>();
      const uint8_t flags = in.get<uint8_t>();
      user.has_iat = (flags & 1) != 0;
      user.suspended = (flags & 2) != 0;
      user.mapped.clear(), user.manual.clear(), user.direct_roles.clear();
      bool bad_index = provider >= provider_to.size();
      for (uint32_t n = in.get_count(8), i = 0; i < n && in.ok(); ++i) {
        const uint32_t g = in.get<uint32_t>(), m = in.get<uint32_t>();
        if (g >= group_to.size() || m >= mapping_to.size()) {
          bad_index = true;
          continue;
        }
        if (mapping_to[m] == kNoIndex) {
          ++report->dropped_mapped;
          continue;
        }
        const MappingId kept = static_cast<MappingId>(mapping_to[m]);
        if (group_to[g] == kNoIndex || !membership_survives(config, kept, static_cast<GroupId>(group_to[g]))) {
          ++report->dropped_mapped;
          continue;
        }
        user.mapped.push_back({static_cast<GroupId>(group_to[g]), kept});
      }
      for (uint32_t n = in.get_count(4), i = 0; i < n && in.ok(); ++i) {
        const uint32_t g = in.get<uint32_t>();
        if (g >= group_to.size()) bad_index = true;
        else if (group_to[g] == kNoIndex) ++report->dropped_manual;
        else user.manual.push_back(static_cast<GroupId>(group_to[g]));
      }
      for (uint32_t n = in.get_count(4), i = 0; i < n && in.ok(); ++i) {
        const uint32_t r = in.get<uint32_t>();
        if (r >= role_to.size()) bad_index = true;
        else if (role_to[r] == kNoIndex) ++report->dropped_direct_roles;
        else user.direct_roles.push_back(static_cast<RoleId>(role_to[r]));
      }
      if (!in.ok() || subject.empty()) return damaged(where, "a user's record does not parse");
      if (bad_index) return damaged(where, "a user refers to a name the dictionary does not have");
      // The engine's vectors are sorted and unique. Translation keeps name
      // order, so this costs a check; a hand-made file (state convert from
      // NDJSON) may list an entry twice.
      auto sort_unique = [](auto& v) {
        if (!std::is_sorted(v.begin(), v.end())) std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
      };
      sort_unique(user.mapped);
      sort_unique(user.manual);
      sort_unique(user.direct_roles);
      const bool repeated = staged->with_user(provider_to[provider], subject, [&](UserHandle& handle) {
        if (handle.exists()) return true;
        handle.save(user);
        return false;
      });
      if (repeated) return damaged(where, "user repeated");
      if (!provider_known[provider]) ++report->users_without_provider;
      ++loaded;
    }
  }
  if (loaded != meta.users) {
    return damaged("meta", "it counts " + std::to_string(meta.users) + " users, the sections hold " + std::to_string(loaded));
  }
  report->users = loaded;
  report->snapshot_config_fingerprint = meta.fingerprint;
  // 0: written by `state convert` from NDJSON, under no known config.
  report->config_changed = meta.fingerprint != 0 && meta.fingerprint != config_fingerprint(config);
  return Status();
}

Status for_each_snapshot_user(std::string_view bytes, const UserNamesFn& f) {
  if (format_version_of(bytes) == 1) return for_each_snapshot_v1_user(bytes, f);
  std::vector<Section> sections;
  if (Status s = read_sections(bytes, &sections, nullptr); !s.ok()) return s;
  Meta meta;
  if (Status s = read_meta(sections, &meta); !s.ok()) return s;
  Reader dict(sections[1].payload);
  std::vector<std::string_view> providers, groups, roles, mappings;
  for (auto* list : {&providers, &groups, &roles}) {
    for (uint32_t n = dict.get_count(4), i = 0; i < n && dict.ok(); ++i) list->push_back(dict.get_str());
  }
  for (uint32_t n = dict.get_count(25), i = 0; i < n && dict.ok(); ++i) {
    mappings.push_back(dict.get_str());
    for (int k = 0; k < 5; ++k) (void)dict.get_str();
    (void)dict.get<uint8_t>();
  }
  if (!dict.ok() || !dict.done()) {
    return Status(ErrorCode::kInvalidState, "snapshot section names is damaged: its dictionary does not parse");
  }
  UserNames names;
  for (size_t s = 2; s < sections.size(); ++s) {
    const std::string where = section_name(kUsers, sections[s].index);
    Reader in(sections[s].payload);
    for (uint64_t k = 1; !in.done(); ++k) {
      bool bad = false;
      auto name = [&](const std::vector<std::string_view>& list, uint32_t i) {
        if (i < list.size()) return list[i];
        bad = true;
        return std::string_view();
      };
      names = UserNames{};
      names.provider = name(providers, in.get<uint32_t>());
      names.subject = in.get_str();
      names.last_iat = in.get<double>();
      const uint8_t flags = in.get<uint8_t>();
      names.has_iat = (flags & 1) != 0;
      names.suspended = (flags & 2) != 0;
      for (uint32_t n = in.get_count(8), i = 0; i < n && in.ok(); ++i) {
        const std::string_view group = name(groups, in.get<uint32_t>());
        const std::string_view mapping = name(mappings, in.get<uint32_t>());
        if (names.mapped.empty() || names.mapped.back().first != group) names.mapped.emplace_back(group, std::vector<std::string_view>{});
        names.mapped.back().second.push_back(mapping);
      }
      for (uint32_t n = in.get_count(4), i = 0; i < n && in.ok(); ++i) names.manual.push_back(name(groups, in.get<uint32_t>()));
      for (uint32_t n = in.get_count(4), i = 0; i < n && in.ok(); ++i) names.direct_roles.push_back(name(roles, in.get<uint32_t>()));
      if (!in.ok() || bad || names.subject.empty()) {
        return Status(ErrorCode::kInvalidState, "snapshot section " + where + " is damaged: user " + std::to_string(k) +
                                                    " does not parse");
      }
      if (Status st = f(names, where + ", user " + std::to_string(k)); !st.ok()) return st;
    }
  }
  return Status();
}

std::string encode_snapshot_from_names(const std::vector<UserNames>& users) {
  // The dictionary of every name the users hold, each once, in first-seen order.
  std::vector<std::string_view> providers, groups, roles;
  std::vector<std::array<std::string_view, 3>> mappings;  // id, provider, group
  std::unordered_map<std::string_view, uint32_t> provider_ix, group_ix, role_ix;
  std::map<std::array<std::string_view, 3>, uint32_t> mapping_ix;
  auto index = [](auto& map, auto& list, const auto& key) {
    auto [it, added] = map.emplace(key, static_cast<uint32_t>(list.size()));
    if (added) list.push_back(key);
    return it->second;
  };
  std::vector<std::string> records(users.size());
  for (size_t u = 0; u < users.size(); ++u) {
    const UserNames& n = users[u];
    std::string& r = records[u];
    put<uint32_t>(r, index(provider_ix, providers, n.provider));
    put_str(r, n.subject);
    put<double>(r, n.last_iat);
    put<uint8_t>(r, (n.has_iat ? 1 : 0) | (n.suspended ? 2 : 0));
    uint32_t pairs = 0;
    for (const auto& [group, ids] : n.mapped) pairs += static_cast<uint32_t>(ids.size());
    put<uint32_t>(r, pairs);
    for (const auto& [group, ids] : n.mapped) {
      const uint32_t g = index(group_ix, groups, group);
      for (std::string_view id : ids) {
        put<uint32_t>(r, g);
        put<uint32_t>(r, index(mapping_ix, mappings, std::array<std::string_view, 3>{id, n.provider, group}));
      }
    }
    put<uint32_t>(r, static_cast<uint32_t>(n.manual.size()));
    for (std::string_view g : n.manual) put<uint32_t>(r, index(group_ix, groups, g));
    put<uint32_t>(r, static_cast<uint32_t>(n.direct_roles.size()));
    for (std::string_view role : n.direct_roles) put<uint32_t>(r, index(role_ix, roles, role));
  }
  std::string names;
  for (const auto* list : {&providers, &groups, &roles}) {
    put<uint32_t>(names, static_cast<uint32_t>(list->size()));
    for (std::string_view s : *list) put_str(names, s);
  }
  put<uint32_t>(names, static_cast<uint32_t>(mappings.size()));
  for (const auto& m : mappings) {
    put_str(names, m[0]), put_str(names, m[1]), put_str(names, ""), put_str(names, ""), put_str(names, "");
    put_str(names, m[2]);
    put<uint8_t>(names, kMappingActive);  // the definition is not known: only id, provider, group
  }
  size_t total = names.size() + 64;
  for (const std::string& r : records) total += r.size();
  return write_file(total, meta_section(users.size(), 0), names, users.size(),
                    [&](size_t i, std::string& payload) { payload.append(records[i]); });
}

SnapshotInfo inspect_snapshot(std::string_view bytes) {
  SnapshotInfo info;
  std::vector<Section> sections;
  info.damage = read_sections(bytes, &sections, &info);
  if (format_version_of(bytes) == 1) {
    info.damage = Status(ErrorCode::kInvalidState, "format version 1: no sections to inspect (it still loads)");
    return info;
  }
  if (!info.damage.ok()) return info;
  Meta meta;
  info.damage = read_meta(sections, &meta);
  info.users = meta.users;
  info.config_fingerprint = meta.fingerprint;
  return info;
}

}  // namespace claimmap
