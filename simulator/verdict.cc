#include "simulator/verdict.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "simulator/duration.h"
#include "support/number_text.h"

namespace claimmap::sim {
namespace {

std::string events_per_s(double rate) { return support::with_commas(rate) + " events/s"; }

// Two durations printed with enough digits that a reader sees why they
// compare as they do ("2.0004 ms > target 2 ms", not "2 ms > target 2 ms").
std::pair<std::string, std::string> durations(double measured_ns, double target_ns) {
  for (int digits = 3;; ++digits) {
    std::string a = format_duration_ns(measured_ns, digits), b = format_duration_ns(target_ns, digits);
    if (a != b || measured_ns == target_ns || digits >= 9) return {a, b};
  }
}

VerdictCheck p99_check(uint64_t logins, uint64_t p99_ns, double target_seconds) {
  VerdictCheck c;
  c.name = "p99";
  c.measured = static_cast<double>(p99_ns);
  c.target = target_seconds * 1e9;
  if (logins == 0) {
    // Nothing measured breaks no target; the text says so rather than
    // printing a p99 of 0.
    c.pass = true;
    c.text = "no logins measured, so no p99 to judge against target " + format_duration_ns(*c.target);
    return c;
  }
  c.pass = c.measured <= *c.target;
  const auto [measured, target] = durations(c.measured, *c.target);
  c.text = "p99 " + measured + (c.pass ? " <= target " : " > target ") + target;
  return c;
}

VerdictCheck rate_check(const char* what, double measured, double target) {
  VerdictCheck c;
  c.name = "rate";
  c.measured = measured;
  c.target = target;
  c.pass = measured >= target;
  c.text = std::string(what) + " " + events_per_s(measured) + (c.pass ? " >= target " : " < target ") +
           events_per_s(target);
  return c;
}

Verdict finish(Verdict v) {
  for (const VerdictCheck& c : v.checks) v.pass = v.pass && c.pass;
  return v;
}

}  // namespace

VerdictTargets verdict_targets(const SimulateOptions& o) {
  VerdictTargets t;
  t.min_rate = o.min_rate;
  t.stated_default = !o.p99_given && !o.min_rate;
  // A search always has its p99 target; a run is judged on p99 when one was
  // given or when nothing was (the default).
  if (o.p99_given || t.stated_default || o.find_capacity) t.p99_seconds = o.p99_target_seconds;
  return t;
}

double sustained_rate(const RunMeasures& run) {
  return run.open_loop && run.kept_up ? run.offered_rate : run.throughput;
}

Verdict judge_run(const RunMeasures& run, const VerdictTargets& targets) {
  Verdict v;
  v.targets = targets;
  if (run.open_loop) {
    VerdictCheck c;
    c.name = "kept_up";
    c.pass = run.kept_up;
    c.measured = run.throughput;
    c.target = 0.97 * run.offered_rate;
    c.text = (c.pass ? "kept up: served " : "fell behind: served ") + events_per_s(run.throughput) +
             (c.pass ? ", at least 97% of the " : ", under 97% of the ") + events_per_s(run.offered_rate) +
             " offered";
    v.checks.push_back(c);
  }
  if (targets.p99_seconds) v.checks.push_back(p99_check(run.logins, run.p99_ns, *targets.p99_seconds));
  if (targets.min_rate) {
    v.checks.push_back(rate_check(run.open_loop && run.kept_up ? "sustained" : "throughput", sustained_rate(run),
                                  *targets.min_rate));
  }
  return finish(std::move(v));
}

Verdict judge_capacity(double capacity, const VerdictTargets& targets) {
  Verdict v;
  v.targets = targets;
  VerdictCheck found;
  found.name = "capacity";
  found.pass = capacity > 0;
  found.measured = capacity;
  const std::string p99 = targets.p99_seconds ? format_duration_ns(*targets.p99_seconds * 1e9) : "?";
  found.text = found.pass ? "capacity " + events_per_s(capacity) + " with p99 <= " + p99
                          : "no probed rate kept p99 within " + p99;
  v.checks.push_back(found);
  if (targets.min_rate) v.checks.push_back(rate_check("capacity", capacity, *targets.min_rate));
  return finish(std::move(v));
}

std::vector<std::string> Verdict::reasons() const {
  std::vector<std::string> out;
  for (const VerdictCheck& c : checks) {
    if (pass || !c.pass) out.push_back(c.text);
  }
  return out;
}

std::string Verdict::headline() const {
  std::string out = pass ? "PASS: " : "FAIL: ";
  const std::vector<std::string> why = reasons();
  for (size_t i = 0; i < why.size(); ++i) out += (i ? "; " : "") + why[i];
  return out;
}

std::string Verdict::targets_text() const {
  std::string out;
  if (targets.p99_seconds) out = "p99 <= " + format_duration_ns(*targets.p99_seconds * 1e9);
  if (targets.min_rate) out += (out.empty() ? "" : ", ") + std::string("at least ") + events_per_s(*targets.min_rate);
  if (targets.stated_default) out += " (the default target: set --p99 or --min-rate)";
  return out;
}

}  // namespace claimmap::sim
