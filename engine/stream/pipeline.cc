// The stream behind `claimmap eval --threads N` (docs/spec.md §8): a TBB
// pipeline of five stages over blocks of about 64 KiB of input (kBlockBytes) —
//   1. read (serial, in order): cut a block into lines (engine/parse/line_reader.h);
//   2. prepare (parallel): the one prepare stage (engine/prepare/prepare_stage.h)
//      for every line of the block; it needs only the immutable compiled
//      config, so blocks are prepared at once on every thread
//      (engine/stream/prepared_batch.h);
//   3. apply (serial, in input order): sync each line against the user store.
//      A login that changes its mapped set records its old and new sets
//      (engine/sync/sync.h, DeferredLogins) instead of computing its delta;
//   4. finish (parallel): compute those deltas, count every result and
//      format the block's output lines;
//   5. write (serial, in input order): add the block's counts to the summary
//      and write its output.
// Because state changes happen in stage 3 alone, in input order, the output
// is byte-identical for any thread count, and each user's events apply in
// order. Stage 3 is the serial fraction, and it does only what needs the
// store: find the user, replace the mapped set, save; a heavy storm's large
// deltas are taken and written in stage 4 on every thread.
#include <unistd.h>

#include <algorithm>
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
#include "engine/sync/event_counting.h"
#include "engine/api/engine_impl.h"
#include "engine/parse/line_reader.h"
#include "engine/stream/prepared_batch.h"

namespace claimmap {

std::string StreamSummary::to_text() const {
  std::string s = counters.to_text();
  if (reloads) s += "config reloads: " + std::to_string(reloads) + "\n";
  const uint64_t events = counters.events - counters.by_cause[static_cast<size_t>(Cause::kReload)];
  char buf[128];
  std::snprintf(buf, sizeof buf, "elapsed: %.3f s, %.0f events/s, %.1f MB/s\n", seconds,
                seconds > 0 ? static_cast<double>(events) / seconds : 0.0,
                seconds > 0 ? static_cast<double>(input_bytes) / seconds / 1e6 : 0.0);
  s += buf;
  return s;
}

namespace {

// Where output lines go: a file descriptor, or a string in memory.
class OutputSink {
 public:
  explicit OutputSink(int fd) : fd_(fd) {}
  explicit OutputSink(std::string* out) : out_(out) {}

  // Writes and clears `buf`.
  Status write(std::string& buf) {
    if (out_ != nullptr) {
      out_->append(buf);
      buf.clear();
      return Status();
    }
    size_t done = 0;
    while (done < buf.size()) {
      const ssize_t n = ::write(fd_, buf.data() + done, buf.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status(ErrorCode::kIoError, std::string("cannot write output: ") + std::strerror(errno));
      }
      done += static_cast<size_t>(n);
    }
    buf.clear();
    return Status();
  }

 private:
  int fd_ = -1;
  std::string* out_ = nullptr;
};

// One block in flight through the pipeline; reused from block to block.
struct Batch {
  LineBlock block;
  PreparedBatch prepared;
  std::shared_ptr<const ConfigVersion> version;  // the one `prepared` was made under
  // Stage 3 → 4: each line's outcome (its subject views `prepared`), and how
  // stage 4 finishes it.
  enum LineMode : uint8_t { kFormat, kDeferred, kWritten };
  std::vector<Outcome> outcomes;
  std::vector<uint8_t> modes;
  std::vector<DeferredLogins::Ref> refs;  // of kDeferred lines
  DeferredLogins deferred;
  // Lines stage 3 wrote itself (reloads, lines prepared again after a
  // reload), in order: early[marks[k-1].end, marks[k].end) goes before line
  // marks[k].line's own result.
  struct EarlyMark {
    size_t line, end;
  };
  std::string early;
  std::vector<EarlyMark> marks;
  EventCounters counters;  // stages 3 and 4; added to the summary by stage 5
  bool applied = false;    // stage 3 applied the whole block
  std::string out;
  // The last stage done with this batch. TBB already orders the stages; this
  // release/acquire pair (once per block) makes the hand-over visible to
  // ThreadSanitizer too, which cannot see inside the uninstrumented libtbb.
  std::atomic<int> stage{0};
};

class StreamRun {
 public:
  StreamRun(Engine::Impl& impl, OutputSink sink, const StreamOptions& options, StreamSummary* summary)
      : impl_(impl), sink_(sink), options_(options), summary_(summary), reloads_(options.reloads) {
    // In order of their line; two at one line in the order given.
    std::stable_sort(reloads_.begin(), reloads_.end(),
                     [](const ReloadPoint& a, const ReloadPoint& b) { return a.before_line < b.before_line; });
  }

  // Stage 2: the prepare stage (Engine::Impl::prepare), stateless, on any
  // thread. Prepared under the version current now; stage 3 prepares a line
  // again if a reload came between.
  void prepare(Batch& b) const {
    Worker& w = impl_.thread_worker();
    impl_.current_version(w);
    b.version = w.version;
    b.prepared.clear();
    for (const LineRef& line : b.block.lines) {
      impl_.prepare(*b.version, w, input_of(b.block, line), /*prefetch=*/false);
      b.prepared.add(line.seq, w.event, w.match);
    }
    b.prepared.seal();
  }

  // Stage 3: one thread at a time, blocks in input order. The users a few
  // lines ahead are prefetched — their table slots, then their records — so
  // that the store's cache misses overlap the lines applied meanwhile. Only
  // what needs the store happens here; stage 4 takes the deltas and writes.
  Status apply(Batch& b) {
    summary_->input_bytes += b.block.input_bytes;
    const size_t n = b.prepared.size();
    b.outcomes.resize(n);
    b.modes.assign(n, Batch::kFormat);
    b.refs.resize(n);
    b.deferred.clear();
    b.early.clear();
    b.marks.clear();
    b.counters = EventCounters{};
    const ConfigVersion& prepared_under = *b.version;
    auto prefetch = [&](size_t i, bool record) {
      ProviderId provider;
      std::string_view subject;
      if (i >= n || !b.prepared.user_of(i, &provider, &subject)) return;
      if (record) {
        impl_.prefetch_record(prepared_under, provider, subject);
      } else {
        impl_.prefetch_slot(prepared_under, provider, subject);
      }
    };
    for (size_t i = 0; i < kSlotsAhead; ++i) prefetch(i, false);
    scratch_.defer = &b.deferred;  // b.prepared, which the logins view, is kept until stage 4 is done
    scratch_.explain = options_.explain;
    for (size_t i = 0; i < n; ++i) {
      prefetch(i + kSlotsAhead, false);
      prefetch(i + kRecordsAhead, true);
      const uint64_t seq = b.prepared.seq(i);
      const size_t early_before = b.early.size();
      Status s = reload_before(seq, &b.early, &b.counters);
      if (b.early.size() != early_before) b.marks.push_back({i, b.early.size()});
      if (!s.ok()) {
        scratch_.defer = nullptr;
        return s;
      }
      const LineRef& line = b.block.lines[i];
      // An over-long line's result (event_too_large) reads nothing of the
      // config, so it never needs preparing again.
      if (line.oversize || impl_.is_current(prepared_under)) {
        Outcome& o = b.outcomes[i];
        o.reset(seq);
        b.prepared.restore(i, &event_);
        scratch_.deferred = false;  // a bad line never reaches apply_event, which resets it
        if (impl_.apply(prepared_under, event_, b.prepared.match(i), scratch_, reload_scratch_, &o)) {
          if (scratch_.deferred) {
            b.modes[i] = Batch::kDeferred;
            b.refs[i] = scratch_.ref;
          }
          continue;
        }
      }
      // A reload came after this block was prepared: the line is prepared
      // again under the version now current, as if it had been read now, and
      // written now (its outcome views this thread's parser).
      Worker& w = impl_.thread_worker();
      const ConfigVersion& v = impl_.process(w, input_of(b.block, line), seq);
      count_outcome(w.outcome, &b.counters);
      if (wanted(w.outcome)) append_outcome_line(*v.config, w.outcome, &b.early);
      b.modes[i] = Batch::kWritten;
      b.marks.push_back({i, b.early.size()});
    }
    scratch_.defer = nullptr;
    return Status();
  }

  // Stage 4: any thread, any block. Deltas of the logins stage 3 deferred,
  // counts, and the block's output in line order.
  void finish_block(Batch& b) const {
    Worker& w = impl_.thread_worker();
    const CompiledConfig& config = *b.version->config;
    b.out.clear();
    size_t mark = 0, early_at = 0;
    const size_t n = b.outcomes.size();
    for (size_t i = 0; i < n; ++i) {
      for (; mark < b.marks.size() && b.marks[mark].line == i; ++mark) {
        b.out.append(b.early, early_at, b.marks[mark].end - early_at);
        early_at = b.marks[mark].end;
      }
      if (b.modes[i] == Batch::kWritten) continue;
      Outcome& o = b.outcomes[i];
      // A deferred login's delta is taken into this thread's own outcome
      // vectors, lent to the line for the while: they are in cache from the
      // line before, where the line's own (one set per line of the block)
      // would be cold. Written at once, the delta is not needed after.
      const bool deferred = b.modes[i] == Batch::kDeferred;
      if (deferred) {
        lend_delta_vectors(w.outcome, o);
        // Without --explain the batch holds no values, and nothing is explained.
        finish_deferred_login(config, b.deferred, b.refs[i], w.sync.delta, &o, options_.explain ? &w.sync.why : nullptr,
                              b.prepared.match(i).values);
      }
      count_outcome(o, &b.counters);
      if (wanted(o)) append_outcome_line(config, o, &b.out);
      if (deferred) lend_delta_vectors(w.outcome, o);  // and back
    }
  }

  // Swaps the four delta vectors of two outcomes.
  static void lend_delta_vectors(Outcome& a, Outcome& b) {
    a.groups_added.swap(b.groups_added);
    a.groups_removed.swap(b.groups_removed);
    a.roles_granted.swap(b.roles_granted);
    a.roles_revoked.swap(b.roles_revoked);
  }

  // Stage 5: one thread at a time, blocks in input order.
  Status write(Batch& b) {
    summary_->counters.merge(b.counters);
    report_progress(b);
    return sink_.write(b.out);
  }

  // All three stages on one thread, without keeping a block's parsed lines
  // for a later stage: two workers take turns, so that line i is prepared
  // (Engine::Impl::prepare, which prefetches its user's slot) after line
  // i-1's user record has been prefetched and before line i-1 is applied.
  // Both of a line's cache misses in the store then overlap the next line's
  // parse and match. Every line is applied before the block ends (the next
  // block reuses the text the events point into).
  Status process_and_write(Batch& b) {
    summary_->input_bytes += b.block.input_bytes;
    if (!second_worker_) second_worker_ = std::make_unique<Worker>(impl_.options().max_line_bytes);
    Worker* const workers[2] = {&impl_.thread_worker(), second_worker_.get()};
    // The version each worker prepared its line under (the thread's own
    // Worker keeps only the latest).
    std::shared_ptr<const ConfigVersion> prepared_under[2];
    size_t turn = 0;
    Worker* pending = nullptr;  // prepared, not yet applied: never workers[turn]
    size_t pending_turn = 0;
    LineInput pending_input;
    Status status;
    auto apply_pending = [&] {
      if (pending == nullptr) return;
      Worker& w = *pending;
      pending = nullptr;
      if (Status s = reload_before(w.outcome.seq, &b.out, &summary_->counters); !s.ok()) {
        status = s;
        return;
      }
      const ConfigVersion& v = *prepared_under[pending_turn];
      w.sync.explain = options_.explain;
      if (impl_.is_current(v) && impl_.apply(v, w.event, w.match.view(), w.sync, w.reload, &w.outcome)) {
        finish(*v.config, w.outcome, &b.out);
        return;
      }
      // A reload came between this line's preparation and now.
      const ConfigVersion& now = impl_.process(w, pending_input, w.outcome.seq);
      finish(*now.config, w.outcome, &b.out);
    };
    for (const LineRef& line : b.block.lines) {
      // Written as it grows past kFlushBytes, not once per block: a heavy
      // storm's output is ~8 times its input, and a block's worth (8 MiB)
      // would stream through the cache and evict the store and the config.
      if (b.out.size() >= kFlushBytes) {
        if (Status s = sink_.write(b.out); !s.ok()) return s;
      }
      if (pending != nullptr && pending->event.ok()) {
        impl_.prefetch_record(*prepared_under[pending_turn], pending->event.provider, pending->event.subject);
      }
      Worker& next = *workers[turn];
      impl_.current_version(next);
      prepared_under[turn] = next.version;
      const LineInput input = input_of(b.block, line);
      next.outcome.reset(line.seq);
      impl_.prepare(*prepared_under[turn], next, input, /*prefetch=*/true);
      apply_pending();
      if (!status.ok()) return status;
      pending = &next;
      pending_turn = turn;
      pending_input = input;
      turn ^= 1;
    }
    apply_pending();
    if (!status.ok()) return status;
    report_progress(b);
    return sink_.write(b.out);
  }

  // Reload points not reached by any line: applied at the end of the input.
  Status finish_reloads() {
    std::string out;
    if (Status s = reload_before(UINT64_MAX, &out, &summary_->counters); !s.ok()) return s;
    return sink_.write(out);
  }

 private:
  void report_progress(const Batch& b) {
    if (options_.progress_bytes != nullptr) {
      options_.progress_bytes->fetch_add(b.block.input_bytes, std::memory_order_relaxed);
    }
    if (options_.progress_events != nullptr) {
      options_.progress_events->fetch_add(b.block.lines.size(), std::memory_order_relaxed);
    }
  }

  // Applies every reload point at or before line `seq`, writing its lines.
  Status reload_before(uint64_t seq, std::string* out, EventCounters* counters) {
    while (next_reload_ < reloads_.size() && reloads_[next_reload_].before_line <= seq) {
      const ReloadPoint& point = reloads_[next_reload_++];
      Result<ReloadResult> result = impl_.reload(point.config, options_.explain);
      if (!result.ok()) return result.status();
      ++summary_->reloads;
      result.value().append_ndjson(point.before_line, out, counters);
    }
    return Status();
  }

  // A line as the prepare stage takes it.
  LineInput input_of(const LineBlock& block, const LineRef& line) const {
    if (line.oversize) return LineInput{{}, line.oversize_length};
    return LineInput{block.text(line), 0, nullptr, options_.explain};
  }

  // Whether an outcome gets an output line (--changes-only drops the rest).
  bool wanted(const Outcome& o) const {
    return !options_.changes_only || o.status == DeltaStatus::kError || o.has_changes();
  }

  void finish(const CompiledConfig& config, const Outcome& o, std::string* out) {
    count_outcome(o, &summary_->counters);
    if (wanted(o)) append_outcome_line(config, o, out);
  }

  Engine::Impl& impl_;
  OutputSink sink_;
  const StreamOptions& options_;
  StreamSummary* summary_;
  std::vector<ReloadPoint> reloads_;
  size_t next_reload_ = 0;
  // How far ahead stage 3 prefetches users' table slots and records.
  static constexpr size_t kSlotsAhead = 8, kRecordsAhead = 4;
  // How much output the single-thread path gathers before writing it.
  static constexpr size_t kFlushBytes = size_t{128} << 10;

  // The single-thread path's second worker (see process_and_write).
  std::unique_ptr<Worker> second_worker_;
  // Stage 3's scratch.
  ParsedEvent event_;
  SyncScratch scratch_;
  ReloadScratch reload_scratch_;
};

// Large enough to amortise a pipeline step (a few hundred lines of the
// default workload), small enough that what a block carries from stage to
// stage stays in the cache between them. Its output matters most: a heavy
// storm writes ~8 times its input, so a 1 MiB block's 8 MiB of output went
// to memory and came back as misses on the next block through (a heavy
// 2-thread run, BM_Ratios: 1.80x one thread at 1 MiB, 1.91x at 256 KiB,
// 2.13x at 64 KiB, 2.12x at 32 KiB; the default workload the same at each).
constexpr size_t kBlockBytes = size_t{64} << 10;

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
  std::mutex free_mutex;  // stage 1 takes batches, stage 5 gives them back
  // Held by the serial stages while they run: TBB runs each one at a time
  // already; the locks (uncontended, once per block) say so to ThreadSanitizer.
  std::mutex read_mutex, apply_mutex, write_mutex;
  Status read_status, apply_status, write_status;
  bool input_done = false;
  std::atomic<bool> failed{false};  // set by stages 3 and 5, read by stages 1 and 3

  tbb::task_arena arena(static_cast<int>(threads));
  arena.execute([&] {
    tbb::parallel_pipeline(
        tokens,
        tbb::make_filter<void, Batch*>(tbb::filter_mode::serial_in_order,
                                       [&](tbb::flow_control& fc) -> Batch* {
                                         std::lock_guard<std::mutex> read_lock(read_mutex);
                                         if (input_done || !read_status.ok() || failed.load()) {
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
            tbb::make_filter<Batch*, Batch*>(tbb::filter_mode::serial_in_order,
                                             [&](Batch* b) {
                                               std::lock_guard<std::mutex> apply_lock(apply_mutex);
                                               (void)b->stage.load(std::memory_order_acquire);
                                               // After a failure the remaining blocks are dropped, not applied.
                                               bool skip = failed.load() || !apply_status.ok();
                                               if (!skip) {
                                                 apply_status = run.apply(*b);
                                                 if (!apply_status.ok()) {
                                                   failed.store(true);  // stops stage 1
                                                   skip = true;
                                                 }
                                               }
                                               b->applied = !skip;
                                               if (skip) b->outcomes.clear(), b->marks.clear();
                                               b->stage.store(3, std::memory_order_release);
                                               return b;
                                             }) &
            tbb::make_filter<Batch*, Batch*>(tbb::filter_mode::parallel,
                                             [&](Batch* b) {
                                               (void)b->stage.load(std::memory_order_acquire);
                                               run.finish_block(*b);
                                               b->stage.store(4, std::memory_order_release);
                                               return b;
                                             }) &
            tbb::make_filter<Batch*, void>(tbb::filter_mode::serial_in_order, [&](Batch* b) {
              std::lock_guard<std::mutex> write_lock(write_mutex);
              (void)b->stage.load(std::memory_order_acquire);
              // A block stage 3 dropped is not written either (nor is any
              // after it), nor any after a write error.
              if (write_status.ok() && b->applied) {
                write_status = run.write(*b);
                if (!write_status.ok()) failed.store(true);  // stops stages 1 and 3
              }
              b->out.clear();
              std::lock_guard<std::mutex> lock(free_mutex);
              free_batches.push_back(b);
            }));
  });
  // Taking every stage lock orders everything the stages wrote (statuses,
  // summary, reader) before what the caller reads next.
  std::scoped_lock after_pipeline(read_mutex, apply_mutex, write_mutex);
  if (!read_status.ok()) return read_status;
  if (!apply_status.ok()) return apply_status;
  return write_status;
}

}  // namespace

namespace {

Status run(Engine& engine, LineReader& reader, OutputSink sink, const StreamOptions& options, StreamSummary* summary) {
  *summary = StreamSummary{};
  const auto start = std::chrono::steady_clock::now();
  Engine::Impl& impl = EngineAccess::impl(engine);
  StreamRun run(impl, sink, options, summary);
  const unsigned threads = options.threads == 0 ? 1 : options.threads;
  Status s = threads == 1 ? run_serial(reader, run) : run_parallel(reader, run, threads);
  if (s.ok()) s = run.finish_reloads();
  summary->lines = reader.lines_seen();
  summary->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace

Status run_stream(Engine& engine, int in_fd, int out_fd, const StreamOptions& options, StreamSummary* summary) {
  LineReader reader(in_fd, kBlockBytes, EngineAccess::impl(engine).options().max_line_bytes);
  return run(engine, reader, OutputSink(out_fd), options, summary);
}

Status run_stream(Engine& engine, std::string_view input, std::string* output, const StreamOptions& options,
                  StreamSummary* summary) {
  LineReader reader(input, kBlockBytes, EngineAccess::impl(engine).options().max_line_bytes);
  return run(engine, reader, OutputSink(output), options, summary);
}

}  // namespace claimmap
