// Sorting a login's or a state line's (group, mapping) pairs: the matcher
// sorts what a token maps, a state load what a line lists.
// Thread-safe: its scratch is thread_local.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/common/ids.h"

namespace claimmap {

// Sorts `pairs` by group, then mapping; `group_count` bounds the groups'
// indices (the config's group count). Nearly free when already sorted.
void sort_mapped_pairs(std::vector<MappedPair>& pairs, size_t group_count);

}  // namespace claimmap
