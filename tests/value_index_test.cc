// engine/common/value_index.h: the claim value tables' index — every key
// found with its range, absent keys missed, the limits of a slot refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "engine/common/value_index.h"

namespace claimmap::testing {
namespace {

using Entries = std::vector<std::pair<std::string_view, ValueIndex::Range>>;

// Keys back to back in one text, as the compiler lays mapping values out.
struct Keys {
  std::string text;
  std::vector<std::pair<size_t, size_t>> at;  // offset, size
  void add(const std::string& key) {
    at.emplace_back(text.size(), key.size());
    text += key;
  }
  Entries entries() const {
    Entries e;
    for (size_t i = 0; i < at.size(); ++i) {
      e.emplace_back(std::string_view(text).substr(at[i].first, at[i].second),
                     ValueIndex::Range{static_cast<uint32_t>(3 * i), static_cast<uint32_t>(i % 5 + 1)});
    }
    return e;
  }
};

TEST(ValueIndex, FindsEveryKeyWithItsRangeAndMissesTheRest) {
  for (size_t n : {1, 2, 7, 100, 1000, 33333, 70000}) {  // sizes that are not powers of two; small and large
    Keys keys;
    keys.text.reserve(n * 12);
    for (size_t i = 0; i < n; ++i) keys.add("Sales-" + std::to_string(i));
    ValueIndex index;
    ASSERT_TRUE(index.build(keys.text, keys.entries()));
    EXPECT_EQ(index.size(), n);
    EXPECT_EQ(index.memory_bytes(), std::max<size_t>(8, n < (1 << 16) ? 4 * n : 2 * n) * 16);
    for (size_t i = 0; i < n; ++i) {
      ValueIndex::Range r{};
      ASSERT_TRUE(index.find("Sales-" + std::to_string(i), &r)) << i;
      EXPECT_EQ(r.begin, 3 * i);
      EXPECT_EQ(r.count, i % 5 + 1);
    }
    ValueIndex::Range r{};
    EXPECT_FALSE(index.find("Sales-" + std::to_string(n), &r));
    EXPECT_FALSE(index.find("sales-0", &r));     // case matters
    EXPECT_FALSE(index.find("Sales-0 ", &r));    // so does a trailing space
    EXPECT_FALSE(index.find("", &r));
  }
}

TEST(ValueIndex, AnEmptyIndexFindsNothing) {
  ValueIndex index;
  ValueIndex::Range r{};
  EXPECT_FALSE(index.find("x", &r));
  ASSERT_TRUE(index.build("", {}));
  EXPECT_FALSE(index.find("x", &r));
  EXPECT_EQ(index.memory_bytes(), 0u);
}

TEST(ValueIndex, RefusesWhatASlotCannotHold) {
  const std::string text = std::string(ValueIndex::kMaxKeySize + 1, 'a');
  ValueIndex index;
  EXPECT_FALSE(index.build(text, {{std::string_view(text), {0, 1}}}));  // a key too long
  EXPECT_TRUE(index.build(text, {{std::string_view(text).substr(1), {0, 1}}}));
  EXPECT_FALSE(index.build(text, {{std::string_view(text).substr(0, 3), {0, ValueIndex::kMaxCount + 1}}}));
  EXPECT_TRUE(index.build(text, {{std::string_view(text).substr(0, 3), {0, ValueIndex::kMaxCount}}}));
  ValueIndex::Range r{};
  ASSERT_TRUE(index.find("aaa", &r));
  EXPECT_EQ(r.count, ValueIndex::kMaxCount);
}

}  // namespace
}  // namespace claimmap::testing
