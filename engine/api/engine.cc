// claimmap::Engine: the public facade over parse → match → sync → write.
#include "claimmap/engine.h"

#include <simdjson.h>

#include "engine/sync/delta_writer.h"
#include "engine/api/engine_impl.h"
#include "engine/common/file_io.h"
#include "engine/state/snapshot.h"
#include "engine/state/state_io.h"

namespace claimmap {

Worker& Engine::Impl::thread_worker() {
  // One Worker per thread, shared by every Engine that thread calls: a Worker
  // holds only scratch, never state, between calls.
  thread_local std::unique_ptr<Worker> worker;
  if (!worker || worker->parser.max_line_bytes() != options.max_line_bytes) {
    worker = std::make_unique<Worker>(options.max_line_bytes);
  }
  return *worker;
}

void Engine::Impl::prepare_padded(const CompiledConfig& cfg, Worker& w, std::string_view line, uint64_t seq) {
  w.outcome.reset(seq);
  w.parser.parse(cfg, line, &w.event);
  if (!w.event.ok()) return;
  // The user's table slot is a likely cache miss (a million users do not fit
  // in cache): start loading it now so that it overlaps the match.
  store.prefetch_slot(w.event.provider, w.event.subject);
  if (w.event.kind == EventKind::kLogin) match_login(cfg, w.event, &w.match);
}

void Engine::Impl::apply_parsed(const CompiledConfig& cfg, const ParsedEvent& event, const MatchResult& match,
                                SyncScratch& scratch, Outcome* out) {
  if (event.ok()) {
    apply_event(cfg, event, match, store, scratch, out);
    return;
  }
  // A bad line never changes state: it only reports what was known of it.
  out->kind_known = event.kind_known;
  out->kind = event.kind;
  out->provider_known = event.provider_known;
  out->provider = event.provider;
  out->subject_known = event.subject_known;
  out->subject = event.subject;
  out->status = OutcomeStatus::kError;
  out->error = event.error;
  out->error_message = event.error_message;
}

namespace {

// The line copied into the worker's buffer with simdjson's padding after it.
std::string_view padded_copy(Worker& w, std::string_view line) {
  w.padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
  std::copy(line.begin(), line.end(), w.padded.begin());
  return std::string_view(w.padded.data(), line.size());
}

std::string_view status_word(OutcomeStatus s) {
  switch (s) {
    case OutcomeStatus::kOk: return "ok";
    case OutcomeStatus::kStale: return "stale";
    case OutcomeStatus::kSuspended: return "suspended";
    case OutcomeStatus::kError: return "error";
  }
  return "error";
}

}  // namespace

Engine::Engine(Config config, EngineOptions options) : impl_(std::make_unique<Impl>(config, options)) {}
Engine::~Engine() = default;

Delta Engine::process(std::string_view line, uint64_t seq) {
  auto cfg = impl_->current_config();
  Worker& w = impl_->thread_worker();
  impl_->process_padded(*cfg, w, padded_copy(w, line), seq);
  const Outcome& o = w.outcome;
  Delta d;
  d.seq = seq;
  if (o.is_reload) d.cause = "reload";
  else if (o.kind_known) d.cause = event_kind_name(o.kind);
  if (o.provider_known) d.provider = cfg->provider(o.provider).def.id;
  if (o.subject_known) d.subject = o.subject;
  d.status = status_word(o.status);
  if (o.status == OutcomeStatus::kError) d.error = Status(o.error, o.error_message);
  d.new_user = o.new_user;
  for (GroupId g : o.groups_added) d.groups_added.push_back(cfg->group(g).id);
  for (GroupId g : o.groups_removed) d.groups_removed.push_back(cfg->group(g).id);
  for (RoleId r : o.roles_granted) d.roles_granted.push_back(cfg->role(r).id);
  for (RoleId r : o.roles_revoked) d.roles_revoked.push_back(cfg->role(r).id);
  for (std::string_view name : o.overage) d.overage.emplace_back(name);
  return d;
}

ErrorCode Engine::process_to_ndjson(std::string_view line, uint64_t seq, std::string* out) {
  auto cfg = impl_->current_config();
  Worker& w = impl_->thread_worker();
  impl_->process_padded(*cfg, w, padded_copy(w, line), seq);
  append_outcome_line(*cfg, w.outcome, out);
  return w.outcome.error;
}

std::vector<std::string> Engine::effective_roles(std::string_view provider, std::string_view subject) const {
  auto cfg = impl_->current_config();
  std::vector<std::string> names;
  auto p = cfg->provider_by_id.find(provider);
  if (p == cfg->provider_by_id.end()) return names;
  impl_->store.with_user(p->second, subject, [&](UserHandle& handle) {
    if (!handle.exists()) return;
    UserState user;
    handle.load(&user);
    std::vector<GroupId> groups;
    std::vector<RoleId> roles;
    claimmap::effective_groups(user, &groups);
    claimmap::effective_roles(*cfg, user, groups, &roles);
    for (RoleId r : roles) names.push_back(cfg->role(r).id);
  });
  return names;
}

std::string Engine::export_state() const { return claimmap::export_state(*impl_->current_config(), impl_->store); }

Status Engine::import_state(std::string_view ndjson, StateLoadReport* report) {
  StateLoadReport local;
  Status s = claimmap::import_state(*impl_->current_config(), ndjson, &impl_->store, report ? report : &local);
  return s;
}

Status Engine::load_state_file(const std::string& path, StateLoadReport* report) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  StateLoadReport local;
  // The two forms are told apart by content (SPEC §9).
  const auto cfg = impl_->current_config();
  Status s = is_snapshot(text.value())
                 ? import_snapshot(*cfg, text.value(), &impl_->store, report ? report : &local)
                 : claimmap::import_state(*cfg, text.value(), &impl_->store, report ? report : &local);
  if (!s.ok()) return Status(s.code(), path + ": " + s.message());
  return s;
}

Status Engine::save_state_file(const std::string& path) const {
  constexpr std::string_view kNdjson = ".ndjson";
  const bool ndjson =
      path.size() >= kNdjson.size() && path.compare(path.size() - kNdjson.size(), kNdjson.size(), kNdjson) == 0;
  const auto cfg = impl_->current_config();
  return write_file_atomically(path, ndjson ? claimmap::export_state(*cfg, impl_->store)
                                            : encode_snapshot(*cfg, impl_->store));
}

size_t Engine::user_count() const { return impl_->store.size(); }
size_t Engine::state_bytes() const { return impl_->store.memory_bytes(); }

std::vector<Delta> Engine::process_batch(const std::vector<std::string_view>& lines, uint64_t first_seq) {
  std::vector<Delta> deltas;
  deltas.reserve(lines.size());
  uint64_t seq = first_seq;
  for (std::string_view line : lines) {
    std::string_view content = line;
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (content.find_first_not_of(" \t") != std::string_view::npos) deltas.push_back(process(content, seq));
    ++seq;
  }
  return deltas;
}
Config Engine::config() const { return Config(impl_->current_config()); }

}  // namespace claimmap
