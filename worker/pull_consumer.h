// Reading a JetStream pull consumer: pull requests published by hand, their
// deliveries read from a plain subscription.
//
// Why not natsSubscription_Fetch: in libnats 3.4.1 (Debian 12's), a fetch
// that starts while messages of an earlier request are already waiting
// lowers its batch target below what it holds, keeps collecting until its
// timeout, and writes past the array it allocated for one batch (fixed
// upstream in nats.c 3.9, PR #749, "Fix heap buffer overflow in _fetch").
// On a busy machine a request's messages often arrive after its fetch timed
// out: under stress a worker aborted with a corrupted heap in
// natsMsgList_Destroy. Here nothing has a fixed size.
//
// Each request has its own reply subject (<inbox>.<n>), so the status that
// ends an earlier request (408 Request Timeout) is told apart from the one
// that ends the current request. Messages of an earlier request that arrive
// late are simply the next ones delivered: a consumer delivers in order, and
// callers check the consumer sequence for gaps.
//
// Thread-safety: one thread at a time.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "claimmap/status.h"
#include "worker/jetstream.h"

namespace claimmap::scaleout {

class PullConsumer {
 public:
  // Creates the consumer `config` describes on `stream` — a durable one when
  // config.Durable is set, else an ephemeral one that the destructor deletes
  // — and subscribes to its deliveries.
  static Result<std::unique_ptr<PullConsumer>> create(JetStream& js, const char* stream,
                                                      const jsConsumerConfig& config);
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  // Messages the consumer had to deliver when it was created.
  uint64_t initial_pending() const { return initial_pending_; }

  // Appends up to `batch` messages to `out`, waiting at most `wait_ms` for
  // them: OK with nothing appended when none came in time. An error when
  // the consumer is gone (deleted, or JetStream does not answer).
  Status fetch(int batch, int64_t wait_ms, std::vector<MsgPtr>* out);

  // Reads, in order, every message the consumer had pending when it was
  // created, calling `each` with it and its stream sequence; stops at the
  // first error `each` returns. A fetch that brings nothing is tried again
  // (a stream's leader may be moving after a server died) until nothing has
  // come for `patience`.
  Status read_pending(const std::function<Status(natsMsg*, uint64_t stream_seq)>& each,
                      std::chrono::milliseconds patience);

  // Acknowledges `msg` (with AckAll: it and every message before it).
  Status ack(natsMsg* msg);

 private:
  PullConsumer() = default;
  // Publishes a pull request for `batch` messages; `reply` becomes its own
  // reply subject.
  Status request(bool no_wait, int batch, int64_t wait_ms, std::string* reply);
  JetStream* js_ = nullptr;
  std::string stream_;
  std::string name_;
  bool ephemeral_ = false;
  std::string next_subject_;  // $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>
  std::string inbox_;
  std::unique_ptr<Subscription> deliveries_;  // <inbox>.*
  uint64_t request_ = 0;
  uint64_t initial_pending_ = 0;
};

}  // namespace claimmap::scaleout
