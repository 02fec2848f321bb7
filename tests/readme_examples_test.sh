#!/usr/bin/env bash
# The README's examples cannot drift from the binary: every ```console block
# of README.md is run as it is written (its `$ ` lines, with their `\`
# continuations, in a scratch folder that has the repository's datasets/
# and examples/ and build/claimmap), and what they print — stdout and stderr
# together — must be the block's other lines. A line `...` stands for any
# number of lines; an `elapsed: …` line for any timing. The simulate block's
# figures depend on the machine, so blocks that run a storm are left out
# (a `simulate --write-dataset` block is checked: its files and lines do not).
# Usage: tests/readme_examples_test.sh path/to/claimmap   (from the repository root)
set -u
bin="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/build"
ln -s "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" "$tmp/build/claimmap"
ln -s "$PWD/datasets" "$tmp/datasets"
ln -s "$PWD/examples" "$tmp/examples"

python3 - "$tmp" README.md <<'PY'
import re, subprocess, sys
scratch, readme = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
blocks = re.findall(r"```console\n(.*?)```", text, re.S)
failures = checked = 0
for n, block in enumerate(blocks, 1):
    lines = block.rstrip("\n").split("\n")
    commands, expected, i = [], [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command[:-1] + " " + lines[i].strip()
            commands.append(command)
        else:
            expected.append(line)
        i += 1
    # A dataset written by simulate is the same bytes on any machine; a
    # storm's figures are not.
    if any("claimmap simulate" in c and "--write-dataset" not in c for c in commands):
        print(f"skip README block {n}: simulate's figures depend on the machine")
        continue
    script = "\n".join(commands) + "\n"
    run = subprocess.run(["bash", "-c", script], cwd=scratch, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=300)
    pattern = ""
    for line in expected:
        if line == "...":
            pattern += r"(?:.*\n)*?"
        elif line.startswith("elapsed: "):
            pattern += r"elapsed: .*\n"
        else:
            pattern += re.escape(line) + r"\n"
    checked += 1
    if re.fullmatch(pattern, run.stdout):
        print(f"ok   README block {n}: {commands[0][:70]}")
    else:
        failures += 1
        print(f"FAIL README block {n}: {commands[0][:70]}\n--- the README says:\n" + "\n".join(expected) +
              "\n--- the binary prints:\n" + run.stdout)
if checked == 0:
    print("FAIL no README example was checked")
    failures += 1
print("all passed" if failures == 0 else f"{failures} failures")
sys.exit(1 if failures else 0)
PY
