#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (default 60 s each), keeping the corpus
# in fuzz/corpus/<target>. Not part of the test suite.
# Needs cargo-fuzz (cargo install cargo-fuzz); on a stable toolchain the
# sanitizer flags are allowed through RUSTC_BOOTSTRAP.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-60}"
targets=("${@:-items envelope ndjson}")
for target in ${targets[@]}; do
  mkdir -p "corpus/$target"
  echo "== $target for ${seconds}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss|==|SUMMARY|.*panicked)" || true
  if ls artifacts/"$target"/crash-* >/dev/null 2>&1; then
    echo "crash found: fuzz/artifacts/$target/"; exit 1
  fi
done
