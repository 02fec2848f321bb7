// The JetStream layout of a ClaimMap group (docs/scaleout.md "Layout") and
// thin owning wrappers over the NATS C client (libnats 3.4,
// /usr/include/nats/nats.h). Every call that can fail returns a Status
// (kIoError, "nats: …"), never an exception.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <string_view>

#include "claimmap/status.h"

namespace claimmap::scaleout {

// Streams, subjects and buckets (docs/scaleout.md).
inline constexpr const char* kEventsStream = "CLAIMMAP_EVENTS";            // claimmap.events.<p>
inline constexpr const char* kDeltasStream = "CLAIMMAP_DELTAS";            // claimmap.deltas.<p>
inline constexpr const char* kCheckpointsStream = "CLAIMMAP_CHECKPOINTS";  // claimmap.checkpoints.<p>.{data,manifest}
inline constexpr const char* kLeasesBucket = "claimmap_leases";            // p.<p> -> worker id (TTL)
inline constexpr const char* kMembersBucket = "claimmap_members";          // <worker id> -> heartbeat (TTL)
inline constexpr const char* kGroupBucket = "claimmap_group";              // partitions, config (no TTL)
// The group bucket's copy of the base config (worker --config), written once
// by the first worker; "config" is the one publish routes by (replaced by
// publish --config).
inline constexpr const char* kBaseConfigKey = "base-config";

// Message headers.
inline constexpr const char* kSeqHeader = "Claimmap-Seq";              // input line number (docs/spec.md §8 seq)
inline constexpr const char* kReloadHeader = "Claimmap-Reload";        // "1" on a reload marker
inline constexpr const char* kOversizeHeader = "Claimmap-Oversize";    // a line too large to carry: its length
inline constexpr const char* kInputSeqHeader = "Claimmap-Input-Seq";   // a delta's input stream sequence
inline constexpr const char* kMsgIdHeader = "Nats-Msg-Id";

std::string events_subject(uint32_t partition);
std::string deltas_subject(uint32_t partition);
std::string checkpoint_data_subject(uint32_t partition);
std::string checkpoint_manifest_subject(uint32_t partition);
std::string lease_key(uint32_t partition);

// A failed NATS call as a Status naming what was attempted.
Status nats_error(std::string_view what, natsStatus s, jsErrCode e = static_cast<jsErrCode>(0));

// The value of header `key`, or "" when absent.
std::string header(natsMsg* msg, const char* key);
// The header parsed as an unsigned number, or `fallback`.
uint64_t header_u64(natsMsg* msg, const char* key, uint64_t fallback = 0);

struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

// One connection to the NATS servers (a comma-separated URL list), with
// reconnects, plus one JetStream context per user of it.
//
// Why objects are "retired", not destroyed: libnats 3.4 (Debian 12's) looks
// a subscription up for an inbound message, lets go of its lock, and only
// then locks the subscription; one destroyed in between is used after it
// was freed (fixed upstream in nats.c 3.6, PR #638, "Crash processing
// inbound message for destroyed subscription") — under load, a worker
// aborted with a corrupted heap. So a subscription is unsubscribed at once
// (no more messages are routed to it) and freed only kRetireDelay later,
// when no read of the connection can still hold it; likewise a JetStream
// context and its acknowledgement subscription. Whatever is still retired
// is freed when the connection closes, after its reader has stopped.
//
// Thread-safety: retire() from any thread.
class Connection {
 public:
  static constexpr std::chrono::seconds kRetireDelay{30};

  static Result<std::unique_ptr<Connection>> open(const std::string& urls, const std::string& name);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  natsConnection* get() const { return nc_; }
  // The server's max_payload.
  int64_t max_payload() const;

  // Runs `destroy` kRetireDelay from now (at a later retire() or sweep()),
  // or when the connection closes, whichever comes first.
  void retire(std::function<void()> destroy);
  // Runs what was retired more than kRetireDelay ago.
  void sweep();

 private:
  Connection() = default;
  natsConnection* nc_ = nullptr;
  struct Retired {
    std::chrono::steady_clock::time_point due;
    std::function<void()> destroy;
  };
  std::mutex retired_mutex_;
  std::deque<Retired> retired_;  // in order of due time
};

// An owned subscription: on destruction, unsubscribed at once and retired
// (freed later: see Connection).
class Subscription {
 public:
  Subscription(Connection& conn, natsSubscription* sub) : conn_(&conn), sub_(sub) {}
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  natsSubscription* get() const { return sub_; }

 private:
  Connection* conn_;
  natsSubscription* sub_;
};

class JetStream {
 public:
  // `max_pending`: asynchronous publishes in flight before a publish waits.
  static Result<std::unique_ptr<JetStream>> open(Connection& conn, int64_t wait_ms = 10000,
                                                 int64_t max_pending = 65536);
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;
  jsCtx* get() const { return js_; }
  Connection& connection() const { return *conn_; }

  // Asynchronous publishing with a count of failures (the library's
  // callbacks run on its own thread).
  uint64_t async_failures() const;
  std::string first_async_error() const;
  void reset_async_failures();
  // The highest stream sequence acknowledged so far, and how many
  // publishes the server reported as duplicates (de-duplicated by Msg-Id).
  uint64_t max_acked_seq() const;
  uint64_t duplicates() const;
  // Acknowledgements (and failures) received so far: progress, for a wait.
  uint64_t acks_received() const;
  // Publishes again every asynchronous publish not yet acknowledged (after
  // a broker's failover their acknowledgements never come). Safe only for
  // messages with a Nats-Msg-Id: the copies JetStream already stored are
  // dropped as duplicates. Returns how many were sent again.
  Result<size_t> republish_pending();

 private:
  JetStream() = default;
  static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);
  Connection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  struct AsyncState;
  std::shared_ptr<AsyncState> async_;  // shared with the retired context (see ~JetStream)
};

// The group's settings that streams and buckets are created with when they
// are missing (an existing stream keeps its own: docs/scaleout.md).
struct GroupSettings {
  int replicas = 1;                    // stream and bucket replicas (a cluster: 3)
  int64_t events_dedup_ms = 120000;    // publish de-duplication window
  int64_t deltas_dedup_ms = 600000;    // result de-duplication window
  int64_t lease_ttl_ms = 5000;         // leases and members expire after this
};
Status ensure_streams(JetStream& js, const GroupSettings& settings);

// Key-value buckets (created with `settings` when missing).
class KeyValue {
 public:
  static Result<std::unique_ptr<KeyValue>> open(JetStream& js, const char* bucket, int64_t ttl_ms, int replicas);
  ~KeyValue();
  kvStore* get() const { return kv_; }
  // The bucket's entry TTL in milliseconds (0: none).
  int64_t ttl_ms() const;
  // The value of `key` as text, or nullopt when it has none (or the read failed).
  std::optional<std::string> value(const char* key) const;

 private:
  KeyValue() = default;
  kvStore* kv_ = nullptr;
};

// The group's partition count, recorded once in claimmap_group: the first
// caller sets it, later ones must agree (kInvalidArgument otherwise).
Status check_partitions(KeyValue& group, uint32_t partitions);
// The partition count recorded, 0 when none.
uint32_t recorded_partitions(KeyValue& group);

}  // namespace claimmap::scaleout
