#!/usr/bin/env bash
# `claimmap simulate --report FILE.html` (docs/spec.md §11, docs/simulator.md):
# the page is well-formed XHTML that loads nothing from elsewhere, has one SVG
# chart per figure, and every plotted value equals the --json report of the
# same run. Usage: tests/simulator_report_html_test.sh path/to/claimmap
set -u
bin="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/shell_checks.sh"
if ! type finish >/dev/null 2>&1; then
  finish() {
    if [[ $failures -gt 0 ]]; then echo "$failures failure(s)"; exit 1; fi
    echo "all passed"
    exit 0
  }
fi

small="--users 2000 --logins 20000 --threads 2"

# The page checker: python3 with the standard library only. Prints one
# "ok"/"FAIL" line per check and exits 1 if any failed.
cat >"$tmp/check_page.py" <<'PY'
import json
import sys
import xml.etree.ElementTree as ET

page, report_json, mode = sys.argv[1], sys.argv[2], sys.argv[3]
XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
failed = 0


def check(name, ok, detail=""):
    global failed
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    failed += 0 if ok else 1


def nums(text):
    return [float(v) for v in text.split()] if text else []


def close(a, b, tol):
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b))


report = json.load(open(report_json))
try:
    root = ET.parse(page).getroot()
except ET.ParseError as e:
    check("page is well-formed XML", False, str(e))
    sys.exit(1)
check("page is well-formed XML", True)
check("root is XHTML <html>", root.tag == XHTML + "html", root.tag)

# Self-contained: no script, nothing fetched from elsewhere.
elements = list(root.iter())
local = [e.tag.split("}")[-1] for e in elements]
check("no <script>", "script" not in local)
check("no <link>, <img>, <iframe>, <object>, <embed>, <image>, <use>",
      not set(local) & {"link", "img", "iframe", "object", "embed", "image", "use", "foreignObject"})
refs = [(e.tag, k, v) for e in elements for k, v in e.attrib.items()
        if k.split("}")[-1] in ("href", "src", "srcset", "action", "data", "poster")]
check("no href/src attributes", not refs, str(refs[:3]))
handlers = [k for e in elements for k in e.attrib if k.lower().startswith("on")]
check("no event handler attributes", not handlers, str(handlers[:3]))
style = "".join(e.text or "" for e in elements if e.tag == XHTML + "style")
check("style loads nothing (no url(, @import, @font-face)",
      all(s not in style for s in ("url(", "@import", "@font-face")))
check("no address of elsewhere in attribute values",
      not [v for e in elements for v in e.attrib.values() if "://" in v])

# One chart per figure.
svgs = root.findall(".//" + SVG + "svg")
kinds = [s.get("data-chart") for s in svgs]
want = ["probes", "rate", "latency", "errors"] if mode == "capacity" else ["rate", "latency", "errors"]
check("one chart per figure", sorted(kinds) == sorted(want), str(kinds))
charts = {s.get("data-chart"): s for s in svgs}
for kind, svg in charts.items():
    check(kind + ": viewBox and width 100%", svg.get("viewBox", "").startswith("0 0 ") and svg.get("width") == "100%")
    texts = ["".join(t.itertext()) for t in svg.iter(SVG + "text")]
    check(kind + ": a title", svg.find(SVG + "title") is not None and any(texts))
    legend = [g for g in svg.iter(SVG + "g") if g.get("class") == "legend"]
    series = [g for g in svg.iter(SVG + "g") if g.get("class") == "series"]
    check(kind + ": a legend entry per series",
          len(legend) == 1 and len(legend[0].findall(SVG + "text")) == len(series), f"{len(series)} series")
    check(kind + ": tick labels and axis labels", len(texts) >= 8, str(len(texts)))


def series_of(kind):
    svg = charts.get(kind)
    if svg is None:
        return {}
    return {g.get("data-series"): g for g in svg.iter(SVG + "g") if g.get("class") == "series"}


def compare(kind, key, windows, field, xs_tol=2e-6):
    """data-x must be each window's middle, data-y the JSON value, for the
    windows where the value is plotted (not null)."""
    g = series_of(kind).get(key)
    if g is None:
        check(f"{kind}/{key}: present", False)
        return
    want_x = [w["t"] + w["seconds"] / 2 for w in windows if w[field] is not None]
    want_y = [w[field] for w in windows if w[field] is not None]
    x, y = nums(g.get("data-x")), nums(g.get("data-y"))
    check(f"{kind}/{key}: {len(want_y)} points at the window middles", close(x, want_x, xs_tol),
          f"{x[:4]} vs {want_x[:4]}")
    check(f"{kind}/{key}: values equal the JSON's {field}", close(y, want_y, 1e-9), f"{y[:4]} vs {want_y[:4]}")
    drawn = sum(len(p.get("points").split()) for p in g.findall(SVG + "polyline")) + len(g.findall(SVG + "circle"))
    check(f"{kind}/{key}: every point drawn", drawn == len(want_y), f"{drawn} drawn, {len(want_y)} values")


def check_series(series, events, errors, revoked, open_loop):
    windows = series["windows"]
    check("series: 1 to 64 windows", 1 <= len(windows) <= 64, str(len(windows)))
    if events is not None:
        check("series: served adds up to the events", sum(w["served"] for w in windows) == events)
        check("series: errors add up to the status count", sum(w["errors"] for w in windows) == errors)
        check("series: revocations add up to the deltas", sum(w["roles_revoked"] for w in windows) == revoked)
    check("series: offered adds up to served",
          sum(w["offered"] for w in windows) == sum(w["served"] for w in windows))
    compare("rate", "served_per_s", windows, "served_per_s")
    # Open loop: the offered line ends with the schedule (no points for the
    # windows after the last arrival).
    last = max([i for i, w in enumerate(windows) if w["offered"] > 0], default=-1)
    compare("rate", "offered_per_s", windows[: last + 1] if open_loop else windows, "offered_per_s")
    for field in ("p50_us", "p99_us", "p999_us"):
        compare("latency", field, windows, field)
    compare("errors", "errors", windows, "errors")
    compare("errors", "roles_revoked", windows, "roles_revoked")


if mode == "capacity":
    c = report["capacity"]
    probes = series_of("probes")
    for key, passed in (("passed", True), ("failed", False)):
        ps = [p for p in c["probes"] if p["rate"] > 0 and p["passed"] == passed]
        g = probes.get(key)
        ok = g is not None and close(nums(g.get("data-x")), [p["rate"] for p in ps], 1e-9) \
            and close(nums(g.get("data-y")), [p["p99_ns"] / 1000 for p in ps], 5e-4) \
            and len(g.findall(SVG + "circle")) == len(ps)
        check(f"probes/{key}: {len(ps)} probes at (rate, p99) as in the JSON", ok)
    g = probes.get("target_p99_us")
    check("probes: the target p99 line", g is not None and close(nums(g.get("data-y")), [c["p99_target_ns"] / 1000], 5e-4)
          and g.find(SVG + "line") is not None)
    g = probes.get("capacity")
    if c["capacity"] > 0:
        check("probes: the capacity line", g is not None and close(nums(g.get("data-x")), [c["capacity"]], 1e-9))
    else:
        check("probes: no capacity line when none passed", g is None)
    g = probes.get("closed_loop")
    check("probes: the closed-loop ceiling", g is not None and close(nums(g.get("data-x")), [c["closed_loop_throughput"]], 1e-9))
    check_series(c["series"], None, None, None, True)
else:
    run = report["run"]
    check_series(run["series"], run["events"], run["status"]["error"], run["deltas"]["roles_revoked"],
                 run["open_loop"])

# The summary table: the text report's rows.
rows = {"".join(tr.find(XHTML + "th").itertext()): "".join(tr.find(XHTML + "td").itertext())
        for tr in root.iter(XHTML + "tr")}
names = ["organisation", "mappings", "memory"] + (["capacity", "probe"] if mode == "capacity" else
                                                 ["events", "throughput", "status", "deltas", "roles", "errors by code"])
check("summary table rows", all(n in rows for n in names), str(sorted(rows)))
if mode != "capacity":
    check("summary events as in the JSON", rows.get("events", "").startswith(f"{report['run']['events']:,}"))
    check("summary status as in the JSON", f"error {report['run']['status']['error']:,}" in rows.get("status", ""))
sys.exit(1 if failed else 0)
PY

page_checks() {  # page_checks NAME PAGE JSON MODE
  python3 "$tmp/check_page.py" "$2" "$3" "$4" >"$tmp/$1.checks" 2>&1
  local rc=$?
  sed "s/^/  $1: /" "$tmp/$1.checks"
  check "$1 page checks" 0 $rc
}

# Open loop, with --json.
"$bin" simulate $small --rate 40000 --json --report "$tmp/open.html" >"$tmp/open.json" 2>"$tmp/open.err"
check "open loop exit" 0 $?
page_checks open "$tmp/open.html" "$tmp/open.json" run

# Closed loop, text report on stdout as usual; a page already there is replaced.
echo stale >"$tmp/closed.html"
"$bin" simulate --users 2000 --logins 6000 --threads 2 --report "$tmp/closed.html" >"$tmp/closed.txt" 2>/dev/null
check "closed loop exit" 0 $?
contains "text report still printed" "throughput" "$tmp/closed.txt"
check "page replaced" yes "$(grep -q '<svg' "$tmp/closed.html" && echo yes || echo no)"
python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$tmp/closed.html"
check "closed loop page parses" 0 $?

# Capacity search.
"$bin" simulate $small --find-capacity --probe-seconds 0.2 --p99 20ms --json --report "$tmp/capacity.html" \
  >"$tmp/capacity.json" 2>/dev/null
check "capacity exit" 0 $?
page_checks capacity "$tmp/capacity.html" "$tmp/capacity.json" capacity

check "no temporary files left" "" "$(ls "$tmp" | grep '\.tmp\.' || true)"

# A page that cannot be written: exit 1 at once, with a message.
"$bin" simulate $small --report "$tmp/no/such/dir/r.html" >"$tmp/bad.out" 2>"$tmp/bad.err"
check "unwritable report exit" 1 $?
contains "unwritable report message" "--report: cannot write $tmp/no/such/dir/r.html" "$tmp/bad.err"
check "unwritable report: no run" 0 "$(wc -c <"$tmp/bad.out" | tr -d ' ')"

# --report with --write-dataset (which runs nothing) is bad usage.
"$bin" simulate $small --report "$tmp/r.html" --write-dataset "$tmp/ds" >/dev/null 2>&1
check "report with write-dataset" 2 $?

finish
