#!/usr/bin/env python3
"""cio batch over a slow, rate-limited network, played by the local sink.

Run through network.sh, which makes the corpus. Each scenario starts its own
sink on 127.0.0.1 with a per-request delay and, for some, a quota of requests
per second answered with 429 + Retry-After:

  latency   0, 50, 100, 200 ms: cio's defaults (adaptive concurrency) next to
            --concurrency 4 and, on a smaller corpus, the Python SDK
  quota     100 requests/s at 100 ms, requests of 100 calls: delivered requests/s
            against the quota, 429s
  shared    2 and 4 cio processes at once against one 100 requests/s quota
  slowdown  50 ms, then 2 s for a stretch of requests, then 50 ms again
  long      LONG_COPIES copies of the corpus (each with messageIds of its own,
            so cio remembers them all) at 200 ms: peak RSS of a long replay
            with the most requests in flight

Figures: events/s, CPU ms (user + sys) and peak RSS of the cio process (from
/usr/bin/time), requests, 429s, the concurrency reached and the latency cio saw.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import benchlib
from benchlib import BENCH_DIR, VENV_PY, WRITE_KEY


class Sink:
    def __init__(self, *flags):
        sink_bin = os.environ.get("SINK_BIN") or os.path.join(benchlib.ROOT, "target", "release", "examples", "sink")
        self.proc = subprocess.Popen([sink_bin, "--port", "0", *map(str, flags)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening http://127.0.0.1:"):
            sys.exit(f"the sink did not start: {line!r}")
        self.api = benchlib.Sink(line.split(" ", 1)[1])
        self.url = self.api.url

    def stats(self):
        return self.api.stats()

    def close(self):
        self.proc.kill()
        self.proc.wait()


def parse_time(path):
    fields = {}
    with open(path) as f:
        for line in f:
            if ":" in line:
                k, v = line.rsplit(":", 1)
                fields[k.strip()] = v.strip()
    cpu = float(fields.get("User time (seconds)", 0)) + float(fields.get("System time (seconds)", 0))
    rss = int(fields.get("Maximum resident set size (kbytes)", 0)) / 1024
    return cpu, rss


def start_cio(corpus, sink, tmp, name, extra=()):
    env = benchlib.clean_env()
    env.update(CIO_WRITE_KEY=WRITE_KEY, CIO_ENDPOINT=sink.url + "/v1", XDG_CONFIG_HOME=tmp)
    for var in ("CIO_PROFILE", "CIO_CONFIG", "CIO_REGION", "CIO_USER_ID", "CIO_ANONYMOUS_ID"):
        env.pop(var, None)
    time_file = os.path.join(tmp, f"time-{name}.txt")
    argv = ["/usr/bin/time", "-v", "-o", time_file, benchlib.cio_bin(), "batch", corpus, "--json", *extra]
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    return proc, time_file


def finish_cio(proc, time_file, started):
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    summary = None
    for line in reversed(out.strip().splitlines()):
        try:
            summary = json.loads(line)
            break
        except ValueError:
            continue
    cpu, rss = parse_time(time_file)
    return {"exit": proc.returncode, "wall": wall, "cpu": cpu, "rss": rss, "summary": summary or {},
            "stderr": err.strip()[-300:]}


def run_cio(corpus, sink, tmp, name, extra=()):
    started = time.perf_counter()
    proc, time_file = start_cio(corpus, sink, tmp, name, extra)
    return finish_cio(proc, time_file, started)


def run_python(corpus, sink):
    env = benchlib.clean_env()
    env.update(CIO_WRITE_KEY=WRITE_KEY, SINK_URL=sink.url)
    started = time.perf_counter()
    proc = subprocess.run([VENV_PY, os.path.join(BENCH_DIR, "replay_python.py"), corpus], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True)
    return {"exit": proc.returncode, "wall": time.perf_counter() - started}


def count_lines(path):
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def row(label, events, r, stats):
    s = r["summary"]
    lat = s.get("latency_ms")
    ok = r["exit"] == 0 and stats["unique_message_ids"] == events
    return [label, f"{events / r['wall']:,.0f}{'' if ok else ' !'}", f"{r['cpu'] * 1e6 / events:.1f}",
            f"{r['rss']:.1f}", f"{stats['requests']:,}", f"{stats.get('throttled', 0):,}",
            str(s.get("concurrency_peak", "-")), "-" if lat is None else f"{lat:.0f}"]


HEADERS = ["run", "events/s", "CPU µs/event", "peak RSS MB", "requests", "429s", "max in flight", "latency ms"]


def latency(corpus, events, sdk_corpus, tmp, with_sdk, repeat):
    """Each cio row runs `repeat` times, interleaved with the others so that a
    busy spell of the machine does not fall on one row; the median run is shown."""
    configs = [(delay, label, extra) for delay in (0, 50, 100, 200)
               for label, extra in (("default", ()), ("--concurrency 4", ("--concurrency", "4")))]
    runs = {c[:2]: [] for c in configs}
    for _ in range(repeat):
        for delay, label, extra in configs:
            sink = Sink("--delay-ms", delay)
            r = run_cio(corpus, sink, tmp, f"lat{delay}", extra)
            runs[(delay, label)].append((r, sink.stats()))
            sink.close()
    median = {k: sorted(v, key=lambda rs: rs[0]["wall"])[len(v) // 2] for k, v in runs.items()}
    zero = events / median[(0, "default")][0]["wall"]
    rows = []
    for delay, label, _ in configs:
        r, stats = median[(delay, label)]
        share = f" ({events / r['wall'] / zero:.0%} of 0 ms)" if label == "default" else ""
        rows.append(row(f"{delay} ms, cio {label}{share}", events, r, stats))
        print("  " + " | ".join(rows[-1]), flush=True)
        if with_sdk and delay == 100 and label == "default":
            sink = Sink("--delay-ms", delay)
            r = run_python(sdk_corpus, sink)
            stats = sink.stats()
            sink.close()
            n = count_lines(sdk_corpus)
            ok = r["exit"] == 0 and stats["unique_message_ids"] == n
            rows.append([f"{delay} ms, Python SDK ({n:,} events)", f"{n / r['wall']:,.0f}{'' if ok else ' !'}",
                         "-", "-", f"{stats['requests']:,}", "0", "-", "-"])
            print("  " + " | ".join(rows[-1]), flush=True)
    return rows


# Requests of 100 calls, so that a 100 requests/s quota, not the corpus's size, sets the pace.
SMALL_BATCHES = ("--max-batch-calls", "100")


def quota(corpus, events, tmp):
    sink = Sink("--delay-ms", 100, "--quota", 100)
    r = run_cio(corpus, sink, tmp, "quota", SMALL_BATCHES)
    stats = sink.stats()
    sink.close()
    per_s = stats["requests"] / r["wall"]
    label = f"quota 100/s at 100 ms: {per_s:.0f} requests/s ({per_s / 100:.0%} of quota)"
    return [row(label, events, r, stats)]


def shared(corpora, tmp):
    rows = []
    for n in (2, 4):
        sink = Sink("--delay-ms", 100, "--quota", 100)
        started = time.perf_counter()
        procs = [start_cio(corpora[i], sink, tmp, f"shared{n}-{i}", SMALL_BATCHES) for i in range(n)]
        results = [finish_cio(p, t, started) for p, t in procs]
        stats = sink.stats()
        sink.close()
        wall = max(r["wall"] for r in results)
        reqs = [r["summary"].get("requests", 0) - r["summary"].get("retried", 0) for r in results]
        rates = [q / r["wall"] for q, r in zip(reqs, results)]
        total = stats["requests"] / wall
        # While all run, the quota's use is the sum of the processes' rates;
        # over the whole, the last one to finish sets the time.
        rows.append([f"{n} processes, one 100/s quota", f"{total:.0f} req/s ({total / 100:.0%})",
                     f"{sum(rates):.0f} req/s ({sum(rates) / 100:.0%})",
                     " / ".join(f"{x:.0f}" for x in rates), f"{max(rates) / max(min(rates), 1e-9):.2f}",
                     f"{stats.get('throttled', 0):,}", f"{stats['unique_message_ids']:,}"])
        print("  " + " | ".join(rows[-1]), flush=True)
    return rows


def slowdown(corpus, events, tmp):
    sink = Sink("--delay-ms", 50, "--slow-ms", 2000, "--slow-after", 60, "--slow-until", 90)
    r = run_cio(corpus, sink, tmp, "slow")
    stats = sink.stats()
    sink.close()
    s = r["summary"]
    return [row(f"50 ms → 2 s (requests 60-90) → 50 ms: {s.get('retried', '?')} retried, "
                f"{s.get('undeliverable', '?')} undeliverable", events, r, stats)]


def long_replay(corpus, events, copies, tmp):
    path = os.path.join(tmp, "long.ndjson")
    with open(corpus) as f, open(path, "w") as out:
        lines = f.read().splitlines()
        for c in range(copies):
            for line in lines:
                call = json.loads(line)
                call["messageId"] = f"copy{c}-{call.get('messageId', '')}"
                out.write(json.dumps(call, separators=(",", ":")) + "\n")
    sink = Sink("--delay-ms", 200)
    r = run_cio(path, sink, tmp, "long")
    stats = sink.stats()
    sink.close()
    os.remove(path)
    return [row(f"{events * copies:,} calls at 200 ms", events * copies, r, stats)]


def split(corpus, parts, tmp):
    paths = [os.path.join(tmp, f"part{i}.ndjson") for i in range(parts)]
    files = [open(p, "w") for p in paths]
    with open(corpus) as f:
        for i, line in enumerate(f):
            files[i % parts].write(line)
    for f in files:
        f.close()
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--sdk-corpus", help="a smaller corpus for the SDK row (it is slow at 100 ms)")
    ap.add_argument("--scenarios", default="latency,quota,shared,slowdown,long")
    ap.add_argument("--repeat", type=int, default=1, help="runs per latency row; the median is shown")
    ap.add_argument("--long-copies", type=int, default=10, help="copies of the corpus in the long scenario")
    args = ap.parse_args()
    events = count_lines(args.corpus)
    scenarios = args.scenarios.split(",")
    benchlib.print_versions(["cio"] + (["python"] if args.sdk_corpus else []))
    print(f"corpus {args.corpus}: {events:,} events\n")
    with tempfile.TemporaryDirectory(prefix="cio-bench.") as tmp:
        if "latency" in scenarios:
            print("latency:", flush=True)
            rows = latency(args.corpus, events, args.sdk_corpus, tmp, bool(args.sdk_corpus), args.repeat)
            print(benchlib.table(HEADERS, rows) + "\n")
        if "quota" in scenarios:
            print("quota:", flush=True)
            print(benchlib.table(HEADERS, quota(args.corpus, events, tmp)) + "\n")
        if "shared" in scenarios:
            print("shared quota:", flush=True)
            parts = split(args.corpus, 4, tmp)
            rows = shared(parts, tmp)
            print(benchlib.table(["run", "together, whole run", "sum of rates", "each, requests/s", "max/min", "429s",
                                 "unique ids"], rows)
                  + "\n")
        if "slowdown" in scenarios:
            print("slowdown:", flush=True)
            print(benchlib.table(HEADERS, slowdown(args.corpus, events, tmp)) + "\n")
        if "long" in scenarios:
            print("long replay:", flush=True)
            print(benchlib.table(HEADERS, long_replay(args.corpus, events, args.long_copies, tmp)) + "\n")


if __name__ == "__main__":
    sys.exit(main())
