// Restarts a batch command once with glibc's malloc told to back its heaps
// with transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1).
//
// Why: a large config or state is hundreds of megabytes written once, and
// on a virtual machine each 4 KiB page's first touch is a fault into the
// kernel, which zeroes it: a third of a 1M-mapping `validate` was page
// faults. The engine already advises its largest buffers
// (engine/common/huge_pages.h), but the rest — the model's strings, the
// sort's keys, every vector that grows — comes from malloc, and glibc reads
// its tunables only when a process starts: the setting cannot be made from
// inside. Measured on `validate` of the 1M-mapping config: 2.38 s before,
// 1.72 s after (medians of 9 rounds); a heavy storm's `eval` ~10% faster
// (benchmarks/README.md, "Sixth round").
//
// Not for `serve` and `worker`: they run for days, and a huge-page fault
// may stop to compact memory (the kernel's default `defrag=madvise`) while
// a login waits. Not under a sanitizer (its allocator is not glibc's).
// CLAIMMAP_MALLOC_HUGEPAGES=0 turns it off; the restart sets it to 1, which
// also keeps it from happening twice. The process keeps its id, its name,
// its open files and its arguments: exec replaces only the image.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "cli/command.h"

namespace claimmap::cli {
namespace {

constexpr const char* kSwitch = "CLAIMMAP_MALLOC_HUGEPAGES";
constexpr const char* kTunable = "glibc.malloc.hugetlb=1";

bool under_sanitizer() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

// Transparent huge pages can be had: "always" or "madvise" (what glibc's
// tunable asks for), not "never".
bool huge_pages_available() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  return std::getline(in, line) && line.find("[never]") == std::string::npos;
}

bool long_running(int argc, char** argv) {
  return argc > 1 && (std::strcmp(argv[1], "serve") == 0 || std::strcmp(argv[1], "worker") == 0);
}

}  // namespace

void restart_with_huge_page_malloc(int argc, char** argv) {
  if (std::getenv(kSwitch) != nullptr || under_sanitizer() || long_running(argc, argv) || !huge_pages_available()) {
    return;
  }
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.hugetlb=") != nullptr) return;  // the caller chose
  const std::string before = tunables != nullptr ? tunables : "";
  const std::string after = before.empty() ? kTunable : before + ":" + kTunable;
  if (setenv(kSwitch, "1", 1) != 0 || setenv("GLIBC_TUNABLES", after.c_str(), 1) != 0) return;
  // The binary's own path, not /proc/self/exe: the process's name (ps,
  // pgrep, top) comes from the path exec is given.
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    std::fflush(nullptr);
    execv(self, argv);
  }
  // No /proc, or the binary is gone: run as we are, with the environment as it was.
  unsetenv(kSwitch);
  if (tunables != nullptr) {
    setenv("GLIBC_TUNABLES", before.c_str(), 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
}

}  // namespace claimmap::cli
