#include "worker/partition_runner.h"

#include <chrono>
#include <exception>
#include <unordered_set>

#include "claimmap/delta.h"
#include "claimmap/engine.h"
#include "claimmap/scaleout.h"
#include "worker/checkpoint.h"
#include "worker/event_apply.h"
#include "worker/pull_consumer.h"

namespace claimmap::scaleout {

namespace {

constexpr int64_t kNanosPerMilli = 1000000;

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The Nats-Msg-Ids of the partition's results stored after `deltas_seq`:
// results of messages after the checkpoint that a previous owner published
// before it died. The replay does not publish them again (docs/scaleout.md
// "Exactly one result"), whatever the de-duplication window.
Result<std::unordered_set<std::string>> published_after(JetStream& js, uint32_t p, uint64_t deltas_seq) {
  std::unordered_set<std::string> ids;
  jsStreamInfo* info = nullptr;
  jsErrCode e = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js.get(), kDeltasStream, nullptr, &e);
  if (s != NATS_OK) return nats_error("deltas stream info", s, e);
  const uint64_t last = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  if (last <= deltas_seq) return ids;
  const std::string subject = deltas_subject(p);
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.FilterSubject = subject.c_str();
  cc.AckPolicy = js_AckNone;
  cc.DeliverPolicy = deltas_seq == 0 ? js_DeliverAll : js_DeliverByStartSequence;
  cc.OptStartSeq = deltas_seq == 0 ? 0 : deltas_seq + 1;
  cc.InactiveThreshold = 30000 * kNanosPerMilli;
  Result<std::unique_ptr<PullConsumer>> consumer = PullConsumer::create(js, kDeltasStream, cc);
  if (!consumer.ok()) return consumer.status();
  // Patience 0: one fetch that brings nothing ends the setup with an error
  // (the partition is tried again from its checkpoint).
  Status st = consumer.value()->read_pending(
      [&](natsMsg* m, uint64_t) {
        ids.insert(header(m, kMsgIdHeader));
        return Status();
      },
      std::chrono::milliseconds(0));
  if (!st.ok()) return Status(st.code(), "reading the results stored after the checkpoint: " + st.message());
  return ids;
}

}  // namespace

Result<Config> ConfigCache::get(JetStream& js, uint64_t marker_seq, std::string_view text) {
  if (marker_seq == 0) return base_;
  std::string owned;
  if (text.empty()) {
    natsMsg* raw = nullptr;
    jsErrCode e = static_cast<jsErrCode>(0);
    natsStatus s = js_GetMsg(&raw, js.get(), kEventsStream, marker_seq, nullptr, &e);
    if (s != NATS_OK) return nats_error("reload marker " + std::to_string(marker_seq), s, e);
    MsgPtr msg(raw);
    owned.assign(natsMsg_GetData(raw), static_cast<size_t>(natsMsg_GetDataLength(raw)));
    text = owned;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = by_text_.find(text); it != by_text_.end()) return it->second;
  }
  ConfigReport report;
  Result<Config> c = load_config(text, &report, base_dir_);
  if (!c.ok()) {
    std::string why = c.status().message();
    for (const std::string& line : report.error_lines()) why += "; " + line;
    return Status(c.status().code(), "reload marker " + std::to_string(marker_seq) + ": " + why);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  by_text_.emplace(std::string(text), c.value());
  return c.value();
}

PartitionRunner::PartitionRunner(uint32_t partition, Connection& conn, ConfigCache& configs, RunnerSettings settings,
                                 Log log)
    : partition_(partition), conn_(conn), configs_(configs), settings_(settings), log_(std::move(log)) {
  stats_.partition = partition;
}

PartitionRunner::~PartitionRunner() {
  abandon();
  join();
}

void PartitionRunner::start() { thread_ = std::thread([this] { run(); }); }
void PartitionRunner::stop() { stop_ = true; }
void PartitionRunner::abandon() { abandon_ = true; }
void PartitionRunner::join() {
  if (thread_.joinable()) thread_.join();
}

void PartitionRunner::set_lease_valid_until(std::chrono::steady_clock::time_point t) {
  lease_valid_until_ns_ =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool PartitionRunner::lease_valid() const { return steady_ns() < lease_valid_until_ns_.load(); }

bool PartitionRunner::lease_held_for_checkpoint() {
  if (abandon_) return false;
  if (lease_valid()) return true;
  return renew_ && renew_() && lease_valid();
}

Status PartitionRunner::wait_for_acks(JetStream& js) {
  // In short slices, so that a lost lease or an abandon ends the wait at
  // once. When a stream's leader moves (a server died), the acknowledgements
  // of publishes in flight never come: after kResendMs without any, the
  // unacknowledged results are published again (their Nats-Msg-Ids make
  // the copies already stored duplicates). A broker that has not answered
  // after kAckWaitMs ends the partition cleanly: released, resumed from its
  // checkpoint, the results already stored de-duplicated.
  constexpr int64_t kSliceMs = 250, kResendMs = 3000, kAckWaitMs = 60000;
  const int64_t deadline = steady_ns() + kAckWaitMs * kNanosPerMilli;
  uint64_t acks = js.acks_received();
  int64_t last_progress = steady_ns();
  for (;;) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = kSliceMs;
    const natsStatus st = js_PublishAsyncComplete(js.get(), &po);
    if (st == NATS_OK) return Status();
    if (st != NATS_TIMEOUT) return nats_error("waiting for the results' acknowledgements", st);
    if (abandon_) return Status();
    if (const uint64_t now_acks = js.acks_received(); now_acks != acks) {
      acks = now_acks;
      last_progress = steady_ns();
    } else if (steady_ns() - last_progress > kResendMs * kNanosPerMilli) {
      Result<size_t> sent = js.republish_pending();
      if (!sent.ok()) return sent.status();
      log_("partition " + std::to_string(partition_) + ": no acknowledgement for " +
           std::to_string(kResendMs / 1000) + " s: published " + std::to_string(sent.value()) +
           " results again (de-duplicated by Msg-Id)");
      last_progress = steady_ns();
    }
    if (!lease_valid()) {
      return Status(ErrorCode::kIoError,
                    "lease not renewed while waiting for the results' acknowledgements: stopped without a checkpoint");
    }
    if (steady_ns() > deadline) {
      return Status(ErrorCode::kIoError, "nats: no acknowledgement of the results in " +
                                             std::to_string(kAckWaitMs / 1000) + " s: restarting from the checkpoint");
    }
  }
}

PartitionStats PartitionRunner::stats() const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  return stats_;
}

void PartitionRunner::run() {
  // An exception must not leave the thread (std::terminate ends the whole
  // worker): it ends this partition's run like any error, and the partition
  // resumes from its checkpoint.
  Status s;
  try {
    s = run_owned();
  } catch (const std::exception& e) {
    s = Status(ErrorCode::kIoError, std::string("internal error: ") + e.what());
  }
  if (!s.ok()) {
    failed_ = true;
    log_("partition " + std::to_string(partition_) + ": " + s.message());
  }
  finished_ = true;
}

Status PartitionRunner::run_owned() {
  const uint32_t p = partition_;
  Result<std::unique_ptr<JetStream>> jsr = JetStream::open(conn_, 10000, settings_.max_pending);
  if (!jsr.ok()) return jsr.status();
  JetStream& js = *jsr.value();
  CheckpointStore store(js, settings_.chunk_bytes);

  // 1. The last checkpoint: state, the config it is under, what it covers.
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::optional<Checkpoint>> ck = store.read(p);
  if (!ck.ok()) return ck.status();
  Checkpoint last;
  last.partition = p;
  if (ck.value()) last = std::move(*ck.value());
  Result<Config> config = configs_.get(js, last.config_seq);
  if (!config.ok()) return config.status();
  auto engine = std::make_unique<Engine>(config.value());
  if (!last.state.empty()) {
    if (Status st = load_state_bytes(*engine, last.state); !st.ok()) {
      return Status(st.code(), "checkpoint: " + st.message());
    }
  }
  last.state.clear();
  last.state.shrink_to_fit();
  uint64_t covered = last.covered, config_seq = last.config_seq, line_seq = last.line_seq;
  uint64_t deltas_seq = last.deltas_seq;
  uint64_t manifest_fence = last.manifest_seq;  // see CheckpointStore::write

  // 2. Results a previous owner stored after the checkpoint.
  Result<std::unordered_set<std::string>> already = published_after(js, p, last.deltas_seq);
  if (!already.ok()) return already.status();

  // 3. The partition's consumer, recreated to start right after the checkpoint
  // (this also cuts off a previous owner still pulling from it).
  const std::string durable = "claimmap-p" + std::to_string(p);
  const std::string subject = events_subject(p);
  jsErrCode e = static_cast<jsErrCode>(0);
  js_DeleteConsumer(js.get(), kEventsStream, durable.c_str(), nullptr, &e);
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = durable.c_str();
  cc.FilterSubject = subject.c_str();
  cc.AckPolicy = js_AckAll;
  cc.AckWait = 60000 * kNanosPerMilli;
  cc.MaxAckPending = 200000;
  cc.DeliverPolicy = covered == 0 ? js_DeliverAll : js_DeliverByStartSequence;
  cc.OptStartSeq = covered == 0 ? 0 : covered + 1;
  Result<std::unique_ptr<PullConsumer>> made = PullConsumer::create(js, kEventsStream, cc);
  if (!made.ok()) return made.status();
  PullConsumer& consumer = *made.value();
  const uint64_t initial_pending = consumer.initial_pending();
  {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    stats_.applied_seq = covered;
    stats_.line_seq = line_seq;
    stats_.checkpoint_seq = last.covered;
    stats_.checkpoint_unix_ms = last.unix_ms;
    stats_.users = engine->user_count();
    stats_.state_bytes = engine->state_bytes();
    stats_.lag = initial_pending;
    stats_.config_version = engine->config_version();
  }
  const double setup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_("partition " + std::to_string(p) + ": serving from event " + std::to_string(covered + 1) +
       (ck.value() ? " (checkpoint: " + std::to_string(last.users) + " users, line " + std::to_string(line_seq) + ")"
                   : " (no checkpoint)") +
       ", " + std::to_string(initial_pending) + " to replay, " + std::to_string(already.value().size()) +
       " results already stored, ready in " + std::to_string(static_cast<int>(setup_s * 1000)) + " ms");

  const std::string out_subject = deltas_subject(p);
  EventCounters counters;
  uint64_t published = 0, skipped = 0;
  uint64_t since_checkpoint = 0;
  auto last_checkpoint_time = std::chrono::steady_clock::now();
  uint64_t checkpoint_covered = last.covered, checkpoint_config = last.config_seq;
  int64_t checkpoint_unix = last.unix_ms;
  uint64_t last_consumer_seq = 0;
  AppliedEvent applied;
  std::vector<MsgPtr> batch;

  auto publish_result = [&](std::string_view line, const std::string& id, uint64_t input_seq,
                            uint64_t seq) -> Status {
    if (already.value().count(id) != 0) {
      ++skipped;
      return Status();
    }
    natsMsg* msg = nullptr;
    natsStatus st = natsMsg_Create(&msg, out_subject.c_str(), nullptr, line.data(), static_cast<int>(line.size()));
    if (st == NATS_OK) st = natsMsgHeader_Set(msg, kMsgIdHeader, id.c_str());
    if (st == NATS_OK) st = natsMsgHeader_Set(msg, kInputSeqHeader, std::to_string(input_seq).c_str());
    if (st == NATS_OK) st = natsMsgHeader_Set(msg, kSeqHeader, std::to_string(seq).c_str());
    if (st == NATS_OK) st = js_PublishMsgAsync(js.get(), &msg, nullptr);
    natsMsg_Destroy(msg);
    if (st != NATS_OK) return nats_error("publishing a result", st);
    ++published;
    return Status();
  };

  auto checkpoint = [&]() -> Status {
    // The manifest's expected-sequence fence refuses a stale owner anyway;
    // this keeps an owner that knows it may have lost the lease from trying.
    if (!lease_held_for_checkpoint()) {
      return Status(ErrorCode::kIoError, "lease not renewed in time: stopped without a checkpoint");
    }
    Checkpoint c;
    c.partition = p;
    c.covered = covered;
    c.config_seq = config_seq;
    deltas_seq = std::max(deltas_seq, js.max_acked_seq());
    c.deltas_seq = deltas_seq;
    c.line_seq = line_seq;
    c.users = engine->user_count();
    c.unix_ms = unix_ms();
    c.state = save_state_bytes(*engine);
    if (Status st = store.write(c, &manifest_fence); !st.ok()) return st;
    checkpoint_covered = covered;
    checkpoint_config = config_seq;
    checkpoint_unix = c.unix_ms;
    since_checkpoint = 0;
    last_checkpoint_time = std::chrono::steady_clock::now();
    return Status();
  };
  auto checkpoint_due = [&] {
    if (covered == checkpoint_covered) return false;
    return since_checkpoint >= settings_.checkpoint_events ||
           std::chrono::steady_clock::now() - last_checkpoint_time >=
               std::chrono::milliseconds(settings_.checkpoint_ms);
  };

  for (;;) {
    if (abandon_) return Status();
    if (stop_) break;
    if (!lease_valid()) return Status(ErrorCode::kIoError, "lease not renewed in time: stopped without a checkpoint");
    batch.clear();
    if (Status st = consumer.fetch(settings_.fetch_batch, 200, &batch); !st.ok()) return st;
    if (batch.empty()) {
      if (checkpoint_due()) {
        if (Status st = checkpoint(); !st.ok()) return st;
      }
      std::lock_guard<std::mutex> lock(stats_mutex_);
      stats_.lag = 0;
      stats_.checkpoint_seq = checkpoint_covered;
      stats_.checkpoint_unix_ms = checkpoint_unix;
      continue;
    }
    natsMsg* last_msg = nullptr;
    uint64_t pending = 0;
    for (const MsgPtr& owned : batch) {
      natsMsg* m = owned.get();
      jsMsgMetaData* meta = nullptr;
      if (natsStatus st = natsMsg_GetMetaData(&meta, m); st != NATS_OK) return nats_error("message metadata", st);
      const uint64_t sseq = meta->Sequence.Stream, cseq = meta->Sequence.Consumer;
      pending = meta->NumPending;
      jsMsgMetaData_Destroy(meta);
      // Deliveries come one after the other; a gap means a message was
      // lost on the way: start over from the checkpoint rather than skip it.
      if (cseq != last_consumer_seq + 1) {
        return Status(ErrorCode::kIoError, "delivery gap on " + subject + " (consumer sequence " +
                                               std::to_string(last_consumer_seq) + " then " + std::to_string(cseq) +
                                               "): restarting from the checkpoint");
      }
      last_consumer_seq = cseq;
      last_msg = m;
      // Between any two messages: a lost lease stops the partition at once,
      // before its next owner can have started (it waits for the lease's
      // expiry on the server, a fifth of the TTL after our validity ends).
      if (abandon_) return Status();
      if (!lease_valid()) {
        return Status(ErrorCode::kIoError, "lease not renewed in time: stopped without a checkpoint");
      }
      if (sseq <= covered) continue;  // a redelivery of a message already applied
      if (Status st = apply_event(*engine, configs_, js, m, sseq, &counters, &applied, DeltaOptions{settings_.explain});
          !st.ok()) {
        return st;
      }
      if (!applied.not_applied.empty()) log_("partition " + std::to_string(p) + ": " + applied.not_applied + " (not applied)");
      if (applied.config_applied) config_seq = sseq;
      const std::string id = "d" + std::to_string(sseq);
      for (size_t k = 0; k < applied.lines.size(); ++k) {
        // A reload's deltas are d<seq>.1, .2, ...; a login's one line d<seq>.
        const std::string line_id = applied.reload ? id + "." + std::to_string(k + 1) : id;
        if (Status st = publish_result(applied.lines[k], line_id, sseq, applied.line_seq); !st.ok()) return st;
      }
      covered = sseq;
      line_seq = applied.line_seq;
      ++since_checkpoint;
    }
    // Every result acknowledged by JetStream before the input is.
    if (Status st = wait_for_acks(js); !st.ok()) return st;
    if (abandon_) return Status();
    if (js.async_failures() > 0) {
      return Status(ErrorCode::kIoError, "results not stored: " + js.first_async_error());
    }
    if (last_msg != nullptr) {
      // AckAll: this and every one before. A lost acknowledgement costs only
      // a redelivery, skipped as already applied.
      (void)consumer.ack(last_msg);
    }
    if (checkpoint_due()) {
      if (Status st = checkpoint(); !st.ok()) return st;
    }
    std::lock_guard<std::mutex> lock(stats_mutex_);
    stats_.applied_seq = covered;
    stats_.line_seq = line_seq;
    stats_.lag = pending;
    stats_.checkpoint_seq = checkpoint_covered;
    stats_.checkpoint_unix_ms = checkpoint_unix;
    stats_.users = engine->user_count();
    stats_.state_bytes = engine->state_bytes();
    stats_.config_version = engine->config_version();
    stats_.results_published = published;
    stats_.results_skipped = skipped;
    stats_.counters = counters;
  }
  // A clean stop: the exact state, so that the next owner replays nothing.
  if (covered != checkpoint_covered || config_seq != checkpoint_config) {
    if (Status st = checkpoint(); !st.ok()) return st;
  }
  std::lock_guard<std::mutex> lock(stats_mutex_);
  stats_.checkpoint_seq = checkpoint_covered;
  stats_.checkpoint_unix_ms = checkpoint_unix;
  stats_.counters = counters;
  return Status();
}

}  // namespace claimmap::scaleout
