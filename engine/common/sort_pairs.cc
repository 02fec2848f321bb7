#include "engine/common/sort_pairs.h"

#include <algorithm>

#include "engine/common/set_bits.h"

namespace claimmap {

// Sorts (group, mapping) pairs. A token that maps many groups (Entra puts up
// to 200 in a token, and one department value can map dozens) is sorted by
// counting, with the groups marked in a bitmap and read back in order: no
// comparison branch per pair, whose outcome would be a coin flip (nor a
// loop exit per word of the bitmap: put_set_bits). Pairs of
// one group (two mappings) are then put in mapping order by an insertion
// pass that is nearly always a no-op. Few pairs, or groups spread over a
// range far wider than the pairs, are sorted as one 64-bit key each.
void sort_mapped_pairs(std::vector<MappedPair>& pairs, size_t group_count) {
  const size_t n = pairs.size();
  if (n < 2 || std::is_sorted(pairs.begin(), pairs.end())) return;
  uint32_t low = UINT32_MAX, high = 0;
  for (const MappedPair& p : pairs) {
    low = std::min(low, index_of(p.group));
    high = std::max(high, index_of(p.group));
  }
  const size_t first_word = low / 64, words = high / 64 - first_word + 1;
  if (n < 16 || words > 2 * n) {
    thread_local std::vector<uint64_t> keys;
    keys.resize(n);
    for (size_t i = 0; i < n; ++i) keys[i] = uint64_t{index_of(pairs[i].group)} << 32 | index_of(pairs[i].mapping);
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
  auto key = [](const MappedPair& p) { return uint64_t{index_of(p.group)} << 32 | index_of(p.mapping); };
  for (size_t i = 1; i < n; ++i) {
    if (key(sorted[i]) < key(sorted[i - 1])) [[unlikely]] {
      for (size_t k = i; k > 0 && key(sorted[k]) < key(sorted[k - 1]); --k) std::swap(sorted[k], sorted[k - 1]);
    }
  }
  pairs.swap(sorted);
}

}  // namespace claimmap
