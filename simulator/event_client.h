// simulator/event_client.h — where the replay sends its events: the engine in
// this process (the default), or a running `claimmap serve` over HTTP
// (`simulate --target`, simulator/http_client.h). One client per replay
// thread; results are counted from what the engine reports, in process from
// its outcomes, over HTTP from its result lines (docs/spec.md §8).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/counters.h"
#include "claimmap/engine.h"
#include "claimmap/status.h"

namespace claimmap::sim {

// Not thread-safe: one per thread.
class EventClient {
 public:
  virtual ~EventClient() = default;
  // Sends `lines` as one request (in process: one call each) and counts
  // their results in `counters`. A transport failure is an error status
  // (kIoError); a bad line is a counted result, not a failure.
  virtual Status send(const std::vector<std::string_view>& lines, uint64_t first_seq, EventCounters* counters) = 0;
};

// Makes one client per replay thread (called on that thread, before the run).
using ClientFactory = std::function<Result<std::unique_ptr<EventClient>>()>;

// Clients that call `engine` directly (Engine::process_to_ndjson). `engine`
// must outlive them.
ClientFactory in_process_clients(Engine& engine);

}  // namespace claimmap::sim
