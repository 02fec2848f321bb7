#include "worker/publisher.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>

#include "claimmap/config.h"
#include "claimmap/lines.h"
#include "claimmap/scaleout.h"
#include "claimmap/service.h"
#include "worker/checkpoint.h"

namespace claimmap::scaleout {

namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull, kFnvPrime = 0x100000001b3ull;

uint64_t fnv1a_continue(uint64_t h, std::string_view text) {
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

}  // namespace

uint64_t fnv1a(std::string_view text) { return fnv1a_continue(kFnvOffset, text); }

uint32_t partition_of(std::string_view provider, std::string_view subject, uint32_t partitions) {
  const uint64_t h = fnv1a_continue(fnv1a_continue(fnv1a(provider), std::string_view("\0", 1)), subject);
  return partitions == 0 ? 0 : static_cast<uint32_t>(h % partitions);
}

std::string PublishReport::to_text() const {
  char buf[512];
  const double rate = seconds > 0 ? static_cast<double>(published) / seconds : 0;
  std::snprintf(buf, sizeof buf,
                "publish: %llu lines (%llu blank), %llu events acknowledged, %llu reload markers, lines %llu..%llu\n"
                "publish: %llu without a known user (partition 0), %llu over the line limit, %llu users seeded\n"
                "publish: %.3f s, %.0f lines/s\n",
                static_cast<unsigned long long>(lines), static_cast<unsigned long long>(blank),
                static_cast<unsigned long long>(published), static_cast<unsigned long long>(markers),
                static_cast<unsigned long long>(first_seq),
                static_cast<unsigned long long>(next_seq > 0 ? next_seq - 1 : 0),
                static_cast<unsigned long long>(unrouted), static_cast<unsigned long long>(oversize),
                static_cast<unsigned long long>(seeded_users), seconds, rate);
  return buf;
}

namespace {

constexpr size_t kHeaderAllowance = 256;            // headers of an event message


// The line number after the last one in the events stream (1 when empty):
// an event's seq + 1, or a reload marker's own seq (it applies before that line).
Result<uint64_t> next_seq_in_stream(JetStream& js) {
  jsStreamInfo* info = nullptr;
  jsErrCode e = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js.get(), kEventsStream, nullptr, &e);
  if (s != NATS_OK) return nats_error("stream info", s, e);
  const uint64_t last = info->State.LastSeq;
  const uint64_t msgs = info->State.Msgs;
  jsStreamInfo_Destroy(info);
  if (last == 0 || msgs == 0) return uint64_t{1};
  natsMsg* raw = nullptr;
  s = js_GetMsg(&raw, js.get(), kEventsStream, last, nullptr, &e);
  if (s != NATS_OK) return nats_error("last event", s, e);
  MsgPtr msg(raw);
  const uint64_t seq = header_u64(msg.get(), kSeqHeader, 0);
  if (seq == 0) return Status(ErrorCode::kIoError, "the last message of CLAIMMAP_EVENTS has no Claimmap-Seq header");
  return header(msg.get(), kReloadHeader).empty() ? seq + 1 : seq;
}

// The config lines are routed by: --routing-config, else the group's current one.
Result<std::string> routing_config_text(const PublishOptions& options, KeyValue& group) {
  if (!options.routing_config.empty()) return read_text_file(options.routing_config);
  std::optional<std::string> text = group.value("config");
  if (!text) {
    return Status(ErrorCode::kInvalidArgument,
                  "the group has no config yet to route lines by: start a worker with --config, publish --config C, "
                  "or give --routing-config C");
  }
  return std::move(*text);
}

class AsyncPublisher {
 public:
  explicit AsyncPublisher(JetStream& js) : js_(js) {}

  Status publish(const std::string& subject, std::string_view data,
                 std::initializer_list<std::pair<const char*, std::string>> headers) {
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
    for (const auto& [k, v] : headers) {
      if (s == NATS_OK) s = natsMsgHeader_Set(msg, k, v.c_str());
    }
    if (s == NATS_OK) s = js_PublishMsgAsync(js_.get(), &msg, nullptr);
    natsMsg_Destroy(msg);  // no effect once the library owns it
    if (s != NATS_OK) return nats_error("publish to " + subject, s);
    return Status();
  }

  Status complete(int64_t wait_ms) {
    jsPubOptions o;
    jsPubOptions_Init(&o);
    o.MaxWait = wait_ms;
    if (natsStatus s = js_PublishAsyncComplete(js_.get(), &o); s != NATS_OK) {
      return nats_error("waiting for JetStream's acknowledgements", s);
    }
    if (js_.async_failures() > 0) {
      return Status(ErrorCode::kIoError, "nats: " + std::to_string(js_.async_failures()) +
                                             " messages not acknowledged; first: " + js_.first_async_error());
    }
    return Status();
  }

 private:
  JetStream& js_;
};

}  // namespace

Status run_publish(const PublishOptions& options, PublishReport* report, std::vector<std::string>* problems) {
  const auto start = std::chrono::steady_clock::now();
  report->per_partition.assign(options.partitions, 0);

  // A reload config is checked before anything is published.
  std::string reload_text;
  if (!options.reload_config.empty()) {
    Result<std::string> text = read_text_file(options.reload_config);
    if (!text.ok()) return text.status();
    ConfigReport cr;
    Result<Config> c = load_config(text.value(), &cr, config_folder(options.reload_config));
    if (!c.ok()) {
      for (std::string& line : cr.error_lines()) problems->push_back(std::move(line));
      return Status(c.status().code(), options.reload_config + ": " + c.status().message());
    }
    reload_text = std::move(text.value());
  }

  Result<std::unique_ptr<Connection>> conn = Connection::open(options.nats_url, "claimmap publish");
  if (!conn.ok()) return conn.status();
  Result<std::unique_ptr<JetStream>> js = JetStream::open(*conn.value(), 10000, options.max_pending);
  if (!js.ok()) return js.status();
  if (Status s = ensure_streams(*js.value(), options.settings); !s.ok()) return s;
  Result<std::unique_ptr<KeyValue>> group = KeyValue::open(*js.value(), kGroupBucket, 0, options.settings.replicas);
  if (!group.ok()) return group.status();
  if (Status s = check_partitions(*group.value(), options.partitions); !s.ok()) return s;
  const int64_t max_payload = conn.value()->max_payload();

  if (!options.seed_state.empty()) {
    Result<std::string> text = read_text_file(options.seed_state);
    if (!text.ok()) return text.status();
    const uint32_t P = options.partitions;
    Result<std::vector<std::string>> parts = split_state_to_ndjson(
        text.value(), P, [P](std::string_view prov, std::string_view subj) { return partition_of(prov, subj, P); },
        &report->seeded_users);
    if (!parts.ok()) return Status(parts.status().code(), options.seed_state + ": " + parts.status().message());
    CheckpointStore store(*js.value(), std::min<int64_t>(512 * 1024, max_payload - 4096));
    for (uint32_t p = 0; p < P; ++p) {
      Result<std::optional<Checkpoint>> existing = store.read_manifest(p);
      if (!existing.ok()) return existing.status();
      if (existing.value()) {
        return Status(ErrorCode::kInvalidArgument, "--seed-state: partition " + std::to_string(p) +
                                                       " already has a checkpoint (the group has state)");
      }
    }
    for (uint32_t p = 0; p < P; ++p) {
      Checkpoint c;
      c.partition = p;
      c.state = std::move(parts.value()[p]);
      if (Status s = store.write(c); !s.ok()) return s;
    }
  }

  uint64_t seq = options.first_seq;
  if (seq == 0) {
    Result<uint64_t> next = next_seq_in_stream(*js.value());
    if (!next.ok()) return next.status();
    seq = next.value();
  }
  report->first_seq = seq;
  AsyncPublisher pub(*js.value());

  // The reload marker: on every partition, before line `seq`.
  std::string routing_text;
  if (!reload_text.empty()) {
    if (static_cast<int64_t>(reload_text.size() + kHeaderAllowance) > max_payload) {
      return Status(ErrorCode::kInvalidArgument, options.reload_config + ": " + std::to_string(reload_text.size()) +
                                                     " bytes do not fit in one message (the server's max_payload is " +
                                                     std::to_string(max_payload) + ")");
    }
    const std::string id_tail = "." + std::to_string(fnv1a(reload_text) & 0xffffffffffffull);
    for (uint32_t p = 0; p < options.partitions; ++p) {
      if (Status s = pub.publish(events_subject(p), reload_text,
                                 {{kSeqHeader, std::to_string(seq)},
                                  {kReloadHeader, "1"},
                                  {kMsgIdHeader, "r" + std::to_string(seq) + "." + std::to_string(p) + id_tail}});
          !s.ok()) {
        return s;
      }
    }
    if (Status s = pub.complete(60000); !s.ok()) return s;
    report->markers = options.partitions;
    // Lines from here on are routed by the new config.
    uint64_t rev = 0;
    if (natsStatus s = kvStore_Put(&rev, group.value()->get(), "config", reload_text.data(),
                                   static_cast<int>(reload_text.size()));
        s != NATS_OK) {
      return nats_error("recording the group's config", s);
    }
    routing_text = reload_text;
  }

  if (!options.input.empty()) {
    if (routing_text.empty() || !options.routing_config.empty()) {
      Result<std::string> text = routing_config_text(options, *group.value());
      if (!text.ok()) return text.status();
      routing_text = std::move(text.value());
    }
    ConfigReport cr;
    Result<Config> routing = load_config(routing_text, &cr);
    if (!routing.ok()) {
      for (std::string& line : cr.error_lines()) problems->push_back(std::move(line));
      return Status(routing.status().code(), "routing config: " + routing.status().message());
    }

    int fd = 0;
    if (options.input != "-") {
      fd = ::open(options.input.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Status(ErrorCode::kIoError, options.input + ": " + std::strerror(errno));
    }
    std::vector<char> buf(size_t{4} << 20);
    std::string carry;
    bool eof = false;
    Status failure;
    auto handle_line = [&](std::string_view line) -> Status {
      const uint64_t line_seq = seq++;
      report->lines++;
      line = line_content(line);
      if (is_blank_line(line)) {
        report->blank++;
        return Status();
      }
      const std::string seq_text = std::to_string(line_seq);
      if (line.size() > kDefaultMaxLineBytes) {
        // event_too_large whatever it holds: its length is enough (docs/scaleout.md).
        report->oversize++;
        report->unrouted++;
        report->per_partition[0]++;
        return pub.publish(events_subject(0), {},
                           {{kSeqHeader, seq_text}, {kOversizeHeader, std::to_string(line.size())},
                            {kMsgIdHeader, "e" + seq_text}});
      }
      if (static_cast<int64_t>(line.size() + kHeaderAllowance) > max_payload) {
        return Status(ErrorCode::kIoError, "line " + seq_text + ": " + std::to_string(line.size()) +
                                               " bytes do not fit in one message (the server's max_payload is " +
                                               std::to_string(max_payload) + "; docs/scaleout.md)");
      }
      const EventUser user = event_user(routing.value(), line, kDefaultMaxLineBytes);
      uint32_t p = 0;
      if (user.known) {
        p = partition_of(user.provider, user.subject, options.partitions);
      } else {
        report->unrouted++;
      }
      report->per_partition[p]++;
      report->bytes += line.size();
      return pub.publish(events_subject(p), line, {{kSeqHeader, seq_text}, {kMsgIdHeader, "e" + seq_text}});
    };
    while (!eof && failure.ok()) {
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        failure = Status(ErrorCode::kIoError, options.input + ": " + std::strerror(errno));
        break;
      }
      if (n == 0) {
        eof = true;
        if (!carry.empty()) failure = handle_line(carry);
        break;
      }
      std::string_view chunk(buf.data(), static_cast<size_t>(n));
      size_t pos = 0;
      while (failure.ok()) {
        const size_t nl = chunk.find('\n', pos);
        if (nl == std::string_view::npos) {
          carry.append(chunk.substr(pos));
          break;
        }
        if (carry.empty()) {
          failure = handle_line(chunk.substr(pos, nl - pos));
        } else {
          carry.append(chunk.substr(pos, nl - pos));
          failure = handle_line(carry);
          carry.clear();
        }
        pos = nl + 1;
      }
    }
    if (fd != 0) ::close(fd);
    if (!failure.ok()) return failure;
    if (Status s = pub.complete(120000); !s.ok()) return s;
    report->published = report->lines - report->blank;
  }
  report->next_seq = seq;
  report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status();
}

}  // namespace claimmap::scaleout
