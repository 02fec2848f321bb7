#include "engine/common/sort_pairs.h"

#include <algorithm>

#include "engine/common/set_bits.h"

namespace claimmap {

namespace {
// Pairs up to which sort_mapped_pairs places each by its rank.
constexpr size_t kRankSortMax = 16;
}  // namespace

// Sorts (group, mapping) pairs, each compared as one 64-bit key.
//  - What a typical login maps (about ten pairs, fewer than kRankSortMax) is
//    placed by rank: a pair's place is the number of pairs before it in
//    order, counted without a branch. An insertion sort of ten keys in
//    random order ends each insertion on a compare as unpredictable as a
//    coin; the ranks' n² compares cost less (Okta `eval`, one thread:
//    +4.7%, 15 alternating rounds; benchmarks/README.md).
//  - A token that maps many groups (Entra puts up to 200 in a token, and one
//    department value can map dozens) is sorted by counting, with the groups
//    marked in a bitmap and read back in order: no comparison branch per
//    pair, whose outcome would be a coin flip (nor a loop exit per word of
//    the bitmap: put_set_bits). Pairs of one group (two mappings) are then
//    put in mapping order by an insertion pass that is nearly always a no-op.
//  - Groups spread over a range far wider than the pairs: std::sort.
void sort_mapped_pairs(std::vector<MappedPair>& pairs, size_t group_count) {
  const size_t n = pairs.size();
  if (n < 2 || std::is_sorted(pairs.begin(), pairs.end())) return;
  auto key = [](const MappedPair& p) { return uint64_t{index_of(p.group)} << 32 | index_of(p.mapping); };
  if (n < kRankSortMax) {
    uint64_t keys[kRankSortMax];
    MappedPair placed[kRankSortMax];
    for (size_t i = 0; i < n; ++i) keys[i] = key(pairs[i]);
    for (size_t i = 0; i < n; ++i) {
      // Equal keys (a value given twice) rank in input order: the ranks are
      // a permutation, and every repeat is kept.
      const uint64_t k = keys[i];
      size_t rank = 0;
      for (size_t j = 0; j < i; ++j) rank += keys[j] <= k;
      for (size_t j = i + 1; j < n; ++j) rank += keys[j] < k;
      placed[rank] = pairs[i];
    }
    std::copy(placed, placed + n, pairs.begin());
    return;
  }
  uint32_t low = UINT32_MAX, high = 0;
  for (const MappedPair& p : pairs) {
    low = std::min(low, index_of(p.group));
    high = std::max(high, index_of(p.group));
  }
  const size_t first_word = low / 64, words = high / 64 - first_word + 1;
  if (words > 2 * n) {
    thread_local std::vector<uint64_t> keys;
    keys.resize(n);
    for (size_t i = 0; i < n; ++i) keys[i] = key(pairs[i]);
    std::sort(keys.begin(), keys.end());
    for (size_t i = 0; i < n; ++i) {
      pairs[i] = {GroupId{static_cast<uint32_t>(keys[i] >> 32)}, MappingId{static_cast<uint32_t>(keys[i])}};
    }
    return;
  }
  // Zero between calls: every bit and count set here is cleared below.
  thread_local std::vector<uint64_t> bits;
  thread_local std::vector<uint32_t> at;  // by group: its count, then where its next pair goes
  thread_local std::vector<MappedPair> sorted;
  if (bits.size() < (group_count + 63) / 64) bits.resize((group_count + 63) / 64, 0);
  if (at.size() < group_count) at.resize(group_count, 0);
  uint64_t* const word = bits.data() + first_word;
  for (const MappedPair& p : pairs) {
    const uint32_t g = index_of(p.group) - static_cast<uint32_t>(first_word * 64);
    word[g / 64] |= uint64_t{1} << (g % 64);
    ++at[index_of(p.group)];
  }
  // The groups, in order, then each one's first place.
  thread_local std::vector<uint32_t> groups;
  if (groups.size() < n + kSetBitsSlack) groups.resize(n + kSetBitsSlack);
  uint32_t* groups_end = groups.data();
  for (size_t w = 0; w < words; ++w) {
    groups_end = put_set_bits(groups_end, static_cast<uint32_t>((first_word + w) * 64), word[w]);
    word[w] = 0;
  }
  uint32_t offset = 0;
  for (const uint32_t* g = groups.data(); g != groups_end; ++g) {
    const uint32_t count = at[*g];
    at[*g] = offset;
    offset += count;
  }
  sorted.resize(n);
  for (const MappedPair& p : pairs) sorted[at[index_of(p.group)]++] = p;
  for (const uint32_t* g = groups.data(); g != groups_end; ++g) at[*g] = 0;
  // Within a group, by mapping: pairs compared as one 64-bit key each, where
  // the pair's operator< branches on its groups first.
  for (size_t i = 1; i < n; ++i) {
    if (key(sorted[i]) < key(sorted[i - 1])) [[unlikely]] {
      for (size_t k = i; k > 0 && key(sorted[k]) < key(sorted[k - 1]); --k) std::swap(sorted[k], sorted[k - 1]);
    }
  }
  pairs.swap(sorted);
}

}  // namespace claimmap
