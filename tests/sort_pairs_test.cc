// engine/common/sort_pairs.h: a login's (group, mapping) pairs sorted by
// group, then mapping — through each of its paths (few pairs, groups spread
// wide, groups dense), repeats kept, against std::sort.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "engine/common/sort_pairs.h"

namespace claimmap {
namespace {

std::vector<MappedPair> random_pairs(std::mt19937_64& rng, size_t n, uint32_t groups, uint32_t mappings) {
  std::vector<MappedPair> pairs(n);
  for (MappedPair& p : pairs) {
    p = {GroupId{static_cast<uint32_t>(rng() % groups)}, MappingId{static_cast<uint32_t>(rng() % mappings)}};
  }
  return pairs;
}

void expect_sorted_like_std(std::vector<MappedPair> pairs, size_t group_count) {
  std::vector<MappedPair> want = pairs;
  std::sort(want.begin(), want.end());
  sort_mapped_pairs(pairs, group_count);
  ASSERT_EQ(pairs.size(), want.size());
  EXPECT_TRUE(pairs == want);
}

TEST(SortMappedPairs, EverySizeAndSpreadAgreesWithStdSort) {
  std::mt19937_64 rng(7);
  // Few groups (repeats of one pair are common), a dense range (the counting
  // path), a range far wider than the pairs (the one-key sort).
  const uint32_t group_counts[] = {1, 3, 64, 2500, 1000000};
  for (uint32_t groups : group_counts) {
    for (size_t n = 0; n <= 300; n += n < 40 ? 1 : 13) {
      for (int round = 0; round < 3; ++round) {
        SCOPED_TRACE(testing::Message() << "groups " << groups << ", pairs " << n);
        expect_sorted_like_std(random_pairs(rng, n, groups, 4), groups);
      }
    }
  }
}

TEST(SortMappedPairs, RepeatedPairsAreKeptEachTime) {
  // A value given twice grants its pairs twice: the matcher removes repeats
  // after the sort, which must keep every one of them next to the other.
  std::vector<MappedPair> pairs = {{GroupId{5}, MappingId{1}}, {GroupId{2}, MappingId{9}},
                                   {GroupId{5}, MappingId{1}}, {GroupId{2}, MappingId{3}},
                                   {GroupId{5}, MappingId{0}}, {GroupId{2}, MappingId{9}}};
  sort_mapped_pairs(pairs, 8);
  const std::vector<MappedPair> want = {{GroupId{2}, MappingId{3}}, {GroupId{2}, MappingId{9}},
                                        {GroupId{2}, MappingId{9}}, {GroupId{5}, MappingId{0}},
                                        {GroupId{5}, MappingId{1}}, {GroupId{5}, MappingId{1}}};
  EXPECT_TRUE(pairs == want);
}

TEST(SortMappedPairs, SortedAndReversedInputs) {
  for (size_t n : {2, 15, 16, 17, 200}) {
    std::vector<MappedPair> pairs;
    for (size_t i = 0; i < n; ++i) pairs.push_back({GroupId{static_cast<uint32_t>(i / 2)}, MappingId{static_cast<uint32_t>(i)}});
    expect_sorted_like_std(pairs, n);
    std::reverse(pairs.begin(), pairs.end());
    expect_sorted_like_std(pairs, n);
  }
}

TEST(SortMappedPairs, TheHighestGroupAndMappingIndices) {
  // Both paths that compare a pair as one 64-bit key (few pairs: by rank;
  // many over a wide range: std::sort) must keep its top bits.
  const uint32_t top = 0xffffffffu;
  std::vector<MappedPair> pairs = {{GroupId{top - 1}, MappingId{top}}, {GroupId{0}, MappingId{top}},
                                   {GroupId{top - 1}, MappingId{0}}, {GroupId{0}, MappingId{0}}};
  sort_mapped_pairs(pairs, size_t{top});
  const std::vector<MappedPair> want = {{GroupId{0}, MappingId{0}}, {GroupId{0}, MappingId{top}},
                                        {GroupId{top - 1}, MappingId{0}}, {GroupId{top - 1}, MappingId{top}}};
  EXPECT_TRUE(pairs == want);
  std::vector<MappedPair> many;
  for (uint32_t i = 0; i < 20; ++i) {
    many.push_back({GroupId{i % 2 == 0 ? top - 1 - i : i}, MappingId{top - i}});
  }
  expect_sorted_like_std(many, size_t{top});
}

}  // namespace
}  // namespace claimmap
