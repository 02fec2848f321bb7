// Hash maps keyed by std::string that can be searched with a std::string_view
// without building a string (heterogeneous lookup, C++20): the hot path looks
// names up straight from the parser's buffer and never allocates for it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace claimmap {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

}  // namespace claimmap
