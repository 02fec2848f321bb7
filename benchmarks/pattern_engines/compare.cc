// RE2::Set vs Hyperscan for claim-value patterns: a standalone comparison,
// NOT part of the CMake build. scripts/compare-pattern-engines.sh installs the
// two libraries, builds this file and runs it:
//   g++ -std=c++20 -O2 compare.cc $(pkg-config --cflags --libs re2 libhs)
//
// For N = 100 and N = 10,000 patterns (half globs translated to RE2 syntax,
// half identity-group-shaped regexes, each embedding a number derived from its
// index) it generates 100,000 deterministic candidate values (8-40 bytes, a
// few % matching) and, per engine, reports compile time, memory, the median of
// 5 single-threaded passes matching every candidate one at a time, and the hit
// counts, which the engines must agree on. Every pattern is matched anchored
// at both ends and every matching pattern is collected (not just the first).
//
//   ./compare [--quick] [--sizes 100,10000] [--max-mem 8,64,256] [--engines re2,hs]
//             [--candidates 100000] [--fresh]
//   --quick    N = 100 and 1,000, 20,000 candidates
//   --max-mem  the RE2::Set max_mem settings to try, MiB
//   --fresh    each matching pass sees a new candidate set (values never seen
//              before, as RE2's lazily built DFA would in a long-running
//              process), instead of the same set 5 times; hits from pass 1
#include <hs/hs.h>
#include <malloc.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Bytes the process has allocated with malloc (main arena + mmapped blocks).
// Single-threaded, so this covers what each engine allocates.
int64_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// ---------------------------------------------------------------- generation

struct Rng {  // splitmix64: deterministic on every platform
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
  uint32_t range(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }  // inclusive
  bool chance(double p) { return (next() >> 11) * 0x1.0p-53 < p; }
};

// The number embedded in pattern i: a bijection on [0, 999983), printed as 6
// digits, so pattern numbers are distinct, never prefixes of one another, and
// a candidate built with number(j), j >= N, carries a number no pattern has.
std::string number(uint32_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06u", static_cast<unsigned>((uint64_t{i} * 7919 + 12345) % 999983));
  return buf;
}

std::string chars(Rng& r, const char* alphabet, uint32_t lo, uint32_t hi) {
  const size_t n = std::strlen(alphabet);
  std::string s;
  for (uint32_t k = r.range(lo, hi); k > 0; --k) s += alphabet[r.below(static_cast<uint32_t>(n))];
  return s;
}
const char kLower[] = "abcdefghijklmnopqrstuvwxyz";
const char kUpper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const char kDigit[] = "0123456789";
const char kWord[] = "abcdefghijklmnopqrstuvwxyz0123456789-";  // what a glob's * usually covers
const char kUser[] = "abcdefghijklmnopqrstuvwxyz0123456789._-";
std::string pick(Rng& r, std::initializer_list<const char*> xs) { return xs.begin()[r.below(static_cast<uint32_t>(xs.size()))]; }

constexpr int kShapes = 8;

// Glob shapes (i even). `\*` in shape 6 is an escaped, literal star.
std::string glob_text(int shape, const std::string& k) {
  switch (shape) {
    case 0: return "grp-" + k + "-*";
    case 1: return "*-team-" + k;
    case 2: return "app-" + k + "-?" "?-*";  // split: no trigraph
    case 3: return "org/" + k + "/*/admins";
    case 4: return "proj-" + k + "*-rw";
    case 5: return "caf\xc3\xa9-" + k + "-*";  // café-K-*
    case 6: return "role\\*" + k + "-*";
    default: return "sg-" + k + "-prod?";
  }
}

// Regex shapes (i odd), RE2 syntax.
std::string regex_text(int shape, const std::string& k) {
  switch (shape) {
    case 0: return "app-[a-z]+-" + k + "-(\\d+)";
    case 1: return "team-(eng|ops|sales)-" + k + "-\\d{2,4}";
    case 2: return "(?:dept|div)-" + k + "-.*";
    case 3: return "u" + k + "-[a-z0-9._-]{3,12}";
    case 4: return "grp_" + k + "_(admin|read|write)";
    case 5: return "[a-z]+-" + k + "-(?:prod|stage|dev)";
    case 6: return "role-" + k + "-[A-Z]{2}\\d*";
    default: return "(?i)admins-" + k + "(-[a-z]{2,8})?";
  }
}

// Glob -> RE2 regex, as engine/match/glob.cc does it: `*` any run of code
// points, `?` one code point (under (?s), so a newline too), `\` escapes the
// next code point, the rest literal via RE2::QuoteMeta (which leaves UTF-8
// multibyte sequences as they are). A trailing lone `\` is an error there;
// these generated globs never have one.
std::string glob_to_regex(std::string_view g) {
  std::string out = "(?s)";
  auto cp_len = [](unsigned char c) { return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1; };
  for (size_t i = 0; i < g.size();) {
    const char c = g[i];
    if (c == '*' || c == '?') {
      out += c == '*' ? ".*" : ".";
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 < g.size()) ++i;
    const size_t n = std::min<size_t>(cp_len(static_cast<unsigned char>(g[i])), g.size() - i);
    out += RE2::QuoteMeta(re2::StringPiece(g.data() + i, n));
    i += n;
  }
  return out;
}

struct Pattern {
  std::string source;  // glob text or regex as written by a user
  std::string re2;     // RE2 syntax, unanchored (the Set anchors)
  bool glob;
};

std::vector<Pattern> make_patterns(uint32_t n) {
  std::vector<Pattern> ps;
  ps.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    const int shape = static_cast<int>((i / 2) % kShapes);
    if (i % 2 == 0) {
      std::string g = glob_text(shape, number(i));
      ps.push_back({g, glob_to_regex(g), true});
    } else {
      std::string re = regex_text(shape, number(i));
      ps.push_back({re, re, false});
    }
  }
  return ps;
}

// A value shaped like pattern (glob, shape) with number k: matching it, or a
// near miss (same shape, one detail wrong).
std::string value_for(bool glob, int shape, const std::string& k, bool match, Rng& r) {
  if (glob) {
    switch (shape) {
      case 0: return (match ? "grp-" : "grp_") + k + "-" + chars(r, kWord, 0, 15);
      case 1: return chars(r, kWord, 1, 15) + (match ? "-team-" + k : "-teams-" + k);
      case 2: return "app-" + k + "-" + (match ? chars(r, kLower, 2, 2) : chars(r, kLower, 3, 3)) + "-" + chars(r, kWord, 0, 12);
      case 3: return "org/" + k + "/" + chars(r, kWord, 1, 12) + (match ? "/admins" : "/admin");
      case 4: return "proj-" + k + chars(r, kWord, 0, 12) + (match ? "-rw" : "-ro");
      case 5: return (match ? "caf\xc3\xa9-" : "cafe-") + k + "-" + chars(r, kWord, 0, 15);
      case 6: return (match ? "role*" : "role-") + k + "-" + chars(r, kWord, 0, 15);
      default:  // `?` is one code point: sometimes a 2-byte one
        return "sg-" + k + "-prod" + (match ? (r.chance(0.3) ? std::string("\xc3\xa9") : chars(r, kLower, 1, 1)) : chars(r, kLower, 2, 2));
    }
  }
  switch (shape) {
    case 0: return "app-" + chars(r, kLower, 1, 10) + "-" + k + "-" + chars(r, kDigit, 1, 6) + (match ? "" : "x");
    case 1: return "team-" + (match ? pick(r, {"eng", "ops", "sales"}) : pick(r, {"hr", "legal", "eng"})) + "-" + k + "-" +
                   (match ? chars(r, kDigit, 2, 4) : chars(r, kDigit, 5, 6));
    case 2: return (match ? pick(r, {"dept", "div"}) : pick(r, {"dep", "dvi", "depts"})) + "-" + k + "-" + chars(r, kWord, 0, 15);
    case 3: return "u" + k + "-" + (match ? chars(r, kUser, 3, 12) : chars(r, kUser, 1, 2) + chars(r, kUpper, 1, 3));
    case 4: return "grp_" + k + "_" + (match ? pick(r, {"admin", "read", "write"}) : pick(r, {"owner", "reader", "admins"}));
    case 5: return chars(r, kLower, 1, 10) + "-" + k + "-" + (match ? pick(r, {"prod", "stage", "dev"}) : pick(r, {"qa", "test", "prd"}));
    case 6: return "role-" + k + "-" + (match ? chars(r, kUpper, 2, 2) + chars(r, kDigit, 0, 4) : chars(r, kUpper, 1, 1) + chars(r, kDigit, 1, 4));
    default: {
      std::string a = "admins-";
      if (match)
        for (char& c : a) c = r.chance(0.5) ? static_cast<char>(c - 32) : c;  // (?i): random case
      else
        a = "admin-";
      return a + k + (r.chance(0.5) ? "-" + chars(r, kLower, 2, 8) : "");
    }
  }
}

// 100,000 values: ~3% built to match pattern i (random i < n); the rest near
// misses: same shapes with a number no pattern has (70%) or a pattern's own
// number with one detail wrong (30%).
std::vector<std::string> make_candidates(uint32_t n_patterns, uint32_t count, uint64_t seed) {
  Rng r{seed};
  std::vector<std::string> out;
  out.reserve(count);
  while (out.size() < count) {
    const uint32_t i = r.below(n_patterns);
    const bool glob = i % 2 == 0;
    const int shape = static_cast<int>((i / 2) % kShapes);
    std::string v;
    if (r.chance(0.03))
      v = value_for(glob, shape, number(i), true, r);
    else if (r.chance(0.7))
      v = value_for(glob, shape, number(n_patterns + r.below(900000)), r.chance(0.5), r);
    else
      v = value_for(glob, shape, number(i), false, r);
    if (v.size() >= 8 && v.size() <= 40) out.push_back(std::move(v));
  }
  return out;
}

// ------------------------------------------------------------------- engines

// Per candidate: the sorted ids of the matching patterns, for cross-checks.
using Matches = std::vector<std::vector<int>>;

struct Result {
  std::string engine;
  uint32_t n = 0;
  std::string setting;
  bool compiled = false;
  double compile_ms = 0;
  std::string memory;
  double cold_ns = 0, median_ns = 0, min_ns = 0, max_ns = 0;
  uint64_t hits = 0, pairs = 0;  // candidates matching >= 1 pattern; (candidate, pattern) pairs
  uint64_t oom_first = 0, oom_max = 0;  // RE2 Match calls that failed with kOutOfMemory
  Matches matches;
};

constexpr int kRuns = 5;
constexpr int kCompileReps = 3;

std::string mib(int64_t b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(b) / (1 << 20));
  return buf;
}

using Passes = std::vector<std::vector<std::string>>;  // the candidates of each pass (one set, or --fresh)

Result run_re2(const std::vector<Pattern>& ps, const Passes& passes, int64_t max_mem) {
  const std::vector<std::string>& cands = passes[0];
  Result res;
  res.engine = "RE2::Set";
  res.n = static_cast<uint32_t>(ps.size());
  res.setting = "max_mem " + std::to_string(max_mem >> 20) + " MiB";
  RE2::Options opt;  // UTF-8, longest_match false, log_errors true
  opt.set_max_mem(max_mem);

  // Compile: median of kCompileReps (Add + Compile, as a config reload would).
  std::vector<double> compile_times;
  std::unique_ptr<RE2::Set> set;
  int64_t heap0 = 0;
  for (int rep = 0; rep < kCompileReps; ++rep) {
    set.reset();
    heap0 = heap_in_use();
    const auto t0 = Clock::now();
    auto s = std::make_unique<RE2::Set>(opt, RE2::ANCHOR_BOTH);
    for (const Pattern& p : ps) {
      std::string err;
      if (s->Add(p.re2, &err) < 0) {
        std::fprintf(stderr, "RE2 rejected %s: %s\n", p.re2.c_str(), err.c_str());
        return res;
      }
    }
    res.compiled = s->Compile();
    compile_times.push_back(ms_since(t0));
    set = std::move(s);
    if (!res.compiled) break;
  }
  res.compile_ms = median(compile_times);
  const int64_t heap_compiled = heap_in_use() - heap0;
  if (!res.compiled) {
    res.memory = "Compile() false";
    return res;
  }

  std::vector<double> ns;
  std::vector<int> v;
  for (int run = 0; run < kRuns; ++run) {
    uint64_t hits = 0, pairs = 0, oom = 0;
    const auto t0 = Clock::now();
    const auto& pass = passes[run % passes.size()];
    for (const std::string& c : pass) {
      RE2::Set::ErrorInfo ei{RE2::Set::kNoError};
      if (set->Match(c, &v, &ei)) {
        ++hits;
        pairs += v.size();
      } else if (ei.kind == RE2::Set::kOutOfMemory) {
        ++oom;
      }
    }
    ns.push_back(ms_since(t0) * 1e6 / static_cast<double>(pass.size()));
    if (run == 0) {
      res.hits = hits, res.pairs = pairs, res.oom_first = oom;
    } else if (passes.size() == 1 && (hits != res.hits || pairs != res.pairs)) {
      std::fprintf(stderr, "RE2 N=%u %s: run %d found %" PRIu64 " hits, run 1 %" PRIu64 "\n", res.n,
                   res.setting.c_str(), run + 1, hits, res.hits);
    }
    res.oom_max = std::max(res.oom_max, oom);
  }
  res.cold_ns = ns[0];
  res.median_ns = median(ns);
  res.min_ns = *std::min_element(ns.begin(), ns.end());
  res.max_ns = *std::max_element(ns.begin(), ns.end());
  res.memory = "heap " + mib(heap_compiled) + " compiled, " + mib(heap_in_use() - heap0) + " after matching";

  res.matches.resize(cands.size());  // untimed pass for the cross-check
  for (size_t i = 0; i < cands.size(); ++i) {
    if (set->Match(cands[i], &v, nullptr)) {
      res.matches[i] = v;
      std::sort(res.matches[i].begin(), res.matches[i].end());
    }
  }
  return res;
}

struct HsCtx {
  std::vector<int>* ids;
};

int on_match(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  static_cast<HsCtx*>(ctx)->ids->push_back(static_cast<int>(id));
  return 0;  // keep going: collect every matching pattern, as RE2::Set does
}

// The Hyperscan form of an RE2 pattern: ^(?:p)\z. Not `$`: PCRE's `$` also
// matches before a final "\n", RE2's ANCHOR_BOTH does not.
std::string hs_expression(const std::string& re2) { return "^(?:" + re2 + ")\\z"; }

Result run_hs(const std::vector<Pattern>& ps, const Passes& passes) {
  const std::vector<std::string>& cands = passes[0];
  Result res;
  res.engine = "Hyperscan";
  res.n = static_cast<uint32_t>(ps.size());
  res.setting = "block mode";
  std::vector<std::string> exprs;
  std::vector<const char*> ptrs;
  std::vector<unsigned> flags, ids;
  for (size_t i = 0; i < ps.size(); ++i) {
    exprs.push_back(hs_expression(ps[i].re2));
    unsigned f = HS_FLAG_SINGLEMATCH | HS_FLAG_UTF8;
    if (RE2::FullMatch("", ps[i].re2)) f |= HS_FLAG_ALLOWEMPTY;  // only where it is needed
    flags.push_back(f);
    ids.push_back(static_cast<unsigned>(i));
  }
  for (const std::string& e : exprs) ptrs.push_back(e.c_str());

  std::vector<double> compile_times;
  hs_database_t* db = nullptr;
  const int64_t heap0 = heap_in_use();
  for (int rep = 0; rep < kCompileReps; ++rep) {
    if (db) hs_free_database(db), db = nullptr;
    hs_compile_error_t* err = nullptr;
    const auto t0 = Clock::now();
    const hs_error_t rc = hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(ptrs.size()),
                                           HS_MODE_BLOCK, nullptr, &db, &err);
    compile_times.push_back(ms_since(t0));
    if (rc != HS_SUCCESS) {
      std::fprintf(stderr, "hs_compile_multi failed (expression %d: %s): %s\n", err->expression,
                   err->expression >= 0 ? ptrs[err->expression] : "-", err->message);
      hs_free_compile_error(err);
      res.memory = "compile failed";
      return res;
    }
    if (compile_times.back() > 10000) break;  // slow compiles: one is enough
  }
  res.compiled = true;
  res.compile_ms = median(compile_times);
  hs_scratch_t* scratch = nullptr;  // one per matching thread
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
    std::fprintf(stderr, "hs_alloc_scratch failed\n");
    return res;
  }
  size_t db_size = 0, scratch_size = 0;
  hs_database_size(db, &db_size);
  hs_scratch_size(scratch, &scratch_size);

  std::vector<double> ns;
  std::vector<int> v;
  HsCtx ctx{&v};
  for (int run = 0; run < kRuns; ++run) {
    uint64_t hits = 0, pairs = 0;
    const auto t0 = Clock::now();
    const auto& pass = passes[run % passes.size()];
    for (const std::string& c : pass) {
      v.clear();
      hs_scan(db, c.data(), static_cast<unsigned>(c.size()), 0, scratch, on_match, &ctx);
      hits += !v.empty();
      pairs += v.size();
    }
    ns.push_back(ms_since(t0) * 1e6 / static_cast<double>(pass.size()));
    if (run == 0) res.hits = hits, res.pairs = pairs;
  }
  res.cold_ns = ns[0];
  res.median_ns = median(ns);
  res.min_ns = *std::min_element(ns.begin(), ns.end());
  res.max_ns = *std::max_element(ns.begin(), ns.end());
  res.memory = "db " + mib(static_cast<int64_t>(db_size)) + " + scratch " + mib(static_cast<int64_t>(scratch_size)) +
               " (heap " + mib(heap_in_use() - heap0) + ")";

  res.matches.resize(cands.size());
  for (size_t i = 0; i < cands.size(); ++i) {
    v.clear();
    hs_scan(db, cands[i].data(), static_cast<unsigned>(cands[i].size()), 0, scratch, on_match, &ctx);
    res.matches[i] = v;
    std::sort(res.matches[i].begin(), res.matches[i].end());
  }
  hs_free_scratch(scratch);
  hs_free_database(db);
  return res;
}

// Third opinion, engine-independent: one RE2 per pattern, RE2::FullMatch, on
// the candidates at stride `stride`. Returns how many candidates disagree.
size_t reference_check(const std::vector<Pattern>& ps, const std::vector<std::string>& cands, const Matches& m,
                       size_t stride, size_t* checked) {
  std::vector<std::unique_ptr<RE2>> res;
  for (const Pattern& p : ps) res.push_back(std::make_unique<RE2>(p.re2));
  size_t bad = 0;
  *checked = 0;
  for (size_t i = 0; i < cands.size(); i += stride) {
    std::vector<int> want;
    for (size_t j = 0; j < res.size(); ++j)
      if (RE2::FullMatch(cands[i], *res[j])) want.push_back(static_cast<int>(j));
    bad += want != m[i];
    ++*checked;
  }
  return bad;
}

size_t diff_count(const Matches& a, const Matches& b, const std::vector<std::string>& cands, const char* what) {
  size_t d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) continue;
    if (d++ < 3)
      std::printf("    differ (%s) on \"%s\": %zu vs %zu patterns\n", what, cands[i].c_str(), a[i].size(), b[i].size());
  }
  return d;
}

// A few strings where the two syntaxes could part ways, each checked with
// RE2 (FullMatch) and Hyperscan, with `$` and with `\z`.
void semantics_probes() {
  struct Probe {
    const char* re2;
    const char* text;
  } probes[] = {
      {"sg-1-prod.", "sg-1-prod\xc3\xa9"},  // `.`: one code point, two bytes
      {"sg-1-prod.", "sg-1-prodx\n"},       // trailing newline: `$` vs \z
      {"a.*", "a\nb"},                      // `.` and newline
      {"(?s)a.*", "a\nb"},                  // ... under (?s), as globs are translated
      {"(?i)admins-1", "ADMINS-1"},
      {"\\d+", "\xd9\xa3"},                 // ARABIC-INDIC DIGIT THREE: \d is ASCII in both (no UCP)
      {"[a-z0-9._-]{3,12}", "a-b"},
      {"caf\xc3\xa9", "CAF\xc3\x89"},       // case-sensitive: no match in either
  };
  std::printf("\nSemantics probes (1 = match): RE2 ANCHOR_BOTH | HS ^(?:p)$ | HS ^(?:p)\\z\n");
  for (const Probe& p : probes) {
    int hs[2] = {-1, -1};
    for (int z = 0; z < 2; ++z) {
      std::string e = std::string("^(?:") + p.re2 + (z ? ")\\z" : ")$");
      hs_database_t* db = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_compile(e.c_str(), HS_FLAG_SINGLEMATCH | HS_FLAG_UTF8, HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
        hs_free_compile_error(err);
        continue;
      }
      hs_scratch_t* s = nullptr;
      hs_alloc_scratch(db, &s);
      std::vector<int> v;
      HsCtx ctx{&v};
      hs_scan(db, p.text, static_cast<unsigned>(std::strlen(p.text)), 0, s, on_match, &ctx);
      hs[z] = !v.empty();
      hs_free_scratch(s);
      hs_free_database(db);
    }
    std::string shown;
    for (const char* c = p.text; *c; ++c) shown += *c == '\n' ? std::string("\\n") : std::string(1, *c);
    std::printf("  %-22s %-14s  %d | %2d | %2d\n", p.re2, ("\"" + shown + "\"").c_str(),
                RE2::FullMatch(p.text, p.re2) ? 1 : 0, hs[0], hs[1]);
  }
}

}  // namespace

std::vector<uint32_t> parse_list(const char* arg) {
  std::vector<uint32_t> out;
  for (const char* p = arg; *p;) {
    char* end = nullptr;
    out.push_back(static_cast<uint32_t>(std::strtoul(p, &end, 10)));
    p = *end == ',' ? end + 1 : end;
    if (end == p && *p) break;
  }
  return out;
}

int main(int argc, char** argv) {
  std::vector<uint32_t> sizes = {100, 10000};
  uint32_t n_cands = 100000;
  std::vector<uint32_t> max_mem_mib = {8, 64, 256};
  bool use_re2 = true, use_hs = true, fresh = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* next = i + 1 < argc ? argv[i + 1] : "";
    if (a == "--quick") {
      sizes = {100, 1000};
      n_cands = 20000;
    } else if (a == "--sizes") {
      sizes = parse_list(next), ++i;
    } else if (a == "--max-mem") {
      max_mem_mib = parse_list(next), ++i;
    } else if (a == "--candidates") {
      n_cands = static_cast<uint32_t>(std::strtoul(next, nullptr, 10)), ++i;
    } else if (a == "--engines") {
      use_re2 = std::strstr(next, "re2") != nullptr, use_hs = std::strstr(next, "hs") != nullptr, ++i;
    } else if (a == "--fresh") {
      fresh = true;
    } else {
      std::fprintf(stderr, "unknown argument %s (see the top of compare.cc)\n", a.c_str());
      return 1;
    }
  }
  if (sizes.empty() || n_cands == 0) return 1;

  if (use_hs && hs_valid_platform() != HS_SUCCESS) {
    std::fprintf(stderr, "Hyperscan does not support this CPU\n");
    return 1;
  }
  std::printf("Hyperscan %s, RE2 (Debian libre2-dev), %u candidates, %d matching passes (median) over %s, "
              "single thread\n",
              hs_version(), n_cands, kRuns, fresh ? "a fresh candidate set each" : "the same candidate set");

  std::vector<Result> all;
  bool mismatch = false;
  for (const uint32_t n : sizes) {
    const auto ps = make_patterns(n);
    Passes passes;
    for (int k = 0; k < (fresh ? kRuns : 1); ++k) passes.push_back(make_candidates(n, n_cands, 0xC1A1u + n + 7777u * k));
    const auto& cands = passes[0];
    size_t bytes = 0;
    for (const auto& c : cands) bytes += c.size();
    std::printf("\nN = %u patterns; e.g. %s -> %s | %s\n", n, ps[0].source.c_str(), ps[0].re2.c_str(),
                ps[n - 1].re2.c_str());
    std::printf("  candidates: %u, mean %.1f bytes, e.g. \"%s\", \"%s\"\n", n_cands,
                static_cast<double>(bytes) / n_cands, cands[0].c_str(), cands[1].c_str());
    std::fflush(stdout);

    Result hs;
    if (use_hs) hs = run_hs(ps, passes);
    std::fflush(stdout);
    std::vector<Result> re2s;
    for (const uint32_t mm : use_re2 ? max_mem_mib : std::vector<uint32_t>{}) {
      re2s.push_back(run_re2(ps, passes, int64_t{mm} << 20));
      std::fflush(stdout);
    }

    // Cross-checks, per candidate: Hyperscan vs each RE2::Set, and both vs a
    // per-pattern RE2::FullMatch reference on a sample.
    size_t checked = 0;
    const size_t stride = n <= 1000 ? 1 : 500;
    for (const Result* r : {&hs, re2s.empty() ? nullptr : &re2s.back()}) {
      if (!r || !r->compiled) continue;
      const size_t bad = reference_check(ps, cands, r->matches, stride, &checked);
      std::printf("  %s (%s) vs per-pattern RE2::FullMatch on %zu candidates: %zu differ\n", r->engine.c_str(),
                  r->setting.c_str(), checked, bad);
      mismatch |= bad != 0;
    }
    for (Result& r : re2s) {
      if (!r.compiled || !hs.compiled) continue;
      const size_t d = diff_count(r.matches, hs.matches, cands, r.setting.c_str());
      std::printf("  RE2::Set (%s) vs Hyperscan, per candidate: %zu differ\n", r.setting.c_str(), d);
      if (d != 0 || r.hits != hs.hits || r.pairs != hs.pairs) mismatch = true;
    }
    for (Result& r : re2s) r.matches.clear(), all.push_back(std::move(r));
    hs.matches.clear();
    if (use_hs) all.push_back(std::move(hs));
  }

  std::printf("\n%-10s %6s %-16s %11s %13s %13s %9s %9s %9s  %s\n", "engine", "N", "setting", "compile ms",
              "ns/cand cold", "ns/cand med", "[min-max]", "hits", "pairs", "memory; OOM Match failures (run 1/max)");
  for (const Result& r : all) {
    if (!r.compiled) {
      std::printf("%-10s %6u %-16s %11.1f  %s\n", r.engine.c_str(), r.n, r.setting.c_str(), r.compile_ms, r.memory.c_str());
      continue;
    }
    char range[32];
    std::snprintf(range, sizeof range, "%.0f-%.0f", r.min_ns, r.max_ns);
    std::printf("%-10s %6u %-16s %11.1f %13.0f %13.0f %9s %9" PRIu64 " %9" PRIu64 "  %s", r.engine.c_str(), r.n,
                r.setting.c_str(), r.compile_ms, r.cold_ns, r.median_ns, range, r.hits, r.pairs, r.memory.c_str());
    if (r.engine == "RE2::Set") std::printf("; OOM %" PRIu64 "/%" PRIu64, r.oom_first, r.oom_max);
    std::printf("\n");
  }

  if (sizes.size() > 1) std::printf("\nRatios N=%u / N=%u (median ns/candidate; compile ms):\n", sizes.back(), sizes[0]);
  for (const Result& big : all) {
    if (sizes.size() < 2 || big.n != sizes.back() || !big.compiled) continue;
    for (const Result& small : all) {
      if (small.n != sizes[0] || small.engine != big.engine || small.setting != big.setting || !small.compiled) continue;
      std::printf("  %-10s %-16s match x%.1f, compile x%.0f\n", big.engine.c_str(), big.setting.c_str(),
                  big.median_ns / small.median_ns, big.compile_ms / small.compile_ms);
    }
  }
  if (use_hs) semantics_probes();
  std::printf("\n%s\n", mismatch ? "MISMATCH: the engines disagree (see above)" : "engines agree on every candidate");
  return mismatch ? 2 : 0;
}
