#include "simulator/report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string_view>
#include <vector>

#include "claimmap/status.h"
#include "simulator/bad_lines.h"
#include "simulator/duration.h"
#include "support/number_text.h"

namespace claimmap::sim {
namespace {

using support::with_commas;

// A rate in events/s, rounded as the page and the verdict print it.
std::string rate_text(double rate) { return with_commas(rate); }

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string megabytes(uint64_t bytes) { return format("%.1f MB", static_cast<double>(bytes) / 1e6); }

using Rows = std::vector<ReportRow>;

void row(Rows* out, std::string name, std::string value) { out->push_back({std::move(name), std::move(value)}); }

std::string latency_line(const LatencyHistogram& h) {
  return "p50 " + format_duration_ns(h.percentile(0.50)) + "   p90 " + format_duration_ns(h.percentile(0.90)) +
         "   p99 " + format_duration_ns(h.percentile(0.99)) + "   p99.9 " + format_duration_ns(h.percentile(0.999)) +
         "   max " + format_duration_ns(h.max());
}

std::string mode_name(const SimulationReport& r) {
  if (r.capacity) return "capacity search";
  if (!r.run || !r.run->open_loop) return "closed loop";
  return std::string("open loop, ") + std::string(load_profile_name(r.options.profile));
}

void append_run_rows(const ReplayResult& run, Rows* out) {
  const DeltaTally& t = run.tally;
  const auto& k = t.planned_by_kind;
  const uint64_t pushes = t.events - k[0] - k[1] - k[static_cast<int>(EventKind::kBad)];
  row(out, "events", with_commas(t.events) + "  (logins " + with_commas(k[0]) + ", stale replays " +
                         with_commas(k[1]) + ", pushes " + with_commas(pushes) + ", bad lines " +
                         with_commas(k[static_cast<int>(EventKind::kBad)]) + ")");
  if (run.open_loop) {
    row(out, "offered", format("%.0f events/s mean, %.0f/s peak, over %.2f s", run.offered_rate, run.peak_rate,
                               run.offered_seconds));
  }
  row(out, "throughput", format("%s events/s  (%.2f s of run time; %.2f s generating, not counted)",
                                rate_text(run.throughput()).c_str(), run.run_seconds,
                                run.generate_seconds) +
                             (run.open_loop && !run.kept_up() ? "  FELL BEHIND the offered rate" : ""));
  row(out, run.open_loop ? "login latency" : "login service", latency_line(run.login_latency));
  if (run.open_loop) {
    std::string trend;
    for (int s = 0; s < kTimeSlices; ++s) {
      if (s) trend += "  ";
      trend += format_duration_ns(run.login_latency_by_slice[s].percentile(0.99));
    }
    row(out, "p99 by tenth", trend);
  }
  row(out, "status", "ok " + with_commas(t.ok) + "   stale " + with_commas(t.stale) + "   suspended " +
                         with_commas(t.suspended) + "   denied " + with_commas(t.denied) +
                         "   error " + with_commas(t.errors));
  row(out, "deltas", "new users " + with_commas(t.new_users) + "   groups +" + with_commas(t.groups_added) + " -" +
                         with_commas(t.groups_removed) + "   overage logins " + with_commas(t.overage_logins));
  row(out, "roles", "granted " + with_commas(t.roles_granted) + "   revoked " + with_commas(t.roles_revoked));
  std::string errors;
  for (int c = 1; c <= kEventErrorCodeCount; ++c) {
    if (!t.errors_by_code[c]) continue;
    if (!errors.empty()) errors += ", ";
    errors += std::string(error_code_name(static_cast<ErrorCode>(c))) + " " + with_commas(t.errors_by_code[c]);
  }
  row(out, "errors by code", errors.empty() ? "none" : errors);
}

// What --pattern-share, --template-share and --deny-share put in the config,
// when a run uses them: the rows are absent otherwise.
void append_pattern_rows(const SimulationReport& r, Rows* out) {
  const GeneratorOptions& g = r.options.generator;
  if (r.prefix_mappings + r.glob_mappings + r.regex_mappings > 0) {
    std::string value = "prefix " + with_commas(r.prefix_mappings) + ", glob " + with_commas(r.glob_mappings) +
                        ", regex " + with_commas(r.regex_mappings) + format(" (share %g)", g.pattern_share);
    if (r.template_mappings > 0) {
      value += "; templates " + with_commas(r.template_mappings) + format(" (share %g)", g.template_share) +
               ", naming " + with_commas(r.template_groups) + " groups";
    }
    row(out, "patterns", value);
  }
  if (r.require_rules > 0) {
    row(out, "login rule", format("MFA on every provider (%zu rules); share %g of logins lack it (denied)",
                                  r.require_rules, g.deny_share));
  }
}

void json_histogram(const LatencyHistogram& h, std::string* out) {
  out->append(format("{\"count\": %llu, \"mean\": %.0f, \"p50\": %llu, \"p90\": %llu, \"p99\": %llu, \"p999\": %llu, "
                     "\"max\": %llu}",
                     static_cast<unsigned long long>(h.count()), h.mean(),
                     static_cast<unsigned long long>(h.percentile(0.5)),
                     static_cast<unsigned long long>(h.percentile(0.9)),
                     static_cast<unsigned long long>(h.percentile(0.99)),
                     static_cast<unsigned long long>(h.percentile(0.999)), static_cast<unsigned long long>(h.max())));
}

// The numbers are printed as the --report page's data attributes print them
// (report_html.cc): t and seconds to 1 µs, rates to 0.1 event/s, latencies
// in µs to 1 ns; a window without logins has null percentiles and max.
void json_series(const SeriesSummary& series, std::string* out) {
  out->append(format("{\"window_seconds\": %.6f, \"windows\": [", series.window_seconds));
  for (size_t i = 0; i < series.windows.size(); ++i) {
    const SeriesPoint& w = series.windows[i];
    out->append(format("%s{\"t\": %.6f, \"seconds\": %.6f, \"offered\": %llu, \"served\": %llu, "
                       "\"offered_per_s\": %.1f, \"served_per_s\": %.1f, \"errors\": %llu, \"roles_revoked\": %llu, "
                       "\"errors_per_s\": %.1f, \"roles_revoked_per_s\": %.1f, \"logins\": %llu, ",
                       i ? ", " : "", w.t, w.seconds, static_cast<unsigned long long>(w.offered),
                       static_cast<unsigned long long>(w.served), w.offered_per_s, w.served_per_s,
                       static_cast<unsigned long long>(w.errors), static_cast<unsigned long long>(w.roles_revoked),
                       w.errors_per_s, w.roles_revoked_per_s, static_cast<unsigned long long>(w.logins)));
    if (w.logins) {
      out->append(format("\"p50_us\": %.3f, \"p99_us\": %.3f, \"p999_us\": %.3f, \"max_us\": %.3f}",
                         w.p50_ns / 1e3, w.p99_ns / 1e3, w.p999_ns / 1e3, w.max_ns / 1e3));
    } else {
      out->append("\"p50_us\": null, \"p99_us\": null, \"p999_us\": null, \"max_us\": null}");
    }
  }
  out->append("]}");
}

void json_run(const ReplayResult& run, std::string* out) {
  const DeltaTally& t = run.tally;
  out->append(format("{\"open_loop\": %s, \"offered_rate\": %.1f, \"peak_rate\": %.1f, \"offered_seconds\": %.4f, "
                     "\"run_seconds\": %.4f, \"generate_seconds\": %.4f, \"throughput\": %.1f, \"kept_up\": %s, ",
                     run.open_loop ? "true" : "false", run.offered_rate, run.peak_rate, run.offered_seconds,
                     run.run_seconds, run.generate_seconds, run.throughput(), run.kept_up() ? "true" : "false"));
  out->append("\"events\": " + std::to_string(t.events) + ", \"input_bytes\": " + std::to_string(t.input_bytes));
  out->append(", \"events_by_kind\": {");
  for (int k = 0; k < kEventKindCount; ++k) {
    out->append(format("%s\"%s\": %llu", k ? ", " : "", std::string(event_kind_name(static_cast<EventKind>(k))).c_str(),
                       static_cast<unsigned long long>(t.planned_by_kind[k])));
  }
  out->append(format("}, \"status\": {\"ok\": %llu, \"stale\": %llu, \"suspended\": %llu, \"denied\": %llu, \"error\": %llu}",
                     static_cast<unsigned long long>(t.ok), static_cast<unsigned long long>(t.stale),
                     static_cast<unsigned long long>(t.suspended), static_cast<unsigned long long>(t.denied),
                     static_cast<unsigned long long>(t.errors)));
  out->append(", \"errors_by_code\": {");
  for (int c = 1; c <= kEventErrorCodeCount; ++c) {
    out->append(format("%s\"%s\": %llu", c > 1 ? ", " : "",
                       std::string(error_code_name(static_cast<ErrorCode>(c))).c_str(),
                       static_cast<unsigned long long>(t.errors_by_code[c])));
  }
  out->append(format("}, \"deltas\": {\"new_users\": %llu, \"groups_added\": %llu, \"groups_removed\": %llu, "
                     "\"roles_granted\": %llu, \"roles_revoked\": %llu, \"overage_logins\": %llu}",
                     static_cast<unsigned long long>(t.new_users), static_cast<unsigned long long>(t.groups_added),
                     static_cast<unsigned long long>(t.groups_removed),
                     static_cast<unsigned long long>(t.roles_granted),
                     static_cast<unsigned long long>(t.roles_revoked),
                     static_cast<unsigned long long>(t.overage_logins)));
  out->append(", \"login_latency_ns\": ");
  json_histogram(run.login_latency, out);
  out->append(", \"event_latency_ns\": ");
  json_histogram(run.event_latency, out);
  out->append(", \"login_latency_by_tenth_ns\": [");
  for (int s = 0; s < kTimeSlices; ++s) {
    if (s) out->append(", ");
    json_histogram(run.login_latency_by_slice[s], out);
  }
  out->append("], \"series\": ");
  json_series(run.series, out);
  out->append("}");
}

// A JSON string: the report's texts are ours, but quote them properly all
// the same.
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += format("\\u%04x", c);
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

std::string json_number_or_null(const std::optional<double>& v, const char* fmt) {
  return v ? format(fmt, *v) : "null";
}

void json_verdict(const Verdict& v, std::string* out) {
  out->append(format("{\"pass\": %s, \"headline\": ", v.pass ? "true" : "false"));
  out->append(json_string(v.headline()));
  out->append(", \"reasons\": [");
  const std::vector<std::string> reasons = v.reasons();
  for (size_t i = 0; i < reasons.size(); ++i) out->append((i ? ", " : "") + json_string(reasons[i]));
  out->append("], \"checks\": [");
  for (size_t i = 0; i < v.checks.size(); ++i) {
    const VerdictCheck& c = v.checks[i];
    out->append(format("%s{\"name\": \"%s\", \"pass\": %s, \"measured\": %.1f, \"target\": %s, \"text\": ",
                       i ? ", " : "", c.name.c_str(), c.pass ? "true" : "false", c.measured,
                       json_number_or_null(c.target, "%.1f").c_str()));
    out->append(json_string(c.text) + "}");
  }
  const std::optional<double> p99_ns =
      v.targets.p99_seconds ? std::optional<double>(*v.targets.p99_seconds * 1e9) : std::nullopt;
  out->append(format("], \"targets\": {\"p99_ns\": %s, \"min_rate\": %s, \"default\": %s}}",
                     json_number_or_null(p99_ns, "%.0f").c_str(), json_number_or_null(v.targets.min_rate, "%.1f").c_str(),
                     v.targets.stated_default ? "true" : "false"));
}

void json_caveat(const CapacityCaveat& c, std::string* out) {
  out->append(format("{\"trustworthy\": %s, \"spread\": %.4f, \"max_spread\": %.2f, \"ceiling\": %.1f, "
                     "\"min_capacity_share\": %.2f, \"reasons\": [",
                     c.trustworthy ? "true" : "false", c.spread, kMaxClosedLoopSpread, c.ceiling, kMinCapacityShare));
  for (size_t i = 0; i < c.reasons.size(); ++i) out->append((i ? ", " : "") + json_string(c.reasons[i]));
  out->append("]}");
}

}  // namespace

Verdict report_verdict(const SimulationReport& r) {
  VerdictTargets targets = verdict_targets(r.options);
  if (r.capacity) {
    if (!targets.p99_seconds) targets.p99_seconds = r.options.p99_target_seconds;  // the search's own target
    return judge_capacity(r.capacity->capacity, targets);
  }
  RunMeasures m;
  if (r.run) {
    const ReplayResult& run = *r.run;
    m.open_loop = run.open_loop;
    m.kept_up = run.kept_up();
    m.logins = run.login_latency.count();
    m.p99_ns = run.login_latency.percentile(0.99);
    m.throughput = run.throughput();
    m.offered_rate = run.offered_rate;
  }
  return judge_run(m, targets);
}

uint64_t current_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::string report_heading(const SimulationReport& r) {
  const GeneratorOptions& g = r.options.generator;
  std::string heading = format("claimmap simulate: %s, %u threads, seed %llu", mode_name(r).c_str(), r.threads,
                                static_cast<unsigned long long>(g.seed));
  // The docs/spec.md §16 knobs, when a run turns them on.
  if (g.pattern_share > 0) {
    heading += format(", pattern share %g", g.pattern_share);
    if (g.template_share > 0) heading += format(" (template share %g)", g.template_share);
  }
  if (g.deny_share > 0) heading += format(", deny share %g", g.deny_share);
  if (!r.options.target.empty()) {
    const unsigned batch = std::max(1u, r.options.batch);
    heading += format(", against %s (%u %s a request)", r.options.target.c_str(), batch, batch == 1 ? "event" : "events");
  }
  return heading;
}

std::vector<ReportRow> report_rows(const SimulationReport& r) {
  const SimulateOptions& o = r.options;
  Rows out;
  const Verdict verdict = report_verdict(r);
  row(&out, "verdict", verdict.headline());
  row(&out, "target", verdict.targets_text());
  row(&out, "organisation", r.organisation);
  row(&out, "mappings", format("%zu (%zu active)", r.mappings, r.active_mappings));
  append_pattern_rows(r, &out);
  row(&out, "logins signed", r.signing);
  row(&out, "setup", format("%.2f s generating, %.2f s loading the config, %.2f s loading the state of %s users",
                            r.setup_seconds, r.config_load_seconds, r.state_load_seconds,
                            with_commas(r.users_loaded).c_str()));
  if (r.run) append_run_rows(*r.run, &out);
  if (r.capacity) {
    const CapacityResult& c = *r.capacity;
    row(&out, "closed loop",
        format("%s events/s before the search, %s after (%.1f%% apart)",
               rate_text(c.closed_loop_throughput).c_str(), rate_text(c.closed_loop_after).c_str(),
               c.caveat.spread * 100));
    for (const CapacityProbe& p : c.probes) {
      if (p.rate == 0) continue;
      row(&out, "probe", format("%10s/s  p50 %-9s p99 %-9s max %-9s %s", rate_text(p.rate).c_str(),
                                format_duration_ns(p.p50_ns).c_str(), format_duration_ns(p.p99_ns).c_str(),
                                format_duration_ns(p.max_ns).c_str(), p.passed ? "pass" : "fail"));
    }
    const std::string target = format_duration_ns(o.p99_target_seconds * 1e9);
    row(&out, "capacity",
        c.capacity > 0 ? format("%s logins/s with p99 <= %s (%u threads)",
                                rate_text(c.capacity).c_str(), target.c_str(), r.threads)
                       : "no probed rate kept p99 under " + target);
    std::string caveat;
    for (const std::string& reason : c.caveat.reasons) caveat += (caveat.empty() ? "" : "; ") + reason;
    row(&out, "steadiness",
        c.caveat.trustworthy
            ? format("steady: the closed-loop rates agree within %.0f%%, and the capacity is plausible",
                     kMaxClosedLoopSpread * 100)
            : "NOT TRUSTWORTHY: " + caveat + ". Run the search again on a quieter machine.");
  }
  if (!o.target.empty()) {
    row(&out, "memory", format("%.0f bytes/user (the server's engine state %s for %s users)", r.bytes_per_user(),
                               megabytes(r.state_bytes).c_str(), with_commas(r.users).c_str()));
    return out;
  }
  row(&out, "memory", format("%.0f bytes/user (engine state %s for %s users), RSS %s (+%s loading state)",
                             r.bytes_per_user(), megabytes(r.state_bytes).c_str(), with_commas(r.users).c_str(),
                             megabytes(r.rss_bytes).c_str(), megabytes(r.rss_growth_loading_state).c_str()));
  return out;
}

std::string format_report_text(const SimulationReport& r) {
  std::string out = report_heading(r) + "\n";
  for (const ReportRow& x : report_rows(r)) {
    out.append(format("  %-16.*s %s\n", static_cast<int>(x.name.size()), x.name.data(), x.value.c_str()));
  }
  return out;
}

std::string format_report_json(const SimulationReport& r) {
  const SimulateOptions& o = r.options;
  const GeneratorOptions& g = o.generator;
  std::string out = "{\"verdict\": ";
  json_verdict(report_verdict(r), &out);
  out.append(format(", \"mode\": \"%s\", \"threads\": %u, \"seed\": %llu, \"users\": %llu, \"mappings\": %zu, "
                    "\"active_mappings\": %zu, \"churn\": %g, \"bad_share\": %g, \"push_share\": %g, "
                    "\"stale_share\": %g, \"profile\": \"%s\"",
                    r.capacity ? "capacity" : (r.run && r.run->open_loop ? "open_loop" : "closed_loop"), r.threads,
                    static_cast<unsigned long long>(g.seed), static_cast<unsigned long long>(g.users), r.mappings,
                    r.active_mappings, g.churn, g.bad_share, g.push_share, g.stale_share,
                    std::string(load_profile_name(o.profile)).c_str()));
  // The docs/spec.md §16 knobs, and what they put in the config.
  out.append(format(", \"pattern_share\": %g, \"template_share\": %g, \"deny_share\": %g, \"match_kinds\": "
                    "{\"exact\": %zu, \"prefix\": %zu, \"glob\": %zu, \"regex\": %zu}, \"template_mappings\": %zu, "
                    "\"template_groups\": %zu, \"require_rules\": %zu",
                    g.pattern_share, g.template_share, g.deny_share, r.exact_mappings, r.prefix_mappings,
                    r.glob_mappings, r.regex_mappings, r.template_mappings, r.template_groups, r.require_rules));
  // Which algorithm signed the logins ("unsigned": none), and the time
  // their exp and nbf were checked at (null: the wall clock).
  out.append(format(", \"signing\": \"%s\", \"now\": ", std::string(sign_algorithm_name(g.sign)).c_str()));
  out.append(o.now ? std::to_string(*o.now) : "null");
  if (!o.target.empty()) {
    out.append(format(", \"target\": \"%s\", \"batch\": %u", o.target.c_str(), std::max(1u, o.batch)));
  }
  out.append(format(", \"setup_seconds\": %.4f, \"config_load_seconds\": %.4f, \"state_load_seconds\": %.4f, "
                    "\"users_loaded\": %llu",
                    r.setup_seconds, r.config_load_seconds, r.state_load_seconds, static_cast<unsigned long long>(r.users_loaded)));
  out.append(format(", \"memory\": {\"state_bytes\": %llu, \"users\": %llu, \"bytes_per_user\": %.1f, "
                    "\"rss_bytes\": %llu, \"rss_growth_loading_state\": %llu}",
                    static_cast<unsigned long long>(r.state_bytes), static_cast<unsigned long long>(r.users),
                    r.bytes_per_user(), static_cast<unsigned long long>(r.rss_bytes),
                    static_cast<unsigned long long>(r.rss_growth_loading_state)));
  if (r.run) {
    out.append(", \"run\": ");
    json_run(*r.run, &out);
  }
  if (r.capacity) {
    const CapacityResult& c = *r.capacity;
    out.append(format(", \"capacity\": {\"p99_target_ns\": %.0f, \"capacity\": %.1f, \"closed_loop_throughput\": %.1f, "
                      "\"closed_loop_after\": %.1f, \"caveat\": ",
                      o.p99_target_seconds * 1e9, c.capacity, c.closed_loop_throughput, c.closed_loop_after));
    json_caveat(c.caveat, &out);
    out.append(", \"probes\": [");
    for (size_t i = 0; i < c.probes.size(); ++i) {
      const CapacityProbe& p = c.probes[i];
      out.append(format("%s{\"rate\": %.1f, \"events\": %llu, \"throughput\": %.1f, \"p50_ns\": %llu, \"p99_ns\": %llu, "
                        "\"max_ns\": %llu, \"passed\": %s}",
                        i ? ", " : "", p.rate, static_cast<unsigned long long>(p.events), p.throughput,
                        static_cast<unsigned long long>(p.p50_ns), static_cast<unsigned long long>(p.p99_ns),
                        static_cast<unsigned long long>(p.max_ns), p.passed ? "true" : "false"));
    }
    out.append(format("], \"series_rate\": %.1f, \"series\": ", c.series_rate));
    json_series(c.series, &out);
    out.append("}");
  }
  out.append("}\n");
  return out;
}

}  // namespace claimmap::sim
