#include "support/audit_page.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "support/number_text.h"

namespace claimmap::support {
namespace {

std::string xml(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string count(uint64_t n) { return with_commas(n); }

// One horizontal bar per way of holding the app (each group, manual,
// direct), scaled to the app's holders: how concentrated its access is.
std::string access_bars(const AppAccess& app) {
  struct Bar {
    std::string label;
    uint64_t n;
    const char* color;
  };
  // Grants to individuals first (what least privilege asks about), then the
  // groups, the widest first.
  std::vector<Bar> bars;
  if (app.direct_holders) bars.push_back({"direct role", app.direct_holders, "#dc2626"});
  if (app.manual_holders) bars.push_back({"manual membership", app.manual_holders, "#d97706"});
  const size_t first_group = bars.size();
  for (const auto& [group, n] : app.groups) bars.push_back({"group " + group, n, "#2563eb"});
  std::stable_sort(bars.begin() + static_cast<std::ptrdiff_t>(first_group), bars.end(),
                   [](const Bar& a, const Bar& b) { return a.n > b.n; });
  constexpr size_t kMaxBars = 12;
  const size_t shown = std::min(bars.size(), kMaxBars);
  const double width = 760, label_width = 280, row = 22;
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof buf,
                "<svg class=\"bars\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" "
                "role=\"img\" aria-label=\"how the holders of %s hold it\">\n",
                width, row * std::max<size_t>(shown, 1) + 6, xml(app.app).c_str());
  out += buf;
  const double scale = app.holders ? (width - label_width - 70) / static_cast<double>(app.holders) : 0;
  for (size_t i = 0; i < shown; ++i) {
    const Bar& b = bars[i];
    const double y = 4 + row * static_cast<double>(i);
    std::snprintf(buf, sizeof buf,
                  "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>"
                  "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" height=\"14\" fill=\"%s\"/>"
                  "<text x=\"%.1f\" y=\"%.0f\">%s</text>\n",
                  label_width - 8, y + 12, xml(b.label.size() > 40 ? b.label.substr(0, 39) + "…" : b.label).c_str(),
                  label_width, y, std::max(1.0, static_cast<double>(b.n) * scale), b.color,
                  label_width + std::max(1.0, static_cast<double>(b.n) * scale) + 6, y + 12, count(b.n).c_str());
    out += buf;
  }
  if (bars.empty()) out += "<text x=\"8\" y=\"18\" class=\"empty\">nobody holds a role of this app</text>\n";
  out += "</svg>\n";
  if (bars.size() > shown) out += "<p class=\"more\">and " + count(bars.size() - shown) + " more ways</p>\n";
  return out;
}

constexpr const char* kStyle = R"(
:root { color-scheme: light; }
body { margin: 0; background: #f3f4f6; color: #111827;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 30px 0 10px; }
h3 { font-size: 16px; margin: 0 0 6px; }
p.sub { margin: 0 0 18px; color: #4b5563; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 14px; }
.card .k { font-size: 13px; color: #6b7280; }
.card .v { font-size: 21px; font-weight: 600; margin-top: 4px; }
.card .v.bad { color: #dc2626; }
.hazard { background: #fef2f2; border: 1px solid #fecaca; border-radius: 8px; padding: 10px 14px; margin: 0 0 8px; }
.ok { background: #f0fdf4; border: 1px solid #bbf7d0; border-radius: 8px; padding: 10px 14px; }
.app { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 14px; margin: 0 0 12px; }
.app .who { font-size: 13px; color: #4b5563; margin: 6px 0 0; }
svg.bars { display: block; width: 100%; height: auto; }
svg.bars text { font-size: 13px; fill: #374151; font-family: inherit; }
svg.bars .empty { fill: #9ca3af; }
p.more { font-size: 13px; color: #6b7280; margin: 2px 0 0; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid #e5e7eb; font-size: 14px; }
th, td { text-align: left; padding: 6px 12px; border-bottom: 1px solid #f0f1f3; vertical-align: top; }
th { color: #374151; }
td.mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; overflow-wrap: anywhere; }
)";

std::string finding_detail(const AuditFinding& f, bool replayed) {
  if (f.kind == "app_single_holder") return "only " + f.provider + "/" + f.subject + " holds it";
  if (f.kind == "direct_role") return count(f.holders) + (f.holders == 1 ? " user" : " users") + " granted it directly";
  if (f.kind == "mapping_inactive") return f.reason;
  if (f.kind == "mapping_unused") {
    return replayed ? "justifies no membership and matched no replayed login" : "justifies no membership";
  }
  if (f.kind == "group_empty") return "no effective member";
  if (f.kind == "group_without_roles") return "grants no role";
  if (f.kind == "role_unheld") return "nobody holds it";
  return "";
}

}  // namespace

std::string render_audit_page(const AuditPageInput& in) {
  const AuditReport& r = *in.report;
  size_t hazards = 0;
  for (const AuditFinding& f : r.findings) hazards += f.kind == "app_single_holder";
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<title>ClaimMap audit</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n<main>\n<h1>Access audit</h1>\n<p class=\"sub\">config " + xml(in.config_path) +
         ", state " + xml(in.state_path) + "</p>\n<div class=\"cards\">\n";
  auto card = [&](const std::string& k, const std::string& v, bool bad) {
    out += "<div class=\"card\"><div class=\"k\">" + xml(k) + "</div><div class=\"v" + (bad ? " bad" : "") + "\">" +
           xml(v) + "</div></div>\n";
  };
  card("users", count(r.users), false);
  card("suspended", count(r.suspended_users), false);
  card("apps", count(r.apps.size()), false);
  card("lockout hazards", count(hazards), hazards > 0);
  card("findings", count(r.findings.size()), false);
  out += "</div>\n<h2>Lockout hazards</h2>\n";
  if (hazards == 0) out += "<div class=\"ok\">No app is held by a single user.</div>\n";
  for (const AuditFinding& f : r.findings) {
    if (f.kind != "app_single_holder") continue;
    out += "<div class=\"hazard\"><strong>" + xml(f.id) + "</strong>: only <code>" + xml(f.provider + "/" + f.subject) +
           "</code> holds any of its roles — one departure locks the app out.</div>\n";
  }
  out += "<h2>Who holds each app, and how</h2>\n";
  std::vector<const AppAccess*> apps;
  for (const AppAccess& a : r.apps) apps.push_back(&a);
  // The most fragile first: fewest holders, then by name.
  std::stable_sort(apps.begin(), apps.end(), [](const AppAccess* a, const AppAccess* b) { return a->holders < b->holders; });
  for (const AppAccess* a : apps) {
    out += "<div class=\"app\"><h3>" + xml(a->app) + " — " + count(a->holders) + (a->holders == 1 ? " holder" : " holders") +
           "</h3>\n" + access_bars(*a);
    if (!a->holder_sample.empty()) {
      out += "<p class=\"who\">";
      for (size_t i = 0; i < a->holder_sample.size(); ++i) out += (i ? ", " : "") + xml(a->holder_sample[i]);
      if (a->holders > a->holder_sample.size()) out += " … and " + count(a->holders - a->holder_sample.size()) + " more";
      out += "</p>\n";
    }
    out += "</div>\n";
  }
  out += "<h2>Findings</h2>\n<table>\n<tr><th>finding</th><th>about</th><th>detail</th></tr>\n";
  for (const AuditFinding& f : r.findings) {
    out += "<tr><td>" + xml(f.kind) + "</td><td class=\"mono\">" + xml(f.id) + "</td><td>" + xml(finding_detail(f, in.report->replayed)) +
           "</td></tr>\n";
  }
  if (r.findings.empty()) out += "<tr><td colspan=\"3\">none</td></tr>\n";
  out += "</table>\n</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace claimmap::support
