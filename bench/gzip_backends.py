"""Deflate backends on the bench corpus cut into request bodies of 475 KB:
CPU µs per event (three rounds, fastest and slowest) and the share of the
plain size that goes on the wire. zlib-ng stands in for cio's zlib-rs (a
port of it: the same level-1 `deflate_quick`); cio's own figure is in
bench/batch.sh's CPU column, less its --no-gzip one."""

import argparse
import time
import zlib

import deflate
from isal import isal_zlib
from zlib_ng import zlib_ng

BODY = 475_000

BACKENDS = [
    ("zlib-ng level 1 (as zlib-rs, cio's)", lambda b: zlib_ng.compress(b, 1)),
    ("ISA-L igzip level 1", lambda b: isal_zlib.compress(b, 1)),
    ("ISA-L igzip level 2", lambda b: isal_zlib.compress(b, 2)),
    ("libdeflate level 1", lambda b: deflate.deflate_compress(b, 1)),
    ("zlib level 1", lambda b: zlib.compress(b, 1)),
]


def bodies(path, limit):
    """The corpus's lines packed into bodies as cio packs them (by bytes)."""
    out, calls, size, events = [], [], 0, 0
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if size + len(line) + 1 > BODY and calls:
                out.append(b'{"batch":[' + b",".join(calls) + b"]}")
                calls, size = [], 0
            calls.append(line)
            size += len(line) + 1
            events += 1
            if events == limit:
                break
    if calls:
        out.append(b'{"batch":[' + b",".join(calls) + b"]}")
    return out, events


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    plain, events = bodies(args.corpus, args.events)
    total = sum(map(len, plain))
    print(f"{events:,} events in {len(plain)} bodies, {total / events:.0f} bytes an event")
    print(f"{'backend':38} {'CPU µs/event':>15} {'on the wire':>12}")
    for name, compress in BACKENDS:
        times = []
        for _ in range(3):
            start = time.process_time()
            wire = sum(len(compress(b)) for b in plain)
            times.append((time.process_time() - start) * 1e6 / events)
        print(f"{name:38} {min(times):7.2f}-{max(times):<7.2f} {wire / total:11.1%}")


if __name__ == "__main__":
    main()
