// support/progress_bar.h — a progress bar on stderr, for people at a terminal
// (`claimmap eval` over a file, `claimmap simulate`).
//
// Shown only when stderr is a terminal: CI logs get no carriage-return noise.
// A background thread redraws the bar five times a second from a counter the
// workers bump; stop() (or the destructor) erases it. One bar at a time.
//
// Ownership and thread-safety: the counters are the caller's and must outlive
// the bar; any thread may bump them (they are read with relaxed loads).
// Construct, stop() and destroy the bar from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace claimmap::support {

// Whether stderr is a terminal.
bool stderr_is_terminal();

// How the bar shows its numbers: plain counts (the simulator's events), or
// bytes of input with, if given, the events per second done and the time left
// (`claimmap eval` over a file).
struct ProgressStyle {
  bool bytes = false;
  const std::atomic<uint64_t>* events = nullptr;
};

class ProgressBar {
 public:
  // Draws `label` with `done` out of `total` until stop(); does nothing at
  // all when `enabled` is false.
  ProgressBar(bool enabled, std::string label, uint64_t total, const std::atomic<uint64_t>* done,
              ProgressStyle style = {});
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  void stop();

 private:
  void draw(double seconds) const;

  std::string label_;
  uint64_t total_;
  const std::atomic<uint64_t>* done_;
  ProgressStyle style_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace claimmap::support
