#!/usr/bin/env bash
# Times `cio lint` against `cio batch --dry-run` on the same corpus: lint reads
# with the batch reader and adds the semantic checks, so the two should take
# about the same time. Prints the median and best of RUNS runs of each (wall
# seconds, lines/s) and the lint summary. Needs only the release binary
# (cargo build --release) and python3; nothing is sent anywhere.
#
#   bash bench/lint.sh                  # 100,000 events, 5 runs each
#   EVENTS=1000000 RUNS=3 bash bench/lint.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
EVENTS=${EVENTS:-100000}
SEED=${SEED:-42}
RUNS=${RUNS:-5}
[[ $EVENTS =~ ^[0-9]+$ && $SEED =~ ^[0-9]+$ && $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "EVENTS, SEED and RUNS must be whole numbers" >&2; exit 2; }
[[ -x $CIO_BIN ]] || { echo "missing $CIO_BIN: run cargo build --release first" >&2; exit 1; }
CORPUS=$(corpus "$EVENTS")

python3 - "$CIO_BIN" "$CORPUS" "$EVENTS" "$RUNS" <<'PY'
import json, statistics, subprocess, sys, time
cio, corpus, events, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
cases = [
    ("batch --dry-run", [cio, "batch", "--dry-run", "-q", corpus]),
    ("lint", [cio, "lint", "--json", corpus]),
]
summary = None
print(f"{events} lines, {runs} runs each, alternating")
times = {name: [] for name, _ in cases}
for _ in range(runs):
    for name, argv in cases:
        start = time.perf_counter()
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        times[name].append(time.perf_counter() - start)
        if name == "lint":
            summary = json.loads(out.stdout.decode().strip().splitlines()[-1])["summary"]
print(f"{'command':<18}{'median s':>10}{'best s':>10}{'lines/s':>12}")
for name, _ in cases:
    med = statistics.median(times[name])
    print(f"{name:<18}{med:>10.3f}{min(times[name]):>10.3f}{events / med:>12.0f}")
ratio = statistics.median(times["lint"]) / statistics.median(times["batch --dry-run"])
print(f"lint / dry run: {ratio:.2f}x")
print("lint summary:", json.dumps(summary))
PY
