#!/usr/bin/env python3
"""Peak memory of `cio batch` against servers that answer with an endless body.

cio reads at most 64 KiB of any answer and hangs up on the rest, so its peak
RSS against such a server should stay where it is against the API (the goal:
under the replay's 64 MB bound). Each row replays the same generated NDJSON
file (EVENTS calls) against a server of this script, on 127.0.0.1 only:

  api           200 {} at once, as the API answers (the reference row)
  endless 200   200, then "x" until cio hangs up (a web server's stream, a
                misconfigured proxy): not the API, so the replay stops
  endless 400   400, then "x" without end: every batch is split down to single
                calls, each refused, so this row reads the most answers
  endless 500   500, then "x" without end: retried (--retries 2), then
                undeliverable, and the replay stops

"Endless" is ENDLESS_MB (default 256) per answer: far past what cio reads, and
bounded so that a cio that did read it all is measured rather than let loose
on the machine. Peak RSS is the child's ru_maxrss from wait4, exact.

  python3 bench/hostile.py              # 2,000 events, the release build
  EVENTS=10000 CIO_BIN=target/debug/cio python3 bench/hostile.py

Needs only the cio binary (cargo build --release --bin cio); standard library only.
"""
import os
import socket
import tempfile
import threading
import time

import benchlib
from benchlib import WRITE_KEY

EVENTS = int(os.environ.get("EVENTS", "2000"))
ENDLESS_BYTES = int(os.environ.get("ENDLESS_MB", "256")) << 20
BLOCK = b"x" * (64 * 1024)


def read_request(conn):
    """Reads one request (head and Content-Length body); False if the client left."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        body += chunk
    return True


class Server:
    """A listener on 127.0.0.1 answering every request with `status`: `{}`
    when `endless` is false (keeping the connection), else an endless body."""

    def __init__(self, status, endless):
        self.status, self.endless = status, endless
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            try:
                while read_request(conn):
                    self.requests += 1
                    reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}[self.status]
                    if not self.endless:
                        conn.sendall(f"HTTP/1.1 {self.status} {reason}\r\nContent-Type: application/json\r\n"
                                     "Content-Length: 2\r\n\r\n{}".encode())
                        continue
                    conn.sendall(f"HTTP/1.1 {self.status} {reason}\r\nContent-Type: text/plain\r\n"
                                 "Connection: close\r\n\r\n".encode())
                    for _ in range(ENDLESS_BYTES // len(BLOCK)):
                        conn.sendall(BLOCK)
                    return
            except OSError:
                return  # cio hung up, as it should

    def close(self):
        self.sock.close()


def replay(server, corpus, workdir):
    """Runs `cio batch` against `server`: (exit code, seconds, peak RSS in MB)."""
    env = benchlib.clean_env()
    env.update({"CIO_ENDPOINT": server.url, "CIO_WRITE_KEY": WRITE_KEY,
                "HOME": workdir, "XDG_CONFIG_HOME": os.path.join(workdir, "xdg")})
    argv = [benchlib.cio_bin(), "batch", "-q", "--retries", "2", corpus]
    started = time.monotonic()
    devnull = os.open(os.devnull, os.O_WRONLY)
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[
        (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
    os.close(devnull)
    _, status, usage = os.wait4(pid, 0)
    took = time.monotonic() - started
    return os.waitstatus_to_exitcode(status), took, usage.ru_maxrss / 1024


def main():
    print(f"cio: {benchlib.versions(['cio'])['cio']}")
    print(f"{EVENTS:,} calls; endless bodies stop after {ENDLESS_BYTES >> 20} MiB\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="cio-hostile-") as workdir:
        corpus = os.path.join(workdir, "calls.ndjson")
        with open(corpus, "w") as f:
            for i in range(EVENTS):
                f.write(f'{{"type":"track","event":"Bench Event","userId":"u{i % 500}",'
                        f'"properties":{{"i":{i},"note":"{"n" * 200}"}}}}\n')
        for label, status, endless in [("api (200 {})", 200, False), ("endless 200", 200, True),
                                       ("endless 400", 400, True), ("endless 500", 500, True)]:
            server = Server(status, endless)
            code, took, peak = replay(server, corpus, workdir)
            server.close()
            rows.append([label, code, server.requests, f"{took:.2f}", f"{peak:.1f}"])
    print(benchlib.table(["server", "exit", "requests", "seconds", "peak RSS MB"], rows))


if __name__ == "__main__":
    main()
