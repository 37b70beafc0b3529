#!/usr/bin/env bash
# The cost of TLS, the way users reach the API: one call (cio and curl, each
# run a new process doing a full handshake, both trusting the same local CA)
# and a 100,000-event replay through `cio batch`, each over HTTPS and over
# plain HTTP side by side, against two local sinks (`sink --tls` and `sink`).
#
#   bash bench/tls.sh                  # 30 timed single runs each, 100,000 events
#   RUNS=100 EVENTS=20000 bash bench/tls.sh
#
# Needs the release builds of cio and the sink (cargo build --release --bin cio
# --example sink), curl and /usr/bin/time; not the SDKs. Everything goes to 127.0.0.1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for bin in "$CIO_BIN" "$SINK_BIN" /usr/bin/time; do
    [[ -x $bin ]] || { echo "missing $bin: cargo build --release --bin cio --example sink" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

EVENTS=${EVENTS:-100000}
SEED=${SEED:-42}
[[ $EVENTS =~ ^[0-9]+$ && $SEED =~ ^[0-9]+$ ]] || { echo "EVENTS and SEED must be whole numbers" >&2; exit 2; }
CORPUS=$(corpus "$EVENTS")

start_sink                      # plain: SINK_URL, WORK, cleanup on exit
PLAIN_URL=$SINK_URL
TLS_PID=
stop_tls_sink() {
    if [[ -n $TLS_PID ]]; then kill "$TLS_PID" 2>/dev/null || true; wait "$TLS_PID" 2>/dev/null || true; fi
    cleanup
}
trap stop_tls_sink EXIT
"$SINK_BIN" --port 0 --tls "$WORK" >"$WORK/tls-sink.out" 2>"$WORK/tls-sink.err" &
TLS_PID=$!
line=
for ((i = 0; i < 200; i++)); do
    line=$(head -n 1 "$WORK/tls-sink.out" 2>/dev/null || true)
    [[ $line == "listening https://127.0.0.1:"* ]] && break
    sleep 0.05
done
[[ $line == "listening https://127.0.0.1:"* ]] || { echo "the TLS sink did not start" >&2; cat "$WORK/tls-sink.err" >&2; exit 1; }
python3 "$BENCH_DIR/tls.py" --plain "$PLAIN_URL" --tls "${line#listening }" --ca "$WORK/ca.pem" \
    --corpus "$CORPUS" "$@"
