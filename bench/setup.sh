#!/usr/bin/env bash
# Installs what the benchmarks need; safe to run again (it only does what is
# missing or out of date):
#   - /usr/bin/time (Debian package `time`) for peak RSS; curl is checked
#   - bench/.venv with the official Python SDK (pinned in requirements.txt)
#   - bench/node_modules with the official Node SDK (package-lock.json)
#   - cargo build --release, and the sink: cargo build --release --example sink
#
#   bash bench/setup.sh
#   SKIP_CARGO=1 bash bench/setup.sh   # only the SDKs and tools
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)

say() { printf '== %s\n' "$*"; }

# --- system tools -----------------------------------------------------------
missing=()
[[ -x /usr/bin/time ]] || missing+=(time)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    sudo=
    if [[ $(id -u) != 0 ]]; then sudo=sudo; fi
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
for tool in python3 node npm cargo; do
    command -v "$tool" >/dev/null || { echo "setup.sh: $tool is required" >&2; exit 1; }
done

# --- Python SDK ---------------------------------------------------------------
venv=$BENCH_DIR/.venv
stamp=$venv/.requirements.txt
if [[ ! -x $venv/bin/python ]]; then
    say "creating $venv"
    python3 -m venv "$venv"
fi
if ! cmp -s "$BENCH_DIR/requirements.txt" "$stamp"; then
    say "installing the Python SDK into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$BENCH_DIR/requirements.txt"
    cp "$BENCH_DIR/requirements.txt" "$stamp"
fi
"$venv/bin/python" -c 'import customerio.analytics' # fails loudly if the install is broken

# --- Node SDK -----------------------------------------------------------------
installed_lock=$BENCH_DIR/node_modules/.package-lock.json
if [[ ! -d $BENCH_DIR/node_modules/@customerio/cdp-analytics-node || \
      $BENCH_DIR/package-lock.json -nt $installed_lock ]]; then
    say "installing the Node SDK into $BENCH_DIR/node_modules"
    (cd "$BENCH_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd "$BENCH_DIR" && node -e 'require("@customerio/cdp-analytics-node")')

# --- cio and the sink -------------------------------------------------------------
if [[ -z ${SKIP_CARGO:-} ]]; then
    say "cargo build --release (cio)"
    (cd "$ROOT" && cargo build --release)
    say "cargo build --release --example sink"
    (cd "$ROOT" && cargo build --release --example sink)
fi

say "versions"
echo "  Python SDK: $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("customerio-cdp-analytics"))') ($("$venv/bin/python" --version))"
echo "  Node SDK:   $(cd "$BENCH_DIR" && node -p 'require("./node_modules/@customerio/cdp-analytics-node/package.json").version') (Node $(node --version))"
echo "  curl:       $(curl --version | head -n 1 | cut -d' ' -f1-2)"
if [[ -x ${CARGO_TARGET_DIR:-$ROOT/target}/release/cio ]]; then
    echo "  cio:        $("${CARGO_TARGET_DIR:-$ROOT/target}/release/cio" --version)"
fi
say "ready: bash bench/single.sh; bash bench/batch.sh"
