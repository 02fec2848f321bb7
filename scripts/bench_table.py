#!/usr/bin/env python3
"""Turns `make bench`'s JSON (build/bench.json) into the results table of
benchmarks/README.md, so that the table quoted there is what a run printed.

    bench_table.py [build/bench.json]

Repeated cases give their median; the machine line comes from the JSON's
context and /proc/cpuinfo.
"""
import json
import re
import sys


def load(path):
    with open(path) as f:
        data = json.load(f)
    runs = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        # "BM_X/arg:1/min_time:2.000/repeats:3/real_time_median" -> "BM_X/arg:1"
        name = re.sub(r"/(min_time|repeats|iterations|real_time)[^/]*", "", b["run_name"] if "run_name" in b else b["name"])
        runs[name] = b
    return data["context"], runs


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def fmt_time(b):
    ns = b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.1f} µs"
    if ns < 1e9:
        return f"{ns / 1e6:.3g} ms"
    return f"{ns / 1e9:.3g} s"


def rate(x):
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e3:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"


def main(argv):
    path = argv[0] if argv else "build/bench.json"
    context, runs = load(path)
    get = runs.get
    rows = []

    def row(label, text):
        rows.append(f"| {label} | {text} |")

    compile_cases = [get(f"BM_Compile/mappings:{n}") for n in (1000, 10000, 100000, 1000000)]
    if all(compile_cases):
        per = [c["bytes_per_mapping"] for c in compile_cases]
        row("compile 1k / 10k / 100k / 1M mappings",
            " / ".join(fmt_time(c) for c in compile_cases) +
            f"; {min(per):.0f}–{max(per):.0f} bytes of tables a mapping")
    for kind, label in ((0, "array claim"), (1, "delimited attribute"), (2, "JSON Pointer")):
        cases = [get(f"BM_Match/claim:{kind}/values:{n}") for n in (1, 20, 200)]
        if all(cases):
            row(f"match, {label}, 1 / 20 / 200 values", " / ".join(fmt_time(c) for c in cases))
    sync = [get(f"BM_Sync/case:{n}") for n in (0, 1, 2)]
    if all(sync):
        row("sync: new user / unchanged / churned", " / ".join(fmt_time(c) for c in sync))
    for t in (1, 2):
        b = get(f"BM_EndToEnd/threads:{t}")
        if b:
            row(f"end to end (`run_stream`), {t} thread{'s' if t > 1 else ''}",
                f"{rate(b['events_per_s'])} events/s, {b['bytes_per_second'] / 1e6:.0f} MB/s, "
                f"{b['allocs_per_event']:.4f} allocations/event")
    b = get("BM_EndToEndApi")
    if b:
        row("embedding path (`process_to_ndjson`), 1 thread",
            f"{rate(b['events_per_s'])} events/s, {b['bytes_per_second'] / 1e6:.0f} MB/s, "
            f"{b['allocs_per_event']:.4f} allocations/event")
    ceiling = [get(f"BM_CeilingParse/threads:{t}") for t in (1, 2)]
    if all(ceiling):
        row("parse ceiling (simdjson On-Demand), 1 / 2 threads",
            " / ".join(rate(c["events_per_s"]) for c in ceiling) + " events/s, " +
            " / ".join(f"{c['bytes_per_second'] / 1e9:.2f}" for c in ceiling) + " GB/s")
    b = get("BM_CeilingMemcpy")
    if b:
        row("memory ceiling (memcpy)", f"{rate(b['events_per_s'])} events/s, {b['bytes_per_second'] / 1e9:.1f} GB/s")
    b = get("BM_NaivePeer")
    if b:
        row("naive peer (10k mappings)", f"{rate(b['events_per_s'])} events/s")
    b = get("BM_Ratios")
    if b:
        row("**engine / parse ceiling, 1 thread** (`BM_Ratios`)", f"**{b['ratio_engine_to_ceiling']:.3f}** (target ≥ 0.40)")
        row("**engine 2 threads / 1 thread** (`BM_Ratios`)",
            f"**{b['ratio_2t_to_1t']:.2f}** (target ≥ 1.7); the ceiling got {b['machine_2t_to_1t']:.2f}×, "
            f"scaling efficiency {b['ratio_scaling_efficiency']:.2f}")
        row("**engine, 2 threads** (`BM_Ratios`)", f"**{rate(b['engine_2t_events_per_s'])} events/s** (target ≥ 1M)")
        row("**engine / naive peer** (`BM_Ratios`)", f"**{b['ratio_engine_to_naive']:.0f}×** (target ≥ 20×)")
    b = get("BM_StateBytesPerUser/users:1000000")
    if b:
        rss = f"; resident memory grew {b['rss_bytes_per_user']:.0f} bytes a user" if "rss_bytes_per_user" in b else ""
        row(f"**state per user, 1M users, {b['memberships_per_user']:.0f} memberships**",
            f"**{b['bytes_per_user']:.0f} bytes** (target ≤ 128){rss}")
    b = get("BM_StateBytesWorkload")
    if b:
        row(f"state per user, the workload's {b['users'] / 1e6:.0f}M users at {b['memberships_per_user']:.1f} memberships",
            f"{b['bytes_per_user']:.0f} bytes")

    load_avg = ", ".join(f"{x:.2f}" for x in context.get("load_avg", []))
    print(f"{context.get('date', '')[:16]}, {cpu_model()}, {context.get('num_cpus')} cores at "
          f"{context.get('mhz_per_cpu')} MHz, load average {load_avg}\n")
    print("| case | result |\n|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
