#!/usr/bin/env bash
# `claimmap simulate --report FILE.html` (docs/spec.md §11, docs/simulator.md):
# the page is well-formed XHTML that loads nothing from elsewhere, has one SVG
# chart per figure, and every plotted value equals the --json report of the
# same run; its verdict (PASS/FAIL and the reasons) is the JSON's, which is
# itself checked against the JSON's measured figures. No check depends on how
# fast the machine is: the verdicts asserted are against targets no run can
# miss (--p99 10s) or meet (--p99 1us). Usage:
# tests/simulator_report_html_test.sh path/to/claimmap
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
expect = sys.argv[4] if len(sys.argv) > 4 else "any"  # PASS, FAIL or any
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
want = ["rate", "latency", "errors", "revoked"] + (["probes"] if mode == "capacity" else [])
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
    # (seconds is printed to 1 µs and the rate to 0.1/s: the tolerance is
    # what those roundings allow, which matters for a short last window.)
    def per_s_ok(count, rate, seconds):
        return abs(rate - count / seconds) <= 0.051 + count * 0.5e-6 / (seconds - 0.5e-6) ** 2
    check("series: errors_per_s and roles_revoked_per_s are counts over seconds",
          all(per_s_ok(w["errors"], w["errors_per_s"], w["seconds"])
              and per_s_ok(w["roles_revoked"], w["roles_revoked_per_s"], w["seconds"]) for w in windows),
          str([(w["errors"], w["errors_per_s"], w["seconds"]) for w in windows
               if not per_s_ok(w["errors"], w["errors_per_s"], w["seconds"])][:3]))
    compare("rate", "served_per_s", windows, "served_per_s")
    if open_loop:
        # The offered line ends with the schedule (no points for the windows
        # after the last arrival).
        last = max([i for i, w in enumerate(windows) if w["offered"] > 0], default=-1)
        compare("rate", "offered_per_s", windows[: last + 1], "offered_per_s")
    else:
        check("rate: no offered line in closed loop", "offered_per_s" not in series_of("rate"))
    for field in ("p50_us", "p99_us", "p999_us", "max_us"):
        compare("latency", field, windows, field)
    # One unit per chart: errors and roles revoked per second, each alone.
    compare("errors", "errors_per_s", windows, "errors_per_s")
    check("errors: a chart of its own", list(series_of("errors")) == ["errors_per_s"], str(list(series_of("errors"))))
    compare("revoked", "roles_revoked_per_s", windows, "roles_revoked_per_s")
    check("revoked: a chart of its own", list(series_of("revoked")) == ["roles_revoked_per_s"])
    axis_labels = {k: [t for t in charts[k].iter(SVG + "text") if t.get("class") == "label"][1].text
                   for k in ("rate", "errors", "revoked")}
    check("every time chart per second", all(v.endswith("/s") for v in axis_labels.values()), str(axis_labels))


def check_max(series, run_max_ns):
    """The run's slowest login is on the latency chart's scale and labelled."""
    g = series_of("latency").get("max_us")
    ys = nums(g.get("data-y")) if g is not None else []
    check("latency: the highest window max is the run's max",
          bool(ys) and abs(max(ys) - run_max_ns / 1000) <= 5e-4, f"{max(ys, default=None)} vs {run_max_ns / 1000}")
    labels = ["".join(t.itertext()) for t in charts["latency"].iter(SVG + "text") if t.get("class") == "point"]
    check("latency: the max labelled", len(labels) == 1 and labels[0].startswith("max "), str(labels))
    return labels[0][4:] if labels else None


def check_verdict():
    """The banner says what the JSON's verdict says, and the JSON's verdict
    follows from the JSON's own figures."""
    v = report["verdict"]
    body = root.find(XHTML + "body")
    main = body.find(XHTML + "main") if body is not None else None
    sections = [e for e in (main if main is not None else []) if e.tag == XHTML + "section" and "verdict" in e.get("class", "")]
    check("verdict: one banner", len(sections) == 1, str(len(sections)))
    if not sections:
        return
    banner = sections[0]
    kids = list(main)
    cards = [i for i, e in enumerate(kids) if e.get("class") == "cards"]
    check("verdict: at the top, before the cards", cards and kids.index(banner) < cards[0])
    check("verdict: PASS/FAIL as in the JSON", banner.get("data-pass") == ("true" if v["pass"] else "false"))
    word = "".join(banner.find(XHTML + "div").itertext())
    check("verdict: the word", word == ("PASS" if v["pass"] else "FAIL"), word)
    reasons = ["".join(li.itertext()) for li in banner.iter(XHTML + "li")]
    check("verdict: the reasons as in the JSON", reasons == v["reasons"] and reasons, f"{reasons} vs {v['reasons']}")
    check("verdict: the headline", v["headline"] == ("PASS: " if v["pass"] else "FAIL: ") + "; ".join(v["reasons"]))
    if expect != "any":
        check("verdict: " + expect, word == expect, v["headline"])
    # From the figures: p99 against its target, the rate against its, and
    # in open loop keeping up.
    t = v["targets"]
    if mode == "capacity":
        c = report["capacity"]
        want = c["capacity"] > 0 and (t["min_rate"] is None or c["capacity"] >= t["min_rate"])
    else:
        run = report["run"]
        lat = run["login_latency_ns"]
        want = True
        if t["p99_ns"] is not None and lat["count"] > 0:
            want = want and lat["p99"] <= t["p99_ns"]
        sustained = run["offered_rate"] if run["open_loop"] and run["kept_up"] else run["throughput"]
        if t["min_rate"] is not None:
            want = want and sustained >= t["min_rate"]
        if run["open_loop"]:
            want = want and run["kept_up"]
    check("verdict: follows from the JSON's figures", v["pass"] == want, f"{v['pass']} vs {want}")
    check("verdict: the default target only when none was given",
          t["default"] == (t["min_rate"] is None and t["p99_ns"] == 2000000 and not {"p99", "min_rate"} & given))


given = set(sys.argv[5].split(",")) if len(sys.argv) > 5 and sys.argv[5] else set()
check_verdict()
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
    check_max(c["series"], max([w["max_us"] * 1000 for w in c["series"]["windows"] if w["max_us"] is not None],
                               default=0))
    # The caveat: on the page as in the JSON, and the two closed-loop probes.
    cav = c["caveat"]
    boxes = [e for e in root.iter(XHTML + "section") if "caveat" in e.get("class", "")]
    check("caveat: one box", len(boxes) == 1)
    if boxes:
        check("caveat: trustworthy as in the JSON", boxes[0].get("data-trustworthy") == str(cav["trustworthy"]).lower())
        items = ["".join(li.itertext()) for li in boxes[0].iter(XHTML + "li")]
        check("caveat: the reasons as in the JSON", items == cav["reasons"], f"{items} vs {cav['reasons']}")
    closed = [p for p in c["probes"] if p["rate"] == 0]
    check("caveat: closed loop before and after the search",
          len(closed) == 2 and c["probes"][0]["rate"] == 0 and c["probes"][-1]["rate"] == 0
          and closed[0]["throughput"] == c["closed_loop_throughput"] and closed[1]["throughput"] == c["closed_loop_after"])
    hi = max(c["closed_loop_throughput"], c["closed_loop_after"])
    spread = abs(c["closed_loop_throughput"] - c["closed_loop_after"]) / hi if min(
        c["closed_loop_throughput"], c["closed_loop_after"]) > 0 else 1
    check("caveat: the spread from the two rates", abs(cav["spread"] - spread) <= 1e-4, f"{cav['spread']} vs {spread}")
    check("caveat: a spread over the limit is untrustworthy", spread <= cav["max_spread"] or not cav["trustworthy"])
    check("caveat: each probe replays 20,000 events at least", all(p["events"] >= 20000 for p in c["probes"]))
else:
    run = report["run"]
    check_series(run["series"], run["events"], run["status"]["error"], run["deltas"]["roles_revoked"],
                 run["open_loop"])
    shown = check_max(run["series"], run["login_latency_ns"]["max"])
    cards = {"".join(d[0].itertext()): "".join(d[1].itertext()) for d in root.iter(XHTML + "div")
             if d.get("class") == "card"}
    check("cards: login max as labelled", cards.get("login max") == shown and shown, f"{cards.get('login max')} vs {shown}")

# The summary table: the text report's rows.
rows = {"".join(tr.find(XHTML + "th").itertext()): "".join(tr.find(XHTML + "td").itertext())
        for tr in root.iter(XHTML + "tr")}
names = ["verdict", "target", "organisation", "mappings", "memory"] + (["capacity", "probe", "steadiness"] if mode == "capacity" else
                                                 ["events", "throughput", "status", "deltas", "roles", "errors by code"])
check("summary table rows", all(n in rows for n in names), str(sorted(rows)))
if mode != "capacity":
    check("summary events as in the JSON", rows.get("events", "").startswith(f"{report['run']['events']:,}"))
    check("summary status as in the JSON", f"error {report['run']['status']['error']:,}" in rows.get("status", ""))
check("summary verdict as in the JSON", rows.get("verdict") == report["verdict"]["headline"])
sys.exit(1 if failed else 0)
PY

page_checks() {  # page_checks NAME PAGE JSON MODE [PASS|FAIL|any [TARGETS GIVEN: p99,min_rate]]
  python3 "$tmp/check_page.py" "$2" "$3" "$4" "${5:-any}" "${6:-}" >"$tmp/$1.checks" 2>&1
  local rc=$?
  sed "s/^/  $1: /" "$tmp/$1.checks"
  check "$1 page checks" 0 $rc
}

# Open loop, with --json.
"$bin" simulate $small --rate 40000 --json --report "$tmp/open.html" >"$tmp/open.json" 2>"$tmp/open.err"
check "open loop exit" 0 $?
page_checks open "$tmp/open.html" "$tmp/open.json" run

# Closed loop against a target no run meets: FAIL, and exit 3 (a target was
# given); then one every run meets: PASS, exit 0. A rate target the same way.
"$bin" simulate $small --p99 1us --json --report "$tmp/tight.html" >"$tmp/tight.json" 2>"$tmp/tight.err"
check "--p99 1us: exit 3 (FAIL)" 3 $?
page_checks tight "$tmp/tight.html" "$tmp/tight.json" run FAIL p99
"$bin" simulate $small --p99 10s --json --report "$tmp/loose.html" >"$tmp/loose.json" 2>"$tmp/loose.err"
check "--p99 10s: exit 0 (PASS)" 0 $?
page_checks loose "$tmp/loose.html" "$tmp/loose.json" run PASS p99
"$bin" simulate --users 2000 --logins 6000 --threads 2 --min-rate 1e12 --p99 10s >"$tmp/rate.txt" 2>/dev/null
check "--min-rate 1e12: exit 3" 3 $?
contains "--min-rate 1e12: FAIL in the text report" "verdict          FAIL: throughput " "$tmp/rate.txt"
contains "--min-rate 1e12: the target in the text report" "target           p99 <= 10 s, at least 1,000,000,000,000 events/s" "$tmp/rate.txt"
"$bin" simulate --users 2000 --logins 6000 --threads 2 --min-rate 1 --json >"$tmp/rate1.json" 2>/dev/null
check "--min-rate 1: exit 0" 0 $?
check "--min-rate 1: PASS, judged on the rate only" "True [] 1.0" \
  "$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verdict"]; print(v["pass"], [c["name"] for c in v["checks"] if c["name"] != "rate"], v["targets"]["min_rate"])' "$tmp/rate1.json")"
"$bin" simulate --users 2000 --logins 6000 --threads 2 --min-rate -5 >/dev/null 2>&1
check "--min-rate -5: bad usage" 2 $?

# Closed loop, text report on stdout as usual; a page already there is replaced.
# No target given: judged on the stated default, and exit 0 whatever it says.
echo stale >"$tmp/closed.html"
"$bin" simulate --users 2000 --logins 6000 --threads 2 --report "$tmp/closed.html" >"$tmp/closed.txt" 2>/dev/null
check "closed loop exit" 0 $?
contains "text report still printed" "throughput" "$tmp/closed.txt"
contains "text report: the verdict" "  verdict          " "$tmp/closed.txt"
contains "text report: the default target" "target           p99 <= 2 ms (the default target" "$tmp/closed.txt"
check "closed loop page: no offered line" 0 "$(grep -c 'data-series="offered_per_s"' "$tmp/closed.html")"
check "page replaced" yes "$(grep -q '<svg' "$tmp/closed.html" && echo yes || echo no)"
python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$tmp/closed.html"
check "closed loop page parses" 0 $?

# Capacity search.
# Whether a rate passes depends on the machine, so the exit code is checked
# against the verdict (3 for a FAIL: --p99 was given), not against a guess;
# the same for the caveat and its warning on stderr.
"$bin" simulate $small --find-capacity --probe-seconds 0.2 --p99 20ms --json --report "$tmp/capacity.html" \
  >"$tmp/capacity.json" 2>"$tmp/capacity.err"
rc=$?
want_rc=$(python3 -c 'import json,sys; print(0 if json.load(open(sys.argv[1]))["verdict"]["pass"] else 3)' "$tmp/capacity.json")
check "capacity exit as its verdict" "$want_rc" "$rc"
page_checks capacity "$tmp/capacity.html" "$tmp/capacity.json" capacity any p99
trusted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["capacity"]["caveat"]["trustworthy"])' "$tmp/capacity.json")
check "capacity: a warning on stderr exactly when not trustworthy" "$([[ $trusted == True ]] && echo 0 || echo 1)" \
  "$(grep -c '^warning: the capacity search is not trustworthy: ' "$tmp/capacity.err" | sed 's/^[2-9]$/1/')"

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
