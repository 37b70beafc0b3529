#!/usr/bin/env python3
"""Replay one NDJSON corpus through cio and the official SDKs and compare.

Run through batch.sh, which makes the corpus and starts the sink. Tools:

  cio         cio batch CORPUS --json              (CIO_ENDPOINT=<sink>/v1)
  cio-nogzip  the same with --no-gzip
  python  replay_python.py: official Python SDK, a call per line, flush, shutdown
  node    replay_node.js: official Node SDK, flushInterval 100 ms, closeAndFlush()

Each tool runs once, after a reset of the sink, under `/usr/bin/time -v`
(peak RSS and user + system CPU time of the process); wall time is taken around it here. Then the sink's
counts tell what arrived (and the bytes on the wire: request bodies as sent,
gzipped or not). events/s is the corpus's event count over the wall
time, CPU µs/event the process's user + system time over the event count
(the stable figure on a shared machine), and a run that did not deliver every event exactly once, or exited
non-zero, is marked and left out of the ratio.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import benchlib
from benchlib import BENCH_DIR, VENV_PY, WRITE_KEY

TOOLS = ("cio", "cio-nogzip", "python", "node")


def command(tool, corpus, sink_url, config_home):
    env = benchlib.clean_env()
    env["CIO_WRITE_KEY"] = WRITE_KEY
    if tool in ("cio", "cio-nogzip"):
        env.update(CIO_ENDPOINT=sink_url + "/v1", XDG_CONFIG_HOME=config_home)
        for var in ("CIO_PROFILE", "CIO_CONFIG", "CIO_REGION", "CIO_USER_ID", "CIO_ANONYMOUS_ID"):
            env.pop(var, None)
        extra = ["--no-gzip"] if tool == "cio-nogzip" else []
        return [benchlib.cio_bin(), "batch", corpus, "--json"] + extra, env
    env["SINK_URL"] = sink_url
    if tool == "python":
        return [VENV_PY, os.path.join(BENCH_DIR, "replay_python.py"), corpus], env
    if tool == "node":
        env["NODE_PATH"] = os.path.join(BENCH_DIR, "node_modules")
        return ["node", os.path.join(BENCH_DIR, "replay_node.js"), corpus], env
    raise ValueError(tool)


def peak_rss_mb(time_output):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_output)
    return int(m.group(1)) / 1024 if m else None


def cpu_s(time_output):
    """User + system CPU seconds of the process, from `/usr/bin/time -v`."""
    user = re.search(r"User time \(seconds\): ([\d.]+)", time_output)
    system = re.search(r"System time \(seconds\): ([\d.]+)", time_output)
    return float(user.group(1)) + float(system.group(1)) if user and system else None


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return None


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                n += 1
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sink", default=os.environ.get("SINK_URL"), help="sink URL (batch.sh sets it)")
    ap.add_argument("--corpus", required=True, help="NDJSON file (batch.sh makes it with corpus.py)")
    ap.add_argument("--tools", default=os.environ.get("TOOLS", ",".join(TOOLS)),
                    help="comma-separated subset of " + ",".join(TOOLS))
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("TIMEOUT", "3600")),
                    help="seconds one tool may take (default: $TIMEOUT or 3600)")
    ap.add_argument("--json", metavar="FILE", help="also write the results here as JSON")
    args = ap.parse_args()
    if not args.sink:
        ap.error("--sink is required (run batch.sh)")
    tools = [t for t in args.tools.split(",") if t]
    for t in tools:
        if t not in TOOLS:
            ap.error(f"unknown tool {t!r}; choose from {','.join(TOOLS)}")
    for cio in ("cio", "cio-nogzip"):
        if cio in tools and not os.access(benchlib.cio_bin(), os.X_OK):
            print(f"skipping {cio}: {benchlib.cio_bin()} is not built", file=sys.stderr)
            tools.remove(cio)

    sink = benchlib.Sink(args.sink)
    events = count_lines(args.corpus)
    benchlib.print_versions(tools)
    print(f"corpus {args.corpus}: {events:,} events, {os.path.getsize(args.corpus) / 1e6:.1f} MB; "
          f"sink {sink.url}\n")

    results = {}
    with tempfile.TemporaryDirectory(prefix="cio-bench.") as tmp:
        for tool in tools:
            argv, env = command(tool, args.corpus, sink.url, tmp)
            time_file = os.path.join(tmp, f"time-{tool}.txt")
            sink.reset()
            print(f"running {tool}: {' '.join(argv)}", flush=True)
            start = time.perf_counter()
            try:
                proc = subprocess.run(["/usr/bin/time", "-v", "-o", time_file] + argv, env=env,
                                      stdin=subprocess.DEVNULL, capture_output=True, timeout=args.timeout)
                wall = time.perf_counter() - start
                code = proc.returncode
                out = proc.stdout.decode(errors="replace")
                err = proc.stderr.decode(errors="replace")
            except subprocess.TimeoutExpired:
                wall, code, out, err = time.perf_counter() - start, "timeout", "", f"killed after {args.timeout:.0f} s"
            try:
                with open(time_file) as f:
                    timed = f.read()
                rss, cpu = peak_rss_mb(timed), cpu_s(timed)
            except OSError:
                rss, cpu = None, None
            stats = sink.stats()
            summary = last_json_line(out)
            complete = (code == 0 and stats["calls"] == events and stats["unique_message_ids"] == events)
            results[tool] = {"exit": code, "wall_s": wall, "events_per_s": events / wall, "peak_rss_mb": rss,
                             "cpu_s": cpu, "cpu_us_per_event": None if cpu is None else cpu / events * 1e6,
                             "sink": stats, "summary": summary, "complete": complete}
            print(f"  exit {code}, {wall:.2f} s; says: {json.dumps(summary) if summary else out.strip()[-300:]}")
            if code != 0 and err.strip():
                print("  stderr: " + err.strip()[-500:].replace("\n", "\n          "))
            print(f"  sink: {json.dumps(stats)}", flush=True)

    print()
    rows = []
    for tool in tools:
        r = results[tool]
        mark = "" if r["complete"] else " !"
        rows.append([tool, f"{r['wall_s']:.2f}", f"{r['events_per_s']:,.0f}{mark}",
                     "-" if r["cpu_us_per_event"] is None else f"{r['cpu_us_per_event']:.2f}",
                     "-" if r["peak_rss_mb"] is None else f"{r['peak_rss_mb']:.1f}",
                     f"{r['sink']['calls']:,}", f"{r['sink']['unique_message_ids']:,}",
                     f"{r['sink']['requests']:,}", f"{r['sink'].get('wire_bytes', 0) / 1e6:,.1f}"])
    print(benchlib.table(["tool", "wall s", "events/s", "CPU µs/event", "peak RSS MB", "calls delivered",
                          "unique messageIds", "requests", "wire MB"], rows))
    if any(not results[t]["complete"] for t in tools):
        print(f"\n! did not deliver all {events:,} events exactly once, or exited non-zero: "
              "not a valid throughput, left out of the ratio")

    sdks = [t for t in ("python", "node") if t in results and results[t]["complete"]]
    cios = [t for t in ("cio", "cio-nogzip") if t in results and results[t]["complete"]]
    if cios and sdks:
        best = max(sdks, key=lambda t: results[t]["events_per_s"])
        for cio in cios:
            ratio = results[cio]["events_per_s"] / results[best]["events_per_s"]
            print(f"\n{cio} events/s vs the faster SDK ({best}): {ratio:.1f}x")
    else:
        print("\ncio events/s vs the faster SDK: n/a")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"corpus": args.corpus, "events": events, "versions": benchlib.versions(tools),
                       "results": results}, f, indent=2)
    return 0 if all(results[t]["complete"] for t in tools) else 1


if __name__ == "__main__":
    sys.exit(main())
