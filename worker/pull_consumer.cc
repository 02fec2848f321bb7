#include "worker/pull_consumer.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace claimmap::scaleout {

namespace {

constexpr const char* kAckPrefix = "$JS.ACK.";
constexpr int64_t kNanosPerMilli = 1000000;

// A delivery carries its acknowledgement subject as reply; a status message
// (100 heartbeat, 404/408 end of request, 409 consumer trouble, 503 no
// JetStream) has none.
bool is_delivery(natsMsg* m) {
  const char* reply = natsMsg_GetReply(m);
  return reply != nullptr && std::strncmp(reply, kAckPrefix, std::strlen(kAckPrefix)) == 0;
}

}  // namespace

Result<std::unique_ptr<PullConsumer>> PullConsumer::create(JetStream& js, const char* stream,
                                                           const jsConsumerConfig& config) {
  std::unique_ptr<PullConsumer> c(new PullConsumer());
  c->js_ = &js;
  c->stream_ = stream;
  jsConsumerConfig cc = config;
  jsConsumerInfo* ci = nullptr;
  jsErrCode e = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&ci, js.get(), stream, &cc, nullptr, &e);
  if (s != NATS_OK) {
    return nats_error("consumer " + std::string(config.Durable != nullptr ? config.Durable : "(ephemeral)") + " on " +
                          stream,
                      s, e);
  }
  c->name_ = ci->Name;
  c->initial_pending_ = ci->NumPending;
  jsConsumerInfo_Destroy(ci);
  c->ephemeral_ = config.Durable == nullptr;
  c->next_subject_ = "$JS.API.CONSUMER.MSG.NEXT." + c->stream_ + "." + c->name_;

  natsInbox* inbox = nullptr;
  s = natsInbox_Create(&inbox);
  if (s != NATS_OK) return nats_error("inbox", s);
  c->inbox_ = inbox;
  natsInbox_Destroy(inbox);
  natsSubscription* raw = nullptr;
  s = natsConnection_SubscribeSync(&raw, js.connection().get(), (c->inbox_ + ".*").c_str());
  if (s != NATS_OK) return nats_error("subscribing for consumer " + c->name_, s);
  c->deliveries_ = std::make_unique<Subscription>(js.connection(), raw);
  // Deliveries of late requests may pile up while one batch is applied:
  // room for several batches of the largest messages before the library
  // drops any (a drop shows as a gap in the consumer sequence).
  natsSubscription_SetPendingLimits(raw, 1 << 20, 1 << 30);
  return c;
}

PullConsumer::~PullConsumer() {
  deliveries_.reset();
  if (ephemeral_) {
    // Best effort: an ephemeral consumer also goes away by itself after its
    // inactivity threshold.
    jsOptions o;
    jsOptions_Init(&o);
    o.Wait = 2000;
    jsErrCode e = static_cast<jsErrCode>(0);
    js_DeleteConsumer(js_->get(), stream_.c_str(), name_.c_str(), &o, &e);
  }
}

Status PullConsumer::request(bool no_wait, int batch, int64_t wait_ms, std::string* reply) {
  *reply = inbox_ + "." + std::to_string(++request_);
  std::string body = "{\"batch\":" + std::to_string(batch);
  if (no_wait) {
    body += ",\"no_wait\":true";
  } else {
    // The server ends the request a little before our deadline, so that its
    // 408 usually arrives while we still wait (as libnats does).
    body += ",\"expires\":" + std::to_string(std::max<int64_t>(wait_ms - 10, 1) * kNanosPerMilli);
  }
  body += "}";
  const natsStatus s = natsConnection_PublishRequestString(js_->connection().get(), next_subject_.c_str(),
                                                           reply->c_str(), body.c_str());
  if (s != NATS_OK) return nats_error("pull request to " + name_, s);
  return Status();
}

Status PullConsumer::fetch(int batch, int64_t wait_ms, std::vector<MsgPtr>* out) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(wait_ms);
  auto left_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  };
  // First what is there now, without waiting (a 404 ends it at once when
  // nothing is); only when nothing was, a request that waits for messages.
  bool no_wait = batch > 1;
  std::string reply;
  if (Status st = request(no_wait, batch, wait_ms, &reply); !st.ok()) return st;
  for (int got = 0; got < batch;) {
    const int64_t left = left_ms();
    if (left <= 0) break;
    natsMsg* raw = nullptr;
    const natsStatus s = natsSubscription_NextMsg(&raw, deliveries_->get(), left);
    if (s == NATS_TIMEOUT) break;
    // NATS_SLOW_CONSUMER: messages were dropped; the caller sees the gap.
    if (s == NATS_SLOW_CONSUMER) continue;
    if (s != NATS_OK) return nats_error("reading consumer " + name_, s);
    MsgPtr msg(raw);
    if (is_delivery(raw)) {
      out->push_back(std::move(msg));
      ++got;
      continue;
    }
    // A status. One for an earlier request is old news.
    const char* subject = natsMsg_GetSubject(raw);
    if (subject == nullptr || reply != subject) continue;
    const std::string code = header(raw, "Status");
    if (code == "100") continue;  // idle heartbeat
    if (code == "404" && got == 0 && no_wait) {
      no_wait = false;
      if (Status st = request(false, batch, std::max<int64_t>(left_ms(), 1), &reply); !st.ok()) return st;
      continue;
    }
    if (code == "404" || code == "408") break;  // nothing (more) for this request
    const std::string why = header(raw, "Description");
    if (code == "409" && why.find("Deleted") == std::string::npos) break;  // e.g. leadership change: ask again
    return Status(ErrorCode::kIoError, "nats: consumer " + name_ + " on " + stream_ + ": status " + code +
                                           (why.empty() ? "" : " " + why));
  }
  return Status();
}

Status PullConsumer::read_pending(const std::function<Status(natsMsg*, uint64_t)>& each,
                                  std::chrono::milliseconds patience) {
  uint64_t pending = initial_pending_;
  auto last_progress = std::chrono::steady_clock::now();
  std::vector<MsgPtr> batch;
  while (pending > 0) {
    batch.clear();
    if (Status st = fetch(4096, 5000, &batch); !st.ok()) return st;
    if (batch.empty()) {
      if (std::chrono::steady_clock::now() - last_progress < patience) continue;
      return Status(ErrorCode::kIoError, "nats: reading consumer " + name_ + " on " + stream_ + ": nothing came for " +
                                             std::to_string(patience.count()) + " ms");
    }
    last_progress = std::chrono::steady_clock::now();
    for (const MsgPtr& m : batch) {
      jsMsgMetaData* meta = nullptr;
      if (natsStatus s = natsMsg_GetMetaData(&meta, m.get()); s != NATS_OK) {
        return nats_error("message metadata on " + stream_, s);
      }
      const uint64_t seq = meta->Sequence.Stream;
      pending = meta->NumPending;
      jsMsgMetaData_Destroy(meta);
      if (Status st = each(m.get(), seq); !st.ok()) return st;
    }
  }
  return Status();
}

Status PullConsumer::ack(natsMsg* msg) {
  const char* reply = natsMsg_GetReply(msg);
  if (reply == nullptr) return Status(ErrorCode::kInvalidArgument, "not a JetStream delivery");
  const natsStatus s = natsConnection_PublishString(js_->connection().get(), reply, "+ACK");
  if (s != NATS_OK) return nats_error("acknowledging on " + name_, s);
  return Status();
}

}  // namespace claimmap::scaleout
