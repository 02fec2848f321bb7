#!/usr/bin/env python3
"""The benchmark regression check (`make bench-check`, issue 4).

Runs BM_Ratios — the engine, the simdjson parse ceiling and the naive peer
measured back to back on the same bytes — on a short stream, and compares its
ratios (not absolute times: machines are shared and noisy) with the committed
baseline. Fails when a ratio fell by more than the baseline's tolerance.

    bench_check.py BENCH_BINARY BASELINE_JSON            check
    bench_check.py --update BENCH_BINARY BASELINE_JSON   write a new baseline on purpose
"""
import datetime
import json
import os
import platform
import subprocess
import sys

EVENTS = 200000      # events in the short stream (CLAIMMAP_BENCH_EVENTS)
TOLERANCE = 0.30     # a ratio may fall 30% below the baseline before the check fails
RATIOS = ["ratio_engine_to_ceiling", "ratio_2t_to_1t", "ratio_engine_to_naive"]


def run(binary):
    env = dict(os.environ, CLAIMMAP_BENCH_EVENTS=str(EVENTS))
    out = subprocess.run([binary, "--benchmark_filter=^BM_Ratios", "--benchmark_format=json"],
                         env=env, check=True, capture_output=True, text=True).stdout
    for bench in json.loads(out)["benchmarks"]:
        if bench["name"].startswith("BM_Ratios"):
            return bench
    sys.exit("bench_check: BM_Ratios did not run")


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def main(argv):
    update = "--update" in argv
    args = [a for a in argv if a != "--update"]
    if len(args) != 2:
        sys.exit(__doc__)
    binary, baseline_path = args
    result = run(binary)
    if update:
        baseline = {
            "events": EVENTS,
            "tolerance": TOLERANCE,
            "machine": machine(),
            "date": datetime.date.today().isoformat(),
            "ratios": {r: round(result[r], 4) for r in RATIOS},
            "figures": {k: round(v, 1) for k, v in result.items() if k.endswith("_events_per_s")},
        }
        with open(baseline_path, "w") as f:
            json.dump(baseline, f, indent=2)
            f.write("\n")
        print(f"bench_check: new baseline written to {baseline_path}")
        for r in RATIOS:
            print(f"  {r:26s} {result[r]:10.3f}")
        return 0
    with open(baseline_path) as f:
        baseline = json.load(f)
    tolerance = baseline.get("tolerance", TOLERANCE)
    failed = []
    print(f"bench_check: {EVENTS} events; a ratio may fall {tolerance:.0%} below its baseline")
    print(f"  {'ratio':26s} {'baseline':>10s} {'now':>10s} {'change':>8s}")
    for r in RATIOS:
        base, now = baseline["ratios"][r], result[r]
        change = now / base - 1
        flag = "" if now >= base * (1 - tolerance) else "  REGRESSED"
        if flag:
            failed.append(r)
        print(f"  {r:26s} {base:10.3f} {now:10.3f} {change:+8.1%}{flag}")
    for k in sorted(k for k in result if k.endswith("_events_per_s")):
        print(f"  {k:26s} {result[k]:21,.0f}")
    if failed:
        print(f"bench_check: FAILED: {', '.join(failed)} regressed (baseline from {baseline.get('date')}, "
              f"{baseline.get('machine')}); if this is on purpose, run `make bench-baseline`")
        return 1
    print("bench_check: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
