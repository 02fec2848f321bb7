// The bytes of a snapshot (engine/state/snapshot.h): its magic, and the
// little-endian writer and bounds-checked reader both format versions use.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "claimmap/state.h"
#include "claimmap/status.h"
#include "engine/config/compiled_config.h"
#include "engine/state/state_io.h"
#include "engine/state/user_store.h"

namespace claimmap::snapshot_format {

inline constexpr char kMagic[8] = {'C', 'L', 'M', 'S', 'N', 'A', 'P', '\0'};

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // the build targets little-endian x86-64
  out.append(bytes, sizeof(T));
}
inline void put_str(std::string& out, std::string_view s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads a payload front to back; any read past its end marks it damaged.
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

using UserNamesFn = std::function<Status(const UserNames&, const std::string&)>;

// Format version 1 (engine/state/snapshot_v1.cc), still read.
Status for_each_snapshot_v1_user(std::string_view bytes, const UserNamesFn& f);
Status import_snapshot_v1(const CompiledConfig& config, std::string_view bytes, UserStore& keys, UserStore* staged,
                          StateLoadReport* report);

}  // namespace claimmap::snapshot_format
