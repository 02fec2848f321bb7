// The stream behind `claimmap eval --threads N` (SPEC §8, issue 5): a TBB
// pipeline of three stages over blocks of about 1 MiB of input —
//   1. read (serial, in order): cut a block into lines (engine/parse/line_reader.h);
//   2. prepare (parallel): parse and match every line of the block; this needs
//      only the immutable compiled config, so blocks are prepared at once on
//      every thread (engine/stream/prepared_batch.h);
//   3. apply (serial, in input order): sync each line against the user store,
//      format its output line and write the block's output.
// Because state changes happen in stage 3 alone, in input order, the output
// is byte-identical for any thread count, and each user's events apply in
// order. Stage 3 is the serial fraction: it is far cheaper than parsing, and
// the pipeline overlaps it with other blocks' stage 2.
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include "claimmap/stream.h"
#include "engine/sync/delta_writer.h"
#include "engine/api/engine_impl.h"
#include "engine/parse/line_reader.h"
#include "engine/stream/prepared_batch.h"

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

// One block in flight through the pipeline; reused from block to block.
struct Batch {
  LineBlock block;
  PreparedBatch prepared;
  std::string out;
  // The last stage done with this batch. TBB already orders the stages; this
  // release/acquire pair (once per block) makes the hand-over visible to
  // ThreadSanitizer too, which cannot see inside the uninstrumented libtbb.
  std::atomic<int> stage{0};
};

class StreamRun {
 public:
  StreamRun(Engine::Impl& impl, int out_fd, const StreamOptions& options, StreamSummary* summary)
      : impl_(impl), config_(impl.current_config()), out_fd_(out_fd), options_(options), summary_(summary) {}

  // Stage 2: stateless, safe on any thread.
  void prepare(Batch& b) const {
    Worker& w = impl_.thread_worker();
    b.prepared.clear();
    for (const LineRef& line : b.block.lines) {
      if (line.oversize) {
        b.prepared.add_oversize(line.seq, line.oversize_length, impl_.options.max_line_bytes);
        continue;
      }
      w.parser.parse(*config_, b.block.text(line), &w.event);
      if (w.event.ok() && w.event.kind == EventKind::kLogin) match_login(*config_, w.event, &w.match);
      b.prepared.add(line.seq, w.event, w.match);
    }
  }

  // Stage 3: one thread at a time, blocks in input order. The users a few
  // lines ahead are prefetched — their table slots, then their records — so
  // that the store's cache misses overlap the lines applied meanwhile.
  Status apply_and_write(Batch& b) {
    summary_->input_bytes += b.block.input_bytes;
    const size_t n = b.prepared.size();
    auto prefetch = [&](size_t i, bool record) {
      ProviderId provider;
      std::string_view subject;
      if (i >= n || !b.prepared.user_of(i, &provider, &subject)) return;
      if (record) {
        impl_.store.prefetch_record(provider, subject);
      } else {
        impl_.store.prefetch_slot(provider, subject);
      }
    };
    for (size_t i = 0; i < kSlotsAhead; ++i) prefetch(i, false);
    for (size_t i = 0; i < n; ++i) {
      prefetch(i + kSlotsAhead, false);
      prefetch(i + kRecordsAhead, true);
      outcome_.reset(b.prepared.seq(i));
      b.prepared.restore(i, &event_, &match_);
      impl_.apply_parsed(*config_, event_, match_, scratch_, &outcome_);
      finish(outcome_, &b.out);
    }
    return write_all(out_fd_, b.out);
  }

  // All three stages on one thread, without keeping a block's parsed lines
  // for a later stage: two workers take turns, so that line i is parsed and
  // matched (Engine::Impl::prepare_padded, which prefetches its user's slot)
  // after line i-1's user record has been prefetched and before line i-1 is
  // applied. Both of a line's cache misses in the store then overlap the next
  // line's parse and match. Every line is applied before the block ends
  // (the next block reuses the text the events point into).
  Status process_and_write(Batch& b) {
    summary_->input_bytes += b.block.input_bytes;
    if (!second_worker_) second_worker_ = std::make_unique<Worker>(impl_.options.max_line_bytes);
    Worker* const workers[2] = {&impl_.thread_worker(), second_worker_.get()};
    size_t turn = 0;
    Worker* pending = nullptr;  // prepared, not yet applied: never workers[turn]
    auto apply_pending = [&] {
      if (pending == nullptr) return;
      impl_.apply_prepared(*config_, *pending);
      finish(pending->outcome, &b.out);
      pending = nullptr;
    };
    for (const LineRef& line : b.block.lines) {
      if (line.oversize) {
        apply_pending();
        b.prepared.clear();
        b.prepared.add_oversize(line.seq, line.oversize_length, impl_.options.max_line_bytes);
        outcome_.reset(line.seq);
        b.prepared.restore(0, &event_, &match_);
        impl_.apply_parsed(*config_, event_, match_, scratch_, &outcome_);
        finish(outcome_, &b.out);
        continue;
      }
      if (pending != nullptr && pending->event.ok()) {
        impl_.store.prefetch_record(pending->event.provider, pending->event.subject);
      }
      Worker& next = *workers[turn];
      turn ^= 1;
      impl_.prepare_padded(*config_, next, b.block.text(line), line.seq);
      apply_pending();
      pending = &next;
    }
    apply_pending();
    return write_all(out_fd_, b.out);
  }

 private:
  void finish(const Outcome& o, std::string* out) {
    ++summary_->events;
    count(o, summary_);
    if (!options_.changes_only || o.status == OutcomeStatus::kError || o.has_changes()) {
      append_outcome_line(*config_, o, out);
    }
  }

  Engine::Impl& impl_;
  const std::shared_ptr<const CompiledConfig> config_;  // one config version for the whole run
  const int out_fd_;
  const StreamOptions options_;
  StreamSummary* summary_;
  // How far ahead stage 3 prefetches users' table slots and records.
  static constexpr size_t kSlotsAhead = 8, kRecordsAhead = 4;

  // The single-thread path's second worker (see process_and_write).
  std::unique_ptr<Worker> second_worker_;
  // Stage 3's scratch.
  ParsedEvent event_;
  MatchResult match_;
  SyncScratch scratch_;
  Outcome outcome_;
};

// Large enough to amortise a pipeline step, small enough that a few blocks
// per thread stay in cache-friendly reach and the last block's tail is short.
constexpr size_t kBlockBytes = size_t{1} << 20;

Status run_serial(LineReader& reader, StreamRun& run) {
  Batch batch;
  for (bool done = false; !done;) {
    if (Status s = reader.next(&batch.block, &done); !s.ok()) return s;
    if (Status s = run.process_and_write(batch); !s.ok()) return s;
  }
  return Status();
}

Status run_parallel(LineReader& reader, StreamRun& run, unsigned threads) {
  const size_t tokens = size_t{threads} * 2;
  std::vector<std::unique_ptr<Batch>> all;
  std::vector<Batch*> free_batches;
  for (size_t i = 0; i < tokens; ++i) {
    all.push_back(std::make_unique<Batch>());
    free_batches.push_back(all.back().get());
  }
  std::mutex free_mutex;  // stage 1 takes batches, stage 3 gives them back
  // Held by the serial stages while they run: TBB runs them one at a time
  // already; the locks (uncontended, once per block) say so to ThreadSanitizer.
  std::mutex read_mutex, apply_mutex;
  Status read_status, write_status;
  bool input_done = false;
  std::atomic<bool> write_failed{false};  // set by stage 3, read by stage 1

  tbb::task_arena arena(static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_pipeline(
        tokens,
        tbb::make_filter<void, Batch*>(tbb::filter_mode::serial_in_order,
                                       [&](tbb::flow_control& fc) -> Batch* {
                                         std::lock_guard<std::mutex> read_lock(read_mutex);
                                         if (input_done || !read_status.ok() || write_failed.load()) {
                                           fc.stop();
                                           return nullptr;
                                         }
                                         Batch* b;
                                         {
                                           std::lock_guard<std::mutex> lock(free_mutex);
                                           b = free_batches.back();
                                           free_batches.pop_back();
                                         }
                                         read_status = reader.next(&b->block, &input_done);
                                         if (!read_status.ok()) b->block.lines.clear();
                                         b->stage.store(1, std::memory_order_release);
                                         return b;
                                       }) &
            tbb::make_filter<Batch*, Batch*>(tbb::filter_mode::parallel,
                                             [&](Batch* b) {
                                               (void)b->stage.load(std::memory_order_acquire);
                                               run.prepare(*b);
                                               b->stage.store(2, std::memory_order_release);
                                               return b;
                                             }) &
            tbb::make_filter<Batch*, void>(tbb::filter_mode::serial_in_order, [&](Batch* b) {
              std::lock_guard<std::mutex> apply_lock(apply_mutex);
              (void)b->stage.load(std::memory_order_acquire);
              // After a write error the remaining blocks are dropped, not applied.
              if (write_status.ok()) write_status = run.apply_and_write(*b);
              if (!write_status.ok()) write_failed.store(true);  // stops stage 1
              b->out.clear();
              std::lock_guard<std::mutex> lock(free_mutex);
              free_batches.push_back(b);
            }));
  });
  // Taking both stage locks orders everything the stages wrote (statuses,
  // summary, reader) before what the caller reads next.
  std::scoped_lock after_pipeline(read_mutex, apply_mutex);
  if (!read_status.ok()) return read_status;
  return write_status;
}

}  // namespace

Status run_stream(Engine& engine, int in_fd, int out_fd, const StreamOptions& options, StreamSummary* summary) {
  *summary = StreamSummary{};
  const auto start = std::chrono::steady_clock::now();
  Engine::Impl& impl = engine.impl();
  LineReader reader(in_fd, kBlockBytes, impl.options.max_line_bytes);
  StreamRun run(impl, out_fd, options, summary);
  const unsigned threads = options.threads == 0 ? 1 : options.threads;
  Status s = threads == 1 ? run_serial(reader, run) : run_parallel(reader, run, threads);
  summary->lines = reader.lines_seen();
  summary->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace claimmap
