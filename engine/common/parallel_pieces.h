// Runs f(0) … f(n - 1) on as many threads as the caller's TBB arena allows
// (`tbb::this_task_arena::max_concurrency()`: all cores by default, N inside
// `eval --threads N`'s arena), the calling thread included; each thread takes
// the next piece from an atomic counter, so uneven pieces even out. For
// loading large files (engine/common/file_io.cc, engine/state/state_io.cc).
//
// Plain std::threads rather than tbb::parallel_for: the pieces are few and
// large (MBs), so starting a thread costs nothing beside one, and
// ThreadSanitizer (`make tsan`) sees every hand-over — Debian's libtbb is not
// instrumented, so its partitioner's hand-overs read as races and would have
// to be suppressed along with any real race in the bodies.
//
// Returns once every piece is done. f must not throw.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include <tbb/task_arena.h>

namespace claimmap {

// for_each_piece (below), with scratch of each thread's own: a `State`
// default-constructed once a thread and passed to f(state, i) for every piece
// that thread takes, so buffers are reused from piece to piece.
template <typename State, typename F>
void for_each_piece_with(size_t n, F&& f) {
  const size_t threads = std::min<size_t>(n, static_cast<size_t>(std::max(1, tbb::this_task_arena::max_concurrency())));
  std::atomic<size_t> next{0};
  auto work = [&] {
    State state;
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) f(state, i);
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& t : helpers) t.join();
}

// f(i) for each piece: the description at the top of this file.
template <typename F>
void for_each_piece(size_t n, F&& f) {
  struct NoScratch {};
  for_each_piece_with<NoScratch>(n, [&f](NoScratch&, size_t i) { f(i); });
}

}  // namespace claimmap
