// claimmap/scaleout.h: the engine's parser and state codecs, for worker/.
#include "claimmap/scaleout.h"

#include <simdjson.h>

#include <memory>

#include "engine/api/engine_impl.h"
#include "engine/parse/event_parser.h"
#include "engine/state/snapshot.h"
#include "engine/state/state_io.h"

namespace claimmap {

EventUser event_user(const Config& config, std::string_view line, size_t max_line_bytes) {
  // One parser and padded buffer per thread (the parser reads up to 64
  // bytes past the line's end).
  thread_local std::unique_ptr<EventParser> parser;
  thread_local std::string padded;
  if (!parser || parser->max_line_bytes() != max_line_bytes) parser = std::make_unique<EventParser>(max_line_bytes);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  padded.assign(line);
  padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
  const CompiledConfig& compiled = config.compiled();
  ParsedEvent event;
  parser->parse(compiled, std::string_view(padded.data(), line.size()), &event);
  EventUser user;
  if (event.provider_known && event.subject_known && !event.subject.empty()) {
    user.known = true;
    user.provider = compiled.provider(event.provider).def.id;
    user.subject.assign(event.subject);
  }
  return user;
}

std::string save_state_bytes(const Engine& engine) {
  const Engine::Impl& impl = EngineAccess::impl(engine);
  std::lock_guard<std::mutex> admin(impl.admin_mutex);
  const auto v = impl.current_version_shared();
  return encode_snapshot(*v->config, impl.store);
}

Status load_state_bytes(Engine& engine, std::string_view bytes, StateLoadReport* report) {
  Engine::Impl& impl = EngineAccess::impl(engine);
  StateLoadReport local;
  std::lock_guard<std::mutex> admin(impl.admin_mutex);
  const auto v = impl.current_version_shared();
  UserStore staged;
  Status s = is_snapshot(bytes) ? import_snapshot(*v->config, bytes, impl.store, &staged, report ? report : &local)
                                : import_state(*v->config, bytes, impl.store, &staged, report ? report : &local);
  if (s.ok()) impl.replace_state(staged, *v);
  return s;
}

}  // namespace claimmap
