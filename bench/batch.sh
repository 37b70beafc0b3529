#!/usr/bin/env bash
# Replays the same NDJSON corpus through `cio batch`, the official Python SDK
# and the official Node SDK against the local sink; prints events/s, CPU µs
# per event, peak RSS and the bytes on the wire for each, at 100,000 and
# 1,000,000 events, then the sink's own capacity on this machine.
#
#   bash bench/batch.sh                       # 100,000 and 1,000,000 events
#   SIZES=100000 bash bench/batch.sh          # one size (EVENTS=N works too)
#   BIG=10000000 bash bench/batch.sh          # also cio alone at 10,000,000 (long)
#   TOOLS=cio,node SEED=7 bash bench/batch.sh # a subset, another corpus
#   bash bench/batch.sh --json out.json       # extra flags go to batch.py (one file per size: out.json.N)
#
# The corpora are kept in bench/out/ (gitignored) and remade when corpus.py
# changes. Run bench/setup.sh once first. Everything goes to 127.0.0.1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_setup

SIZES=${SIZES:-${EVENTS:-100000 1000000}}
SEED=${SEED:-42}
BIG=${BIG:-}
for n in $SIZES $BIG; do
    [[ $n =~ ^[0-9]+$ ]] || { echo "SIZES, EVENTS and BIG must be whole numbers" >&2; exit 2; }
done
[[ $SEED =~ ^[0-9]+$ ]] || { echo "SEED must be a whole number" >&2; exit 2; }

# --json FILE becomes FILE.N for each size.
json=
args=()
while (($#)); do
    if [[ $1 == --json ]]; then json=$2; shift 2; else args+=("$1"); shift; fi
done

start_sink
status=0
run() { # events, then batch.py's flags
    local events=$1
    shift
    local extra=("$@")
    [[ -n $json ]] && extra+=(--json "$json.$events")
    echo "=== $events events ==="
    python3 "$BENCH_DIR/batch.py" --sink "$SINK_URL" --corpus "$(corpus "$events")" \
        ${args[@]+"${args[@]}"} ${extra[@]+"${extra[@]}"} || status=1
    echo
}
for n in $SIZES; do run "$n"; done
if [[ -n $BIG ]]; then run "$BIG" --tools cio,cio-nogzip; fi

# How fast the sink itself decodes and counts, so the figures above can be read
# against it: cio cannot deliver faster than the sink takes.
first=$(corpus "${SIZES%% *}")
echo "=== the sink alone (one core, no network): first 200,000 lines of $(basename "$first") ==="
"$SINK_BIN" --capacity "$first"
exit $status
