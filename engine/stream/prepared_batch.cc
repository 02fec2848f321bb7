#include "engine/stream/prepared_batch.h"

namespace claimmap {

void PreparedBatch::clear() {
  lines_.clear();
  text_.clear();
  matched_.clear();
  indeterminate_.clear();
  overage_.clear();
  values_.clear();
  value_at_.clear();
  value_text_.clear();
}

void PreparedBatch::seal() {
  for (size_t k = 0; k < values_.size(); ++k) {
    values_[k].value = std::string_view(value_text_.data() + value_at_[k].begin, value_at_[k].end - value_at_[k].begin);
  }
}

PreparedBatch::Range PreparedBatch::add_text(std::string_view s) {
  Range r{static_cast<uint32_t>(text_.size()), 0};
  text_.append(s);
  r.end = static_cast<uint32_t>(text_.size());
  return r;
}

void PreparedBatch::add(uint64_t seq, const ParsedEvent& e, const MatchResult& m) {
  Line line{};
  line.seq = seq;
  line.error = e.error;
  line.kind_known = e.kind_known;
  line.kind = e.kind;
  line.provider_known = e.provider_known;
  line.provider = e.provider;
  line.subject_known = e.subject_known;
  line.has_iat = e.has_iat;
  line.iat = e.iat;
  line.group = e.group;
  line.role = e.role;
  line.subject = add_text(e.subject);
  if (!e.ok()) line.message = add_text(e.error_message);
  if (e.ok() && e.kind == EventKind::kLogin) {
    auto append = [](auto& to, const auto& from) {
      Range r{static_cast<uint32_t>(to.size()), 0};
      to.insert(to.end(), from.begin(), from.end());
      r.end = static_cast<uint32_t>(to.size());
      return r;
    };
    line.matched = append(matched_, m.matched);
    line.indeterminate = append(indeterminate_, m.indeterminate_claims);
    line.overage = append(overage_, m.overage);
    line.denied_rule = m.denied_rule;
    line.values.begin = static_cast<uint32_t>(values_.size());
    for (const ValuedPair& v : m.values) {
      const uint32_t at = static_cast<uint32_t>(value_text_.size());
      value_text_.append(v.value);
      values_.push_back({v.pair, {}});
      value_at_.push_back({at, static_cast<uint32_t>(value_text_.size())});
    }
    line.values.end = static_cast<uint32_t>(values_.size());
  }
  lines_.push_back(line);
}

void PreparedBatch::restore(size_t i, ParsedEvent* e) const {
  const Line& line = lines_[i];
  auto text = [&](Range r) { return std::string_view(text_.data() + r.begin, r.end - r.begin); };
  e->error = line.error;
  e->error_message.assign(text(line.message));
  e->kind_known = line.kind_known;
  e->kind = line.kind;
  e->provider_known = line.provider_known;
  e->provider = line.provider;
  e->subject_known = line.subject_known;
  e->subject = text(line.subject);
  e->claims = nullptr;
  e->has_iat = line.has_iat;
  e->iat = line.iat;
  e->group = line.group;
  e->role = line.role;
}

}  // namespace claimmap
