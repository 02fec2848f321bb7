#include "worker/checkpoint.h"

#include <charconv>
#include <string_view>
#include <vector>

namespace claimmap::scaleout {
namespace {

constexpr std::string_view kMagic = "claimmap-checkpoint 1";

std::string manifest_text(const Checkpoint& c, const std::vector<uint64_t>& chunks) {
  std::string t(kMagic);
  t += "\npartition " + std::to_string(c.partition);
  t += "\ncovered " + std::to_string(c.covered);
  t += "\nconfig_seq " + std::to_string(c.config_seq);
  t += "\ndeltas_seq " + std::to_string(c.deltas_seq);
  t += "\nline_seq " + std::to_string(c.line_seq);
  t += "\nusers " + std::to_string(c.users);
  t += "\nunix_ms " + std::to_string(c.unix_ms);
  t += "\nbytes " + std::to_string(c.state.size());
  t += "\nchunks";
  for (uint64_t s : chunks) t += " " + std::to_string(s);
  t += "\n";
  return t;
}

bool parse_u64(std::string_view text, uint64_t* v) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

Status parse_manifest(std::string_view text, Checkpoint* c, uint64_t* bytes, std::vector<uint64_t>* chunks) {
  auto bad = [&](const std::string& why) {
    return Status(ErrorCode::kInvalidState, "checkpoint manifest of partition " + std::to_string(c->partition) +
                                                ": " + why);
  };
  if (!text.starts_with(kMagic)) return bad("not a ClaimMap checkpoint manifest");
  size_t pos = 0;
  bool have_bytes = false, have_chunks = false;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    const size_t sp = line.find(' ');
    const std::string_view key = line.substr(0, sp);
    const std::string_view value = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    uint64_t v = 0;
    if (key == "chunks") {
      have_chunks = true;
      size_t p = 0;
      while (p < value.size()) {
        size_t q = value.find(' ', p);
        if (q == std::string_view::npos) q = value.size();
        if (!parse_u64(value.substr(p, q - p), &v)) return bad("bad chunk list");
        chunks->push_back(v);
        p = q + 1;
      }
      continue;
    }
    if (key == "claimmap-checkpoint" || key.empty()) continue;
    if (!parse_u64(value, &v)) return bad("bad value of " + std::string(key));
    if (key == "covered") c->covered = v;
    else if (key == "config_seq") c->config_seq = v;
    else if (key == "deltas_seq") c->deltas_seq = v;
    else if (key == "line_seq") c->line_seq = v;
    else if (key == "users") c->users = v;
    else if (key == "unix_ms") c->unix_ms = static_cast<int64_t>(v);
    else if (key == "bytes") { *bytes = v; have_bytes = true; }
  }
  if (!have_bytes || !have_chunks) return bad("incomplete");
  return Status();
}

}  // namespace

Status CheckpointStore::write(const Checkpoint& c, uint64_t* fence) {
  const std::string data_subject = checkpoint_data_subject(c.partition);
  std::vector<uint64_t> chunks;
  const size_t step = static_cast<size_t>(chunk_bytes_);
  for (size_t off = 0; off < c.state.size() || (off == 0 && c.state.empty()); off += step) {
    if (c.state.empty()) break;
    const size_t n = std::min(step, c.state.size() - off);
    jsPubAck* ack = nullptr;
    jsErrCode e = static_cast<jsErrCode>(0);
    natsStatus s = js_Publish(&ack, js_.get(), data_subject.c_str(), c.state.data() + off, static_cast<int>(n),
                              nullptr, &e);
    if (s != NATS_OK) return nats_error("checkpoint chunk of partition " + std::to_string(c.partition), s, e);
    chunks.push_back(ack->Sequence);
    jsPubAck_Destroy(ack);
  }
  const std::string manifest = manifest_text(c, chunks);
  const std::string subject = checkpoint_manifest_subject(c.partition);
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, manifest.data(), static_cast<int>(manifest.size()));
  if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Rollup", "sub");
  if (s == NATS_OK && fence != nullptr && *fence > 0) {
    s = natsMsgHeader_Set(msg, "Nats-Expected-Last-Subject-Sequence", std::to_string(*fence).c_str());
  }
  jsPubAck* ack = nullptr;
  jsErrCode e = static_cast<jsErrCode>(0);
  if (s == NATS_OK) s = js_PublishMsg(&ack, js_.get(), msg, nullptr, &e);
  natsMsg_Destroy(msg);
  if (e == JSStreamWrongLastSequenceErr) {
    return Status(ErrorCode::kIoError, "checkpoint of partition " + std::to_string(c.partition) +
                                            " not stored: another owner has checkpointed it since");
  }
  if (s != NATS_OK) return nats_error("checkpoint manifest of partition " + std::to_string(c.partition), s, e);
  if (fence != nullptr) *fence = ack->Sequence;
  jsPubAck_Destroy(ack);
  // The previous checkpoint's chunks (everything on the data subject before
  // this one's first chunk; all of it when this one is empty).
  // (The server reads a purge "up to" sequence 0 or 1 as "all of the
  // subject": a first chunk at sequence 1 has nothing before it anyway.)
  if (!chunks.empty() && chunks.front() <= 1) return Status();
  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Purge.Subject = data_subject.c_str();
  if (!chunks.empty()) o.Stream.Purge.Sequence = chunks.front();
  e = static_cast<jsErrCode>(0);
  if (natsStatus p = js_PurgeStream(js_.get(), kCheckpointsStream, &o, &e); p != NATS_OK) {
    return nats_error("purging old checkpoint chunks of partition " + std::to_string(c.partition), p, e);
  }
  return Status();
}

Result<std::optional<Checkpoint>> CheckpointStore::read_manifest(uint32_t partition) {
  return read_checkpoint(partition, /*with_state=*/false);
}

Result<std::optional<Checkpoint>> CheckpointStore::read(uint32_t partition) {
  return read_checkpoint(partition, /*with_state=*/true);
}

Result<std::optional<Checkpoint>> CheckpointStore::read_checkpoint(uint32_t partition, bool with_state) {
  natsMsg* raw = nullptr;
  jsErrCode e = static_cast<jsErrCode>(0);
  const std::string subject = checkpoint_manifest_subject(partition);
  const natsStatus s = js_GetLastMsg(&raw, js_.get(), kCheckpointsStream, subject.c_str(), nullptr, &e);
  if (s == NATS_NOT_FOUND || e == JSNoMessageFoundErr) return std::optional<Checkpoint>();
  if (s != NATS_OK) return nats_error("checkpoint manifest of partition " + std::to_string(partition), s, e);
  MsgPtr msg(raw);
  Checkpoint c;
  c.partition = partition;
  c.manifest_seq = natsMsg_GetSequence(msg.get());
  uint64_t bytes = 0;
  std::vector<uint64_t> chunks;
  const std::string_view text(natsMsg_GetData(msg.get()), static_cast<size_t>(natsMsg_GetDataLength(msg.get())));
  if (Status st = parse_manifest(text, &c, &bytes, &chunks); !st.ok()) return st;
  if (!with_state) return std::optional<Checkpoint>(std::move(c));
  c.state.reserve(bytes);
  for (uint64_t seq : chunks) {
    natsMsg* chunk = nullptr;
    jsErrCode e = static_cast<jsErrCode>(0);
    const natsStatus s = js_GetMsg(&chunk, js_.get(), kCheckpointsStream, seq, nullptr, &e);
    if (s != NATS_OK) {
      return nats_error("checkpoint chunk " + std::to_string(seq) + " of partition " + std::to_string(partition), s,
                        e);
    }
    MsgPtr owned(chunk);
    c.state.append(natsMsg_GetData(chunk), static_cast<size_t>(natsMsg_GetDataLength(chunk)));
  }
  if (c.state.size() != bytes) {
    return Status(ErrorCode::kInvalidState, "checkpoint of partition " + std::to_string(partition) + ": " +
                                                std::to_string(c.state.size()) + " bytes read, the manifest says " +
                                                std::to_string(bytes));
  }
  return std::optional<Checkpoint>(std::move(c));
}

}  // namespace claimmap::scaleout
