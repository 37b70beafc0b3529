#!/usr/bin/env bash
# Deflate backends side by side on the bench corpus (see gzip_backends.py): why cio
# gzips with zlib-rs at level 1, and what the faster ISA-L would give.
#
#   bash bench/gzip.sh              # 100,000 events
#   EVENTS=200000 bash bench/gzip.sh
#
# Installs its pinned Python packages into bench/.venv-gzip the first time.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

EVENTS=${EVENTS:-100000}
VENV=$BENCH_DIR/.venv-gzip
if [[ ! -x $VENV/bin/python || $BENCH_DIR/gzip-requirements.txt -nt $VENV/bin/python ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r "$BENCH_DIR/gzip-requirements.txt"
    touch "$VENV/bin/python"
fi
"$VENV/bin/python" "$BENCH_DIR/gzip_backends.py" --corpus "$(corpus "$EVENTS")" --events "$EVENTS"
