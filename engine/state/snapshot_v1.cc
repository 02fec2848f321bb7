// Format version 1 of the snapshot (one payload, a hand-written checksum):
// written by ClaimMap before snapshot format 2, still read.
#include "engine/state/snapshot.h"

#include <cstring>

#include "engine/common/hash.h"
#include "engine/state/snapshot_format.h"
#include "engine/state/state_io.h"

namespace claimmap {

using namespace snapshot_format;

namespace {

constexpr uint32_t kVersionV1 = 1;
constexpr size_t kHeaderBytesV1 = 32;

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

Status snapshot_format::for_each_snapshot_v1_user(std::string_view bytes, const UserNamesFn& f) {
  auto damaged = [](const std::string& why) { return Status(ErrorCode::kInvalidState, "snapshot " + why); };
  if (!is_snapshot(bytes)) return damaged("has no snapshot header");
  if (bytes.size() < kHeaderBytesV1) return damaged("is truncated inside its header");
  Reader header(bytes.substr(sizeof(kMagic), kHeaderBytesV1 - sizeof(kMagic)));
  const uint32_t version = header.get<uint32_t>();
  (void)header.get<uint32_t>();
  const uint64_t count = header.get<uint64_t>();
  const uint64_t size = header.get<uint64_t>();
  if (version != kVersionV1) {
    return damaged("has format version " + std::to_string(version) + "; this build reads version " +
                   std::to_string(kVersionV1));
  }
  if (bytes.size() - kHeaderBytesV1 < size || bytes.size() - kHeaderBytesV1 - size != sizeof(uint64_t)) {
    return damaged("is truncated or has trailing bytes: " + std::to_string(bytes.size()) + " bytes, the header says " +
                   std::to_string(kHeaderBytesV1 + size + sizeof(uint64_t)));
  }
  const std::string_view payload = bytes.substr(kHeaderBytesV1, size);
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + kHeaderBytesV1 + size, sizeof stored);
  if (stored != checksum64(payload)) return damaged("is damaged: its checksum does not match its contents");

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
    if (Status s = f(names, where); !s.ok()) return s;
  }
  if (!in.done()) return damaged("is damaged: bytes after its last user");
  return Status();
}

Status snapshot_format::import_snapshot_v1(const CompiledConfig& config, std::string_view bytes, UserStore& keys,
                                           UserStore* staged, StateLoadReport* report) {
  UserLoader loader(config, keys, report);
  Status s = for_each_snapshot_v1_user(bytes, [&](const UserNames& names, const std::string& where) {
    return loader.add(names, where);
  });
  if (!s.ok()) return s;
  loader.commit(staged);
  return Status();
}

}  // namespace claimmap
