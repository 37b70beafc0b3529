#!/usr/bin/env python3
"""HTTPS next to plain HTTP: one call (cio, curl) and a replay (cio batch).

Run through tls.sh, which starts a plain sink and a TLS sink (`sink --tls`,
whose CA is --ca) and makes the corpus. Single-call variants, interleaved in
rounds so that noise from the machine falls on all alike:

  cio  http         cio track ... to the plain sink
  curl http         curl posting the same JSON to the plain sink
  cio  https        CIO_CA_CERT=ca: the system store is loaded, plus the CA
                    (what a user behind a private CA pays)
  cio  https only   SSL_CERT_FILE=ca: the CA alone replaces the system store
                    (the difference to the row above is the cost of the store)
  curl https        curl --cacert ca (OpenSSL; the CA alone)

Every run is a new process and a full TLS handshake: neither tool keeps
sessions between processes. A run counts only if the tool exited 0 and the
sink got exactly one new call with a new messageId.

Start-up: cio sending to a closed port of 127.0.0.1 over https, so that only
process start and loading the trust roots count: the CA alone (SSL_CERT_FILE),
the system store as cio reads it, and /etc/ssl/certs read whole (SSL_CERT_DIR),
as rustls-native-certs would by default.

Replay: `cio batch CORPUS --json` to each sink under /usr/bin/time -v; the
sink's `connections` shows how many handshakes the whole replay took.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import benchlib
from benchlib import WRITE_KEY
from single import curl_body, p90

TRACK = ["track", "Product Added", "--user-id", "u1", "--prop", "product_id=coolshoes-123",
         "--prop", "price=139.99", "--prop", "quantity=1"]


def cio_env(url, config_home):
    env = benchlib.clean_env()
    env.update(CIO_WRITE_KEY=WRITE_KEY, CIO_ENDPOINT=url + "/v1", XDG_CONFIG_HOME=config_home)
    for var in ("CIO_PROFILE", "CIO_CONFIG", "CIO_REGION", "CIO_USER_ID", "CIO_ANONYMOUS_ID",
                "CIO_CA_CERT", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        env.pop(var, None)
    return env


def single_command(variant, urls, ca, config_home):
    tool, scheme, trust = variant
    url = urls[scheme]
    if tool == "cio":
        env = cio_env(url, config_home)
        if trust == "ca-cert":
            env["CIO_CA_CERT"] = ca
        elif trust == "ssl-cert-file":
            env["SSL_CERT_FILE"] = ca
        return [benchlib.cio_bin()] + TRACK, env
    argv = ["curl", "-q", "-sS", "--fail-with-body", "-o", "/dev/null", "-u", WRITE_KEY + ":",
            "-H", "Content-Type: application/json", "--data-binary", curl_body(), url + "/v1/track"]
    if scheme == "https":
        argv[1:1] = ["--cacert", ca]
    return argv, benchlib.clean_env()


VARIANTS = [
    ("cio", "http", None, "cio  http"),
    ("curl", "http", None, "curl http"),
    ("cio", "https", "ca-cert", "cio  https (system store + --ca-cert)"),
    ("cio", "https", "ssl-cert-file", "cio  https (SSL_CERT_FILE only)"),
    ("curl", "https", "cacert", "curl https (--cacert only)"),
]


def single(args, sinks, urls):
    print(f"one call end to end: {args.runs} timed runs per variant after {args.warmup} warm-up\n")
    times = {v[3]: [] for v in VARIANTS}
    failures = {v[3]: "" for v in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="cio-bench-xdg.") as config_home:
        for round_no in range(args.warmup + args.runs):
            for tool, scheme, trust, name in VARIANTS:
                argv, env = single_command((tool, scheme, trust), urls, args.ca, config_home)
                sink = sinks[scheme]
                before = sink.stats()
                start = time.perf_counter()
                proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, timeout=120)
                elapsed = time.perf_counter() - start
                after = sink.stats()
                calls = after["calls"] - before["calls"]
                new_ids = after["unique_message_ids"] - before["unique_message_ids"]
                if proc.returncode == 0 and calls == 1 and new_ids == 1:
                    if round_no >= args.warmup:
                        times[name].append(elapsed * 1000)
                else:
                    failures[name] = (f"exit {proc.returncode}, {calls} call(s); "
                                      f"{proc.stderr.decode(errors='replace').strip()[-300:]}")
    rows = []
    medians = {}
    for *_, name in VARIANTS:
        ms = times[name]
        if ms:
            medians[name] = statistics.median(ms)
            rows.append([name, f"{len(ms)}/{args.runs}", f"{medians[name]:.1f}", f"{p90(ms):.1f}",
                         f"{min(ms):.1f}"])
        else:
            rows.append([name, f"0/{args.runs}", "-", "-", "-"])
    print(benchlib.table(["variant", "ok runs", "median ms", "p90 ms", "min ms"], rows))
    names = [v[3] for v in VARIANTS]
    if all(n in medians for n in names):
        print(f"\nTLS costs cio {medians[names[2]] - medians[names[0]]:+.1f} ms "
              f"({medians[names[3]] - medians[names[0]]:+.1f} ms without the system store), "
              f"curl {medians[names[4]] - medians[names[1]]:+.1f} ms; "
              f"cio/curl over https: {medians[names[2]] / medians[names[4]]:.2f}x")
    for name, why in failures.items():
        if why:
            print(f"{name}: some runs failed; last: {why}", file=sys.stderr)
    return times, all(times.values())


def startup(args):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"https://127.0.0.1:{s.getsockname()[1]}"
    variants = [("CA alone (SSL_CERT_FILE)", {"SSL_CERT_FILE": args.ca}), ("system store", {})]
    if os.path.isdir("/etc/ssl/certs"):
        variants.append(("/etc/ssl/certs whole (SSL_CERT_DIR)", {"SSL_CERT_DIR": "/etc/ssl/certs"}))
    print(f"\nstart-up to a closed port, {args.runs} runs each:\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="cio-bench-xdg.") as config_home:
        times = {name: [] for name, _ in variants}
        for round_no in range(args.warmup + args.runs):
            for name, extra in variants:
                env = cio_env(closed, config_home)
                env.update(extra)
                start = time.perf_counter()
                subprocess.run([benchlib.cio_bin(), "--retries", "0"] + TRACK, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if round_no >= args.warmup:
                    times[name].append((time.perf_counter() - start) * 1000)
    for name, _ in variants:
        ms = times[name]
        rows.append([name, f"{statistics.median(ms):.1f}", f"{p90(ms):.1f}", f"{min(ms):.1f}"])
    print(benchlib.table(["roots", "median ms", "p90 ms", "min ms"], rows))


def replay(args, sinks, urls, tmp):
    events = sum(1 for line in open(args.corpus, "rb") if line.strip())
    print(f"\nreplay: {events:,} events from {args.corpus}\n")
    rows, results, ok = [], {}, True
    for scheme in ("http", "https"):
        sink = sinks[scheme]
        sink.reset()
        env = cio_env(urls[scheme], tmp)
        if scheme == "https":
            env["CIO_CA_CERT"] = args.ca
        time_file = os.path.join(tmp, f"time-{scheme}.txt")
        argv = ["/usr/bin/time", "-v", "-o", time_file, benchlib.cio_bin(), "batch", args.corpus, "--json"]
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=3600)
        wall = time.perf_counter() - start
        with open(time_file) as f:
            rss = next((int(line.split(":")[1]) / 1024 for line in f
                        if "Maximum resident set size" in line), None)
        stats = sink.stats()
        # The /stats request just made is a connection of its own.
        connections = stats["connections"] - 1
        complete = proc.returncode == 0 and stats["calls"] == events and stats["unique_message_ids"] == events
        ok &= complete
        results[scheme] = {"wall_s": wall, "peak_rss_mb": rss, "sink": stats, "exit": proc.returncode}
        rows.append([f"cio batch over {scheme}", f"{wall:.2f}", f"{events / wall:,.0f}" + ("" if complete else " !"),
                     "-" if rss is None else f"{rss:.1f}", f"{stats['calls']:,}", f"{stats['requests']:,}",
                     f"{connections}"])
        if proc.returncode != 0:
            print(f"{scheme}: exit {proc.returncode}: {proc.stderr.decode(errors='replace')[-400:]}", file=sys.stderr)
    print(benchlib.table(["run", "wall s", "events/s", "peak RSS MB", "calls delivered", "requests",
                          "connections (handshakes)"], rows))
    return results, ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plain", required=True, help="plain sink URL (tls.sh sets it)")
    ap.add_argument("--tls", required=True, help="TLS sink URL (tls.sh sets it)")
    ap.add_argument("--ca", required=True, help="the TLS sink's CA (PEM)")
    ap.add_argument("--corpus", required=True, help="NDJSON corpus for the replay")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "30")))
    ap.add_argument("--warmup", type=int, default=int(os.environ.get("WARMUP", "2")))
    ap.add_argument("--json", metavar="FILE", help="also write the results here as JSON")
    args = ap.parse_args()
    if not os.access(benchlib.cio_bin(), os.X_OK):
        sys.exit(f"{benchlib.cio_bin()} is not built")
    urls = {"http": args.plain.rstrip("/"), "https": args.tls.rstrip("/")}
    sinks = {"http": benchlib.Sink(urls["http"]), "https": benchlib.Sink(urls["https"], ca=args.ca)}
    benchlib.print_versions(["cio", "curl"])
    times, single_ok = single(args, sinks, urls)
    startup(args)
    with tempfile.TemporaryDirectory(prefix="cio-bench.") as tmp:
        results, replay_ok = replay(args, sinks, urls, tmp)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"single_ms": times, "replay": results}, f, indent=2)
    return 0 if single_ok and replay_ok else 1


if __name__ == "__main__":
    sys.exit(main())
