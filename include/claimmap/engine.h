// claimmap/engine.h — the engine an auth pipeline embeds (docs/spec.md §12).
//
//   claimmap::ConfigReport report;
//   auto config = claimmap::load_config_file("config.json", &report);
//   if (!config.ok()) { for (auto& e : report.errors) log(e.to_string()); return; }
//   claimmap::Engine engine(config.value());
//   claimmap::Delta d = engine.process(R"({"provider":"entra","claims":{...}})");
//   if (d.status == claimmap::DeltaStatus::kOk) put_roles_in_session(engine.effective_roles("entra", d.subject));
//
// Thread-safety: every method may be called from any number of threads at
// once. Events of the same user are applied one at a time, in the order the
// calls take the user's lock; events of different users run in parallel.
// reload(), import_state() and the state files run while events continue:
// each event sees exactly one config version and one whole state, never a mix.
// Ownership: the Engine owns the user state; Config handles are shared.
// Errors are values: bad input gives a Delta with status kError, never an
// exception.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/audit.h"
#include "claimmap/config.h"
#include "claimmap/counters.h"
#include "claimmap/delta.h"
#include "claimmap/explain.h"
#include "claimmap/lines.h"
#include "claimmap/query.h"
#include "claimmap/state.h"
#include "claimmap/status.h"
#include "claimmap/user.h"

namespace claimmap {

struct EngineOptions {
  size_t max_line_bytes = kDefaultMaxLineBytes;  // longer lines get event_too_large (claimmap/lines.h)
  // The number config_version() gives the config the engine is built with;
  // each reload adds one. 1 unless given (0 is taken as 1): a server that
  // restarts on a config it had applied as version N passes N, so that its
  // versions go on counting where they were (docs/server.md, the config store).
  uint64_t first_config_version = 1;
  // The time signed tokens are checked against (docs/spec.md §15: exp, nbf),
  // in seconds since the epoch: the wall clock, read at each token, unless
  // given. `eval --now`, `diff --replay --now` and `simulate` fix it so that
  // the same input gives the same output on any day.
  std::optional<int64_t> now_seconds;
};

// What a reload did (docs/spec.md §7).
struct ReloadResult {
  // One line per user whose effective groups or roles changed, cause kReload,
  // seq 0 (callers number them), sorted bytewise by provider then subject.
  std::vector<Delta> deltas;
  // Users whose stored records were rewritten: something dropped, or ids
  // renumbered because names were added or removed around theirs.
  size_t users_changed = 0;
  uint64_t config_version = 0;     // the version now current

  // The one writer of a reload's results (eval's stream, the server's
  // PUT /v1/config, the worker): each delta numbered `seq` (the input line
  // the reload came before; 0 when it came from outside the input) and
  // appended to `out` as an NDJSON line (docs/spec.md §7, §8), and counted
  // in `counters` when given.
  void append_ndjson(uint64_t seq, std::string* out, EventCounters* counters = nullptr);
};

// A provisioning push (docs/spec.md §3, §6) given as values, for a caller
// that holds them already (the server's SCIM routes): the same result as the
// push line with these members, without JSON text in between. The strings
// are only read during the call.
struct Push {
  Cause type = Cause::kAssign;  // kAssign … kDelete; anything else is invalid_event
  std::string_view provider;
  std::string_view subject;
  std::string_view group;  // kAssign, kUnassign
  std::string_view role;   // kGrant, kRevoke
};

class Engine {
 public:
  explicit Engine(Config config, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Processes one event line (docs/spec.md §3: an envelope, a push or a bare token)
  // and returns what it did. `seq` is copied into the result.
  [[nodiscard]] Delta process(std::string_view line, uint64_t seq = 0, DeltaOptions options = {});

  // The same, appending the NDJSON output line (docs/spec.md §8) to `out`: the fast
  // path, which allocates nothing per event once warmed up. Returns the
  // line's error code (kOk unless its status is error) and, if `counters` is
  // given, counts the result there.
  [[nodiscard]] ErrorCode process_to_ndjson(std::string_view line, uint64_t seq, std::string* out,
                                            EventCounters* counters = nullptr, DeltaOptions options = {});

  // The same for a push given as values (see Push).
  [[nodiscard]] Delta push(const Push& push, uint64_t seq = 0, DeltaOptions options = {});

  // Processes several event lines in order, as one caller's sequence; seqs
  // count from `first_seq`. Blank lines are skipped but counted (docs/spec.md §8).
  [[nodiscard]] std::vector<Delta> process_batch(const std::vector<std::string_view>& lines, uint64_t first_seq = 1);

  // Replaces the config (docs/spec.md §7): atomically between events — an event
  // sees the old version or the new one, whatever thread it runs on — and
  // at once applies what the change revokes (or grants, for a group's new
  // roles) without waiting for logins. Reloads are serialised. With
  // options.explain each reload line carries its explain (docs/spec.md §17).
  [[nodiscard]] Result<ReloadResult> reload(Config next, DeltaOptions options = {});

  // The user's effective roles now (sorted), or empty for an unknown user.
  std::vector<std::string> effective_roles(std::string_view provider, std::string_view subject) const;

  // The user's whole record now, or nullopt for a user the engine does not
  // hold. Takes the user's shard lock for the copy only.
  std::optional<UserRecord> find_user(std::string_view provider, std::string_view subject) const;

  // Calls `visit` once for every user the engine holds, with the same record
  // find_user gives, in no particular order: one walk over the store, a
  // shard at a time under that shard's lock, never a copy of the state (the
  // record is reused; copy what must outlive the call). `visit` must not
  // call back into this Engine (its shard is locked: a deadlock). Events
  // processed meanwhile wait for the shard being walked, not for the walk.
  void for_each_user(const std::function<void(const UserRecord&)>& visit) const;

  // The subjects of every user of `provider` the engine holds, sorted
  // bytewise (the SCIM server pages through them, docs/spec.md §13). One
  // walk over the store, a shard at a time under its lock; no record is
  // read. Empty for a provider without users.
  std::vector<std::string> subjects(std::string_view provider) const;

  // Least privilege and lockout findings of the config and the state
  // (docs/spec.md §17, claimmap/audit.h): one walk over the users, a shard
  // at a time, never a copy of the state. `replay` (login lines, optional):
  // a mapping one of them matches is not unused; nothing is applied.
  AuditReport audit(const std::string_view* replay = nullptr) const;

  // Why the user holds what it holds (docs/spec.md §17, claimmap/explain.h),
  // or nullopt for a user the engine does not hold. Same locking as find_user.
  std::optional<UserExplanation> explain_user(std::string_view provider, std::string_view subject) const;

  // Who holds a role, an app or a group, and how (docs/spec.md §7 who-has), sorted
  // by provider, subject (then role). Reads one shard at a time: no copy of
  // the whole state. kInvalidArgument for a name the config does not have.
  [[nodiscard]] Result<std::vector<AccessHolder>> who_has(const AccessQuery& query) const;

  // The state as NDJSON, one user a line, sorted by provider then subject (docs/spec.md §9).
  std::string export_state() const;
  // Replaces the whole state with `ndjson` (docs/spec.md §9; a binary
  // snapshot's bytes are taken too, told apart by content) at once: an event
  // running meanwhile sees the old state or the new one and is never lost.
  // On any bad line nothing is loaded and the status names the line; on
  // success `report` says what the current config no longer justified.
  [[nodiscard]] Status import_state(std::string_view ndjson, StateLoadReport* report = nullptr);

  // The same, from and to files (docs/spec.md §9). Loading tells the NDJSON form and
  // the binary snapshot (versioned, checksummed; a damaged one is refused
  // whole) apart by content. Saving writes atomically (temp file, fsync,
  // rename): a name ending in ".ndjson" gets the NDJSON form, any other the
  // binary snapshot. kIoError for a path that cannot be read, or that is not
  // a regular file, when loading; and when saving, naming the path (check it
  // before long work with check_output_file, claimmap/paths.h).
  [[nodiscard]] Status load_state_file(const std::string& path, StateLoadReport* report = nullptr);
  [[nodiscard]] Status save_state_file(const std::string& path) const;

  size_t user_count() const;
  // Bytes the user state holds now (tables and records), for capacity planning.
  size_t state_bytes() const;
  Config config() const;
  // The options the engine was built with.
  const EngineOptions& options() const;
  // The current config's version: EngineOptions::first_config_version (1
  // unless given) for the config the engine was built with, one more at
  // every reload.
  uint64_t config_version() const;

  class Impl;  // engine-internal (engine/api/engine_impl.h)

 private:
  friend class EngineAccess;  // engine-internal: the stream pipeline and queries
  std::unique_ptr<Impl> impl_;
};

}  // namespace claimmap
