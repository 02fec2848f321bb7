// Engine::subjects: the subjects of one provider's users, for a caller that
// pages through them (the SCIM server's GET /Users, docs/spec.md §13). A
// walk over the keys only, a shard at a time, at the current version.
#include <algorithm>

#include "claimmap/engine.h"
#include "engine/api/engine_impl.h"

namespace claimmap {

std::vector<std::string> Engine::subjects(std::string_view provider) const {
  std::vector<std::string> out;
  const Impl& impl = *impl_;
  // Every shard is walked at the same version: the key is looked up once.
  bool looked_up = false;
  bool known = false;
  ProviderKey key{};
  impl.for_each_current_shard([&](const ConfigVersion& v, LockedShard& shard) {
    if (!looked_up) known = impl.provider_key(v, provider, &key), looked_up = true;
    if (!known) return;  // no config ever had it: no users
    shard.for_each_user([&](ProviderKey k, std::string_view subject, UserHandle&) {
      if (k == key) out.emplace_back(subject);
    });
  });
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace claimmap
