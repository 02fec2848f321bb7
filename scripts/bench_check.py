#!/usr/bin/env python3
"""The benchmark regression check (`make bench-check`).

Runs BM_Ratios — the engine, the simdjson parse ceiling (on 1 and 2 threads)
and the naive peer, interleaved round by round on the same bytes — on a short
stream, and compares its ratios (not absolute times: machines are shared and
noisy) with the committed baseline. Fails when a ratio fell by more than the
baseline's tolerance in two runs in a row (one retry absorbs a noisy moment;
a real regression fails both).

Checked ratios:
  ratio_engine_to_ceiling   engine, 1 thread / parse ceiling, 1 thread
  ratio_scaling_efficiency  (engine 2 threads / 1 thread) / (ceiling 2 threads / 1 thread):
                            how well the engine uses the second core *that the machine
                            gave it*. When the machine gave less than MIN_MACHINE_SCALING
                            (neighbours busy) it cannot be judged and is reported only.
  ratio_engine_to_naive     engine, 1 thread / naive peer
  ratio_heavy_to_ceiling    the heavy workload (large users, every login a fresh
                            draw), 1 thread / the default workload's parse ceiling, 1 thread
  ratio_heavy_scaling_efficiency  (heavy 2 threads / 1 thread) / (ceiling 2 threads / 1 thread)
  ratio_config_load_to_parse  BM_ConfigLoadRatio: simdjson's parse (and a visit of every
                            element) of a 100k-mapping config / load_config of it
  ratio_heavy_process_scaling_efficiency  whole `claimmap eval` processes of a heavy
                            dataset (start-up, config, state, stream, output), wall
                            clock, 2 threads / 1 thread, over the machine's 2t/1t

    bench_check.py BENCH_BINARY BASELINE_JSON            check
    bench_check.py --update BENCH_BINARY BASELINE_JSON   write a new baseline on purpose
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

EVENTS = 200000      # events in the short stream (CLAIMMAP_BENCH_EVENTS)
HEAVY_EVENTS = 100000  # events of the heavy stream (CLAIMMAP_BENCH_HEAVY_EVENTS)
HEAVY_USERS = 50000    # its users (CLAIMMAP_BENCH_HEAVY_USERS)
ROUNDS = 5           # interleaved rounds; medians (CLAIMMAP_BENCH_ROUNDS)
TOLERANCE = 0.30     # a ratio may fall 30% below the baseline before the check fails
MIN_MACHINE_SCALING = 1.5  # below this, 2-thread scaling is not judged
MAX_MACHINE_SCALING = 2.1  # above this the 1-thread ceiling run was disturbed: not judged either
PROCESS_USERS = 50000    # the whole-process heavy dataset
PROCESS_LOGINS = 150000
RATIOS = ["ratio_engine_to_ceiling", "ratio_scaling_efficiency", "ratio_engine_to_naive",
          "ratio_heavy_to_ceiling", "ratio_heavy_scaling_efficiency", "ratio_config_load_to_parse",
          "ratio_heavy_process_scaling_efficiency"]
SCALING = ["ratio_scaling_efficiency", "ratio_heavy_scaling_efficiency",
           "ratio_heavy_process_scaling_efficiency"]  # judged only when the machine scaled
INFO = ["ratio_2t_to_1t", "machine_2t_to_1t", "ratio_heavy_2t_to_1t", "ratio_heavy_process_2t_to_1t"]


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def heavy_process(claimmap, workdir):
    """Whole `claimmap eval` processes on a heavy dataset, 1 and 2 threads
    interleaved, ROUNDS rounds: the medians' ratio (2 threads / 1 thread)."""
    data = os.path.join(workdir, "heavy")
    if not os.path.exists(os.path.join(data, "events.ndjson")):
        subprocess.run([claimmap, "simulate", "--providers", "okta,keycloak,saml,auth0", "--users", str(PROCESS_USERS),
                        "--logins", str(PROCESS_LOGINS), "--groups-per-token", "10", "--groups-per-value", "16",
                        "--roles-per-group", "2", "--churn", "1", "--drift-share", "1", "--write-dataset", data],
                       check=True, capture_output=True)
    wall = {1: [], 2: []}
    for _ in range(ROUNDS):
        for threads in (1, 2):
            start = time.monotonic()
            subprocess.run([claimmap, "eval", "--config", f"{data}/config.json", "--state", f"{data}/state.ndjson",
                            "--threads", str(threads), "-o", "/dev/null", f"{data}/events.ndjson"],
                           check=True, capture_output=True)
            wall[threads].append(time.monotonic() - start)
    return median(wall[1]) / median(wall[2]), median(wall[1])


def run(binary):
    env = dict(os.environ, CLAIMMAP_BENCH_EVENTS=str(EVENTS), CLAIMMAP_BENCH_ROUNDS=str(ROUNDS),
               CLAIMMAP_BENCH_HEAVY_EVENTS=str(HEAVY_EVENTS), CLAIMMAP_BENCH_HEAVY_USERS=str(HEAVY_USERS))
    out = subprocess.run([binary, "--benchmark_filter=^(BM_Ratios|BM_ConfigLoadRatio)", "--benchmark_format=json"],
                         env=env, check=True, capture_output=True, text=True).stdout
    result = {}
    for bench in json.loads(out)["benchmarks"]:
        if bench["name"].startswith(("BM_Ratios", "BM_ConfigLoadRatio")):
            result.update({k: v for k, v in bench.items() if isinstance(v, (int, float))})
    if "ratio_engine_to_ceiling" not in result or "ratio_config_load_to_parse" not in result:
        sys.exit("bench_check: BM_Ratios or BM_ConfigLoadRatio did not run")
    # The command next to the benchmark binary: BUILD/benchmarks/claimmap_bench -> BUILD/claimmap.
    claimmap = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(binary))), "claimmap")
    with tempfile.TemporaryDirectory() as workdir:
        ratio, one_thread_s = heavy_process(claimmap, workdir)
    result["ratio_heavy_process_2t_to_1t"] = ratio
    result["ratio_heavy_process_scaling_efficiency"] = ratio / result["machine_2t_to_1t"]
    result["heavy_process_1t_seconds"] = one_thread_s
    return result


def machine():
    model, cores = "unknown CPU", os.cpu_count()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {cores} cores"


def judge(result, baseline, tolerance):
    """Prints the comparison; returns the ratios that regressed."""
    failed = []
    print(f"  {'ratio':26s} {'baseline':>10s} {'now':>10s} {'change':>8s}")
    for r in RATIOS:
        if r not in baseline["ratios"]:
            print(f"  {r:26s} {'—':>10s} {result[r]:10.3f}           not in the baseline: not judged")
            continue
        base, now = baseline["ratios"][r], result[r]
        change = now / base - 1
        if r in SCALING and result["machine_2t_to_1t"] < MIN_MACHINE_SCALING:
            flag = f"  not judged: the machine gave 2 threads only {result['machine_2t_to_1t']:.2f}x"
        elif r in SCALING and result["machine_2t_to_1t"] > MAX_MACHINE_SCALING:
            flag = f"  not judged: the ceiling scaled {result['machine_2t_to_1t']:.2f}x, a disturbed measurement"
        elif now < base * (1 - tolerance):
            flag = "  REGRESSED"
            failed.append(r)
        else:
            flag = ""
        print(f"  {r:26s} {base:10.3f} {now:10.3f} {change:+8.1%}{flag}")
    for r in INFO:
        print(f"  {r:26s} {baseline.get('info', {}).get(r, float('nan')):10.3f} {result[r]:10.3f}")
    for k in sorted(k for k in result if k.endswith("_events_per_s")):
        print(f"  {k:26s} {result[k]:21,.0f}")
    for k in ("config_parse_ms", "config_load_ms", "heavy_process_1t_seconds"):
        print(f"  {k:26s} {result[k]:21,.3f}")
    return failed


def main(argv):
    update = "--update" in argv
    args = [a for a in argv if a != "--update"]
    if len(args) != 2:
        sys.exit(__doc__)
    binary, baseline_path = args
    if update:
        result = run(binary)
        baseline = {
            "events": EVENTS,
            "heavy_events": HEAVY_EVENTS,
            "heavy_users": HEAVY_USERS,
            "rounds": ROUNDS,
            "tolerance": TOLERANCE,
            "machine": machine(),
            "date": datetime.date.today().isoformat(),
            "ratios": {r: round(result[r], 4) for r in RATIOS},
            "info": {r: round(result[r], 4) for r in INFO},
            "figures": {k: round(v, 3) for k, v in result.items()
                        if k.endswith(("_events_per_s", "_ms", "_seconds"))},
        }
        if result["machine_2t_to_1t"] < MIN_MACHINE_SCALING:
            print(f"bench_check: warning: the machine gave 2 threads only {result['machine_2t_to_1t']:.2f}x "
                  "(neighbours busy); the scaling baseline may be off, re-run when the machine is quiet")
        with open(baseline_path, "w") as f:
            json.dump(baseline, f, indent=2)
            f.write("\n")
        print(f"bench_check: new baseline written to {baseline_path}")
        for r in RATIOS + INFO:
            print(f"  {r:26s} {result[r]:10.3f}")
        return 0
    with open(baseline_path) as f:
        baseline = json.load(f)
    tolerance = baseline.get("tolerance", TOLERANCE)
    print(f"bench_check: {EVENTS} events, medians of {ROUNDS} interleaved rounds; "
          f"a ratio may fall {tolerance:.0%} below its baseline ({baseline.get('date')}, {baseline.get('machine')})")
    failed = judge(run(binary), baseline, tolerance)
    if failed:
        print(f"bench_check: {', '.join(failed)} below tolerance; running again to tell noise from a regression")
        failed = judge(run(binary), baseline, tolerance)
    if failed:
        print(f"bench_check: FAILED: {', '.join(failed)} regressed twice in a row; "
              "if this is on purpose, run `make bench-baseline`")
        return 1
    print("bench_check: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
