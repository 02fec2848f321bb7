#include "worker/jetstream.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <mutex>
#include <vector>

namespace claimmap::scaleout {

std::string events_subject(uint32_t p) { return "claimmap.events." + std::to_string(p); }
std::string deltas_subject(uint32_t p) { return "claimmap.deltas." + std::to_string(p); }
std::string checkpoint_data_subject(uint32_t p) { return "claimmap.checkpoints." + std::to_string(p) + ".data"; }
std::string checkpoint_manifest_subject(uint32_t p) {
  return "claimmap.checkpoints." + std::to_string(p) + ".manifest";
}
std::string lease_key(uint32_t p) { return "p." + std::to_string(p); }

Status nats_error(std::string_view what, natsStatus s, jsErrCode e) {
  std::string message = "nats: " + std::string(what) + ": " + natsStatus_GetText(s);
  if (e != 0) message += " (JetStream error " + std::to_string(static_cast<int>(e)) + ")";
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail != nullptr && *detail != '\0' && last == s) message += ": " + std::string(detail);
  return Status(ErrorCode::kIoError, std::move(message));
}

std::string header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) return {};
  return value;
}

uint64_t header_u64(natsMsg* msg, const char* key, uint64_t fallback) {
  const std::string text = header(msg, key);
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return fallback;
  return v;
}

// --- Connection --------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::open(const std::string& urls, const std::string& name) {
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  // A list "nats://a:4222,nats://b:4222": every server of a cluster.
  std::vector<std::string> list;
  for (size_t pos = 0; pos <= urls.size();) {
    size_t comma = urls.find(',', pos);
    if (comma == std::string::npos) comma = urls.size();
    if (comma > pos) list.push_back(urls.substr(pos, comma - pos));
    pos = comma + 1;
  }
  std::vector<const char*> servers;
  for (const std::string& u : list) servers.push_back(u.c_str());
  if (s == NATS_OK) {
    s = servers.size() <= 1 ? natsOptions_SetURL(opts, urls.c_str())
                            : natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  }
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 5000);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // forever: leases fence a cut-off worker
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 250);
  if (s == NATS_OK) s = natsOptions_SetIOBufSize(opts, 1 << 20);
  if (s == NATS_OK) s = natsOptions_SetMaxPendingMsgs(opts, 1 << 20);
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return nats_error("connection options", s);
  }
  std::unique_ptr<Connection> c(new Connection());
  s = natsConnection_Connect(&c->nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return nats_error("cannot connect to " + urls, s);
  return c;
}

Connection::~Connection() {
  if (nc_ == nullptr) return;
  natsConnection_FlushTimeout(nc_, 2000);
  natsConnection_Close(nc_);  // its reader has stopped: nothing retired can be reached now
  std::deque<Retired> rest;
  {
    std::lock_guard<std::mutex> lock(retired_mutex_);
    rest.swap(retired_);
  }
  for (Retired& r : rest) r.destroy();
  natsConnection_Destroy(nc_);
}

void Connection::retire(std::function<void()> destroy) {
  {
    std::lock_guard<std::mutex> lock(retired_mutex_);
    retired_.push_back(Retired{std::chrono::steady_clock::now() + kRetireDelay, std::move(destroy)});
  }
  sweep();
}

void Connection::sweep() {
  std::deque<Retired> due;
  {
    std::lock_guard<std::mutex> lock(retired_mutex_);
    const auto now = std::chrono::steady_clock::now();
    while (!retired_.empty() && retired_.front().due <= now) {
      due.push_back(std::move(retired_.front()));
      retired_.pop_front();
    }
  }
  for (Retired& r : due) r.destroy();  // outside the lock: a destroy may take the library's locks
}

Subscription::~Subscription() {
  if (sub_ == nullptr) return;
  natsSubscription_Unsubscribe(sub_);  // no more messages routed to it (and an ephemeral consumer deleted)
  natsSubscription* sub = sub_;
  conn_->retire([sub] { natsSubscription_Destroy(sub); });
}

int64_t Connection::max_payload() const { return natsConnection_GetMaxPayload(nc_); }

// --- JetStream ----------------------------------------------------------------

struct JetStream::AsyncState {
  std::atomic<uint64_t> acks{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> max_seq{0};
  std::atomic<uint64_t> duplicates{0};
  std::mutex mutex;
  std::string first_error;
};

void JetStream::on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* state = static_cast<AsyncState*>(closure);
  state->acks.fetch_add(1);
  if (pa != nullptr) {
    uint64_t cur = state->max_seq.load();
    while (pa->Sequence > cur && !state->max_seq.compare_exchange_weak(cur, pa->Sequence)) {
    }
    if (pa->Duplicate) state->duplicates.fetch_add(1);
  }
  if (pa == nullptr && pae != nullptr) {
    if (state->failures.fetch_add(1) == 0) {
      std::lock_guard<std::mutex> lock(state->mutex);
      state->first_error = std::string(natsStatus_GetText(pae->Err)) +
                           (pae->ErrText != nullptr ? std::string(": ") + pae->ErrText : std::string()) +
                           " (subject " + natsMsg_GetSubject(msg) + ")";
    }
  }
  natsMsg_Destroy(msg);
}

Result<std::unique_ptr<JetStream>> JetStream::open(Connection& conn, int64_t wait_ms, int64_t max_pending) {
  std::unique_ptr<JetStream> j(new JetStream());
  j->conn_ = &conn;
  j->async_ = std::make_shared<AsyncState>();
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = wait_ms;
  o.PublishAsync.MaxPending = max_pending;
  o.PublishAsync.AckHandler = &JetStream::on_ack;
  o.PublishAsync.AckHandlerClosure = j->async_.get();
  o.PublishAsync.StallWait = wait_ms;
  if (natsStatus s = natsConnection_JetStream(&j->js_, conn.get(), &o); s != NATS_OK) {
    return nats_error("JetStream context", s);
  }
  return j;
}

// The acknowledgement handler's closure (AsyncState) dies with this object,
// while the client library may still call the handler on its own thread for
// publishes in flight (an owner stopped after an acknowledgement timeout has
// some). So before the context goes: wait a little for them, take every
// publish still pending out of the library's table (an acknowledgement that
// arrives later finds nothing and calls nothing), then wait for the one
// handler call that may be under way: the library counts a message as
// pending until its handler has returned.
JetStream::~JetStream() {
  if (js_ == nullptr) return;
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 2000;
  if (js_PublishAsyncComplete(js_, &po) != NATS_OK) {
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) natsMsgList_Destroy(&pending);
    po.MaxWait = 60000;  // a handler call is a few counter updates: never this long
    js_PublishAsyncComplete(js_, &po);
  }
  // The context's acknowledgement subscription may still be looked up by
  // the connection's reader for a late acknowledgement: retired, with the
  // handler's state, which it no longer calls into.
  jsCtx* js = js_;
  std::shared_ptr<AsyncState> state = async_;
  conn_->retire([js, state] { jsCtx_Destroy(js); });
}

uint64_t JetStream::async_failures() const { return async_->failures.load(); }
std::string JetStream::first_async_error() const {
  std::lock_guard<std::mutex> lock(async_->mutex);
  return async_->first_error;
}
uint64_t JetStream::max_acked_seq() const { return async_->max_seq.load(); }
uint64_t JetStream::duplicates() const { return async_->duplicates.load(); }
uint64_t JetStream::acks_received() const { return async_->acks.load(); }

Result<size_t> JetStream::republish_pending() {
  natsMsgList pending{};
  natsStatus s = js_PublishAsyncGetPendingList(&pending, js_);
  if (s == NATS_NOT_FOUND) return size_t{0};
  if (s != NATS_OK) return nats_error("taking the unacknowledged publishes", s);
  size_t sent = 0;
  for (int i = 0; i < pending.Count && s == NATS_OK; ++i) {
    // Takes the message on success (sets it to null); the list destroys the rest.
    s = js_PublishMsgAsync(js_, &pending.Msgs[i], nullptr);
    if (s == NATS_OK) ++sent;
  }
  natsMsgList_Destroy(&pending);
  if (s != NATS_OK) return nats_error("publishing again", s);
  return sent;
}
void JetStream::reset_async_failures() {
  std::lock_guard<std::mutex> lock(async_->mutex);
  async_->failures = 0;
  async_->first_error.clear();
}

// --- Streams -------------------------------------------------------------------

namespace {

constexpr int64_t kNanosPerMilli = 1000000;

Status add_stream_if_missing(JetStream& js, jsStreamConfig& cfg) {
  jsStreamInfo* info = nullptr;
  jsErrCode e = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js.get(), cfg.Name, nullptr, &e);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return Status();
  }
  if (s != NATS_NOT_FOUND && e != JSStreamNotFoundErr) return nats_error(std::string("stream ") + cfg.Name, s, e);
  e = static_cast<jsErrCode>(0);
  s = js_AddStream(&info, js.get(), &cfg, nullptr, &e);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(info);
    return Status();
  }
  // Another process created it meanwhile.
  if (e == JSStreamNameExistErr) return Status();
  return nats_error(std::string("cannot create stream ") + cfg.Name, s, e);
}

}  // namespace

Status ensure_streams(JetStream& js, const GroupSettings& settings) {
  {
    const char* subjects[] = {"claimmap.events.*"};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = kEventsStream;
    cfg.Description = "ClaimMap input events by partition (docs/scaleout.md)";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Retention = js_LimitsPolicy;  // replayed from checkpoints: never removed on ack
    cfg.Storage = js_FileStorage;
    cfg.Replicas = settings.replicas;
    cfg.Duplicates = settings.events_dedup_ms * kNanosPerMilli;
    if (Status s = add_stream_if_missing(js, cfg); !s.ok()) return s;
  }
  {
    const char* subjects[] = {"claimmap.deltas.*"};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = kDeltasStream;
    cfg.Description = "ClaimMap result lines by partition (docs/scaleout.md)";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Retention = js_LimitsPolicy;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = settings.replicas;
    cfg.Duplicates = settings.deltas_dedup_ms * kNanosPerMilli;
    if (Status s = add_stream_if_missing(js, cfg); !s.ok()) return s;
  }
  {
    const char* subjects[] = {"claimmap.checkpoints.*.data", "claimmap.checkpoints.*.manifest"};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = kCheckpointsStream;
    cfg.Description = "ClaimMap partition checkpoints: snapshot chunks and a manifest (docs/scaleout.md)";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 2;
    cfg.Retention = js_LimitsPolicy;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = settings.replicas;
    cfg.AllowRollup = true;  // a manifest replaces the previous one (Nats-Rollup: sub)
    cfg.AllowDirect = false;
    if (Status s = add_stream_if_missing(js, cfg); !s.ok()) return s;
  }
  return Status();
}

// --- Key-value buckets ------------------------------------------------------------

Result<std::unique_ptr<KeyValue>> KeyValue::open(JetStream& js, const char* bucket, int64_t ttl_ms, int replicas) {
  std::unique_ptr<KeyValue> kv(new KeyValue());
  natsStatus s = js_KeyValue(&kv->kv_, js.get(), bucket);
  if (s == NATS_OK) return kv;
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = bucket;
  cfg.History = 1;
  cfg.TTL = ttl_ms * kNanosPerMilli;
  cfg.Replicas = replicas;
  cfg.StorageType = js_FileStorage;
  s = js_CreateKeyValue(&kv->kv_, js.get(), &cfg);
  if (s != NATS_OK) {
    // Created by another process meanwhile?
    if (js_KeyValue(&kv->kv_, js.get(), bucket) == NATS_OK) return kv;
    return nats_error(std::string("key-value bucket ") + bucket, s);
  }
  return kv;
}

KeyValue::~KeyValue() {
  if (kv_ != nullptr) kvStore_Destroy(kv_);
}

int64_t KeyValue::ttl_ms() const {
  kvStatus* st = nullptr;
  if (kvStore_Status(&st, kv_) != NATS_OK) return 0;
  const int64_t ttl = kvStatus_TTL(st);
  kvStatus_Destroy(st);
  return ttl / kNanosPerMilli;
}

std::optional<std::string> KeyValue::value(const char* key) const {
  kvEntry* e = nullptr;
  if (kvStore_Get(&e, kv_, key) != NATS_OK) return std::nullopt;
  std::string text(static_cast<const char*>(kvEntry_Value(e)), static_cast<size_t>(kvEntry_ValueLen(e)));
  kvEntry_Destroy(e);
  return text;
}

uint32_t recorded_partitions(KeyValue& group) {
  const std::optional<std::string> text = group.value("partitions");
  if (!text) return 0;
  uint32_t v = 0;
  std::from_chars(text->data(), text->data() + text->size(), v);
  return v;
}

Status check_partitions(KeyValue& group, uint32_t partitions) {
  const std::string text = std::to_string(partitions);
  uint64_t rev = 0;
  if (kvStore_Create(&rev, group.get(), "partitions", text.data(), static_cast<int>(text.size())) == NATS_OK) {
    return Status();
  }
  const uint32_t recorded = recorded_partitions(group);
  if (recorded == partitions) return Status();
  if (recorded == 0) return Status(ErrorCode::kIoError, "nats: cannot read the group's partition count");
  return Status(ErrorCode::kInvalidArgument, "--partitions " + text + ": the group in JetStream has " +
                                                 std::to_string(recorded) +
                                                 " partitions (fixed when its streams were first used)");
}

}  // namespace claimmap::scaleout
