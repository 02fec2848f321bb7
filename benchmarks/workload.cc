#include "benchmarks/workload.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "simulator/generator.h"

namespace claimmap::bench {
namespace {

// Mapped memberships in a docs/spec.md §9 state line: the arrays inside "mapped".
uint64_t mapped_memberships(std::string_view line) {
  const size_t start = line.find("\"mapped\": {");
  if (start == std::string_view::npos) return 0;
  const size_t end = line.find('}', start);
  uint64_t n = 0;
  for (size_t i = start; i < end && i < line.size(); ++i) n += line[i] == '[';
  return n;
}

int memory_file(const std::string& bytes) {
  const int fd = ::memfd_create("claimmap-bench-input", 0);
  if (fd < 0) std::abort();
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  return fd;
}

}  // namespace

double seconds_of(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

uint64_t number_from_env(const char* name, uint64_t fallback) {
  const char* s = std::getenv(name);
  if (s == nullptr || *s == '\0') return fallback;
  return std::strtoull(s, nullptr, 10);
}

namespace {

std::unique_ptr<Workload> make_workload(const sim::GeneratorOptions& options, uint64_t events) {
    auto w = std::make_unique<Workload>();
    sim::Generator generator(options);
    w->config_json = generator.config_json();
    ConfigReport report;
    Result<Config> config = load_config(w->config_json, &report);
    if (!config.ok()) {
      std::fprintf(stderr, "benchmark workload: the generated config does not load: %s\n",
                   config.status().message().c_str());
      std::abort();
    }
    w->config = config.value();
    w->state_ndjson = generator.initial_state_ndjson();
    for (size_t pos = 0; pos < w->state_ndjson.size();) {
      size_t end = w->state_ndjson.find('\n', pos);
      if (end == std::string::npos) end = w->state_ndjson.size();
      w->state_memberships += mapped_memberships(std::string_view(w->state_ndjson).substr(pos, end - pos));
      pos = end + 1;
    }
    w->events.reserve(events * 1300);
    generator.append_events(events, &w->events);
    for (size_t pos = 0; pos < w->events.size();) {
      size_t end = w->events.find('\n', pos);
      if (end == std::string::npos) end = w->events.size();
      w->lines.emplace_back(w->events.data() + pos, end - pos);
      pos = end + 1;
    }
    w->users = options.users;
    return w;
}

}  // namespace

const Workload& default_workload() {
  static const std::unique_ptr<Workload> workload = [] {
    sim::GeneratorOptions options;
    options.seed = 42;
    options.users = 1'000'000;
    options.mappings = 10'000;
    options.groups_per_token = 20;
    options.churn = 0.02;
    options.bad_share = 0.001;
    options.stale_share = 0.005;
    options.push_share = 0.0;
    options.shapes = {true, false, false, false, false};  // Entra-like only: the 1 KB, 20-group token
    return make_workload(options, events_from_env(1'000'000));
  }();
  return *workload;
}

const Workload& heavy_workload() {
  static const std::unique_ptr<Workload> workload = [] {
    sim::GeneratorOptions options;
    options.seed = 42;
    options.users = number_from_env("CLAIMMAP_BENCH_HEAVY_USERS", 100'000);
    options.mappings = 10'000;
    options.groups_per_token = 10;
    options.groups_per_value = 16;
    options.roles_per_group = 2;
    options.churn = 1.0;
    options.drift_share = 1.0;
    options.bad_share = 0.001;
    options.stale_share = 0.005;
    options.push_share = 0.0;
    options.shapes = {false, true, true, true, true};  // okta, keycloak, saml, auth0
    return make_workload(options, number_from_env("CLAIMMAP_BENCH_HEAVY_EVENTS", 200'000));
  }();
  return *workload;
}

EngineRun::EngineRun(const Workload& w) : engine_(w.config), in_fd_(memory_file(w.events)) {
  out_fd_ = ::open("/dev/null", O_WRONLY);
  if (out_fd_ < 0 || !engine_.import_state(w.state_ndjson).ok()) std::abort();
  run(1);
}

EngineRun::~EngineRun() {
  ::close(in_fd_);
  ::close(out_fd_);
}

StreamSummary EngineRun::run(unsigned threads) {
  ::lseek(in_fd_, 0, SEEK_SET);
  StreamSummary summary;
  if (!run_stream(engine_, in_fd_, out_fd_, StreamOptions{false, threads, {}}, &summary).ok()) std::abort();
  return summary;
}

EngineRun& default_engine_run() {
  static EngineRun run(default_workload());
  return run;
}

StormRun::StormRun(const Workload& w) : run_(w) {
  char dir[] = "/tmp/claimmap-bench-XXXXXX";
  if (::mkdtemp(dir) == nullptr) std::abort();
  dir_ = dir;
  snapshot_ = dir_ + "/state.snapshot";
  // The state before the stream: EngineRun imported it, then ran one pass.
  if (!run_.engine().import_state(w.state_ndjson).ok()) std::abort();
  if (!run_.engine().save_state_file(snapshot_).ok()) std::abort();
}

StormRun::~StormRun() {
  std::remove(snapshot_.c_str());
  ::rmdir(dir_.c_str());
}

void StormRun::reset() {
  if (!run_.engine().load_state_file(snapshot_).ok()) std::abort();
}

StreamSummary StormRun::run(unsigned threads) { return run_.run(threads); }

StormRun& heavy_storm_run() {
  static StormRun run(heavy_workload());
  return run;
}

size_t resident_bytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace claimmap::bench
