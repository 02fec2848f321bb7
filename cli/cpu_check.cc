// Refuses to start on a CPU older than the build's instruction set, with a
// message, instead of dying of SIGILL at the first newer instruction
// (docs/install.md). Compiled for plain x86-64 (CMakeLists.txt), and run as
// a constructor of high priority: before main and before the constructors of
// everything else in the binary, which may already use the newer
// instructions.
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

struct Feature {
  const char* name;
  bool present;
};

__attribute__((constructor(101))) void check_cpu() {
  __builtin_cpu_init();
  const char* march = CLAIMMAP_MARCH;
  if (std::strcmp(march, "native") == 0) return;  // built here, for here: nothing to compare with
  // x86-64-v2: what every level from v2 up requires; v3 adds AVX2, FMA,
  // BMI1/2, MOVBE; v4 AVX-512.
  const bool v3 = std::strcmp(march, "x86-64-v3") == 0 || std::strcmp(march, "x86-64-v4") == 0;
  const bool v4 = std::strcmp(march, "x86-64-v4") == 0;
  const Feature features[] = {
      {"ssse3", __builtin_cpu_supports("ssse3") != 0},   {"sse4.1", __builtin_cpu_supports("sse4.1") != 0},
      {"sse4.2", __builtin_cpu_supports("sse4.2") != 0}, {"popcnt", __builtin_cpu_supports("popcnt") != 0},
      {"avx2", !v3 || __builtin_cpu_supports("avx2") != 0}, {"bmi2", !v3 || __builtin_cpu_supports("bmi2") != 0},
      {"fma", !v3 || __builtin_cpu_supports("fma") != 0}, {"avx512f", !v4 || __builtin_cpu_supports("avx512f") != 0},
  };
  bool ok = true;
  for (const Feature& f : features) ok = ok && f.present;
  if (ok) return;
  std::fprintf(stderr, "claimmap: this CPU lacks instructions this build needs (built for -march=%s); missing:", march);
  for (const Feature& f : features) {
    if (!f.present) std::fprintf(stderr, " %s", f.name);
  }
  std::fprintf(stderr, "\nclaimmap: rebuild with -DCLAIMMAP_BASELINE=x86-64 (slower) on or for this machine.\n");
  std::_Exit(1);
}

}  // namespace
