#include "engine/common/hash.h"

#include <chrono>
#include <random>

namespace claimmap::hash_internal {

uint64_t process_seed() {
  std::random_device device;
  const uint64_t r = (static_cast<uint64_t>(device()) << 32) ^ device();
  return r ^ static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace claimmap::hash_internal
