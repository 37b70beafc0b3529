#!/usr/bin/env bash
# Times ONE call end to end (process start to exit) with cio, curl and a
# one-off script using the official Python SDK, all against the local sink.
#
#   bash bench/single.sh                  # 30 timed runs each
#   RUNS=100 bash bench/single.sh         # or: bash bench/single.sh --runs 100
#   TOOLS=cio,curl bash bench/single.sh   # a subset
#
# Run bench/setup.sh once first. Everything goes to 127.0.0.1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_setup
start_sink
python3 "$BENCH_DIR/single.py" --sink "$SINK_URL" "$@"
