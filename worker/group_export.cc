#include "worker/group_export.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"
#include "claimmap/scaleout.h"
#include "claimmap/service.h"
#include "worker/checkpoint.h"
#include "worker/event_apply.h"
#include "worker/jetstream.h"
#include "worker/partition_runner.h"
#include "worker/pull_consumer.h"

namespace claimmap::scaleout {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kNanosPerMilli = 1000000;
// A stream's leader may be moving after a server died: reads wait this long
// for the next message before they give up.
constexpr std::chrono::milliseconds kFetchPatience{30000};

// The group's base config text: the file given, else the group bucket's copy.
Result<std::string> base_config_text(const std::string& path, KeyValue& group) {
  if (!path.empty()) return read_text_file(path);
  std::optional<std::string> text = group.value(kBaseConfigKey);
  if (!text) {
    return Status(ErrorCode::kInvalidArgument,
                  "events after a checkpoint are under the group's base config, which the group has not recorded: "
                  "give it with --config");
  }
  return std::move(*text);
}

// The stream sequence of the last message on `subject` (0: none).
Result<uint64_t> last_seq_on(JetStream& js, const std::string& subject) {
  natsMsg* raw = nullptr;
  jsErrCode e = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetLastMsg(&raw, js.get(), kEventsStream, subject.c_str(), nullptr, &e);
  if (s == NATS_NOT_FOUND) return uint64_t{0};
  if (s != NATS_OK) return nats_error("the last message on " + subject, s, e);
  MsgPtr msg(raw);
  return natsMsg_GetSequence(raw);
}

// Replays partition `p`'s events after `from.covered` onto the checkpoint's
// state; `from.state` becomes the state after the last one.
Status replay_after_checkpoint(JetStream& js, KeyValue& group, const std::string& base_config_path,
                               std::unique_ptr<ConfigCache>* configs, uint32_t p, Checkpoint* from,
                               uint64_t* replayed) {
  const std::string subject = events_subject(p);
  // Most often the checkpoint covers every event (the workers stopped
  // cleanly): nothing to read.
  Result<uint64_t> last = last_seq_on(js, subject);
  if (!last.ok()) return last.status();
  if (last.value() <= from->covered) return Status();
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.FilterSubject = subject.c_str();
  cc.AckPolicy = js_AckNone;
  cc.DeliverPolicy = from->covered == 0 ? js_DeliverAll : js_DeliverByStartSequence;
  cc.OptStartSeq = from->covered == 0 ? 0 : from->covered + 1;
  cc.InactiveThreshold = 30000 * kNanosPerMilli;
  Result<std::unique_ptr<PullConsumer>> consumer = PullConsumer::create(js, kEventsStream, cc);
  if (!consumer.ok()) return consumer.status();
  if (consumer.value()->initial_pending() == 0) return Status();

  if (*configs == nullptr) {
    Result<std::string> text = base_config_text(base_config_path, group);
    if (!text.ok()) return text.status();
    ConfigReport report;
    Result<Config> base = load_config(text.value(), &report);
    if (!base.ok()) return Status(base.status().code(), "the group's base config: " + base.status().message());
    *configs = std::make_unique<ConfigCache>(base.value());
  }
  Result<Config> config = (*configs)->get(js, from->config_seq);
  if (!config.ok()) return config.status();
  Engine engine(config.value());
  if (!from->state.empty()) {
    if (Status st = load_state_bytes(engine, from->state); !st.ok()) {
      return Status(st.code(), "partition " + std::to_string(p) + " checkpoint: " + st.message());
    }
  }
  AppliedEvent applied;
  Status st = consumer.value()->read_pending(
      [&](natsMsg* m, uint64_t seq) {
        ++*replayed;
        return apply_event(engine, **configs, js, m, seq, nullptr, &applied);
      },
      kFetchPatience);
  if (!st.ok()) return st;
  from->state = save_state_bytes(engine);
  return Status();
}

}  // namespace

Status export_group_state(const std::string& nats_url, uint32_t partitions, const std::string& base_config_path,
                          std::string* ndjson, uint64_t* users, uint64_t* replayed) {
  *replayed = 0;
  Result<std::unique_ptr<Connection>> conn = Connection::open(nats_url, "claimmap worker --export-state");
  if (!conn.ok()) return conn.status();
  Result<std::unique_ptr<JetStream>> js = JetStream::open(*conn.value());
  if (!js.ok()) return js.status();
  Result<std::unique_ptr<KeyValue>> group = KeyValue::open(*js.value(), kGroupBucket, 0, 1);
  if (!group.ok()) return group.status();
  if (partitions == 0) {
    partitions = recorded_partitions(*group.value());
    if (partitions == 0) return Status(ErrorCode::kInvalidArgument, "the group has no partition count recorded");
  }
  CheckpointStore store(*js.value(), 512 * 1024);
  std::unique_ptr<ConfigCache> configs;  // made when a replay needs one
  std::vector<std::string> states;
  for (uint32_t p = 0; p < partitions; ++p) {
    Result<std::optional<Checkpoint>> c = store.read(p);
    if (!c.ok()) return c.status();
    Checkpoint from;
    if (c.value()) from = std::move(*c.value());
    // A server that died leaves the cluster electing leaders for a few
    // seconds: a broker error (a timeout, "Leadership Change") is tried
    // again for up to a minute; a bad config or checkpoint is not.
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    const uint64_t replayed_before = *replayed;
    for (;;) {
      Checkpoint attempt = from;
      Status s = replay_after_checkpoint(*js.value(), *group.value(), base_config_path, &configs, p, &attempt, replayed);
      if (s.ok()) {
        from = std::move(attempt);
        break;
      }
      if (s.code() != ErrorCode::kIoError || Clock::now() > deadline) {
        return Status(s.code(), "partition " + std::to_string(p) + ": " + s.message());
      }
      *replayed = replayed_before;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    if (!from.state.empty()) states.push_back(std::move(from.state));
  }
  std::vector<std::string_view> views(states.begin(), states.end());
  Result<std::string> merged = merge_states_to_ndjson(views, users);
  if (!merged.ok()) return merged.status();
  *ndjson = std::move(merged.value());
  return Status();
}

Status export_group_deltas(const std::string& nats_url, std::string* ndjson, uint64_t* lines) {
  Result<std::unique_ptr<Connection>> conn = Connection::open(nats_url, "claimmap worker --export-deltas");
  if (!conn.ok()) return conn.status();
  Result<std::unique_ptr<JetStream>> jsr = JetStream::open(*conn.value());
  if (!jsr.ok()) return jsr.status();
  JetStream& js = *jsr.value();
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.FilterSubject = "claimmap.deltas.*";
  cc.AckPolicy = js_AckNone;
  cc.DeliverPolicy = js_DeliverAll;
  cc.InactiveThreshold = 30000 * kNanosPerMilli;
  Result<std::unique_ptr<PullConsumer>> consumer = PullConsumer::create(js, kDeltasStream, cc);
  if (!consumer.ok()) return consumer.status();
  *lines = 0;
  return consumer.value()->read_pending(
      [&](natsMsg* m, uint64_t) {
        ndjson->append(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
        ndjson->push_back('\n');
        ++*lines;
        return Status();
      },
      kFetchPatience);
}

}  // namespace claimmap::scaleout
