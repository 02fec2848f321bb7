// claimmap/scaleout.h: the engine's prepare stage and state codecs, for worker/.
#include "claimmap/scaleout.h"

#include <memory>

#include "claimmap/lines.h"
#include "engine/api/engine_impl.h"
#include "engine/prepare/prepare_stage.h"
#include "engine/state/snapshot.h"

namespace claimmap {

EventUser event_user(const Config& config, std::string_view line, size_t max_line_bytes) {
  // One scratch per thread (the parser reads up to 64 bytes past the line's
  // end: the line is copied with padding).
  thread_local std::unique_ptr<PrepareScratch> scratch;
  if (!scratch || scratch->parser.max_line_bytes() != max_line_bytes) {
    scratch = std::make_unique<PrepareScratch>(max_line_bytes);
  }
  const CompiledConfig& compiled = ConfigAccess::compiled(config);
  prepare_line(compiled, LineInput{scratch->pad(line_content(line))}, PrepareUpTo::kUser, *scratch);
  const ParsedEvent& event = scratch->event;
  EventUser user;
  if (event.provider_known && event.subject_known && !event.subject.empty()) {
    user.known = true;
    user.provider = compiled.provider(event.provider).def.id;
    user.subject.assign(event.subject);
  }
  return user;
}

std::string save_state_bytes(const Engine& engine) {
  return EngineAccess::impl(engine).read_whole_state(
      [](const ConfigVersion& v, const UserStore& store) { return encode_snapshot(*v.config, store); });
}

Status load_state_bytes(Engine& engine, std::string_view bytes, StateLoadReport* report) {
  return EngineAccess::impl(engine).load_state(bytes, report);
}

}  // namespace claimmap
