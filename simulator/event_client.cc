#include "simulator/event_client.h"

namespace claimmap::sim {
namespace {

class InProcessClient final : public EventClient {
 public:
  explicit InProcessClient(Engine& engine) : engine_(engine) {}
  Status send(const std::vector<std::string_view>& lines, uint64_t first_seq, EventCounters* counters) override {
    for (size_t i = 0; i < lines.size(); ++i) {
      out_.clear();
      (void)engine_.process_to_ndjson(lines[i], first_seq + i, &out_, counters);
    }
    return {};
  }

 private:
  Engine& engine_;
  std::string out_;  // the result lines are not kept: the counters are what the run reports
};

}  // namespace

ClientFactory in_process_clients(Engine& engine) {
  return [&engine]() -> Result<std::unique_ptr<EventClient>> { return std::unique_ptr<EventClient>(std::make_unique<InProcessClient>(engine)); };
}

}  // namespace claimmap::sim
