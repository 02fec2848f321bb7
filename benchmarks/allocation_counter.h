// Counts heap allocations in the benchmark binary (allocation_counter.cc
// replaces the global operator new), so a benchmark can report allocations
// per event of its timed loop.
#pragma once

#include <cstddef>

namespace claimmap::bench {

size_t allocations();  // since the process started, all threads

}  // namespace claimmap::bench
