#include "simulator/simulate.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "claimmap/paths.h"
#include "simulator/capacity.h"
#include "simulator/duration.h"
#include "simulator/event_client.h"
#include "simulator/http_client.h"
#include "simulator/organisation.h"
#include "simulator/replay.h"
#include "simulator/report.h"
#include "simulator/report_html.h"
#include "simulator/token_signer.h"
#include "support/progress_bar.h"

namespace claimmap::sim {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

unsigned thread_count(const SimulateOptions& o) {
  return o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
}

// The open-loop schedule the options ask for, or nullopt for closed loop.
Result<std::optional<ArrivalSchedule>> schedule_for(const SimulateOptions& o) {
  double rate = o.rate;
  if (rate <= 0 && o.profile == LoadProfile::kSpike) {
    // 80% of the storm within spike_minutes of storm time, compressed.
    const double spike_seconds = o.spike_minutes * 60 / o.time_scale;
    if (!(spike_seconds > 0)) return Status(ErrorCode::kInvalidArgument, "--spike-minutes and --time-scale must be positive");
    rate = 0.8 * static_cast<double>(o.events) / spike_seconds;
  }
  if (rate <= 0) {
    if (o.profile != LoadProfile::kSteady) {
      return Status(ErrorCode::kInvalidArgument, "--profile ramp needs --rate (the peak rate, logins/s)");
    }
    return std::optional<ArrivalSchedule>();
  }
  return std::optional<ArrivalSchedule>(ArrivalSchedule(o.profile, rate, o.events));
}

Status cannot_write(const std::filesystem::path& path, int error) {
  return Status(ErrorCode::kIoError, "cannot write " + path.string() + ": " + std::strerror(error));
}

Status write_whole_file(const std::filesystem::path& path, std::string_view text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return cannot_write(path, errno);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int write_error = errno;
  if (std::fclose(f) != 0 || !ok) return cannot_write(path, ok ? errno : write_error);
  return {};
}

// The dataset's three files, named in the order they are written.
constexpr const char* kDatasetFiles[] = {"config.json", "state.ndjson", "events.ndjson"};

// Before anything is generated: DIR can be created or written into, and none
// of its three files is a directory or read-only.
Status check_dataset_paths(const std::string& dir) {
  if (Status s = check_output_directory(dir); !s.ok()) return s;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return {};  // created by the write: empty
  for (const char* name : kDatasetFiles) {
    if (Status s = check_output_file((std::filesystem::path(dir) / name).string(), OutputWrite::kInPlace); !s.ok()) {
      return s;
    }
  }
  return {};
}

// Renders `planned` into `chunks` (one per thread, a contiguous slice each,
// so that writing them in order writes the stream in order).
void render_in_parallel(const Generator& generator, const std::vector<PlannedEvent>& planned,
                        std::vector<std::string>* chunks) {
  const size_t threads = chunks->size(), n = planned.size();
  auto render_slice = [&](size_t t) {
    std::string& out = (*chunks)[t];
    out.clear();
    for (size_t i = n * t / threads; i < n * (t + 1) / threads; ++i) generator.render(planned[i], &out);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(render_slice, t);
  render_slice(0);
  for (std::thread& t : pool) t.join();
}

}  // namespace

std::string signing_description(const Generator& generator) {
  const TokenSigner* signer = generator.signer();
  if (!signer) return "unsigned";
  std::string signed_ids, unsigned_ids;
  const auto& providers = generator.organisation().providers();
  for (uint32_t p = 0; p < providers.size(); ++p) {
    std::string& list = signer->signs(p) ? signed_ids : unsigned_ids;
    list.append(list.empty() ? "" : ", ").append(providers[p].id);
  }
  std::string out = std::string(sign_algorithm_name(signer->algorithm())) + " (" + signed_ids;
  if (!unsigned_ids.empty()) out += "; unsigned: " + unsigned_ids;
  return out + "), valid at now " + std::to_string(generator.now());
}

SimulateOptions with_now_resolved(const SimulateOptions& requested) {
  SimulateOptions o = requested;
  const bool signing = o.generator.sign != SignAlgorithm::kNone;
  if (!o.now && signing) {
    // The storm's own now; against a server, the wall clock its engine reads.
    o.now = o.target.empty() ? static_cast<int64_t>(storm_now(o.events)) : static_cast<int64_t>(std::time(nullptr));
  }
  if (signing) o.generator.now = static_cast<uint32_t>(std::clamp<int64_t>(*o.now, 1, UINT32_MAX));
  return o;
}

Status run_simulation(const SimulateOptions& requested, std::string* report_text, std::string* html_page,
                      SimulationOutcome* outcome) {
  const SimulateOptions options = with_now_resolved(requested);
  auto schedule = schedule_for(options);
  if (!schedule.ok()) return schedule.status();
  SimulationReport report;
  report.options = options;
  report.threads = thread_count(options);

  const auto setup_started = std::chrono::steady_clock::now();
  Generator generator(options.generator);
  if (Status s = generator.status(); !s.ok()) return s;
  report.organisation = generator.describe();
  report.signing = signing_description(generator);
  ConfigReport config_report;
  const auto config_started = std::chrono::steady_clock::now();
  Result<Config> config = load_config(generator.config_json(), &config_report);
  report.config_load_seconds = seconds_since(config_started);
  if (!config.ok()) {
    std::string first = config_report.errors.empty() ? config.status().message() : config_report.errors[0].to_string();
    return Status(ErrorCode::kInvalidConfig, "the generated config does not load (a simulator bug): " + first);
  }
  report.mappings = config_report.mappings;
  report.active_mappings = config_report.active_mappings;
  for (const ProviderMatchSummary& p : config_report.match_summary) {
    report.exact_mappings += p.exact, report.prefix_mappings += p.prefix;
    report.glob_mappings += p.glob, report.regex_mappings += p.regex;
    report.template_mappings += p.templates, report.require_rules += p.require_rules;
  }
  report.template_groups = generator.organisation().template_group_count();
  // In process, the engine gets the generated users' state; against a
  // server, the server has it (loaded from the same seed's dataset) and says
  // what it holds before and after.
  std::unique_ptr<Engine> engine;
  ClientFactory clients;
  std::optional<HttpTarget> target;
  if (!options.target.empty()) {
    Result<HttpTarget> parsed = parse_target_url(options.target);
    if (!parsed.ok()) return parsed.status();
    target = parsed.value();
    target->token = options.token;
    target->ca_file = options.target_ca;
    Result<ServerFigures> before = fetch_server_figures(*target);
    if (!before.ok()) return before.status();
    report.setup_seconds = seconds_since(setup_started) - report.config_load_seconds;
    report.users_loaded = before.value().users;
    clients = http_clients(*target);
  } else {
    EngineOptions engine_options;
    engine_options.now_seconds = options.now;  // signed tokens' exp and nbf are checked against it
    engine = std::make_unique<Engine>(config.value(), engine_options);
    std::string state = generator.initial_state_ndjson();
    report.setup_seconds = seconds_since(setup_started) - report.config_load_seconds;
    const uint64_t rss_before = current_rss_bytes();
    const auto load_started = std::chrono::steady_clock::now();
    StateLoadReport load_report;
    if (Status s = engine->import_state(state, &load_report); !s.ok()) {
      return Status(ErrorCode::kInvalidState, "the generated state does not load (a simulator bug): " + s.message());
    }
    report.state_load_seconds = seconds_since(load_started);
    report.users_loaded = load_report.users;
    // Before the NDJSON is freed, so that the growth is the engine's alone.
    const uint64_t rss_after = current_rss_bytes();
    std::string().swap(state);
    report.rss_growth_loading_state = rss_after > rss_before ? rss_after - rss_before : 0;
    clients = in_process_clients(*engine);
  }

  if (options.find_capacity) {
    CapacityOptions capacity_options;
    capacity_options.p99_target_seconds = options.p99_target_seconds;
    capacity_options.threads = report.threads;
    capacity_options.probe_seconds = options.probe_seconds;
    auto on_probe = [&](const CapacityProbe& p) {
      if (!options.progress) return;
      if (p.rate == 0) {
        std::fprintf(stderr, "probe: closed loop  %.0f events/s\n", p.throughput);
      } else {
        std::fprintf(stderr, "probe: %10.0f/s  p99 %-10s %s\n", p.rate, format_duration_ns(p.p99_ns).c_str(),
                     p.passed ? "pass" : "fail");
      }
    };
    report.capacity = find_capacity(clients, generator, capacity_options, on_probe);
  } else {
    ReplayOptions replay_options;
    replay_options.threads = report.threads;
    replay_options.events = options.events;
    replay_options.schedule = schedule.value();
    replay_options.batch = options.batch;
    std::atomic<uint64_t> done{0};
    replay_options.progress = &done;
    support::ProgressBar bar(options.progress, "replay", options.events, &done);
    report.run = replay(clients, generator, replay_options);
  }
  const Status& run_error = report.run ? report.run->error : report.capacity->at_capacity.error;
  if (!run_error.ok()) return run_error;
  if (Status s = generator.status(); !s.ok()) return s;
  if (target) {
    Result<ServerFigures> after = fetch_server_figures(*target);
    if (!after.ok()) return after.status();
    report.state_bytes = after.value().state_bytes;
    report.users = after.value().users;
  } else {
    report.state_bytes = engine->state_bytes();
    report.users = engine->user_count();
    report.rss_bytes = current_rss_bytes();
  }
  *report_text = options.json ? format_report_json(report) : format_report_text(report);
  if (html_page) *html_page = format_report_html(report);
  if (outcome) {
    outcome->pass = report_verdict(report).pass;
    if (report.capacity) {
      for (const std::string& reason : report.capacity->caveat.reasons) {
        outcome->warnings.push_back("warning: the capacity search is not trustworthy: " + reason);
      }
    }
  }
  return {};
}

Status write_dataset(const SimulateOptions& requested, const std::string& dir, std::string* summary) {
  const SimulateOptions options = with_now_resolved(requested);
  if (Status s = check_dataset_paths(dir); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(ErrorCode::kIoError, "cannot create " + dir + ": " + ec.message());
  const std::filesystem::path root(dir);
  Generator generator(options.generator);
  if (Status s = generator.status(); !s.ok()) return s;
  if (Status s = write_whole_file(root / kDatasetFiles[0], generator.config_json()); !s.ok()) return s;
  if (Status s = write_whole_file(root / kDatasetFiles[1], generator.initial_state_ndjson()); !s.ok()) return s;

  const std::filesystem::path events_path = root / kDatasetFiles[2];
  std::FILE* f = std::fopen(events_path.c_str(), "wb");
  if (!f) return cannot_write(events_path, errno);
  // Planned in order, rendered on every thread (a signed line costs a
  // signature: RSA-2048 about a millisecond), written in order.
  const unsigned threads = thread_count(options);
  std::vector<PlannedEvent> planned;
  std::vector<std::string> chunks(threads);
  bool ok = true;
  uint64_t bytes = 0;
  for (uint64_t left = options.events; left > 0 && ok;) {
    const uint64_t n = std::min<uint64_t>(left, 65536);
    planned.clear();
    generator.plan_events(n, &planned);
    render_in_parallel(generator, planned, &chunks);
    for (const std::string& chunk : chunks) {
      ok = ok && std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size();
      bytes += chunk.size();
    }
    left -= n;
  }
  const int write_error = errno;
  if (std::fclose(f) != 0 || !ok) return cannot_write(events_path, ok ? errno : write_error);
  if (Status s = generator.status(); !s.ok()) return s;
  char line[256];
  std::snprintf(line, sizeof line, "wrote %s/{config.json, state.ndjson, events.ndjson}: %llu events, %.1f MB\n",
                dir.c_str(), static_cast<unsigned long long>(options.events), static_cast<double>(bytes) / 1e6);
  *summary = generator.describe() + "\n" + line;
  if (options.generator.sign != SignAlgorithm::kNone) {
    *summary += "logins: signed " + signing_description(generator) + "\n";
    *summary += "replay: claimmap eval --now " + std::to_string(*options.now) + " --config " +
                (root / kDatasetFiles[0]).string() + " --state " + (root / kDatasetFiles[1]).string() + " " +
                events_path.string() + "\n";
  }
  return {};
}

}  // namespace claimmap::sim
