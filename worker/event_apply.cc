#include "worker/event_apply.h"

#include <string_view>

#include "claimmap/delta.h"

namespace claimmap::scaleout {

Status apply_event(Engine& engine, ConfigCache& configs, JetStream& js, natsMsg* msg, uint64_t stream_seq,
                   EventCounters* counters, AppliedEvent* out, DeltaOptions options) {
  out->line_seq = header_u64(msg, kSeqHeader, 0);
  out->reload = !header(msg, kReloadHeader).empty();
  out->config_applied = false;
  out->not_applied.clear();
  out->lines.clear();
  const std::string_view data(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  if (out->reload) {
    Result<Config> next = configs.get(js, stream_seq, data);
    if (!next.ok()) {
      out->not_applied = next.status().message();
      return Status();
    }
    Result<ReloadResult> r = engine.reload(next.value(), options);
    if (!r.ok()) return r.status();
    std::string text;
    r.value().append_ndjson(out->line_seq, &text, counters);
    // One result message per line (d<seq>.1, .2, …): NDJSON lines hold no
    // raw newline.
    for (size_t at = 0; at < text.size();) {
      const size_t end = text.find('\n', at);
      out->lines.emplace_back(text, at, end - at);
      at = end + 1;
    }
    out->config_applied = true;
    return Status();
  }
  std::string& line = out->lines.emplace_back();
  if (const uint64_t oversize = header_u64(msg, kOversizeHeader, 0); oversize > 0) {
    const std::string big(oversize, 'x');  // event_too_large: only the length matters
    (void)engine.process_to_ndjson(big, out->line_seq, &line, counters, options);
  } else {
    (void)engine.process_to_ndjson(data, out->line_seq, &line, counters, options);
  }
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return Status();
}

}  // namespace claimmap::scaleout
