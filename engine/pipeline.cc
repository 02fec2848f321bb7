// The stream behind `claimmap eval`: read large blocks, cut them at newlines,
// process each line in place (the block keeps simdjson's padding after its
// end, so no line is copied), and write outputs in input order.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include <simdjson.h>

#include "claimmap/stream.h"
#include "engine/delta_writer.h"
#include "engine/engine_impl.h"

namespace claimmap {

std::string StreamSummary::to_text() const {
  std::string s;
  s += "events: " + std::to_string(events) + " (" + std::to_string(ok) + " ok, " + std::to_string(stale) + " stale, " +
       std::to_string(suspended) + " suspended, " + std::to_string(errors) + " errors)\n";
  if (errors) {
    s += "errors by code:";
    for (int c = 1; c <= kEventErrorCodeCount; ++c) {
      if (errors_by_code[c]) {
        s += " " + std::string(error_code_name(static_cast<ErrorCode>(c))) + "=" + std::to_string(errors_by_code[c]);
      }
    }
    s += "\n";
  }
  s += "users created: " + std::to_string(new_users) + "\n";
  s += "groups added: " + std::to_string(groups_added) + ", removed: " + std::to_string(groups_removed) + "\n";
  s += "roles granted: " + std::to_string(roles_granted) + ", revoked: " + std::to_string(roles_revoked) + "\n";
  char buf[128];
  std::snprintf(buf, sizeof buf, "elapsed: %.3f s, %.0f events/s, %.1f MB/s\n", seconds,
                seconds > 0 ? static_cast<double>(events) / seconds : 0.0,
                seconds > 0 ? static_cast<double>(input_bytes) / seconds / 1e6 : 0.0);
  s += buf;
  return s;
}

namespace {

Status write_all(int fd, std::string& buf) {
  size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = ::write(fd, buf.data() + done, buf.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status(ErrorCode::kIoError, std::string("cannot write output: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  buf.clear();
  return Status();
}

bool is_blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

void count(const Outcome& o, StreamSummary* s) {
  switch (o.status) {
    case OutcomeStatus::kOk: ++s->ok; break;
    case OutcomeStatus::kStale: ++s->stale; break;
    case OutcomeStatus::kSuspended: ++s->suspended; break;
    case OutcomeStatus::kError:
      ++s->errors;
      ++s->errors_by_code[static_cast<size_t>(o.error)];
      break;
  }
  s->new_users += o.new_user;
  s->groups_added += o.groups_added.size();
  s->groups_removed += o.groups_removed.size();
  s->roles_granted += o.roles_granted.size();
  s->roles_revoked += o.roles_revoked.size();
}

}  // namespace

Status run_stream(Engine& engine, int in_fd, int out_fd, const StreamOptions& options, StreamSummary* summary) {
  *summary = StreamSummary{};
  const auto start = std::chrono::steady_clock::now();
  Engine::Impl& impl = engine.impl();
  const auto config = impl.current_config();
  Worker& worker = impl.thread_worker();
  const size_t max_line = impl.options.max_line_bytes;

  constexpr size_t kBlock = size_t{4} << 20;
  // Room for a whole block plus a carried-over partial line, and the padding
  // simdjson may read past the last line.
  std::vector<char> buf(kBlock + max_line + 2 + simdjson::SIMDJSON_PADDING);
  const size_t capacity = buf.size() - simdjson::SIMDJSON_PADDING;
  std::string out;
  out.reserve(kBlock);
  size_t filled = 0;
  bool eof = false;
  uint64_t seq = 0;
  size_t oversize_bytes = 0;  // > 0 while skipping the rest of an over-long line

  auto handle_line = [&](std::string_view line) {
    ++seq;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (is_blank(line)) return;
    ++summary->events;
    summary->input_bytes += line.size() + 1;
    impl.process_padded(*config, worker, line, seq);
    const Outcome& o = worker.outcome;
    count(o, summary);
    if (!options.changes_only || o.status == OutcomeStatus::kError || o.has_changes()) {
      append_outcome_line(*config, o, &out);
    }
  };
  // An over-long line is measured, not kept: it gets its event_too_large line
  // without ever being held in memory whole.
  auto handle_oversize = [&](size_t length) {
    ++seq;
    ++summary->events;
    summary->input_bytes += length + 1;
    Outcome& o = worker.outcome;
    o.reset(seq);
    o.status = OutcomeStatus::kError;
    o.error = ErrorCode::kEventTooLarge;
    o.error_message = "line is " + std::to_string(length) + " bytes; the limit is " + std::to_string(max_line);
    count(o, summary);
    append_outcome_line(*config, o, &out);
  };

  while (!eof || filled > 0) {
    if (!eof && filled < capacity) {
      const ssize_t n = ::read(in_fd, buf.data() + filled, capacity - filled);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status(ErrorCode::kIoError, std::string("cannot read input: ") + std::strerror(errno));
      }
      if (n == 0) eof = true;
      filled += static_cast<size_t>(n);
    }
    size_t pos = 0;
    for (;;) {
      const char* nl = static_cast<const char*>(std::memchr(buf.data() + pos, '\n', filled - pos));
      if (nl == nullptr) break;
      const size_t end = static_cast<size_t>(nl - buf.data());
      if (oversize_bytes > 0) {
        handle_oversize(oversize_bytes + end - pos);
        oversize_bytes = 0;
      } else {
        handle_line(std::string_view(buf.data() + pos, end - pos));
      }
      pos = end + 1;
    }
    // What is left has no newline yet.
    const size_t rest = filled - pos;
    if (eof) {
      if (oversize_bytes > 0) {
        handle_oversize(oversize_bytes + rest);
        oversize_bytes = 0;
      } else if (rest > 0) {
        handle_line(std::string_view(buf.data() + pos, rest));  // a final line without newline
      }
      filled = 0;
    } else if (oversize_bytes > 0 || rest > max_line + 1) {
      oversize_bytes += rest;  // too long already: count it and drop it
      filled = 0;
    } else {
      std::memmove(buf.data(), buf.data() + pos, rest);
      filled = rest;
    }
    if (out.size() >= kBlock) {
      if (Status s = write_all(out_fd, out); !s.ok()) return s;
    }
  }
  if (Status s = write_all(out_fd, out); !s.ok()) return s;
  summary->lines = seq;
  summary->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Status();
}

}  // namespace claimmap
