#include "worker/worker.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/scaleout.h"
#include "claimmap/service.h"
#include "worker/checkpoint.h"
#include "worker/group_members.h"
#include "worker/metrics.h"
#include "worker/metrics_endpoint.h"
#include "worker/publisher.h"

namespace claimmap::scaleout {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_dump_metrics{false};

void on_stop(int) { g_stop = true; }
void on_usr1(int) { g_dump_metrics = true; }

using Clock = std::chrono::steady_clock;

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string default_name() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  std::string name = std::string(host) + "-" + std::to_string(::getpid());
  // Key-value keys allow [-/_=.a-zA-Z0-9]; anything else becomes '_'.
  for (char& c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  }
  return name;
}

void log_line(const std::string& worker, const std::string& text) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::fprintf(stderr, "worker %s: %s\n", worker.c_str(), text.c_str());
  std::fflush(stderr);
}

// A lease we hold. The renewal thread and the main loop both touch it: one
// renewal or release at a time (its mutex).
struct Lease {
  std::mutex mutex;
  uint64_t revision = 0;   // of our entry
  bool released = false;
  std::atomic<bool> lost{false};
  std::shared_ptr<PartitionRunner> runner;
};

struct Owned {
  std::shared_ptr<Lease> lease;
  bool releasing = false;
};

enum class Renewal { kRenewed, kLost, kUnknown };

// One renewal of lease `p` (its mutex held by the caller): an update on the
// revision we hold, so that a lease that expired and was taken is never
// renewed by mistake. When the update fails, the entry says why: someone
// else's name (or none: it expired) is a lost lease; our own name at
// another revision is an update of ours whose answer was lost on a slow
// broker — adopted, and renewed at the next round; no answer at all is
// unknown (the runner fences itself when its validity runs out). A renewal
// extends the runner's validity to `valid_for` after the request was sent.
Renewal renew_lease(kvStore* kv, const std::string& name, uint32_t p, Lease& l,
                    std::chrono::milliseconds valid_for) {
  const std::string key = lease_key(p);
  const auto sent = std::chrono::steady_clock::now();
  uint64_t rev = 0;
  if (kvStore_Update(&rev, kv, key.c_str(), name.data(), static_cast<int>(name.size()), l.revision) == NATS_OK) {
    l.revision = rev;
    l.runner->set_lease_valid_until(sent + valid_for);
    return Renewal::kRenewed;
  }
  kvEntry* e = nullptr;
  const natsStatus g = kvStore_Get(&e, kv, key.c_str());
  if (g == NATS_NOT_FOUND) return Renewal::kLost;
  if (g != NATS_OK) return Renewal::kUnknown;
  const std::string_view value(static_cast<const char*>(kvEntry_Value(e)), static_cast<size_t>(kvEntry_ValueLen(e)));
  const bool ours = value == name;
  const uint64_t current = kvEntry_Revision(e);
  kvEntry_Destroy(e);
  if (!ours) return Renewal::kLost;
  l.revision = current;
  return Renewal::kUnknown;
}

}  // namespace

void install_worker_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, nullptr);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, nullptr);
}

Status run_worker(const WorkerOptions& options, std::vector<std::string>* problems) {
  const std::string name = options.name.empty() ? default_name() : options.name;
  auto log = [name](const std::string& text) { log_line(name, text); };

  // The base config: checked before joining.
  Result<std::string> base_text = read_text_file(options.config_path);
  if (!base_text.ok()) return base_text.status();
  ConfigReport cr;
  Result<Config> base = load_config(base_text.value(), &cr, config_folder(options.config_path));
  if (!base.ok()) {
    for (std::string& line : cr.error_lines()) problems->push_back(std::move(line));
    return Status(base.status().code(), options.config_path + ": " + base.status().message());
  }
  ConfigCache configs(base.value(), config_folder(options.config_path));

  Result<std::unique_ptr<Connection>> conn = Connection::open(options.nats_url, "claimmap worker " + name);
  if (!conn.ok()) return conn.status();
  Result<std::unique_ptr<JetStream>> jsr = JetStream::open(*conn.value());
  if (!jsr.ok()) return jsr.status();
  JetStream& js = *jsr.value();
  if (Status s = ensure_streams(js, options.settings); !s.ok()) return s;
  Result<std::unique_ptr<KeyValue>> group = KeyValue::open(js, kGroupBucket, 0, options.settings.replicas);
  if (!group.ok()) return group.status();
  if (Status s = check_partitions(*group.value(), options.partitions); !s.ok()) return s;
  {
    // The config publish routes lines by, until a publish --config replaces it.
    uint64_t rev = 0;
    const natsStatus s = kvStore_Create(&rev, group.value()->get(), "config", base_text.value().data(),
                                        static_cast<int>(base_text.value().size()));
    kvEntry* e = nullptr;
    if (s != NATS_OK && kvStore_Get(&e, group.value()->get(), "config") != NATS_OK) {
      log("warning: cannot record the base config for publish to route by (" + std::string(natsStatus_GetText(s)) +
          "; is the server's max_payload smaller than the config? docs/scaleout.md \"Limits\")");
    }
    if (e != nullptr) kvEntry_Destroy(e);
    // The base config itself, never replaced: --export-state replays the
    // events after a checkpoint taken under it.
    (void)kvStore_Create(&rev, group.value()->get(), kBaseConfigKey, base_text.value().data(),
                         static_cast<int>(base_text.value().size()));
  }
  Result<std::unique_ptr<KeyValue>> leases_r =
      KeyValue::open(js, kLeasesBucket, options.settings.lease_ttl_ms, options.settings.replicas);
  if (!leases_r.ok()) return leases_r.status();
  Result<std::unique_ptr<KeyValue>> members_r =
      KeyValue::open(js, kMembersBucket, options.settings.lease_ttl_ms, options.settings.replicas);
  if (!members_r.ok()) return members_r.status();
  // The bucket's TTL rules (its creator chose it), whatever our option says.
  const int64_t ttl_ms = leases_r.value()->ttl_ms() > 0 ? leases_r.value()->ttl_ms() : options.settings.lease_ttl_ms;
  // The main loop's requests give up within about half the TTL.
  Result<std::unique_ptr<JetStream>> loop_js = JetStream::open(*conn.value(), std::max<int64_t>(1000, ttl_ms / 2));
  if (!loop_js.ok()) return loop_js.status();
  Result<std::unique_ptr<KeyValue>> loop_leases = KeyValue::open(*loop_js.value(), kLeasesBucket, ttl_ms, 1);
  if (!loop_leases.ok()) return loop_leases.status();
  Result<std::unique_ptr<KeyValue>> loop_members = KeyValue::open(*loop_js.value(), kMembersBucket, ttl_ms, 1);
  if (!loop_members.ok()) return loop_members.status();
  kvStore* leases = loop_leases.value()->get();
  kvStore* members = loop_members.value()->get();
  const auto ttl = std::chrono::milliseconds(ttl_ms);
  const auto heartbeat = std::chrono::milliseconds(std::max<int64_t>(50, ttl_ms / 5));
  // A lease renewed at t is held until t + TTL on the server; the runner
  // stops writing a little before, in case this process stalls.
  const auto valid_for = std::chrono::milliseconds(ttl_ms * 4 / 5);
  // Leases and the member entry are renewed on a thread of their own, with a
  // JetStream context whose requests give up well within the TTL: nothing
  // the main loop waits for (a slow acquisition, a cluster election) can hold
  // a renewal back.
  Result<std::unique_ptr<JetStream>> renew_js = JetStream::open(*conn.value(), std::max<int64_t>(250, ttl_ms / 4));
  if (!renew_js.ok()) return renew_js.status();
  Result<std::unique_ptr<KeyValue>> renew_leases_r = KeyValue::open(*renew_js.value(), kLeasesBucket, ttl_ms, 1);
  if (!renew_leases_r.ok()) return renew_leases_r.status();
  Result<std::unique_ptr<KeyValue>> renew_members_r = KeyValue::open(*renew_js.value(), kMembersBucket, ttl_ms, 1);
  if (!renew_members_r.ok()) return renew_members_r.status();
  std::mutex table_mutex;
  std::map<uint32_t, std::shared_ptr<Lease>> table;  // what the renewal thread renews
  std::atomic<bool> renew_stop{false};
  std::atomic<size_t> owned_count{0};
  std::thread renewer([&] {
    kvStore* rl = renew_leases_r.value()->get();
    kvStore* rm = renew_members_r.value()->get();
    while (!renew_stop.load()) {
      const auto t0 = Clock::now();
      // Leases first: they fence running partitions; the member entry only
      // sizes the shares.
      std::vector<std::pair<uint32_t, std::shared_ptr<Lease>>> held;
      {
        std::lock_guard<std::mutex> lock(table_mutex);
        held.assign(table.begin(), table.end());
      }
      for (auto& [p, l] : held) {
        std::lock_guard<std::mutex> lock(l->mutex);
        if (l->released || l->lost || l->runner->finished()) continue;
        if (renew_lease(rl, name, p, *l, valid_for) != Renewal::kLost) continue;
        log("lost the lease of partition " + std::to_string(p) + ": stopping it without a checkpoint");
        l->lost = true;
        l->runner->abandon();
      }
      uint64_t rev = 0;
      const std::string beat = std::to_string(owned_count.load());
      kvStore_Put(&rev, rm, name.c_str(), beat.data(), static_cast<int>(beat.size()));
      while (!renew_stop.load() && Clock::now() < t0 + heartbeat) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  });

  RunnerSettings runner_settings = options.runner;
  runner_settings.chunk_bytes =
      std::min<int64_t>(runner_settings.chunk_bytes, std::max<int64_t>(4096, conn.value()->max_payload() - 4096));

  log("joined (" + std::to_string(options.partitions) + " partitions, lease TTL " + std::to_string(ttl_ms) +
      " ms, checkpoint every " + std::to_string(runner_settings.checkpoint_events) + " events or " +
      std::to_string(runner_settings.checkpoint_ms) + " ms)");

  GroupMembers group_members(*conn.value(), members, name, ttl);
  std::map<uint32_t, Owned> owned;
  std::map<uint32_t, Clock::time_point> cooldown;  // partitions that failed here: not retaken at once
  EventCounters retired;                            // counts of partitions no longer owned
  uint64_t takeovers = 0, releases = 0, failures = 0;
  uint32_t live = 1;
  std::string last_printed;
  // Partitions whose last run here ended without a checkpoint (an error, a
  // lost lease), named by the last line at a stop.
  std::set<uint32_t> unsaved;
  auto next_metrics = Clock::now();
  const uint32_t P = options.partitions;
  const uint32_t offset = static_cast<uint32_t>(fnv1a(name) % P);

  auto release_lease = [&](uint32_t p, Owned& o) {
    // Conditional on our revision: never clears a lease someone else holds.
    {
      std::lock_guard<std::mutex> lock(o.lease->mutex);
      uint64_t rev = 0;
      const std::string key = lease_key(p);
      if (!o.lease->lost) kvStore_Update(&rev, leases, key.c_str(), "", 0, o.lease->revision);
      o.lease->released = true;
    }
  };
  auto holds = [](const Owned& o) {
    return !o.lease->lost && !o.lease->runner->finished() && o.lease->runner->lease_valid();
  };
  auto forget = [&](uint32_t p) {
    std::lock_guard<std::mutex> lock(table_mutex);
    table.erase(p);
  };
  auto metrics_snapshot = [&] {
    WorkerMetrics m;
    m.worker = name;
    m.partitions = P;
    m.live_workers = live;
    m.counters = retired;
    for (auto& [p, o] : owned) {
      PartitionStats s = o.lease->runner->stats();
      m.counters.merge(s.counters);
      // Owned only while held: a lease lost, or not renewed within its
      // validity (the partition stops itself), no longer counts, so that
      // the group's gauges never add up to more than the partitions but
      // for one TTL around a takeover (docs/scaleout.md).
      if (holds(o)) m.owned.push_back(std::move(s));
    }
    m.takeovers = takeovers;
    m.releases = releases;
    m.failures = failures;
    m.now_unix_ms = unix_ms();
    return render_worker_metrics(m);
  };

  std::unique_ptr<MetricsEndpoint> endpoint;
  if (!options.metrics_listen.empty()) {
    Result<std::unique_ptr<MetricsEndpoint>> started = MetricsEndpoint::start(options.metrics_listen, options.metrics_tls, options.metrics_token);
    if (!started.ok()) {
      // The renewal thread runs already: a joinable std::thread destroyed
      // on the way out would abort the process instead of reporting this.
      renew_stop = true;
      renewer.join();
      return started.status();
    }
    endpoint = std::move(started.value());
    endpoint->publish(metrics_snapshot());
    log(std::string("metrics on ") + (options.metrics_tls.enabled() ? "https://" : "http://") +
        options.metrics_listen.substr(0, options.metrics_listen.rfind(':')) + ":" + std::to_string(endpoint->port()) +
        "/metrics");
  }

  for (;;) {
    const auto t0 = Clock::now();
    const bool stopping = g_stop.load();

    const auto t_renewed = t0;
    // 2. Runners that finished: release (clean stop or failure) or forget (lost).
    for (auto it = owned.begin(); it != owned.end();) {
      Owned& o = it->second;
      PartitionRunner& runner = *o.lease->runner;
      if (!runner.finished()) {
        ++it;
        continue;
      }
      runner.join();
      const uint32_t p = it->first;
      retired.merge(runner.stats().counters);
      if (o.lease->lost || runner.failed()) {
        unsaved.insert(p);
      } else {
        unsaved.erase(p);
      }
      if (o.lease->lost) {
        ++failures;
      } else if (runner.failed()) {
        ++failures;
        release_lease(p, o);
        cooldown[p] = Clock::now() + std::chrono::milliseconds(2000);
        log("released partition " + std::to_string(p) + " after an error; it resumes from its checkpoint");
      } else {
        ++releases;
        release_lease(p, o);
        log("released partition " + std::to_string(p) + " (checkpointed)");
      }
      forget(p);
      it = owned.erase(it);
    }
    owned_count = owned.size();

    // 3. Share the partitions evenly with the live workers.
    if (stopping) {
      for (auto& [p, o] : owned) o.lease->runner->stop();
      if (owned.empty()) break;
    } else {
      live = group_members.live(std::chrono::milliseconds(1));
      uint32_t target = (P + live - 1) / live;
      if (options.max_partitions > 0) target = std::min(target, options.max_partitions);
      uint32_t active = 0;
      for (auto& [p, o] : owned) active += (!o.releasing && !o.lease->lost) ? 1 : 0;
      if (active > target) {
        // Give up the highest-numbered ones: each checkpoints, then its lease is released.
        uint32_t extra = active - target;
        for (auto it = owned.rbegin(); it != owned.rend() && extra > 0; ++it) {
          if (it->second.releasing || it->second.lease->lost) continue;
          it->second.releasing = true;
          it->second.lease->runner->stop();
          --extra;
        }
      } else if (active < target) {
        for (uint32_t i = 0; i < P && active < target; ++i) {
          const uint32_t p = (offset + i) % P;
          if (owned.count(p) != 0) continue;
          if (auto c = cooldown.find(p); c != cooldown.end() && Clock::now() < c->second) continue;
          const std::string key = lease_key(p);
          kvEntry* e = nullptr;
          uint64_t rev = 0;
          natsStatus s = kvStore_Get(&e, leases, key.c_str());
          if (s == NATS_OK) {
            const std::string_view value(static_cast<const char*>(kvEntry_Value(e)),
                                         static_cast<size_t>(kvEntry_ValueLen(e)));
            // Our own name on a partition we do not run: a take whose answer
            // was lost (a slow broker) — it is ours, at that revision.
            const bool adopt = value == name;
            const bool free = value.empty();
            const uint64_t current = kvEntry_Revision(e);
            kvEntry_Destroy(e);
            if (adopt) {
              rev = current;
            } else if (!free) {
              continue;
            } else {
              s = kvStore_Update(&rev, leases, key.c_str(), name.data(), static_cast<int>(name.size()), current);
            }
          } else if (s == NATS_NOT_FOUND) {
            s = kvStore_Create(&rev, leases, key.c_str(), name.data(), static_cast<int>(name.size()));
          } else {
            continue;
          }
          if (s != NATS_OK) continue;  // someone else was quicker
          Owned o;
          o.lease = std::make_shared<Lease>();
          o.lease->revision = rev;
          o.lease->runner = std::make_shared<PartitionRunner>(p, *conn.value(), configs, runner_settings, log);
          o.lease->runner->set_lease_valid_until(t0 + valid_for);
          // The runner's thread may renew before a checkpoint. The Lease
          // outlives its runner's thread (the runner's destructor joins it).
          Lease* lease = o.lease.get();
          o.lease->runner->set_lease_renewer([lease, p, &name, &renew_leases_r, valid_for] {
            std::lock_guard<std::mutex> lock(lease->mutex);
            if (lease->released || lease->lost) return false;
            return renew_lease(renew_leases_r.value()->get(), name, p, *lease, valid_for) == Renewal::kRenewed;
          });
          o.lease->runner->start();
          {
            std::lock_guard<std::mutex> lock(table_mutex);
            table[p] = o.lease;
          }
          owned.emplace(p, std::move(o));
          ++takeovers;
          ++active;
          log("took partition " + std::to_string(p));
        }
      }
    }

    if (std::getenv("CLAIMMAP_DEBUG_LOOP") != nullptr) {
      const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
      if (ms(Clock::now() - t0) > 300) {
        log("slow heartbeat: renew " + std::to_string(ms(t_renewed - t0)) + " ms, rest " +
            std::to_string(ms(Clock::now() - t_renewed)) + " ms");
      }
    }
    // 4. Operations: what we own, metrics; what was retired long enough ago is freed.
    conn.value()->sweep();
    std::string list;
    for (auto& [p, o] : owned) {
      if (o.releasing || !holds(o)) continue;
      list += (list.empty() ? "" : " ") + std::to_string(p);
    }
    if (list != last_printed) {
      log("owns partitions [" + list + "] of " + std::to_string(P) + " (" + std::to_string(live) + " live workers)");
      last_printed = list;
    }
    if (g_dump_metrics.exchange(false)) {
      const std::string text = metrics_snapshot();
      std::fwrite(text.data(), 1, text.size(), stderr);
      std::fflush(stderr);
    }
    if (endpoint) endpoint->publish(metrics_snapshot());
    if (!options.metrics_file.empty() && Clock::now() >= next_metrics) {
      // Durably and atomically (claimmap/service.h): a scraper reading the
      // file never sees half of one snapshot.
      if (Status s = write_text_file_atomically(options.metrics_file, metrics_snapshot()); !s.ok()) {
        log(s.message());
      }
      next_metrics = Clock::now() + std::chrono::milliseconds(options.metrics_every_ms);
    }

    // 5. Until the next heartbeat (sooner when asked to stop).
    // A runner that finished is released at once (a clean stop hands over
    // without waiting for the heartbeat).
    auto any_finished = [&] {
      for (auto& [p, o] : owned) {
        if (o.lease->runner->finished()) return true;
      }
      return false;
    };
    while (Clock::now() < t0 + heartbeat && g_stop.load() == stopping && !any_finished()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  renew_stop = true;
  renewer.join();
  if (!options.metrics_file.empty()) {
    if (Status s = write_text_file_atomically(options.metrics_file, metrics_snapshot()); !s.ok()) log(s.message());
  }
  kvStore_Delete(members, name.c_str());
  if (unsaved.empty()) {
    log("stopped: every partition checkpointed and released");
  } else {
    std::string list;
    for (uint32_t p : unsaved) list += (list.empty() ? "" : " ") + std::to_string(p);
    // Not an error of the stop: such a partition's lease was lost or its
    // broker unreachable, and it resumes from its last checkpoint.
    log("stopped: partitions [" + list + "] not checkpointed (lease lost or broker unreachable); they resume "
        "from their last checkpoint");
  }
  (void)ttl;
  return Status();
}

}  // namespace claimmap::scaleout
