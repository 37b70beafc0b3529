#!/usr/bin/env bash
# cio batch against a distant, rate-limited API played by the local sink:
# latency 0-200 ms, a 100 requests/s quota, 2 and 4 processes sharing it, and
# a server that slows down mid-run. See network.py for what each row means.
#
#   bash bench/network.sh                          # 200,000 events
#   EVENTS=50000 SCENARIOS=latency bash bench/network.sh
#   SDK_EVENTS=20000 bash bench/network.sh         # adds the Python SDK at 100 ms
#   REPEAT=3 bash bench/network.sh                 # each latency row 3 times, median shown
#
# Run bench/setup.sh once first. Everything goes to 127.0.0.1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_setup

EVENTS=${EVENTS:-200000}
SDK_EVENTS=${SDK_EVENTS:-0}
SEED=${SEED:-42}
args=(--corpus "$(corpus "$EVENTS")" --scenarios "${SCENARIOS:-latency,quota,shared,slowdown,long}" --repeat "${REPEAT:-1}"
      --long-copies "${LONG_COPIES:-10}")
if ((SDK_EVENTS > 0)); then
    args+=(--sdk-corpus "$(corpus "$SDK_EVENTS")")
fi
python3 "$BENCH_DIR/network.py" "${args[@]}"
