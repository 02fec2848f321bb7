#include "support/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace claimmap::support {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(bool enabled, std::string label, uint64_t total, const std::atomic<uint64_t>* done,
                         ProgressStyle style)
    : label_(std::move(label)), total_(total), done_(done), style_(style) {
  if (!enabled || total_ == 0) return;
  thread_ = std::thread([this] {
    const auto started = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; })) {
      draw(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  });
}

ProgressBar::~ProgressBar() { stop(); }

void ProgressBar::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ProgressBar::draw(double seconds) const {
  constexpr int kWidth = 30;
  const uint64_t done = std::min(done_->load(std::memory_order_relaxed), total_);
  const double share = static_cast<double>(done) / static_cast<double>(total_);
  char bar[kWidth + 1];
  const int filled = static_cast<int>(share * kWidth);
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '-';
  bar[kWidth] = '\0';
  if (!style_.bytes) {
    std::fprintf(stderr, "\r\033[K%s [%s] %3.0f%%  %llu/%llu  %.1f s", label_.c_str(), bar, share * 100,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_), seconds);
  } else {
    // Time left at the byte rate so far.
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    const double left = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
    char events[48] = "";
    if (style_.events != nullptr && seconds > 0) {
      std::snprintf(events, sizeof events, "  %.0fk events/s",
                    static_cast<double>(style_.events->load(std::memory_order_relaxed)) / seconds / 1e3);
    }
    std::fprintf(stderr, "\r\033[K%s [%s] %3.0f%%  %.1f/%.1f MB%s  %.1f s left", label_.c_str(), bar, share * 100,
                 static_cast<double>(done) / 1e6, static_cast<double>(total_) / 1e6, events, left);
  }
  std::fflush(stderr);
}

}  // namespace claimmap::support
