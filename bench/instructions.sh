#!/usr/bin/env bash
# Instructions per event of `cio batch` against the sink, with gzip and
# without, counted by valgrind's callgrind: the figure that does not move
# with this machine's load (CPU µs do, by ±15 % or more), for comparing two
# builds. Prints the total per event and the functions that cost the most.
#
#   bash bench/instructions.sh                 # the first 20,000 events
#   EVENTS=5000 TOP=20 bash bench/instructions.sh
#   CIO_BIN=/path/to/other/cio bash bench/instructions.sh
#
# A build with line tables names the functions better:
#   CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_PROFILE_RELEASE_STRIP=none \
#     cargo build --release --target-dir /tmp/cio-lines
# Installs valgrind (Debian's package) when it is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

EVENTS=${EVENTS:-20000}
TOP=${TOP:-12}
[[ $EVENTS =~ ^[0-9]+$ && $TOP =~ ^[0-9]+$ ]] || { echo "EVENTS and TOP must be whole numbers" >&2; exit 2; }
[[ -x $CIO_BIN && -x $SINK_BIN ]] || { echo "build cio and the sink first: bash bench/setup.sh" >&2; exit 1; }
if ! command -v valgrind >/dev/null; then
    sudo=
    if [[ $(id -u) != 0 ]]; then sudo=sudo; fi
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind
fi

start_sink
input=$WORK/input.ndjson
head -n "$EVENTS" "$(corpus 100000)" >"$input"
events=$(wc -l <"$input")
echo "cio: $("$CIO_BIN" --version); $events events of the 100,000-event corpus"
for mode in gzip no-gzip; do
    flags=()
    [[ $mode == no-gzip ]] && flags=(--no-gzip)
    out=$WORK/callgrind.$mode
    XDG_CONFIG_HOME=$WORK CIO_WRITE_KEY=key-bench-123456 CIO_ENDPOINT=$SINK_URL/v1 \
        valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$CIO_BIN" batch -q "$input" "${flags[@]}" 2>"$WORK/valgrind.err" ||
        { cat "$WORK/valgrind.err" >&2; exit 1; }
    total=$(sed -n 's/^summary: //p' "$out")
    printf '\n%s: %s instructions, %s an event\n' "$mode" "$total" "$((total / events))"
    # Its rows split a function by the file of each inlined line: added up by name.
    callgrind_annotate --inclusive=no --auto=no --threshold=100 "$out" 2>/dev/null |
        awk -v n="$events" '
            $1 ~ /^[0-9,]+$/ && $0 ~ /:/ && $0 !~ /PROGRAM TOTALS/ {
                ir = $1; gsub(",", "", ir)
                name = $0; sub(/ \[[^]]*\]$/, "", name); sub(/^.*:/, "", name)
                cost[name] += ir
            }
            END { for (f in cost) printf "%d\t%s\n", cost[f] / n, f }' |
        sort -rn | awk -F'\t' -v top="$TOP" 'NR <= top { printf "  %6d an event  %s\n", $1, substr($2, 1, 90) }'
done
