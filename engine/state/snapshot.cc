#include "engine/state/snapshot.h"

#include <cstring>

#include "engine/common/hash.h"
#include "engine/state/state_io.h"

namespace claimmap {

namespace {

constexpr char kMagic[8] = {'C', 'L', 'M', 'S', 'N', 'A', 'P', '\0'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 32;

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // the build targets little-endian x86-64
  out.append(bytes, sizeof(T));
}
void put_str(std::string& out, std::string_view s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads the payload front to back; any read past its end marks it damaged.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  template <typename T>
  T get() {
    T value{};
    if (rest_.size() < sizeof(T)) {
      ok_ = false;
      return value;
    }
    std::memcpy(&value, rest_.data(), sizeof(T));
    rest_.remove_prefix(sizeof(T));
    return value;
  }
  std::string_view get_str() {
    const uint32_t n = get<uint32_t>();
    if (!ok_ || rest_.size() < n) {
      ok_ = false;
      return {};
    }
    std::string_view s = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return s;
  }
  // A count of items each at least `min_bytes` long must fit in what is left,
  // so a damaged count cannot make the loader reserve absurd memory.
  uint32_t get_count(size_t min_bytes) {
    const uint32_t n = get<uint32_t>();
    if (ok_ && static_cast<uint64_t>(n) * min_bytes > rest_.size()) ok_ = false;
    return ok_ ? n : 0;
  }
  bool ok() const { return ok_; }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace

uint64_t checksum64(std::string_view bytes) {
  using hash_internal::load64;
  using hash_internal::mix;
  uint64_t h = 0x243f6a8885a308d3ull ^ bytes.size();
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) h = mix(h ^ load64(bytes.data() + i), 0x9e3779b97f4a7c15ull);
  uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  return mix(h ^ tail, 0xbf58476d1ce4e5b9ull);
}

bool is_snapshot(std::string_view bytes) {
  return bytes.size() >= sizeof(kMagic) && std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) == 0;
}

std::string encode_snapshot(const CompiledConfig& config, const UserStore& store) {
  ProviderNames provider_names(store);
  const auto users = sorted_by_name(store);
  std::string payload;
  for (const auto& [key, user] : users) {
    put_str(payload, provider_names(key.provider));
    put_str(payload, key.subject);
    put<double>(payload, user.last_iat);
    put<uint8_t>(payload, (user.has_iat ? 1 : 0) | (user.suspended ? 2 : 0));
    uint32_t groups = 0;
    for (size_t i = 0; i < user.mapped.size(); ++i) groups += i == 0 || user.mapped[i - 1].group != user.mapped[i].group;
    put<uint32_t>(payload, groups);
    for (size_t i = 0; i < user.mapped.size();) {
      size_t j = i;
      while (j < user.mapped.size() && user.mapped[j].group == user.mapped[i].group) ++j;
      put_str(payload, config.group(user.mapped[i].group).id);
      put<uint32_t>(payload, static_cast<uint32_t>(j - i));
      for (size_t k = i; k < j; ++k) put_str(payload, config.mapping(user.mapped[k].mapping).def.id);
      i = j;
    }
    put<uint32_t>(payload, static_cast<uint32_t>(user.manual.size()));
    for (GroupId g : user.manual) put_str(payload, config.group(g).id);
    put<uint32_t>(payload, static_cast<uint32_t>(user.direct_roles.size()));
    for (RoleId r : user.direct_roles) put_str(payload, config.role(r).id);
  }
  std::string out(kMagic, sizeof(kMagic));
  put<uint32_t>(out, kVersion);
  put<uint32_t>(out, 0);
  put<uint64_t>(out, users.size());
  put<uint64_t>(out, payload.size());
  out += payload;
  put<uint64_t>(out, checksum64(payload));
  return out;
}

Status import_snapshot(const CompiledConfig& config, std::string_view bytes, UserStore& keys, UserStore* staged,
                       StateLoadReport* report) {
  *report = StateLoadReport{};
  auto damaged = [](const std::string& why) { return Status(ErrorCode::kInvalidState, "snapshot " + why); };
  if (!is_snapshot(bytes)) return damaged("has no snapshot header");
  if (bytes.size() < kHeaderBytes) return damaged("is truncated inside its header");
  Reader header(bytes.substr(sizeof(kMagic), kHeaderBytes - sizeof(kMagic)));
  const uint32_t version = header.get<uint32_t>();
  (void)header.get<uint32_t>();
  const uint64_t count = header.get<uint64_t>();
  const uint64_t size = header.get<uint64_t>();
  if (version != kVersion) {
    return damaged("has format version " + std::to_string(version) + "; this build reads version " +
                   std::to_string(kVersion));
  }
  if (bytes.size() - kHeaderBytes < size || bytes.size() - kHeaderBytes - size != sizeof(uint64_t)) {
    return damaged("is truncated or has trailing bytes: " + std::to_string(bytes.size()) + " bytes, the header says " +
                   std::to_string(kHeaderBytes + size + sizeof(uint64_t)));
  }
  const std::string_view payload = bytes.substr(kHeaderBytes, size);
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + kHeaderBytes + size, sizeof stored);
  if (stored != checksum64(payload)) return damaged("is damaged: its checksum does not match its contents");

  UserLoader loader(config, keys, report);
  Reader in(payload);
  for (uint64_t i = 0; i < count; ++i) {
    const std::string where = "snapshot user " + std::to_string(i + 1);
    UserNames names;
    names.provider = in.get_str();
    names.subject = in.get_str();
    names.last_iat = in.get<double>();
    const uint8_t flags = in.get<uint8_t>();
    names.has_iat = (flags & 1) != 0;
    names.suspended = (flags & 2) != 0;
    const uint32_t groups = in.get_count(8);
    for (uint32_t g = 0; g < groups && in.ok(); ++g) {
      std::string_view group = in.get_str();
      const uint32_t n = in.get_count(4);
      std::vector<std::string_view> mappings;
      for (uint32_t k = 0; k < n && in.ok(); ++k) mappings.push_back(in.get_str());
      names.mapped.emplace_back(group, std::move(mappings));
    }
    for (auto* list : {&names.manual, &names.direct_roles}) {
      const uint32_t n = in.get_count(4);
      for (uint32_t k = 0; k < n && in.ok(); ++k) list->push_back(in.get_str());
    }
    if (!in.ok() || names.provider.empty() || names.subject.empty()) return damaged("is damaged at user " + std::to_string(i + 1));
    if (Status s = loader.add(names, where); !s.ok()) return s;
  }
  if (!in.done()) return damaged("is damaged: bytes after its last user");
  loader.commit(staged);
  return Status();
}

}  // namespace claimmap
