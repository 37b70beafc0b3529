#!/usr/bin/env python3
"""Time ONE call end to end, process start to exit, against the local sink.

Run through single.sh, which starts the sink and passes --sink. Tools:

  cio     cio track "Product Added" --user-id u1 --prop product_id=coolshoes-123
          --prop price=139.99 --prop quantity=1   (CIO_ENDPOINT=<sink>/v1)
  curl    curl POSTing the same call as JSON to <sink>/v1/track, Basic auth
  python  oneshot.py: official Python SDK, Client(...), track, flush, shutdown

Rounds interleave the tools (cio, curl, python, cio, ...) so that noise from
the machine falls on all alike. After each run the sink's counts must have
risen by exactly one call and one new messageId, and the tool must have
exited 0; a run that fails that gets no time.
"""
import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import benchlib
from benchlib import BENCH_DIR, VENV_PY, WRITE_KEY

TOOLS = ("cio", "curl", "python")


def curl_body():
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({
        "type": "track",
        "event": "Product Added",
        "userId": "u1",
        "properties": {"product_id": "coolshoes-123", "price": 139.99, "quantity": 1},
        "timestamp": now,
        "messageId": str(uuid.uuid4()),
        "context": {"library": {"name": "curl"}},
    }, separators=(",", ":"))


def command(tool, sink_url, config_home):
    """argv and environment of one run of `tool`."""
    env = benchlib.clean_env()
    if tool == "cio":
        env.update(CIO_WRITE_KEY=WRITE_KEY, CIO_ENDPOINT=sink_url + "/v1", XDG_CONFIG_HOME=config_home)
        for var in ("CIO_PROFILE", "CIO_CONFIG", "CIO_REGION", "CIO_USER_ID", "CIO_ANONYMOUS_ID"):
            env.pop(var, None)
        return [benchlib.cio_bin(), "track", "Product Added", "--user-id", "u1",
                "--prop", "product_id=coolshoes-123", "--prop", "price=139.99", "--prop", "quantity=1"], env
    if tool == "curl":
        # -q first: ignore any ~/.curlrc.
        return ["curl", "-q", "-sS", "--fail-with-body", "-o", "/dev/null", "-u", WRITE_KEY + ":",
                "-H", "Content-Type: application/json", "--data-binary", curl_body(),
                sink_url + "/v1/track"], env
    if tool == "python":
        env.update(CIO_WRITE_KEY=WRITE_KEY, SINK_URL=sink_url)
        return [VENV_PY, os.path.join(BENCH_DIR, "oneshot.py")], env
    raise ValueError(tool)


def p90(values):
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sink", default=os.environ.get("SINK_URL"), help="sink URL (single.sh sets it)")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "30")),
                    help="timed runs per tool (default: $RUNS or 30)")
    ap.add_argument("--warmup", type=int, default=int(os.environ.get("WARMUP", "2")),
                    help="untimed runs per tool first (default: $WARMUP or 2)")
    ap.add_argument("--tools", default=os.environ.get("TOOLS", ",".join(TOOLS)),
                    help="comma-separated subset of cio,curl,python")
    ap.add_argument("--json", metavar="FILE", help="also write the results here as JSON")
    args = ap.parse_args()
    if not args.sink:
        ap.error("--sink is required (run single.sh)")
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    tools = [t for t in args.tools.split(",") if t]
    for t in tools:
        if t not in TOOLS:
            ap.error(f"unknown tool {t!r}; choose from {','.join(TOOLS)}")
    if "cio" in tools and not os.access(benchlib.cio_bin(), os.X_OK):
        print(f"skipping cio: {benchlib.cio_bin()} is not built", file=sys.stderr)
        tools.remove("cio")

    sink = benchlib.Sink(args.sink)
    benchlib.print_versions(tools)
    print(f"one call end to end: {args.runs} timed runs per tool after {args.warmup} warm-up, "
          f"sink {sink.url}\n")

    times = {t: [] for t in tools}
    failures = {t: 0 for t in tools}
    last_error = {t: "" for t in tools}
    with tempfile.TemporaryDirectory(prefix="cio-bench-xdg.") as config_home:
        for round_no in range(args.warmup + args.runs):
            for tool in tools:
                argv, env = command(tool, sink.url, config_home)
                before = sink.stats()
                start = time.perf_counter()
                try:
                    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, timeout=120)
                    elapsed = time.perf_counter() - start
                    code, err = proc.returncode, proc.stderr.decode(errors="replace").strip()
                except subprocess.TimeoutExpired:
                    elapsed, code, err = None, "timeout", "no exit within 120 s"
                after = sink.stats()
                calls = after["calls"] - before["calls"]
                new_ids = after["unique_message_ids"] - before["unique_message_ids"]
                if code == 0 and calls == 1 and new_ids == 1 and elapsed is not None:
                    if round_no >= args.warmup:
                        times[tool].append(elapsed * 1000)
                else:
                    failures[tool] += 1
                    last_error[tool] = f"exit {code}, sink got {calls} call(s), {new_ids} new id(s); {err[-300:]}"

    rows, medians = [], {}
    for tool in tools:
        ms = times[tool]
        if ms:
            medians[tool] = statistics.median(ms)
            rows.append([tool, f"{len(ms)}/{args.runs}", f"{medians[tool]:.1f}", f"{p90(ms):.1f}",
                         f"{min(ms):.1f}", f"{max(ms):.1f}"])
        else:
            rows.append([tool, f"0/{args.runs}", "-", "-", "-", "-"])
    print(benchlib.table(["tool", "ok runs", "median ms", "p90 ms", "min ms", "max ms"], rows))
    print()

    def ratio(a, b):
        if a in medians and b in medians:
            return f"{medians[a] / medians[b]:.2f}x"
        return "n/a"

    print(f"cio/curl    (median wall): {ratio('cio', 'curl')}")
    print(f"python/cio  (median wall): {ratio('python', 'cio')}")
    bad = [t for t in tools if failures[t]]
    for t in bad:
        print(f"\n{t}: {failures[t]} run(s) failed and got no time; last: {last_error[t]}", file=sys.stderr)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": args.runs, "warmup": args.warmup, "versions": benchlib.versions(tools),
                       "times_ms": times, "failures": failures}, f, indent=2)
    return 1 if any(not times[t] for t in tools) else 0


if __name__ == "__main__":
    sys.exit(main())
