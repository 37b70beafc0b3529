# Shared by single.sh and batch.sh (sourced, not run): paths, the sink's
# lifecycle, and the checks that setup.sh ran.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
export CIO_BIN=${CIO_BIN:-$TARGET_DIR/release/cio}
export SINK_BIN=${SINK_BIN:-$TARGET_DIR/release/examples/sink}
VENV_PY=$BENCH_DIR/.venv/bin/python
SINK_PID=
WORK=

require_setup() {
    local missing=()
    [[ -x $VENV_PY ]] || missing+=("$BENCH_DIR/.venv")
    [[ -d $BENCH_DIR/node_modules/@customerio/cdp-analytics-node ]] || missing+=("$BENCH_DIR/node_modules")
    [[ -x $SINK_BIN ]] || missing+=("$SINK_BIN")
    [[ -x /usr/bin/time ]] || missing+=("/usr/bin/time")
    if ((${#missing[@]})); then
        echo "missing: ${missing[*]}" >&2
        echo "run bash $BENCH_DIR/setup.sh first" >&2
        exit 1
    fi
    if [[ ! -x $CIO_BIN ]]; then
        echo "warning: $CIO_BIN is not built; the cio rows will be skipped" >&2
    fi
}

cleanup() {
    if [[ -n $SINK_PID ]]; then
        kill "$SINK_PID" 2>/dev/null || true
        wait "$SINK_PID" 2>/dev/null || true
        SINK_PID=
    fi
    if [[ -n $WORK ]]; then
        rm -rf "$WORK"
        WORK=
    fi
}

# Starts the sink on a free port of 127.0.0.1 and sets SINK_URL and WORK (a
# temporary directory removed on exit, with the trap below).
start_sink() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/cio-bench.XXXXXX")
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    "$SINK_BIN" --port 0 >"$WORK/sink.out" 2>"$WORK/sink.err" &
    SINK_PID=$!
    local line= i
    for ((i = 0; i < 200; i++)); do
        line=$(head -n 1 "$WORK/sink.out" 2>/dev/null || true)
        [[ $line == "listening http://127.0.0.1:"* ]] && break
        if ! kill -0 "$SINK_PID" 2>/dev/null; then
            echo "the sink did not start:" >&2
            cat "$WORK/sink.err" >&2
            exit 1
        fi
        sleep 0.05
    done
    if [[ $line != "listening http://127.0.0.1:"* ]]; then
        echo "the sink did not say where it listens within 10 s" >&2
        exit 1
    fi
    SINK_URL=${line#listening }
    export SINK_URL
}

# Prints the path of the seeded corpus of $1 events (SEED, default 42), made in
# bench/out/ (gitignored) when missing or older than corpus.py.
corpus() {
    local events=$1 seed=${SEED:-42}
    [[ $events =~ ^[0-9]+$ && $seed =~ ^[0-9]+$ ]] || { echo "EVENTS and SEED must be whole numbers" >&2; exit 2; }
    mkdir -p "$BENCH_DIR/out"
    local path=$BENCH_DIR/out/corpus-$events-$seed.ndjson
    if [[ ! -s $path || $BENCH_DIR/corpus.py -nt $path ]]; then
        echo "writing $events events to $path" >&2
        python3 "$BENCH_DIR/corpus.py" --events "$events" --seed "$seed" --out "$path.partial" >&2
        mv "$path.partial" "$path"
    fi
    echo "$path"
}
