#!/usr/bin/env bash
# Replays the same NDJSON corpus through `cio batch`, the official Python SDK
# and the official Node SDK against the local sink; prints events/s, peak RSS
# and what the sink received for each.
#
#   bash bench/batch.sh                       # 100,000 events
#   EVENTS=1000000 bash bench/batch.sh        # the memory target
#   TOOLS=cio,node SEED=7 bash bench/batch.sh # a subset, another corpus
#   bash bench/batch.sh --json out.json       # extra flags go to batch.py
#
# The corpus is kept in bench/out/ (gitignored) and remade when corpus.py
# changes. Run bench/setup.sh once first. Everything goes to 127.0.0.1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_setup

EVENTS=${EVENTS:-100000}
SEED=${SEED:-42}
[[ $EVENTS =~ ^[0-9]+$ && $SEED =~ ^[0-9]+$ ]] || { echo "EVENTS and SEED must be whole numbers" >&2; exit 2; }
CORPUS=$(corpus "$EVENTS")

start_sink
python3 "$BENCH_DIR/batch.py" --sink "$SINK_URL" --corpus "$CORPUS" "$@"
