#!/usr/bin/env bash
# cio listen under load: replay a corpus (EVENTS, default 100,000) with
# `cio batch` into `cio listen -q -o FILE` and print the replay's events/s,
# the listener's peak RSS, and whether every messageId was recorded once.
#
#   bash bench/listen.sh                 # release binary (built if missing)
#   EVENTS=1000000 bash bench/listen.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-100000}
CIO=${CIO:-target/release/cio}
[ -x "$CIO" ] || cargo build --release --locked
mkdir -p bench/out
CORPUS=bench/out/corpus-$EVENTS.ndjson
[ -f "$CORPUS" ] || python3 bench/corpus.py --events "$EVENTS" --seed 42 --out "$CORPUS"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export XDG_CONFIG_HOME=$WORK/xdg HOME=$WORK

/usr/bin/time -v -o "$WORK/listen.time" "$CIO" listen --port 0 -q -o "$WORK/rec.ndjson" \
  --exit-after "$EVENTS" > "$WORK/listen.out" 2> "$WORK/listen.err" &
LISTENER=$!
until grep -q '^listening on ' "$WORK/listen.out" 2>/dev/null; do sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$WORK/listen.out")

START=$(date +%s.%N)
CIO_WRITE_KEY=bench CIO_ENDPOINT=$URL "$CIO" batch "$CORPUS" -q
END=$(date +%s.%N)
wait $LISTENER || true

RSS=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/listen.time")
LINES=$(wc -l < "$WORK/rec.ndjson")
UNIQUE=$(python3 -c 'import json,sys; print(len({json.loads(l)["messageId"] for l in open(sys.argv[1])}))' "$WORK/rec.ndjson")
python3 - "$EVENTS" "$START" "$END" "$RSS" "$LINES" "$UNIQUE" <<'PY'
import sys
events, start, end, rss, lines, unique = sys.argv[1:]
secs = float(end) - float(start)
print(f"{int(events):,} events replayed into cio listen in {secs:.2f} s: {int(events)/secs:,.0f} events/s")
print(f"listener peak RSS {int(rss)/1024:.1f} MB; recorded {int(lines):,} lines, {int(unique):,} unique messageIds")
PY
tail -n +1 "$WORK/listen.err"
[ "$UNIQUE" -eq "$EVENTS" ]
