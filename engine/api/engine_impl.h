// The inside of claimmap::Engine, shared by engine.cc, the stream pipeline and
// state_io: the current compiled config, the user store, and the per-thread
// Worker scratch that makes the steady-state path allocation-free.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "claimmap/engine.h"
#include "engine/config/compiled_config.h"
#include "engine/parse/event_parser.h"
#include "engine/match/matcher.h"
#include "engine/sync/outcome.h"
#include "engine/sync/sync.h"
#include "engine/state/user_store.h"

namespace claimmap {

// Everything one thread needs to process events; owned by that thread.
struct Worker {
  explicit Worker(size_t max_line_bytes) : parser(max_line_bytes) {}
  EventParser parser;
  ParsedEvent event;
  MatchResult match;
  SyncScratch sync;
  Outcome outcome;
  std::string padded;  // a copy of a caller's line with simdjson's padding
};

struct Engine::Impl {
  Impl(Config config, EngineOptions options) : config(config.shared()), options(options) {}

  std::shared_ptr<const CompiledConfig> current_config() const {
    std::lock_guard<std::mutex> lock(config_mutex);
    return config;
  }

  // The calling thread's Worker (created on first use).
  Worker& thread_worker();

  // Processes `line` (readable SIMDJSON_PADDING bytes past its end) into
  // worker.outcome, under `config`: prepare_padded() then apply_prepared().
  void process_padded(const CompiledConfig& config, Worker& worker, std::string_view line, uint64_t seq) {
    prepare_padded(config, worker, line, seq);
    apply_prepared(config, worker);
  }
  // The stateless half: parses and, for a login, matches `line` into
  // worker.event and worker.match (views into the worker's parser and into
  // `line`), and starts loading the user's table slot. The single-thread
  // stream prepares one line ahead of the one it applies.
  void prepare_padded(const CompiledConfig& config, Worker& worker, std::string_view line, uint64_t seq);
  // The stateful half, for the line the worker prepared last.
  void apply_prepared(const CompiledConfig& config, Worker& worker) {
    apply_parsed(config, worker.event, worker.match, worker.sync, &worker.outcome);
  }

  // The stateful half of processing: applies a parsed event (matched, if it is
  // a login) to the user store, or turns its error into the outcome. `out`
  // must have been reset for the event's seq. The stream pipeline parses and
  // matches lines in parallel and then calls this in input order.
  void apply_parsed(const CompiledConfig& config, const ParsedEvent& event, const MatchResult& match,
                    SyncScratch& scratch, Outcome* out);

  mutable std::mutex config_mutex;
  std::shared_ptr<const CompiledConfig> config;
  EngineOptions options;
  UserStore store;
};

}  // namespace claimmap
